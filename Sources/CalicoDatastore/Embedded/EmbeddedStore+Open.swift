import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// Opening an embedded store: refusing foreign files, creating the schema, the integrity check,
/// and what SQLite's failures mean for people.
extension EmbeddedStore {
    /// Opens the pool; creates the schema when missing and `initialise`, else refuses a file
    /// without it. Many processes may open a new store at once (CNI ADDs): a busy database is
    /// retried for up to ~15 s.
    static func open(_ path: String, _ config: Configuration, initialise: Bool) throws -> DatabasePool {
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
                    guard initialise else {
                        throw KVError.corrupt("no datastore at \(path) (the file is an empty database; calico-node -startup creates the datastore)")
                    }
                    try pool.write { db in try migrate(db) }
                    // Put the header (application id) into the main file for other processes' check.
                    try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
                }
                return pool
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && Date() < deadline {
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 0.2)
            } catch let error as DatabaseError {
                throw failure(error, path: path, doing: "cannot open the datastore", readOnly: config.readonly)
            }
        }
    }

    /// SQLite's quick integrity check (every page of every table and index, without comparing
    /// index contents): a damaged file is refused before anything is read from or written to it.
    static func checkIntegrity(_ pool: DatabasePool, _ path: String) throws {
        let findings: [String]
        do {
            findings = try quickCheck(pool)
        } catch let error as DatabaseError {
            throw failure(error, path: path, doing: "integrity check failed", readOnly: false)
        }
        guard findings != ["ok"] else { return }
        throw damaged(path, findings.joined(separator: "; "))
    }

    /// SQLite's findings (`["ok"]` for a sound file), at most three.
    static func quickCheck(_ pool: DatabasePool) throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(3)") }
    }

    static func damaged(_ path: String, _ detail: String) -> KVError {
        .corrupt("\(path): the datastore file is damaged (\(detail)); refusing to use it (restore it from a backup, or move it away to start afresh)")
    }

    /// A SQLite failure as a message naming the file: damage (confirmed by the integrity
    /// check when the pool can still run it), read-only access, or SQLite's own words.
    static func failure(_ error: DatabaseError, path: String, doing: String, readOnly: Bool, pool: DatabasePool? = nil) -> KVError {
        let text = error.message ?? error.description
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_IOERR:
            var detail = "SQLite: \(text)"
            if let pool, let findings = try? quickCheck(pool), findings != ["ok"] {
                detail += "; integrity check: " + findings.joined(separator: "; ")
            }
            return damaged(path, detail)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN:
            guard readOnly else { return .corrupt("\(path): \(doing): \(text)") }
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
            return .corrupt("\(path): \(doing): this user may only read the datastore (read-only), and SQLite needs to open or create \(path)-shm and \(path)-wal (in \(dir)) to read it (\(text))")
        default:
            return .corrupt("\(path): \(doing): \(text)")
        }
    }

    /// Refuses files that are not SQLite, or SQLite files of another application, without
    /// writing to them.
    static func checkForeign(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw KVError.corrupt("\(path): cannot read the datastore file: \(String(cString: strerror(errno)))") }
        var header = [UInt8](repeating: 0, count: 100)
        let count = header.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 100) }
        close(fd)
        if count == 0 { return }  // empty: a new store
        guard count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) else {
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
}
