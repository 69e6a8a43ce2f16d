import Foundation
import GRDB

/// The default datastore: one SQLite file in WAL mode, safe for several processes at once.
///
/// Layout: `kv(key, value, create_rev, mod_rev)` holds the current state; `changes(rev, key,
/// value, deleted)` is the history watches read; `meta` holds the store revision, the
/// compaction point and a format marker. Every write is one immediate transaction, so
/// writers in different processes serialise and a process killed mid-write leaves the last
/// committed state.
public final class EmbeddedStore: KVStore, Sendable {
    /// `PRAGMA application_id` of our files ("CALI").
    static let applicationID: Int32 = 0x4341_4C49
    public static let defaultPath = "/var/lib/calico/datastore.db"
    /// History kept for watches before automatic compaction.
    static let historyToKeep: Int64 = 100_000

    public let path: String
    public var endpoint: String { path }
    /// This open created the file (it did not exist).
    public let created: Bool
    /// This user may not write the file: the store was opened read-only.
    public let isReadOnly: Bool
    let pool: DatabasePool
    let notifier: FileChangeNotifier

    /// Opens the store at `path`. A missing file is created (mode 0600, missing directories
    /// 0700) when `createIfMissing`, else refused ("no datastore at <path>"). A file this user
    /// may read but not write is opened read-only (writes then fail, saying so). A file that is
    /// not a SQLite database, a SQLite database that is not ours, or one that fails SQLite's
    /// quick integrity check is refused and left untouched.
    public init(path: String = EmbeddedStore.defaultPath, createIfMissing: Bool = true) throws {
        self.path = path
        let file = try EmbeddedFile.prepare(path, create: createIfMissing)
        created = file.created
        isReadOnly = file.readOnly
        try EmbeddedStore.checkForeign(path)
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.label = "calico-datastore"
        config.readonly = file.readOnly
        pool = try EmbeddedStore.open(path, config, initialise: createIfMissing && !file.readOnly)
        try EmbeddedStore.checkIntegrity(pool, path)
        let url = URL(fileURLWithPath: path)
        notifier = FileChangeNotifier(directory: url.deletingLastPathComponent().path, prefix: url.lastPathComponent)
    }

    deinit { notifier.stop() }

    // MARK: Reads

    public func get(_ key: String) async throws -> KVPair? {
        try await read { db in try Self.fetch(db, key) }
    }

