import CalicoDatastore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The host-wide IPAM lock (`ipam_lock_file`, default `/var/run/calico/ipam.lock`): an
/// exclusive `flock`, so concurrent plugin runs on one host take turns at IPAM instead of
/// racing on the same blocks. Best effort, as upstream: when the file cannot be opened the
/// work runs unlocked. The kernel drops the lock when the process dies.
struct IPAMLock {
    let path: String
    let log: PluginLog

    /// Runs `body` holding the lock.
    func withLock<T>(_ body: () async throws -> T) async throws -> T {
        let fd = acquire()
        defer {
            if fd >= 0 {
                _ = flock(fd, LOCK_UN)
                close(fd)
            }
        }
        return try await body()
    }

    /// The locked descriptor, or -1 when locking is not possible.
    func acquire() -> Int32 {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            log.warning("cannot open IPAM lock file \(path): \(String(cString: strerror(errno))); continuing without the lock")
            return -1
        }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            log.warning("cannot lock \(path): \(String(cString: strerror(errno))); continuing without the lock")
            close(fd)
            return -1
        }
        return fd
    }
}

/// Log lines on stderr (runtimes keep a plugin's stderr), filtered by `log_level`.
struct PluginLog: Sendable {
    enum Level: Int, Sendable { case debug = 0, info, warning, error, none }
    let level: Level
    let prefix: String

    init(level text: String?, prefix: String) {
        switch (text ?? "").lowercased() {
        case "debug": level = .debug
        case "info": level = .info
        case "error": level = .error
        case "panic", "fatal", "none": level = .none
        default: level = .warning
        }
        self.prefix = prefix
    }

    func write(_ l: Level, _ tag: String, _ message: @autoclosure () -> String) {
        guard l.rawValue >= level.rawValue, level != .none else { return }
        FileHandle.standardError.write(Data("\(prefix) \(tag): \(Redaction.stripUserInfo(message()))\n".utf8))
    }

    func debug(_ m: @autoclosure () -> String) { write(.debug, "debug", m()) }
    func info(_ m: @autoclosure () -> String) { write(.info, "info", m()) }
    func warning(_ m: @autoclosure () -> String) { write(.warning, "warning", m()) }
    func error(_ m: @autoclosure () -> String) { write(.error, "error", m()) }
}
