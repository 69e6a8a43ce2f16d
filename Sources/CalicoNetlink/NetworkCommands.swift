import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The few kernel operations the CNI plugin and the lab need: `ip` commands and sysctls,
/// in the current network namespace or one given by path. Typed helpers (veths, addresses,
/// routes, link listings) are built on these in an extension.
public protocol NetworkCommands: Sendable {
    /// Runs `ip <args>` in `ns` and returns its stdout; a non-zero exit is a `CommandError`.
    @discardableResult
    func ip(_ args: [String], in ns: NetworkNamespace) throws -> String
    /// Runs several `ip` commands in one process (`ip -batch -`), stopping at the first
    /// failure, and returns what they printed. The error names the command that failed
    /// (`CommandError.batchIndex` is its position).
    @discardableResult
    func ipBatch(_ commands: [[String]], in ns: NetworkNamespace) throws -> String
    /// Writes a sysctl, key in slash form (`net/ipv4/conf/<if>/proxy_arp`) so interface names
    /// with dots stay intact.
    func setSysctl(_ key: String, _ value: String, in ns: NetworkNamespace) throws
    /// Reads a sysctl (slash form).
    func sysctl(_ key: String, in ns: NetworkNamespace) throws -> String
    /// Whether a link of that name exists in `ns`.
    func linkExists(_ name: String, in ns: NetworkNamespace) throws -> Bool
    /// The first IPv6 link-local address of `device` in `ns` (nil when it has none).
    func ipv6LinkLocal(of device: String, in ns: NetworkNamespace) throws -> String?
    /// Deletes a link (a veth takes its peer with it) and returns once it is gone from the
    /// namespace, its addresses and routes with it; false when there was none. Destroying a
    /// veth then still takes the kernel tens of milliseconds (waiting for the device's last
    /// references), which the deleting process may sit out on its own.
    @discardableResult
    func deleteLinkPromptly(_ name: String, in ns: NetworkNamespace) throws -> Bool
    /// Runs `bridge <args>` (iproute2) in `ns`: the forwarding database of VXLAN devices.
    @discardableResult
    func bridge(_ args: [String], in ns: NetworkNamespace) throws -> String
    /// Several `bridge` commands in one process, stopping at the first failure.
    func bridgeBatch(_ commands: [[String]], in ns: NetworkNamespace) throws
    /// Checks that `path` names a network namespace other than the caller's own (what a
    /// workload's `CNI_NETNS` must be); `NamespaceInspector.validate` on the kernel.
    func validateNamespace(_ path: String) throws(NamespaceProblem)
}

extension NetworkCommands {
    public func linkExists(_ name: String, in ns: NetworkNamespace) throws -> Bool {
        try link(name, in: ns) != nil
    }

    public func ipv6LinkLocal(of device: String, in ns: NetworkNamespace) throws -> String? {
        try addresses(of: device, in: ns).first { $0.family == 6 && $0.address.lowercased().hasPrefix("fe80:") }?.address
    }

    @discardableResult
    public func deleteLinkPromptly(_ name: String, in ns: NetworkNamespace) throws -> Bool {
        try deleteLink(name, in: ns)
    }

    public func validateNamespace(_ path: String) throws(NamespaceProblem) {
        try NamespaceInspector.validate(path)
    }
}

/// `NetworkCommands` over iproute2 and `/proc/sys`. Work in a namespace given by path runs on
/// a thread that has joined it (`NetworkNamespace.perform`): `ip` is started there directly
/// and sysctls are written there, without `nsenter` or `sysctl` processes. Errors show the
/// equivalent command line (`nsenter --net=<path> -- ip …`).
public struct IPRoute2: NetworkCommands {
    public init() {}

    /// Runs `body` in `ns`; command errors name the command as run in that namespace and a
    /// namespace that cannot be entered is a `CommandError` for `argv`.
    func inside<T>(_ ns: NetworkNamespace, _ argv: [String], _ body: () throws -> T) throws -> T {
        do {
            return try ns.perform(body)
        } catch var e as CommandError {
            if case .path = ns, e.command.first != "nsenter" { e.command = ns.wrap(e.command) }
            throw e
        } catch let e as NamespaceEntryError {
            throw CommandError(command: ns.wrap(argv), status: -1, stderr: e.description)
        }
    }

    @discardableResult
    public func ip(_ args: [String], in ns: NetworkNamespace) throws -> String {
        let argv = ["ip"] + args
        return try inside(ns, argv) { try CommandRunner.check(argv) }
    }

