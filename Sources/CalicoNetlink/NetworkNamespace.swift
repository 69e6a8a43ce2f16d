import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a command runs: the caller's own network namespace or one given by a path
/// (`/var/run/netns/<name>`, `/proc/<pid>/ns/net`, a runtime's bind mount).
public enum NetworkNamespace: Sendable, Hashable, CustomStringConvertible {
    case current
    case path(String)

    /// A namespace made by `ip netns add <name>`.
    public static func named(_ name: String) -> NetworkNamespace { .path("/var/run/netns/\(name)") }

    /// `argv` run inside this namespace (through `nsenter --net=<path>`).
    public func wrap(_ argv: [String]) -> [String] {
        switch self {
        case .current: return argv
        case .path(let p): return ["nsenter", "--net=\(p)", "--"] + argv
        }
    }

    public var description: String {
        switch self {
        case .current: return "the current network namespace"
        case .path(let p): return p
        }
    }

    /// Runs `body` inside this namespace: right here for `.current`; for a path, on a
    /// short-lived thread that has joined the namespace (`setns`), so sockets it opens,
    /// `/proc/sys/net` files it writes and programs it starts (`CommandRunner`) all act
    /// there, with no `nsenter` process. The caller's threads never change namespace.
    /// Throws `NamespaceEntryError` when the namespace cannot be entered, else what `body` throws.
    public func perform<T>(_ body: () throws -> T) throws -> T {
        switch self {
        case .current: return try body()
        case .path(let p): return try NamespaceThread.run(in: p, body)
        }
    }
}

/// A network namespace that could not be entered: the path and the errno text.
public struct NamespaceEntryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot enter network namespace \(path): \(reason)" }
}

/// Threads that live in another network namespace for one piece of work.
enum NamespaceThread {
    typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    /// glibc's `setns` (a GNU extension the Glibc module does not import).
    static let setns: SetNS? = dlsym(nil, "setns").map { unsafeBitCast($0, to: SetNS.self) }

    final class Job: @unchecked Sendable {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    final class Outcome<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    static func run<T>(in path: String, _ body: () throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            let outcome = Outcome<T>()
            let job = Job {
                // Never blocks (a FIFO given as a namespace fails at setns).
                let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
                guard fd >= 0 else {
                    outcome.result = .failure(NamespaceEntryError(path: path, reason: String(cString: strerror(errno))))
                    return
                }
                defer { close(fd) }
                guard let setns = NamespaceThread.setns else {
                    outcome.result = .failure(NamespaceEntryError(path: path, reason: "setns is not available"))
                    return
                }
                guard setns(fd, NamespaceInspector.cloneNewNet) == 0 else {
                    outcome.result = .failure(NamespaceEntryError(path: path, reason: String(cString: strerror(errno))))
                    return
                }
                outcome.result = Result { try body() }
                // The thread ends here, and its namespace membership with it.
            }
            var thread = pthread_t()
            let context = Unmanaged.passRetained(job).toOpaque()
            let rc = pthread_create(&thread, nil, { raw in
                let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
                job.work()
                return nil
            }, context)
            guard rc == 0 else {
                Unmanaged<Job>.fromOpaque(context).release()
                throw NamespaceEntryError(path: path, reason: "cannot start a thread: \(String(cString: strerror(rc)))")
            }
            pthread_join(thread, nil)
            return try outcome.result!.get()
        }
    }
}

/// Why a path cannot be used as a workload's network namespace.
public enum NamespaceProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case notANamespace(String, reason: String)
    case notNetwork(String)
    case isCurrent(String)

    public var description: String {
        switch self {
        case .missing(let p): return "network namespace \(p) does not exist"
        case let .notANamespace(p, reason): return "\(p) is not a network namespace (\(reason))"
        case .notNetwork(let p): return "\(p) is a namespace but not a network namespace"
        case .isCurrent(let p): return "\(p) is the plugin's own (host) network namespace, not a container's"
        }
    }
}

public enum NamespaceInspector {
    /// `NS_GET_NSTYPE` (`_IO(0xb7, 0x3)`) and `CLONE_NEWNET`.
    static let nsGetNSType: UInt = 0xb703
    static let cloneNewNet: Int32 = 0x4000_0000

    /// Checks that `path` names a network namespace other than the caller's own. Only a
    /// namespace file (nsfs, or a bind mount of `/proc/<pid>/ns/net`: a regular file) is
    /// opened, and without blocking, so a FIFO, a device or a directory is refused at once.
    public static func validate(_ path: String) throws(NamespaceProblem) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .missing(path) }
            throw .notANamespace(path, reason: String(cString: strerror(e)))
        }
        if let kind = fileKind(st.st_mode) { throw .notANamespace(path, reason: "it is \(kind), not a namespace file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .missing(path) }
            throw .notANamespace(path, reason: String(cString: strerror(e)))
        }
        defer { close(fd) }
        // Replaced since the stat: check what was opened.
        var opened = stat()
        if fstat(fd, &opened) == 0, let kind = fileKind(opened.st_mode) {
            throw .notANamespace(path, reason: "it is \(kind), not a namespace file")
        }
        let type = ioctl(fd, nsGetNSType)
        if type < 0 { throw .notANamespace(path, reason: String(cString: strerror(errno))) }
        guard type == cloneNewNet else { throw .notNetwork(path) }
        var mine = stat()
        var theirs = stat()
        if stat("/proc/self/ns/net", &mine) == 0, fstat(fd, &theirs) == 0,
           mine.st_dev == theirs.st_dev, mine.st_ino == theirs.st_ino {
            throw .isCurrent(path)
        }
    }

    /// What a file that cannot be a namespace file is ("a FIFO", …); nil for a regular file.
    static func fileKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFIFO: return "a FIFO"
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// Whether `path` exists at all (DEL treats a missing namespace as already cleaned).
    public static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }
}
