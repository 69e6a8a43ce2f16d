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
    /// Runs several `ip` commands in one process (`ip -batch -`), stopping at the first failure.
    func ipBatch(_ commands: [[String]], in ns: NetworkNamespace) throws
    /// Writes a sysctl, key in slash form (`net/ipv4/conf/<if>/proxy_arp`) so interface names
    /// with dots stay intact.
    func setSysctl(_ key: String, _ value: String, in ns: NetworkNamespace) throws
    /// Reads a sysctl (slash form).
    func sysctl(_ key: String, in ns: NetworkNamespace) throws -> String
}

/// `NetworkCommands` over iproute2, `nsenter` and `/proc/sys`.
public struct IPRoute2: NetworkCommands {
    public init() {}

    @discardableResult
    public func ip(_ args: [String], in ns: NetworkNamespace) throws -> String {
        try CommandRunner.check(ns.wrap(["ip"] + args))
    }

    public func ipBatch(_ commands: [[String]], in ns: NetworkNamespace) throws {
        guard !commands.isEmpty else { return }
        let script = commands.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n"
        let argv = ns.wrap(["ip", "-batch", "-"])
        let out = try CommandRunner.run(argv, input: script)
        guard out.status == 0 else {
            throw CommandError(command: argv + ["<<", script.replacingOccurrences(of: "\n", with: "; ")], status: out.status, stderr: out.stderr)
        }
    }

    public func setSysctl(_ key: String, _ value: String, in ns: NetworkNamespace) throws {
        switch ns {
        case .current:
            let path = "/proc/sys/" + key
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw CommandError(command: ["sysctl", "-w", "\(key)=\(value)"], status: -1,
                                   stderr: "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            defer { try? handle.close() }
            do {
                try handle.write(contentsOf: Data(value.utf8))
            } catch {
                throw CommandError(command: ["sysctl", "-w", "\(key)=\(value)"], status: -1, stderr: "\(path): \(error)")
            }
        case .path:
            try CommandRunner.check(ns.wrap(["sysctl", "-q", "-w", "\(key)=\(value)"]))
        }
    }

    public func sysctl(_ key: String, in ns: NetworkNamespace) throws -> String {
        switch ns {
        case .current:
            let path = "/proc/sys/" + key
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandError(command: ["sysctl", key], status: -1, stderr: "cannot read \(path)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        case .path:
            return try CommandRunner.check(ns.wrap(["sysctl", "-n", key])).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