    public func list(prefix: String) async throws -> (pairs: [KVPair], revision: Int64) {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ? AND key < ? ORDER BY key",
                                        arguments: [prefix, Self.prefixEnd(prefix)])
            return (rows.map(Self.pair), try Self.meta(db, "revision"))
        }
    }

    public func revision() async throws -> Int64 {
        try await read { db in try Self.meta(db, "revision") }
    }

    // MARK: Writes

    public func create(_ key: String, value: [UInt8]) async throws -> KVPair {
        try await apply([.create(key: key, value: value)]).written[0]!
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64?) async throws -> KVPair {
        try await apply([.update(key: key, value: value, expectedRevision: expectedRevision)]).written[0]!
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws -> KVPair {
        try await apply([.delete(key: key, expectedRevision: expectedRevision)]).previous[0]!
    }

    public func transaction(_ ops: [KVOperation]) async throws -> Int64 {
        if ops.isEmpty { return try await revision() }
        return try await apply(ops).revision
    }

    struct Applied: Sendable {
        /// Per operation: the pair written (nil for deletes).
        var written: [KVPair?]
        /// Per operation: the pair before the operation.
        var previous: [KVPair?]
        var revision: Int64
    }

    /// Applies the operations in one immediate transaction at one new revision (as etcd
    /// does for a txn).
    func apply(_ ops: [KVOperation]) async throws -> Applied {
        let result: Applied = try await write { db in
            let rev = try Self.meta(db, "revision") + 1
            var out: [KVPair?] = []
            var previous: [KVPair?] = []
            var seen = Set<String>()
            for op in ops {
                guard seen.insert(op.key).inserted else {
                    throw KVError.corrupt("a transaction may not touch key \(op.key) twice")
                }
                let existing = try Self.fetch(db, op.key)
                previous.append(existing)
                switch op {
                case let .create(key, value):
                    if existing != nil { throw KVError.alreadyExists(key: key) }
                    out.append(try Self.put(db, key, value, createRev: rev, rev: rev))
                case let .update(key, value, expected):
                    guard let existing else {
                        if let expected { throw KVError.conflict(key: key, expected: expected, actual: nil) }
                        throw KVError.notFound(key: key)
                    }
                    if let expected, expected != existing.modRevision {
                        throw KVError.conflict(key: key, expected: expected, actual: existing.modRevision)
                    }
                    out.append(try Self.put(db, key, value, createRev: existing.createRevision, rev: rev))
                case let .put(key, value):
                    out.append(try Self.put(db, key, value, createRev: existing?.createRevision ?? rev, rev: rev))
                case let .delete(key, expected):
                    guard let existing else {
                        if let expected { throw KVError.conflict(key: key, expected: expected, actual: nil) }
                        throw KVError.notFound(key: key)
                    }
                    if let expected, expected != existing.modRevision {
                        throw KVError.conflict(key: key, expected: expected, actual: existing.modRevision)
                    }
                    try db.execute(sql: "DELETE FROM kv WHERE key = ?", arguments: [key])
                    try db.execute(sql: "INSERT INTO changes (rev, key, value, create_rev, deleted) VALUES (?, ?, NULL, ?, 1)",
                                   arguments: [rev, key, existing.createRevision])
                    out.append(nil)
                }
            }
            try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'revision'", arguments: [rev])
            if rev % 1000 == 0 {
                let keepFrom = rev - Self.historyToKeep
                if keepFrom > 0 { try Self.compact(db, upTo: keepFrom) }
            }
            return Applied(written: out, previous: previous, revision: rev)
        }
        notifier.signal()
        return result
    }

    public func compact(upTo revision: Int64) async throws {
        try await write { db in try Self.compact(db, upTo: revision) }
    }

    static func compact(_ db: Database, upTo revision: Int64) throws {
        let current = try meta(db, "compacted")
        guard revision > current else { return }
        try db.execute(sql: "DELETE FROM changes WHERE rev <= ?", arguments: [revision])
        try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'compacted'", arguments: [revision])
    }

    // MARK: Watch

    public func watch(prefix: String, afterRevision: Int64) -> AsyncThrowingStream<KVEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                // Position: revisions up to `last` delivered; rows up to `seq` read.
                var last = afterRevision
                var seq: Int64? = nil
                // Taken before each read, so a commit during the read is not missed.
                var generation = notifier.generation
                do {
                    while !Task.isCancelled {
                        let (fromRevision, fromSeq) = (last, seq)
                        let batch = try await read { db in try Self.changes(db, prefix: prefix, afterRevision: fromRevision, afterSeq: fromSeq) }
                        if fromRevision < batch.compacted {
                            throw KVError.compacted(requested: fromRevision + 1, compactRevision: batch.compacted)
                        }
                        for event in batch.events { continuation.yield(event) }
                        if let lastSeq = batch.lastSeq { seq = lastSeq }
                        // Every row read counts, also other prefixes', so a quiet watch keeps up.
                        if let lastRevision = batch.lastRevision { last = max(last, lastRevision) }
                        if batch.more { continue }
                        generation = await notifier.wait(after: generation)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
                self.notifier.signal()
            }
        }
    }

    struct ChangeBatch: Sendable {
        var events: [KVEvent]
        var compacted: Int64
        /// Sequence number and revision of the last history row read (of any prefix).
        var lastSeq: Int64?
        var lastRevision: Int64?
        var more: Bool
    }

    static let watchBatch = 5000

    /// Changes under `prefix` after a position (a revision, or once reading has begun, a
    /// history row), read in one snapshot with the compaction point.
    static func changes(_ db: Database, prefix: String, afterRevision: Int64, afterSeq: Int64?) throws -> ChangeBatch {
        let compacted = try meta(db, "compacted")
        if afterRevision < compacted { return ChangeBatch(events: [], compacted: compacted, lastSeq: nil, lastRevision: nil, more: false) }
        let condition = afterSeq == nil ? "rev > ?" : "seq > ?"
        let rows = try Row.fetchAll(db, sql: """
            SELECT seq, rev, key, value, create_rev, deleted FROM changes
            WHERE \(condition) ORDER BY seq LIMIT ?
            """, arguments: [afterSeq ?? afterRevision, watchBatch])
        let end = prefixEnd(prefix)
        var events: [KVEvent] = []
        for row in rows {
            let key: String = row["key"]
            guard key >= prefix && key < end else { continue }
            let rev: Int64 = row["rev"]
            if (row["deleted"] as Int64) == 1 {
                events.append(.delete(key: key, revision: rev))
            } else {
                events.append(.put(KVPair(key: key, value: [UInt8](row["value"] as Data), createRevision: row["create_rev"], modRevision: rev)))
            }
        }
        return ChangeBatch(events: events, compacted: compacted, lastSeq: rows.last.map { $0["seq"] as Int64 },
                           lastRevision: rows.last.map { $0["rev"] as Int64 }, more: rows.count == watchBatch)
    }

    // MARK: Helpers

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as DatabaseError {
            throw Self.failure(error, path: path, doing: "read failed", readOnly: isReadOnly, pool: pool)
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if isReadOnly {
            throw KVError.corrupt("\(path): cannot write: the datastore is read-only for this user (uid \(geteuid()))")
        }
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError {
            throw Self.failure(error, path: path, doing: "write failed", readOnly: isReadOnly, pool: pool)
        }
    }

    static func meta(_ db: Database, _ name: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = ?", arguments: [name]) ?? 0
    }

    static func fetch(_ db: Database, _ key: String) throws -> KVPair? {
        try Row.fetchOne(db, sql: "SELECT key, value, create_rev, mod_rev FROM kv WHERE key = ?", arguments: [key]).map(pair)
    }

    static func pair(_ row: Row) -> KVPair {
        KVPair(key: row["key"], value: [UInt8](row["value"] as Data), createRevision: row["create_rev"], modRevision: row["mod_rev"])
    }

    static func put(_ db: Database, _ key: String, _ value: [UInt8], createRev: Int64, rev: Int64) throws -> KVPair {
        let data = Data(value)
        try db.execute(sql: "INSERT OR REPLACE INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)",
                       arguments: [key, data, createRev, rev])
        try db.execute(sql: "INSERT INTO changes (rev, key, value, create_rev, deleted) VALUES (?, ?, ?, ?, 0)",
                       arguments: [rev, key, data, createRev])
        return KVPair(key: key, value: value, createRevision: createRev, modRevision: rev)
    }

    /// The smallest string greater than every string with `prefix` (etcd's range_end).
    static func prefixEnd(_ prefix: String) -> String {
        if prefix.isEmpty { return "\u{10FFFF}" }
        return prefix + "\u{10FFFF}"
    }
}
