import Foundation

/// The etcd v3 datastore, reached through etcd's JSON gateway (`/v3/...`) over HTTP/1.1.
///
/// Revisions are etcd's: one transaction is one revision, so every key a `transaction`
/// writes gets the same `modRevision`, and watch events of one transaction share it.
/// Writes are compare-and-swap transactions; a call that cannot reach any endpoint fails
/// within 5 seconds with `KVError.unavailable`, and one that etcd refuses for a reason
/// without a `KVError` meaning (a key written twice in one transaction, more than etcd's
/// 128 operations per transaction) fails with `EtcdError`.
///
/// A watch reconnects by itself when its connection drops (moving to the next endpoint when
/// one is unreachable) and resumes after the last revision it delivered; it fails with
/// `KVError.unavailable` when no endpoint answers for 60 seconds (5 seconds before its first
/// connection), and with `KVError.compacted` when the history to resume from is gone.
public final class EtcdStore: KVStore, Sendable {
    /// The endpoints, as normalised base URLs (`http://127.0.0.1:2379`).
    public let endpoints: [String]
    let client: EtcdClient

    // Keys per page when listing.
    static let listPage: Int64 = 5000

    public var endpoint: String { client.description }

    /// A store on the cluster at `endpoints` (`http://host:port`; a bare `host:port` gets
    /// `https://` when `tls` is given, else `http://`).
    public init(endpoints: [String], tls: EtcdTLSOptions? = nil, credentials: EtcdCredentials? = nil) {
        var normalised = endpoints.compactMap { Self.normalise($0, tls: tls != nil) }
        if normalised.isEmpty { normalised = ["http://127.0.0.1:2379"] }
        self.endpoints = normalised
        client = EtcdClient(endpoints: normalised, tls: tls, credentials: credentials)
    }

