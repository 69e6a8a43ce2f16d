import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished command printed and how it exited.
public struct CommandOutput: Sendable, Equatable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// A command that could not be started or exited non-zero: the command line, its exit
/// status (-1 when it did not start) and what it wrote to stderr.
public struct CommandError: Error, Sendable, Equatable, CustomStringConvertible {
    public var command: [String]
    public var status: Int32
    public var stderr: String
    /// For a failed `ipBatch`: the position of the command that failed.
    public var batchIndex: Int?

    public init(command: [String], status: Int32, stderr: String, batchIndex: Int? = nil) {
        self.command = command
        self.status = status
        self.stderr = stderr
        self.batchIndex = batchIndex
    }

    public var description: String {
        let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let what = status < 0 ? "could not run" : "exit \(status)"
        return "`\(command.joined(separator: " "))` failed (\(what))" + (detail.isEmpty ? "" : ": \(detail)")
    }
}

/// Runs external programs (iproute2, delegated IPAM plugins) and collects their output.
///
/// Programs are started with `posix_spawn` from the calling thread (so a thread that has
/// joined another network namespace starts them there; see `NetworkNamespace.perform`), and
/// their stdin, stdout and stderr are served by one `poll` loop on that thread: no helper
/// threads, no Foundation `Process`.
public enum CommandRunner {
    /// Where programs are looked up after `PATH`: runtimes often start plugins with a bare
    /// environment.
    static let fallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    /// The absolute path of `program` (already absolute, or found in `PATH` or the fallbacks).
    public static func resolve(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 && isRegularFile(program) ? program : nil }
        let path = getenv("PATH").map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) } ?? ""
        var seen = Set<String>()
        for dir in path.split(separator: ":").map(String.init) + fallbackDirectories where !dir.isEmpty && seen.insert(dir).inserted {
            let candidate = dir + "/" + program
            if access(candidate, X_OK) == 0 && isRegularFile(candidate) { return candidate }
        }
        return nil
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Runs `argv` to completion, feeding `input` on stdin, and returns its output whatever
    /// the exit status (a program killed by a signal reports the signal number). Throws only
    /// when the program cannot be started.
    public static func run(_ argv: [String], input: String? = nil, environment: [String: String]? = nil) throws -> CommandOutput {
        guard let program = argv.first, let executable = resolve(program) else {
            throw CommandError(command: argv, status: -1, stderr: "\(argv.first ?? "(empty command)"): not found")
        }
        return try Spawn.run(executable: executable, argv: argv, input: input.map { Array($0.utf8) }, environment: environment)
    }

    /// Starts `argv` without waiting for it (see `ChildProcess`).
    static func start(_ argv: [String], input: String? = nil) throws -> ChildProcess {
        guard let program = argv.first, let executable = resolve(program) else {
            throw CommandError(command: argv, status: -1, stderr: "\(argv.first ?? "(empty command)"): not found")
        }
        return try ChildProcess(executable: executable, argv: argv, input: input.map { Array($0.utf8) }, environment: nil)
    }

    /// Runs `argv` and returns its stdout; a non-zero exit is a `CommandError`.
    @discardableResult
    public static func check(_ argv: [String], input: String? = nil) throws -> String {
        let out = try run(argv, input: input)
        guard out.status == 0 else { throw CommandError(command: argv, status: out.status, stderr: out.stderr) }
        return out.stdout
    }
}

/// `posix_spawn` and the pipe plumbing around it.
enum Spawn {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `pipe2` and `posix_spawn_file_actions_addclosefrom_np` (GNU extensions the
    /// Glibc module does not import), looked up once.
    static let pipe2Function: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    static let addCloseFrom: AddCloseFrom? =
        dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// A pipe whose ends are close-on-exec (so concurrent spawns elsewhere in the process do
    /// not inherit them).
    static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if let pipe2Function {
            guard pipe2Function(&fds, O_CLOEXEC) == 0 else { throw errnoError("pipe2") }
        } else {
            guard pipe(&fds) == 0 else { throw errnoError("pipe") }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        }
        return (fds[0], fds[1])
    }

    static func errnoError(_ what: String) -> POSIXErrorText {
        POSIXErrorText(text: "\(what): \(String(cString: strerror(errno)))")
    }

    struct POSIXErrorText: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }

    static func run(executable: String, argv: [String], input: [UInt8]?, environment: [String: String]?) throws -> CommandOutput {
        try ChildProcess(executable: executable, argv: argv, input: input, environment: environment).wait()
    }
}

/// A started program: its stdin fed and its stdout and stderr collected by `pump` (one
/// `poll` loop on the calling thread), then reaped by `wait`.
final class ChildProcess: @unchecked Sendable {
    let argv: [String]
    let pid: pid_t
    private var outFD: Int32
    private var errFD: Int32
    private var inFD: Int32 = -1
    private var pending: ArraySlice<UInt8> = []
    private var stdout: [UInt8] = []
    private var stderr: [UInt8] = []

