import Foundation
import GoldmaneAPI
import GRPCCore
import GRPCNIOTransportHTTP2

/// Goldmane's configuration from upstream's environment: `PORT` (443), `LOG_LEVEL` (info),
/// `AGGREGATION_WINDOW` (15s), `SERVER_CERT_PATH` + `SERVER_KEY_PATH` (TLS; with `CA_CERT_PATH`
/// client certificates are required and verified against it). Without certificates it
/// serves plaintext, on loopback only unless `HOST` (swift-calico's) names an address.
public struct GoldmaneConfig: Sendable, Equatable {
    public var port = 443
    public var host: String?
    public var logLevel = "info"
    public var interval: Int64 = 15
    public var serverCert: String?
    public var serverKey: String?
    public var caCert: String?
    /// Flows waiting between the connections and the aggregator (swift-calico's
    /// `INGEST_QUEUE_SIZE`); a burst beyond it is dropped and counted.
    public var ingestQueue = 10_000
    /// `TLS_CIPHER_SUITES` (3.31): the suites the TLS server accepts.
    public var cipherSuites = TLSCipherSuites.default

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init() {}

    public static func from(environment env: [String: String]) throws(Invalid) -> GoldmaneConfig {
        var c = GoldmaneConfig()
        if let p = env["PORT"], !p.isEmpty {
            guard let n = Int(p), (0...65535).contains(n) else { throw Invalid(description: "PORT=\(p): not a port number") }
            c.port = n
        }
        if let h = env["HOST"], !h.isEmpty { c.host = h }
        if let l = env["LOG_LEVEL"], !l.isEmpty { c.logLevel = l.lowercased() }
        if let w = env["AGGREGATION_WINDOW"], !w.isEmpty {
            guard let seconds = Self.duration(w), seconds > 0 else { throw Invalid(description: "AGGREGATION_WINDOW=\(w): not a duration such as 15s") }
            c.interval = seconds
        }
        if let q = env["INGEST_QUEUE_SIZE"], !q.isEmpty {
            guard let n = Int(q), n > 0 else { throw Invalid(description: "INGEST_QUEUE_SIZE=\(q): not a positive number") }
            c.ingestQueue = n
        }
        do {
            c.cipherSuites = try TLSCipherSuites.parse(env["TLS_CIPHER_SUITES"])
        } catch {
            throw Invalid(description: error.description)
        }
        c.serverCert = env["SERVER_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        c.serverKey = env["SERVER_KEY_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        c.caCert = env["CA_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        if (c.serverCert == nil) != (c.serverKey == nil) {
            throw Invalid(description: "SERVER_CERT_PATH and SERVER_KEY_PATH must be set together")
        }
        for path in [c.serverCert, c.serverKey, c.caCert].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw Invalid(description: "cannot read \(path)")
        }
        return c
    }

    /// `15s`, `1m`, `90` (seconds) as Go's durations are usually written.
    static func duration(_ s: String) -> Int64? {
        if let n = Int64(s) { return n }
        let units: [(String, Int64)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3600)]
        for (u, mult) in units where s.hasSuffix(u) {
            guard let n = Double(s.dropLast(u.count)) else { return nil }
            return u == "ms" ? max(1, Int64(n / 1000)) : Int64(n * Double(mult))
        }
        return nil
    }

    public var usesTLS: Bool { serverCert != nil }

    /// Where to listen: all addresses with TLS, loopback for plaintext (or `HOST`).
    public var bindHost: String { host ?? (usesTLS ? "0.0.0.0" : "127.0.0.1") }

    /// The listening socket: TLS (with client certificates when a CA is set) or plaintext.
    func listener() throws -> GoldmaneListener {
        guard let cert = serverCert, let key = serverKey else { return GoldmaneListener(host: bindHost, port: port, tls: nil) }
        return GoldmaneListener(host: bindHost, port: port,
                                tls: try GoldmaneListener.context(certificate: cert, key: key, ca: caCert, suites: cipherSuites))
    }
}

/// The goldmane process: the three services on one gRPC server, rollovers on the clock.
public enum GoldmaneDaemon {
    public static func log(_ level: String, _ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        FileHandle.standardError.write(Data("\(stamp) [\(level)] goldmane: \(message)\n".utf8))
    }

    /// Serves until the process ends; `ready` gets the bound port.
    public static func run(_ config: GoldmaneConfig, ready: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let aggregator = FlowAggregator(interval: config.interval)
        let queue = IngestQueue(capacity: config.ingestQueue)
        let transport = HTTP2ServerTransport.Custom(listenerFactory: try config.listener())
        let server = GRPCServer(transport: transport, services: [
            FlowsService(aggregator: aggregator), FlowCollectorService(queue: queue), StatisticsService(aggregator: aggregator),
        ])
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            group.addTask { await aggregator.runRollovers() }
            group.addTask { await aggregator.runIngest(from: queue) { log("WARNING", $0) } }
            group.addTask {
                guard let address = await transport.listeningAddress, let port = address.ipv4?.port ?? address.ipv6?.port else { return }
                log("INFO", "serving Flows, FlowCollector and Statistics on \(config.bindHost):\(port) (\(config.usesTLS ? (config.caCert != nil ? "mTLS" : "TLS") : "plaintext")), \(config.interval) s buckets")
                ready(port)
            }
        }
    }
}
