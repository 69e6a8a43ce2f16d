import CalicoNetlink
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Background processes of the lab (Felix, probe servers, etcd): started in a session of their
/// own with their output in a log file, found by the network namespace they live in, stopped by
/// pid. Built on `CalicoNetlink`'s `ProcessSpawn`, as `CommandRunner` is.
public enum ProcessControl {
    /// Children this process spawned: only these are reaped here.
    static let spawned = Mutex<Set<pid_t>>([])

    /// Starts `argv` without waiting for it: a new session (like `setsid`), stdin from
    /// /dev/null, stdout and stderr appended to `logPath`, no other descriptor of ours, default
    /// signal handling. `environment` nil: ours. Returns the pid (`ip netns exec` and `env`
    /// exec their command, so it is the pid of the program itself).
    public static func spawnDaemon(_ argv: [String], environment: [String: String]?, logPath: String) throws -> pid_t {
        guard let program = argv.first, let executable = CommandRunner.resolve(program) else {
            throw LabError.step("start \(argv.joined(separator: " "))", "\(argv.first ?? "(empty)"): not found")
        }
        let result = ProcessSpawn.spawn(executable, argv, environment: environment, newSession: true) { actions in
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let pid: pid_t
        switch result {
        case .success(let p): pid = p
        case .failure(let e): throw LabError.step("start \(argv.joined(separator: " "))", e.reason)
        }
        _ = spawned.withLock { $0.insert(pid) }
        return pid
    }

    /// Whether `pid` runs (a zombie that this process spawned is reaped and counts as gone).
    /// For our own children `waitpid` decides: one that has just died is reaped here, never
    /// left a zombie.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        if spawned.withLock({ $0.contains(pid) }) {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == 0 { return true }
            if r == pid || (r < 0 && errno == ECHILD) {
                _ = spawned.withLock { $0.remove(pid) }
                return false
            }
        }
        if kill(pid, 0) != 0 && errno != EPERM { return false }
        // Someone else's zombie: dead, just not reaped yet.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
            if state == "Z" || state == "X" { return false }
        }
        return true
    }

    /// Sends `signal` and waits up to `grace` for the process to end, then SIGKILL (waiting up
    /// to 2 s more). True when it is gone.
    @discardableResult
    public static func stop(_ pid: pid_t, signal: Int32 = SIGTERM, grace: Duration = .seconds(3)) -> Bool {
        guard isAlive(pid) else { return true }
        kill(pid, signal)
        if waitForExit(pid, within: grace) { return true }
        if signal != SIGKILL { kill(pid, SIGKILL) }
        return waitForExit(pid, within: .seconds(2))
    }

    @discardableResult
    public static func waitForExit(_ pid: pid_t, within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while isAlive(pid) {
            if ContinuousClock.now >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// The identity (device, inode) of a namespace file.
    static func identity(_ path: String) -> (UInt64, UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// Every process whose network namespace is the one at `path` (what `ip netns pids` shows).
    static func pids(inNetworkNamespace path: String) -> [pid_t] {
        guard let target = identity(path),
              let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let ns = identity("/proc/\(pid)/ns/net") else { return false }
            return ns == target
        }.sorted()
    }

    /// Whether `pid` lives in the network namespace at `path` (so a recorded pid that was
    /// reused by an unrelated process is never signalled).
    static func isProcess(_ pid: pid_t, inNetworkNamespace path: String) -> Bool {
        guard pid > 0, let target = identity(path), let ns = identity("/proc/\(pid)/ns/net") else { return false }
        return ns == target
    }

    /// The last `lines` lines of a log file ("" when there is none).
    public static func logTail(_ path: String, lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