    /// Characters that `ip -batch` would split, quote or treat as a comment.
    static func batchSafe(_ word: String) -> Bool {
        !word.isEmpty && !word.utf8.contains { $0 <= 32 || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "\\") || $0 == 127 }
    }

    @discardableResult
    public func ipBatch(_ commands: [[String]], in ns: NetworkNamespace) throws -> String {
        guard !commands.isEmpty else { return "" }
        if commands.count == 1 {
            do {
                return try ip(commands[0], in: ns)
            } catch var e as CommandError {
                e.batchIndex = 0
                throw e
            }
        }
        // Words a batch line cannot carry: the commands one by one (same semantics).
        guard commands.allSatisfy({ $0.allSatisfy(Self.batchSafe) }) else {
            var out = ""
            for (i, c) in commands.enumerated() {
                do {
                    out += try ip(c, in: ns)
                } catch var e as CommandError {
                    e.batchIndex = i
                    throw e
                }
            }
            return out
        }
        let script = commands.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n"
        let argv = ["ip", "-batch", "-"]
        return try inside(ns, argv) {
            let out = try CommandRunner.run(argv, input: script)
            guard out.status == 0 else { throw Self.batchError(commands, argv: argv, script: script, output: out) }
            return out.stdout
        }
    }

    /// The failing line of a batch (`ip` reports `Command failed -:<line>`) as its own
    /// command, with what `ip` said about it.
    static func batchError(_ commands: [[String]], argv: [String], script: String, output: CommandOutput) -> CommandError {
        var failed: Int?
        var detail: [Substring] = []
        for line in output.stderr.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("Command failed -:"), let n = Int(line.dropFirst("Command failed -:".count)), n >= 1, n <= commands.count {
                failed = n - 1
            } else {
                detail.append(line)
            }
        }
        guard let failed else {
            return CommandError(command: argv + ["<<", script.replacingOccurrences(of: "\n", with: "; ")], status: output.status, stderr: output.stderr)
        }
        return CommandError(command: ["ip"] + commands[failed], status: output.status, stderr: detail.joined(separator: "\n"), batchIndex: failed)
    }

    public func setSysctl(_ key: String, _ value: String, in ns: NetworkNamespace) throws {
        let argv = ["sysctl", "-w", "\(key)=\(value)"]
        try inside(ns, argv) {
            let path = "/proc/sys/" + key
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw CommandError(command: argv, status: -1, stderr: "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            let bytes = Array(value.utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count else {
                throw CommandError(command: argv, status: -1, stderr: "\(path): \(written < 0 ? String(cString: strerror(errno)) : "short write")")
            }
        }
    }

    public func sysctl(_ key: String, in ns: NetworkNamespace) throws -> String {
        let argv = ["sysctl", "-n", key]
        return try inside(ns, argv) {
            let path = "/proc/sys/" + key
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandError(command: argv, status: -1, stderr: "cannot read \(path)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// `if_nametoindex` in the namespace: no process.
    public func linkExists(_ name: String, in ns: NetworkNamespace) throws -> Bool {
        try inside(ns, ["ip", "link", "show", "dev", name]) { if_nametoindex(name) != 0 }
    }

    /// `ip link del` in the namespace, watched from a thread there: once the link's index no
    /// longer resolves (the kernel has unregistered it: name, addresses and routes are gone, and
    /// the delete can no longer fail), this returns and `ip` is left to sit out the rest of the
    /// destruction, reaped by a thread of ours or, if this process ends first, by the system.
    @discardableResult
    public func deleteLinkPromptly(_ name: String, in ns: NetworkNamespace) throws -> Bool {
        let argv = ["ip", "link", "del", "dev", name]
        return try inside(ns, argv) {
            let index = if_nametoindex(name)
            guard index != 0 else { return false }
            let child = try CommandRunner.start(argv)
            var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
            while !child.pump(timeout: 1) {
                if if_indextoname(index, &buffer) == nil && errno == ENXIO {
                    child.detach()
                    return true
                }
            }
            let out = child.wait()
            if out.status == 0 { return true }
            let e = CommandError(command: argv, status: out.status, stderr: out.stderr)
            if e.isNotFound { return false }
            throw e
        }
    }

    /// From the namespace's `/proc/net/if_inet6` (read by the thread that is there): no process.
    public func ipv6LinkLocal(of device: String, in ns: NetworkNamespace) throws -> String? {
        try inside(ns, ["ip", "-6", "addr", "show", "dev", device]) {
            guard let data = FileManager.default.contents(atPath: "/proc/thread-self/net/if_inet6") else { return nil }
            // <32 hex digits> <ifindex> <prefixlen> <scope> <flags> <name>; scope 0x20 is link.
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count >= 6, f[5] == device, f[3] == "20", f[0].count == 32 else { continue }
                var bytes = [UInt8]()
                var i = f[0].startIndex
                while i < f[0].endIndex {
                    let j = f[0].index(i, offsetBy: 2)
                    guard let b = UInt8(f[0][i..<j], radix: 16) else { break }
                    bytes.append(b)
                    i = j
                }
                guard bytes.count == 16 else { continue }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                guard inet_ntop(AF_INET6, bytes, &text, socklen_t(text.count)) != nil else { continue }
                return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            return nil
        }
    }
}
