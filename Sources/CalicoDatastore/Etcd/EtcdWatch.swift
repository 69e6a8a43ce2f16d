import Dispatch
import Foundation
import Synchronization

// One watch: a thread of its own holding a streaming `/v3/watch` transfer and feeding the
// events to an `AsyncThrowingStream`.
//
// When the connection drops (etcd restarted, an endpoint went away) the thread reconnects
// with backoff (100 ms doubling to 2 s), to the next endpoint when one cannot be reached,
// and resumes after the last revision it delivered: nothing is lost and nothing repeats
// (etcd never splits one revision's events over two messages). The stream fails with
// `KVError.compacted` when the revision to resume from is compacted, and with
// `KVError.unavailable` when no endpoint could be reached for `reconnectLimit` (or for
// `firstConnectLimit` before the first connection). Cancelling the stream aborts the
// transfer.
final class EtcdWatch: Sendable {
    let client: EtcdClient
    let prefix: String
    let afterRevision: Int64
    let continuation: AsyncThrowingStream<KVEvent, any Error>.Continuation
    private let cancelled = Atomic<Bool>(false)
    private let wakeup = DispatchSemaphore(value: 0)

    static let initialBackoff: Duration = .milliseconds(100)
    static let maxBackoff: Duration = .seconds(2)
    static let firstConnectLimit: Duration = .seconds(5)
    static let reconnectLimit: Duration = .seconds(60)

    private init(client: EtcdClient, prefix: String, afterRevision: Int64,
                 continuation: AsyncThrowingStream<KVEvent, any Error>.Continuation) {
        self.client = client
        self.prefix = prefix
        self.afterRevision = afterRevision
        self.continuation = continuation
    }

