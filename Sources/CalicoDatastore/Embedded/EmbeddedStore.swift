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
    let pool: DatabasePool
    let notifier: FileChangeNotifier

    /// Opens (creating when missing) the store at `path`. A file that is not a SQLite
    /// database, or a SQLite database that is not ours, is refused and left untouched.
    public init(path: String = EmbeddedStore.defaultPath) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try EmbeddedStore.checkForeign(path)
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.label = "calico-datastore"
        pool = try EmbeddedStore.open(path, config)

        notifier = FileChangeNotifier(directory: dir, prefix: url.lastPathComponent)
    }

    deinit { notifier.stop() }

    /// Opens the pool and creates the schema when missing. Many processes may open a new
    /// store at once (CNI ADDs): a busy database is retried for up to ~15 s.
    static func open(_ path: String, _ config: Configuration) throws -> DatabasePool {
        var delay = 0.005
        let deadline = Date().addingTimeInterval(15)
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: config)
                let ready = try pool.read { db in
                    try Int32.fetchOne(db, sql: "PRAGMA application_id") == applicationID
                        && (try db.tableExists("meta")) && (try db.tableExists("changes"))
                }
                if !ready {
                    try pool.write { db in try migrate(db) }
                    // Put the header (application id) into the main file for other processes' check.
                    try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
                }
                return pool
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && Date() < deadline {
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 0.2)
            } catch let error as DatabaseError {
                throw KVError.corrupt("\(path): cannot open the datastore: \(error.message ?? error.description)")
            }
        }
    }

    /// Refuses files that are not SQLite, or SQLite files of another application, without
    /// writing to them.
    static func checkForeign(_ path: String) throws {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attrs[.size] as? Int, size > 0 else { return }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KVError.corrupt("\(path): cannot read the datastore file")
        }
        let header = handle.readData(ofLength: 100)
        try? handle.close()
        guard header.count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw KVError.corrupt("\(path): not a swift-calico datastore (not a SQLite database); refusing to touch it")
        }
        // Bytes 68..<72: application id (big endian).
        let appID = header[68..<72].reduce(Int32(0)) { ($0 << 8) | Int32($1) }
        if appID == applicationID { return }
        if appID == 0 {
            // Possibly ours, just created by another process with the header change still in
            // the WAL: look through SQLite, read-only.
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(10)
            let (id, tables): (Int32, Set<String>)
            do {
                let queue = try DatabaseQueue(path: path, configuration: config)
                (id, tables) = try queue.read { db in
                    (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                     Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")))
                }
                try queue.close()
            } catch {
                throw KVError.corrupt("\(path): not a readable SQLite database (\(error)); refusing to touch it")
            }
            if id == applicationID || tables.isEmpty { return }
            throw KVError.corrupt("\(path): a SQLite database of another application (tables: \(tables.sorted().joined(separator: ", "))); refusing to touch it")
        }
        throw KVError.corrupt("\(path): a SQLite database of another application (application_id \(appID)); refusing to touch it")
    }

    static func migrate(_ db: Database) throws {
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL,
                create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, rev INTEGER NOT NULL, key TEXT NOT NULL,
                value BLOB, create_rev INTEGER NOT NULL, deleted INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS changes_rev ON changes (rev);
            INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0), ('format', 1);
            """)
    }

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
            throw KVError.corrupt("\(path): \(error.message ?? error.description)")
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError {
            throw KVError.corrupt("\(path): \(error.message ?? error.description)")
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
