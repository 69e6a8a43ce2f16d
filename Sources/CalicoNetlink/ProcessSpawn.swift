import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `posix_spawn` with the settings every child of ours gets: no descriptor of ours beyond the
/// three given (whatever their close-on-exec flag), an empty signal mask and default signal
/// dispositions, optionally a session of its own.
public enum ProcessSpawn {
    /// glibc's `POSIX_SPAWN_SETSID`.
    static let setSID: Int32 = 0x80

    /// Spawns `executable` with `argv` (`environment` nil: ours); `files` adds the actions for
    /// descriptors 0–2. Returns the pid or the `posix_spawn` error number.
    public static func spawn(_ executable: String, _ argv: [String], environment: [String: String]?, newSession: Bool = false,
                             files: (inout posix_spawn_file_actions_t) -> Void) -> Result<pid_t, SpawnFailure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        files(&actions)
        _ = Spawn.addCloseFrom?(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | (newSession ? setSID : 0)))

        let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgv { free(p) } }
        let cEnv: [UnsafeMutablePointer<CChar>?]? = environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for p in cEnv ?? [] { free(p) } }
        var pid: pid_t = 0
        let rc = cEnv.map { posix_spawn(&pid, executable, &actions, &attributes, cArgv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, cArgv, environ)
        return rc == 0 ? .success(pid) : .failure(SpawnFailure(reason: String(cString: strerror(rc))))
    }
}

/// `posix_spawn` failed: the error text.
public struct SpawnFailure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
