import Foundation
import Synchronization

/// An error etcd answered that has no `KVError` meaning (a refused request, a limit).
public struct EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The endpoint that answered.
    public var endpoint: String
    /// The gRPC status code (3 invalid argument, 11 out of range, ...).
    public var code: Int
    public var message: String

    public init(endpoint: String, code: Int, message: String) {
        self.endpoint = endpoint
        self.code = code
        self.message = message
    }

    public var description: String { Redaction.stripUserInfo("etcd at \(endpoint): \(message) (code \(code))") }
}

// Calls to the gateway of one etcd cluster: picks the endpoint, moves to the next one when
// an endpoint cannot be reached, attaches the auth token, and maps failures to errors.
// The `blocking` calls run on the calling thread (a curl lane or a watch thread).
final class EtcdClient: Sendable {
    let endpoints: [String]
    let tls: EtcdTLSOptions?
    let credentials: EtcdCredentials?
    let http = CurlHTTPClient()
    // Index of the endpoint that answered last.
    private let preferred = Mutex<Int>(0)
    private let token = Mutex<String?>(nil)

    // Time one call may take over all endpoints (an unreachable store fails within it).
    static let callBudget: Duration = .milliseconds(4500)
    static let connectTimeoutMs = 2000

    init(endpoints: [String], tls: EtcdTLSOptions?, credentials: EtcdCredentials?) {
        self.endpoints = endpoints
        self.tls = tls
        self.credentials = credentials
    }

    /// The endpoints for messages (without credentials).
    var description: String { endpoints.map(Redaction.endpoint).joined(separator: ",") }

    // The endpoint to try first.
    var preferredIndex: Int { preferred.withLock { $0 } }

    func markGood(_ index: Int) { preferred.withLock { $0 = index } }

    func markBad(_ index: Int) {
        preferred.withLock { if $0 == index { $0 = (index + 1) % endpoints.count } }
    }

    // `POST path` with `request` as JSON on a curl lane.
    func call<Request: Encodable & Sendable, Response: Decodable & Sendable>(
        _ path: String, _ request: Request, as type: Response.Type, idempotent: Bool
    ) async throws -> Response {
        try await http.run { easy in try self.blocking(easy, path, request, as: type, idempotent: idempotent) }
    }

    // The same on the calling thread. A read moves on to the next endpoint after any
    // transport failure; a write only when its request certainly did not go out.
    func blocking<Request: Encodable, Response: Decodable>(
        _ easy: CurlEasy, _ path: String, _ request: Request, as type: Response.Type, idempotent: Bool
    ) throws -> Response {
        let body = try [UInt8](JSONEncoder().encode(request))
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: Self.callBudget)
        var failures: [(endpoint: String, reason: String)] = []
        let first = preferredIndex
        var attempt = 0
        var reauthenticated = false
        while attempt < endpoints.count {
            let index = (first + attempt) % endpoints.count
            let endpoint = endpoints[index]
            // What messages name: the endpoint without credentials.
            let shown = Redaction.endpoint(endpoint)
            let remaining = clock.now.duration(to: deadline)
            if remaining <= .zero { break }
            let headers: [String]
            do {
                headers = try authHeaders(easy, endpoint: endpoint, deadline: deadline)
            } catch let error as CurlTransferError {
                failures.append((shown, error.message))
                markBad(index)
                attempt += 1
                continue
            }
            let sink = CurlTransferSink()
            let request = CurlRequest(url: endpoint + path, body: body, headers: headers,
                                      connectTimeoutMs: min(Self.connectTimeoutMs, Self.milliseconds(remaining)),
                                      timeoutMs: max(1, Self.milliseconds(remaining)), tls: tls)
            switch easy.perform(request, sink: sink) {
            case .failure(let error):
                failures.append((shown, error.message))
                markBad(index)
                if !idempotent && error.requestSent {
                    throw KVError.unavailable(endpoint: shown,
                                              reason: "\(error.message) (the write may or may not have been applied)")
                }
                attempt += 1
                continue
            case .success(let status) where (200..<300).contains(status):
                markGood(index)
                do {
                    return try JSONDecoder().decode(Response.self, from: Data(sink.body))
                } catch {
                    throw KVError.corrupt("etcd at \(shown): unexpected answer to \(path): \(error)")
                }
            case .success(let status):
                let answer = try? JSONDecoder().decode(EtcdGateway.ErrorResponse.self, from: Data(sink.body))
                let code = answer?.code ?? 2
                let message = answer?.message ?? answer?.error
                    ?? "HTTP \(status): \(String(decoding: sink.body.prefix(200), as: UTF8.self))"
                if code == EtcdGateway.codeUnauthenticated, credentials != nil, !reauthenticated {
                    token.withLock { $0 = nil }
                    reauthenticated = true
                    continue  // same endpoint, fresh token
                }
                if code == EtcdGateway.codeUnavailable {
                    failures.append((shown, message))
                    markBad(index)
                    if !idempotent { throw KVError.unavailable(endpoint: shown, reason: message) }
                    attempt += 1
                    continue
                }
                throw EtcdError(endpoint: shown, code: code, message: message)
            }
        }
        if failures.isEmpty {
            throw KVError.unavailable(endpoint: description, reason: "no answer within \(Self.callBudget)")
        }
        throw KVError.unavailable(endpoint: failures.map(\.endpoint).joined(separator: ","),
                                  reason: failures.map { failures.count == 1 ? $0.reason : "\($0.endpoint): \($0.reason)" }
                                      .joined(separator: "; "))
    }

    // The `Authorization` header when the store uses authentication, fetching a token first
    // when there is none.
    func authHeaders(_ easy: CurlEasy, endpoint: String, deadline: ContinuousClock.Instant) throws -> [String] {
        guard let credentials else { return [] }
        if let current = token.withLock({ $0 }) { return ["Authorization: \(current)"] }
        let remaining = Self.milliseconds(ContinuousClock().now.duration(to: deadline))
        let body = try [UInt8](JSONEncoder().encode(
            EtcdGateway.AuthenticateRequest(name: credentials.username, password: credentials.password)))
        let sink = CurlTransferSink()
        let status = try easy.perform(
            CurlRequest(url: endpoint + "/v3/auth/authenticate", body: body,
                        connectTimeoutMs: min(Self.connectTimeoutMs, remaining), timeoutMs: max(1, remaining), tls: tls),
            sink: sink).get()
        guard status == 200,
              let answer = try? JSONDecoder().decode(EtcdGateway.AuthenticateResponse.self, from: Data(sink.body)),
              let fresh = answer.token, !fresh.isEmpty else {
            let error = try? JSONDecoder().decode(EtcdGateway.ErrorResponse.self, from: Data(sink.body))
            throw EtcdError(endpoint: Redaction.endpoint(endpoint), code: error?.code ?? EtcdGateway.codeUnauthenticated,
                            message: "authentication as \(credentials.username) failed: \(error?.message ?? "HTTP \(status)")")
        }
        token.withLock { $0 = fresh }
        return ["Authorization: \(fresh)"]
    }

    // Forgets the token (the server no longer accepts it).
    func dropToken() { token.withLock { $0 = nil } }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
