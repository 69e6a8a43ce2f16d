import FelixDataplane
import Foundation
import Goldmane
import GoldmaneAPI
import GRPCCore
import GRPCNIOTransportHTTP2

/// Sends Felix's flows to Goldmane (`FlowCollector.Connect`, one receipt awaited per flow;
/// mutual TLS with Felix's `typhaCertFile`/`typhaKeyFile`/`typhaCAFile` when they are set):
/// NFLOG verdicts read into the collector, drained every `flowLogsFlushInterval`, pushed.
/// Flows a push could not deliver are sent again with the next (Goldmane drops repeats),
/// keeping at most 5000 and at most 5 minutes of them.
final class FlowLogExporter: @unchecked Sendable {
    let collector: FlowLogCollector
    let server: (host: String, port: Int)
    let interval: Double
    /// Felix's Typha certificate, key and CA, as upstream uses them for Goldmane (mTLS when set).
    let tls: (certificate: String?, key: String?, ca: String?)
    private var reader: NflogReader?
    private var task: Task<Void, Never>?
    private var unsent: [Goldmane_Flow] = []
    /// Flows given up on (Goldmane unreachable for too long or too many waiting).
    private(set) var dropped = 0

    init?(settings: FelixSettings, collector: FlowLogCollector) {
        let target = settings.flowLogsGoldmaneServer
        guard let colon = target.lastIndex(of: ":"), let port = Int(target[target.index(after: colon)...]) else {
            FelixDaemon.log("ERROR", "flowLogsGoldmaneServer=\(target): expected host:port; flow logs are off")
            return nil
        }
        self.collector = collector
        server = (String(target[..<colon]), port)
        interval = settings.flowLogsFlushInterval
        tls = (settings.typhaCertFile, settings.typhaKeyFile, settings.typhaCAFile)
    }

    func start() {
        ConntrackCounters.enableAccounting()
        collector.conntrack = { ConntrackCounters.read() }
        do {
            reader = try NflogReader(groups: [1, 2]) { [collector] in collector.record($0) }
        } catch {
            FelixDaemon.log("ERROR", "flow logs: \(error); no verdicts will be collected")
        }
        FelixDaemon.log("INFO", "flow logs to Goldmane at \(server.host):\(server.port)\(tls.certificate != nil ? " (mTLS)" : "") every \(Int(interval)) s")
        task = Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                await push(collector.flush())
            }
        }
    }

    /// What is kept for Goldmane (pure): the newest `limit` flows that ended less than `maxAge`
    /// seconds ago, and how many were given up.
    static func bounded(_ waiting: [Goldmane_Flow], now: Int64, limit: Int = 5000, maxAge: Int64 = 300) -> (keep: [Goldmane_Flow], dropped: Int) {
        let keep = Array(waiting.filter { now - $0.endTime < maxAge }.suffix(limit))
        return (keep, waiting.count - keep.count)
    }

    func push(_ flows: [Goldmane_Flow]) async {
        let (batch, given) = Self.bounded(unsent + flows, now: Int64(Date().timeIntervalSince1970))
        if given > 0 {
            dropped += given
            FelixDaemon.log("WARNING", "flow logs: dropped \(given) flows Goldmane could not take in time (\(dropped) so far)")
        }
        guard !batch.isEmpty else { return }
        do {
            let transport = try GoldmaneClient.transport(host: server.host, port: server.port, certificate: tls.certificate, key: tls.key, ca: tls.ca)
            let sent = try await withGRPCClient(transport: transport) { client in
                try await Goldmane_FlowCollector.Client(wrapping: client).connect(requestProducer: { writer in
                    for f in batch {
                        var u = Goldmane_FlowUpdate()
                        u.flow = f
                        try await writer.write(u)
                    }
                }, onResponse: { response in
                    var n = 0
                    for try await _ in response.messages { n += 1 }
                    return n
                })
            }
            unsent = sent < batch.count ? Array(batch.suffix(batch.count - sent)) : []
        } catch {
            unsent = Array(batch)
            FelixDaemon.log("WARNING", "flow logs: cannot reach Goldmane at \(server.host):\(server.port) (\(error)); \(batch.count) flows kept for the next try")
        }
    }
}
