/// One stored key with its value and revisions (etcd's model; the embedded store mirrors it).
public struct KVPair: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// Revision of the write that created the key.
    public var createRevision: Int64
    /// Revision of the last write to the key: the resource's `resourceVersion`.
    public var modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// A change seen by a watch.
public enum KVEvent: Sendable, Equatable {
    case put(KVPair)
    /// A deleted key and the revision of the delete.
    case delete(key: String, revision: Int64)

    public var revision: Int64 {
        switch self {
        case .put(let p): return p.modRevision
        case .delete(_, let r): return r
        }
    }

    public var key: String {
        switch self {
        case .put(let p): return p.key
        case .delete(let k, _): return k
        }
    }
}

/// Errors every backend reports the same way.
public enum KVError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(key: String)
    case alreadyExists(key: String)
    /// Compare-and-swap failed: the caller expected `expected`, the store holds `actual`
    /// (nil when the key is gone).
    case conflict(key: String, expected: Int64, actual: Int64?)
    /// A watch asked for history the store no longer keeps; list again and watch from there.
    case compacted(requested: Int64, compactRevision: Int64)
    /// The store could not be reached.
    case unavailable(endpoint: String, reason: String)
    /// The store's file or answer is not what it should be.
    case corrupt(String)

    /// The message; credentials in endpoint URLs never appear in it.
    public var description: String { Redaction.stripUserInfo(text) }

    var text: String {
        switch self {
        case .notFound(let k): return "resource does not exist: \(k)"
        case .alreadyExists(let k): return "resource already exists: \(k)"
        case let .conflict(k, e, a):
            return "update conflict: \(k): resourceVersion \(e) given but the datastore holds \(a.map(String.init) ?? "nothing (deleted)")"
        case let .compacted(r, c): return "watch from revision \(r) is no longer possible: history compacted up to \(c)"
        case let .unavailable(e, r): return "datastore at \(e) is not reachable: \(r)"
        case .corrupt(let m): return m
        }
    }
}

/// A revisioned key-value store with watch: the one storage interface every Calico
/// component uses. Implemented by `EmbeddedStore` (SQLite) and `EtcdStore` (etcd v3).
///
/// Revisions are store-wide and increase with every write. A key's `modRevision` is its
/// version for compare-and-swap.
public protocol KVStore: Sendable {
    /// A short description of where the data lives, for messages.
    var endpoint: String { get }

    func get(_ key: String) async throws -> KVPair?
    /// Every key with the prefix, sorted by key, and the store revision the list reflects.
    func list(prefix: String) async throws -> (pairs: [KVPair], revision: Int64)
    /// Creates the key; `KVError.alreadyExists` when present.
    func create(_ key: String, value: [UInt8]) async throws -> KVPair
    /// Replaces the key's value. With `expectedRevision`, only if the key's modRevision equals
    /// it (else `KVError.conflict`); the key must exist (else `KVError.notFound`).
    func update(_ key: String, value: [UInt8], expectedRevision: Int64?) async throws -> KVPair
    /// Deletes the key (only at `expectedRevision` when given) and returns what was deleted.
    func delete(_ key: String, expectedRevision: Int64?) async throws -> KVPair
    /// Applies several creates/updates/deletes atomically: all or nothing.
    func transaction(_ ops: [KVOperation]) async throws -> Int64
    /// Every change to keys with the prefix after `afterRevision`, in revision order, then
    /// live changes until the stream is cancelled. Fails with `KVError.compacted` when that
    /// history is gone.
    func watch(prefix: String, afterRevision: Int64) -> AsyncThrowingStream<KVEvent, any Error>
    /// The current store revision.
    func revision() async throws -> Int64
    /// Forgets history up to `revision` (watches from before it fail with `compacted`).
    func compact(upTo revision: Int64) async throws
}

/// One step of a `transaction`.
public enum KVOperation: Sendable, Equatable {
    /// Create; fails the transaction if the key exists.
    case create(key: String, value: [UInt8])
    /// Update; fails unless the key exists (and has `expectedRevision` when given).
    case update(key: String, value: [UInt8], expectedRevision: Int64?)
    /// Create or replace, no condition.
    case put(key: String, value: [UInt8])
    /// Delete; fails unless the key exists (and has `expectedRevision` when given).
    case delete(key: String, expectedRevision: Int64?)

    public var key: String {
        switch self {
        case .create(let k, _), .update(let k, _, _), .put(let k, _), .delete(let k, _): return k
        }
    }
}