    static func start(client: EtcdClient, prefix: String, afterRevision: Int64) -> AsyncThrowingStream<KVEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: KVEvent.self, throwing: (any Error).self)
        let watch = EtcdWatch(client: client, prefix: prefix, afterRevision: afterRevision, continuation: continuation)
        continuation.onTermination = { _ in watch.cancel() }
        let thread = Thread { watch.run() }
        thread.name = "calico.etcd.watch"
        thread.start()
        return stream
    }

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    func cancel() {
        cancelled.store(true, ordering: .releasing)
        wakeup.signal()
    }

    // What ended one connection.
    private enum Ending {
        // Finish the stream with this error.
        case fail(any Error)
        // Connect again (`tlsRefused`: the TLS handshake failed).
        case reconnect(String, tlsRefused: Bool = false)
    }

    private func run() {
        let easy: CurlEasy
        do {
            easy = try CurlEasy()
        } catch {
            continuation.finish(throwing: KVError.unavailable(endpoint: client.description, reason: error.message))
            return
        }
        let clock = ContinuousClock()
        var lastDelivered = afterRevision
        var backoff = Self.initialBackoff
        var failingSince = clock.now
        var everConnected = false
        // Endpoints in a row whose TLS handshake failed before any connection.
        var tlsRefusals = 0
        while !isCancelled {
            let index = client.preferredIndex
            let endpoint = client.endpoints[index]
            var connected = false
            let ending = connect(easy, endpoint: endpoint, lastDelivered: &lastDelivered, connected: &connected)
            if isCancelled { break }
            if case .fail(let error) = ending {
                continuation.finish(throwing: error)
                return
            }
            guard case .reconnect(let reason, let tlsRefused) = ending else { break }
            tlsRefusals = tlsRefused ? tlsRefusals + 1 : 0
            if !everConnected && tlsRefusals >= client.endpoints.count {
                // Wrong certificates are not fixed by waiting: say so at once.
                continuation.finish(throwing: KVError.unavailable(endpoint: Redaction.endpoint(endpoint), reason: reason))
                return
            }
            if connected {
                everConnected = true
                backoff = Self.initialBackoff
                failingSince = clock.now
            } else {
                client.markBad(index)
            }
            let limit = everConnected ? Self.reconnectLimit : Self.firstConnectLimit
            if failingSince.duration(to: clock.now) >= limit {
                continuation.finish(throwing: KVError.unavailable(endpoint: Redaction.endpoint(endpoint), reason: reason))
                return
            }
            _ = wakeup.wait(timeout: .now() + .milliseconds(EtcdClient.milliseconds(backoff)))
            backoff = min(backoff * 2, Self.maxBackoff)
        }
        continuation.finish()
    }

    // One streaming transfer from `lastDelivered + 1`, delivering events until it ends.
    private func connect(_ easy: CurlEasy, endpoint: String, lastDelivered: inout Int64, connected: inout Bool) -> Ending {
        let headers: [String]
        do {
            headers = try client.authHeaders(easy, endpoint: endpoint, deadline: ContinuousClock().now.advanced(by: EtcdClient.callBudget))
        } catch let error as CurlTransferError {
            return .reconnect(error.message, tlsRefused: error.tlsRefused)
        } catch {
            return .fail(error)
        }
        let range = EtcdGateway.prefixRange(prefix)
        let request = EtcdGateway.WatchRequest(create_request: .init(
            key: range.key, range_end: range.rangeEnd, start_revision: .init(lastDelivered + 1)))
        let body: [UInt8]
        do { body = try [UInt8](JSONEncoder().encode(request)) } catch { return .fail(error) }

        var splitter = JSONObjectSplitter()
        let decoder = JSONDecoder()
        var ending: Ending?
        var unparsed: [UInt8]?
        var delivered = lastDelivered
        var created = false
        let sink = CurlTransferSink(onData: { [continuation] bytes in
            guard ending == nil, unparsed == nil else { return }
            for object in splitter.feed(bytes) {
                guard let message = try? decoder.decode(EtcdGateway.WatchMessage.self, from: Data(object)) else {
                    unparsed = object  // an error answer, judged with the HTTP status
                    return
                }
                if let error = message.error {
                    if error.grpc_code == EtcdGateway.codeUnauthenticated { self.client.dropToken() }
                    ending = .reconnect(error.message ?? "the watch stream failed")
                    return
                }
                guard let result = message.result else { continue }
                if result.created == true { created = true }
                if result.canceled == true {
                    if let compacted = result.compact_revision?.value, compacted > 0 {
                        ending = .fail(KVError.compacted(requested: delivered + 1, compactRevision: compacted))
                    } else if let reason = result.cancel_reason, reason.contains("invalid auth token") {
                        // Tokens expire (and die with a restart): authenticate again.
                        self.client.dropToken()
                        ending = .reconnect(reason)
                    } else {
                        ending = .fail(EtcdError(endpoint: Redaction.endpoint(endpoint), code: 0,
                                                 message: "watch canceled: \(result.cancel_reason ?? "no reason given")"))
                    }
                    return
                }
                let floor = delivered
                for event in result.events ?? [] {
                    guard let kv = event.kv, let revision = kv.mod_revision?.value, revision > floor else { continue }
                    if event.type == "DELETE" {
                        continuation.yield(.delete(key: EtcdGateway.string(kv.key), revision: revision))
                    } else {
                        continuation.yield(.put(kv.pair))
                    }
                    delivered = max(delivered, revision)
                }
            }
        }, shouldAbort: { [self] in self.isCancelled || ending != nil || unparsed != nil })

        let result = easy.perform(
            CurlRequest(url: endpoint + "/v3/watch", body: body, headers: headers,
                        connectTimeoutMs: EtcdClient.connectTimeoutMs, timeoutMs: 0, tls: client.tls),
            sink: sink)
        lastDelivered = delivered
        connected = created
        if created { client.markGood(client.endpoints.firstIndex(of: endpoint) ?? 0) }
        if let ending { return ending }
        switch result {
        case .failure(let error):
            return .reconnect(error.message, tlsRefused: error.tlsRefused)
        case .success(200):
            if let unparsed {
                return .fail(KVError.corrupt("etcd at \(Redaction.endpoint(endpoint)): unexpected watch message: \(String(decoding: unparsed.prefix(200), as: UTF8.self))"))
            }
            return .reconnect("the watch stream ended")
        case .success(let status):
            let answer = unparsed.flatMap { try? JSONDecoder().decode(EtcdGateway.ErrorResponse.self, from: Data($0)) }
            let message = answer?.message ?? answer?.error ?? "HTTP \(status)"
            switch answer?.code {
            case EtcdGateway.codeUnauthenticated?:
                client.dropToken()
                return .reconnect(message)
            case EtcdGateway.codeUnavailable?, nil:
                return .reconnect(message)
            case let code?:
                return .fail(EtcdError(endpoint: Redaction.endpoint(endpoint), code: code, message: message))
            }
        }
    }
}