    /// The store named by `ETCD_ENDPOINTS` (a comma list), with TLS files from
    /// `ETCD_CA_CERT_FILE`/`ETCD_CERT_FILE`/`ETCD_KEY_FILE` and credentials from
    /// `ETCD_USERNAME`/`ETCD_PASSWORD`; nil when `ETCD_ENDPOINTS` is unset or empty.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> EtcdStore? {
        let endpoints = (environment["ETCD_ENDPOINTS"] ?? "").split(separator: ",").map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !endpoints.isEmpty else { return nil }
        return EtcdStore(endpoints: endpoints, tls: EtcdTLSOptions.fromEnvironment(environment),
                         credentials: EtcdCredentials.fromEnvironment(environment))
    }

    static func normalise(_ endpoint: String, tls: Bool) -> String? {
        var text = endpoint.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        if text.isEmpty { return nil }
        if !text.contains("://") { text = (tls ? "https://" : "http://") + text }
        return text
    }

    // MARK: Reads

    public func get(_ key: String) async throws -> KVPair? {
        let answer = try await client.call("/v3/kv/range", EtcdGateway.RangeRequest(key: EtcdGateway.encode(key)),
                                           as: EtcdGateway.RangeResponse.self, idempotent: true)
        return answer.kvs?.first.map(\.pair)
    }

    public func list(prefix: String) async throws -> (pairs: [KVPair], revision: Int64) {
        var attempts = 0
        while true {
            do {
                return try await listPages(prefix: prefix)
            } catch let error as EtcdError where Self.isCompacted(error) && attempts < 3 {
                // A later page's revision was compacted meanwhile: list again at a newer one.
                attempts += 1
            }
        }
    }

    // Pages through the prefix, every page read at the revision of the first.
    private func listPages(prefix: String) async throws -> (pairs: [KVPair], revision: Int64) {
        let range = EtcdGateway.prefixRange(prefix)
        var request = EtcdGateway.RangeRequest(key: range.key, range_end: range.rangeEnd, limit: .init(Self.listPage))
        var pairs: [KVPair] = []
        var revision: Int64?
        while true {
            let answer = try await client.call("/v3/kv/range", request, as: EtcdGateway.RangeResponse.self, idempotent: true)
            let page = (answer.kvs ?? []).map(\.pair)
            pairs += page
            if revision == nil { revision = try Self.headerRevision(answer.header, client.description) }
            guard answer.more == true, let last = page.last else { return (pairs, revision!) }
            request.key = EtcdGateway.encode(Array(last.key.utf8) + [0])
            request.revision = .init(revision!)
        }
    }

    public func revision() async throws -> Int64 {
        let answer = try await client.call("/v3/kv/range", EtcdGateway.RangeRequest(key: EtcdGateway.encode([0]), count_only: true),
                                           as: EtcdGateway.RangeResponse.self, idempotent: true)
        return try Self.headerRevision(answer.header, client.description)
    }

    // MARK: Writes

    public func create(_ key: String, value: [UInt8]) async throws -> KVPair {
        let (revision, _) = try await apply([.create(key: key, value: value)])
        return KVPair(key: key, value: value, createRevision: revision, modRevision: revision)
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64?) async throws -> KVPair {
        let (revision, responses) = try await apply([.update(key: key, value: value, expectedRevision: expectedRevision)])
        let created = responses.first?.response_put?.prev_kv?.create_revision?.value ?? revision
        return KVPair(key: key, value: value, createRevision: created, modRevision: revision)
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws -> KVPair {
        let (_, responses) = try await apply([.delete(key: key, expectedRevision: expectedRevision)])
        guard let old = responses.first?.response_delete_range?.prev_kvs?.first else {
            // The compare guaranteed the key existed; etcd did not say what it deleted.
            throw KVError.corrupt("etcd at \(endpoint): delete of \(key) returned no previous value")
        }
        return old.pair
    }

    public func transaction(_ ops: [KVOperation]) async throws -> Int64 {
        try await apply(ops).revision
    }

    // One etcd transaction: the compares of every operation, then all the writes; when a
    // compare fails, the current state of the keys (read in the same transaction) names
    // the first operation that cannot apply.
    func apply(_ ops: [KVOperation]) async throws -> (revision: Int64, responses: [EtcdGateway.ResponseOp]) {
        var compares: [EtcdGateway.Compare] = []
        var success: [EtcdGateway.RequestOp] = []
        var keys: [String] = []
        for op in ops {
            let key = EtcdGateway.encode(op.key)
            if !keys.contains(op.key) { keys.append(op.key) }
            switch op {
            case let .create(_, value):
                compares.append(.init(key: key, target: "CREATE", result: "EQUAL", create_revision: .init(0)))
                success.append(.init(request_put: .init(key: key, value: EtcdGateway.encode(value))))
            case let .update(_, value, expected):
                compares.append(Self.existsCompare(key, expected))
                success.append(.init(request_put: .init(key: key, value: EtcdGateway.encode(value), prev_kv: true)))
            case let .put(_, value):
                success.append(.init(request_put: .init(key: key, value: EtcdGateway.encode(value))))
            case let .delete(_, expected):
                compares.append(Self.existsCompare(key, expected))
                success.append(.init(request_delete_range: .init(key: EtcdGateway.encode(op.key), prev_kv: true)))
            }
        }
        let failure = keys.map { EtcdGateway.RequestOp(request_range: .init(key: EtcdGateway.encode($0))) }
        let answer = try await client.call("/v3/kv/txn", EtcdGateway.TxnRequest(compare: compares, success: success, failure: failure),
                                           as: EtcdGateway.TxnResponse.self, idempotent: false)
        let revision = try Self.headerRevision(answer.header, client.description)
        if answer.succeeded == true { return (revision, answer.responses ?? []) }
        var current: [String: Int64] = [:]
        for (key, response) in zip(keys, answer.responses ?? []) {
            if let kv = response.response_range?.kvs?.first { current[key] = kv.mod_revision?.value ?? 0 }
        }
        try Self.firstFailure(ops, current: current)
        throw KVError.corrupt("etcd at \(endpoint): transaction refused although every condition holds")
    }

    // The compare for an update or delete: the key exists, at `expected` when given.
    static func existsCompare(_ key: String, _ expected: Int64?) -> EtcdGateway.Compare {
        guard let expected else {
            return .init(key: key, target: "CREATE", result: "GREATER", create_revision: .init(0))
        }
        if expected <= 0 {
            // No existing key has such a revision (and a missing key's mod_revision is 0).
            return .init(key: key, target: "CREATE", result: "LESS", create_revision: .init(0))
        }
        return .init(key: key, target: "MOD", result: "EQUAL", mod_revision: .init(expected))
    }

    // Replays the operations in order over the keys' current modRevisions and throws what
    // the first one that cannot apply fails with (the embedded store's errors exactly).
    static func firstFailure(_ ops: [KVOperation], current: [String: Int64]) throws {
        var state = current
        for op in ops {
            let existing = state[op.key]
            switch op {
            case let .create(key, _):
                if existing != nil { throw KVError.alreadyExists(key: key) }
                state[key] = Int64.max
            case let .update(key, _, expected), let .delete(key, expected):
                guard let existing else {
                    if let expected { throw KVError.conflict(key: key, expected: expected, actual: nil) }
                    throw KVError.notFound(key: key)
                }
                if let expected, expected != existing {
                    throw KVError.conflict(key: key, expected: expected, actual: existing)
                }
                if case .delete = op { state[key] = nil } else { state[key] = Int64.max }
            case let .put(key, _):
                state[key] = Int64.max
            }
        }
    }

    // MARK: History

    public func compact(upTo revision: Int64) async throws {
        do {
            _ = try await client.call("/v3/kv/compaction", EtcdGateway.CompactionRequest(revision: .init(revision), physical: true),
                                      as: EtcdGateway.HeaderOnlyResponse.self, idempotent: true)
        } catch let error as EtcdError where Self.isCompacted(error) {
            // Already compacted at or past `revision`: nothing to forget.
        }
    }

    public func watch(prefix: String, afterRevision: Int64) -> AsyncThrowingStream<KVEvent, any Error> {
        EtcdWatch.start(client: client, prefix: prefix, afterRevision: afterRevision)
    }

    // MARK: Helpers

    static func isCompacted(_ error: EtcdError) -> Bool {
        error.code == EtcdGateway.codeOutOfRange && error.message.contains("compacted")
    }

    static func headerRevision(_ header: EtcdGateway.ResponseHeader?, _ endpoint: String) throws -> Int64 {
        guard let revision = header?.revision?.value else {
            throw KVError.corrupt("etcd at \(endpoint): answer without a header revision")
        }
        return revision
    }
}