    /// Starts `executable` with `argv`; throws a `CommandError` (status -1) when it cannot.
    init(executable: String, argv: [String], input: [UInt8]?, environment: [String: String]?) throws {
        self.argv = argv
        var opened: [Int32] = []
        func closeAll() { for fd in opened { close(fd) } }
        let outPipe: (read: Int32, write: Int32)
        let errPipe: (read: Int32, write: Int32)
        var inPipe: (read: Int32, write: Int32)? = nil
        do {
            outPipe = try Spawn.makePipe()
            opened += [outPipe.read, outPipe.write]
            errPipe = try Spawn.makePipe()
            opened += [errPipe.read, errPipe.write]
            if input != nil {
                let p = try Spawn.makePipe()
                inPipe = p
                opened += [p.read, p.write]
            }
        } catch {
            closeAll()
            throw CommandError(command: argv, status: -1, stderr: "\(error)")
        }

        let spawned = ProcessSpawn.spawn(executable, argv, environment: environment) { actions in
            if let inPipe {
                posix_spawn_file_actions_adddup2(&actions, inPipe.read, 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_adddup2(&actions, outPipe.write, 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe.write, 2)
        }
        let pid: pid_t
        switch spawned {
        case .success(let p): pid = p
        case .failure(let e):
            closeAll()
            throw CommandError(command: argv, status: -1, stderr: "\(executable): \(e.reason)")
        }
        self.pid = pid
        // The child's ends belong to the child now.
        close(outPipe.write)
        close(errPipe.write)
        outFD = outPipe.read
        errFD = errPipe.read
        if let inPipe {
            close(inPipe.read)
            inFD = inPipe.write
            pending = (input ?? [])[...]
            _ = fcntl(inFD, F_SETFL, fcntl(inFD, F_GETFL) | O_NONBLOCK)
            if pending.isEmpty {
                close(inFD)
                inFD = -1
            }
        }
    }

    deinit {
        for fd in [outFD, errFD, inFD] where fd >= 0 { close(fd) }
    }

    /// Feeds stdin and collects output until the program has closed its stdout and stderr
    /// (true), or for at most `timeout` milliseconds when not negative (false when time ran out).
    func pump(timeout: Int32 = -1) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let deadlineNanos = Int64(deadline.tv_sec) * 1_000_000_000 + Int64(deadline.tv_nsec) + Int64(timeout) * 1_000_000
        // A child that exits without reading its stdin must not kill us with SIGPIPE: the
        // signal is blocked on this thread while writing and a pending one is consumed.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while outFD >= 0 || errFD >= 0 || inFD >= 0 {
            var waitMs: Int32 = -1
            if timeout >= 0 {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let left = deadlineNanos - (Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
                if left <= 0 { return false }
                waitMs = Int32(max(1, (left + 999_999) / 1_000_000))
            }
            var fds: [pollfd] = []
            if outFD >= 0 { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
            if errFD >= 0 { fds.append(pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)) }
            if inFD >= 0 { fds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), waitMs)
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            for p in fds where p.revents != 0 {
                if p.fd == inFD {
                    var old = sigset_t()
                    pthread_sigmask(SIG_BLOCK, &pipeSignal, &old)
                    let written = pending.withUnsafeBytes { write(inFD, $0.baseAddress, $0.count) }
                    let writeErrno = errno
                    if written < 0 && writeErrno == EPIPE {
                        var pendingSignals = sigset_t()
                        sigpending(&pendingSignals)
                        if sigismember(&pendingSignals, SIGPIPE) == 1 {
                            var zero = timespec(tv_sec: 0, tv_nsec: 0)
                            _ = sigtimedwait(&pipeSignal, nil, &zero)
                        }
                    }
                    pthread_sigmask(SIG_SETMASK, &old, nil)
                    if written > 0 {
                        pending = pending.dropFirst(written)
                    }
                    if pending.isEmpty || (written < 0 && writeErrno != EAGAIN && writeErrno != EINTR) {
                        close(inFD)
                        inFD = -1
                    }
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if p.fd == outFD { stdout += buffer[0..<count] } else { stderr += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(p.fd)
                    if p.fd == outFD { outFD = -1 } else { errFD = -1 }
                }
            }
        }
        return true
    }

    /// Collects the rest of the output and reaps the program.
    func wait() -> CommandOutput {
        _ = pump()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { status = 0x7f00 | 0x7f; break }
        }
        // Exit status, or the number of the signal that ended it.
        let termination: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f
        return CommandOutput(status: termination, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Leaves the program to finish on its own: a thread of ours reaps it (if this process
    /// ends first, the system does).
    func detach() {
        Thread.detachNewThread { [self] in _ = wait() }
    }
}
