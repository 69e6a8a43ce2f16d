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

    /// Checks that `path` names a network namespace other than the caller's own.
    public static func validate(_ path: String) throws(NamespaceProblem) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .missing(path) }
            throw .notANamespace(path, reason: String(cString: strerror(e)))
        }
        defer { close(fd) }
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

    /// Whether `path` exists at all (DEL treats a missing namespace as already cleaned).
    public static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }
}
