import CalicoNetlink
import Foundation
import Synchronization

/// An in-memory twin of the network-command seam (`NetworkCommands`), for unit tests without
/// root: network namespaces, veth pairs (up/down, MTU, MAC, carrier), addresses, routes and
/// sysctls, changed and shown through the same `ip` command lines `IPRoute2` runs, failing with
/// iproute2's errors (`RTNETLINK answers: File exists`, `Cannot find device "x"`, …).
///
/// As the kernel does: `.current` is the host's namespace (`lo`, up); `ip netns add` makes
/// namespaces (`.named`), `addNamespace(path:)` one anywhere (a runtime's bind mount); deleting
/// one end of a veth, or its namespace, takes the pair with their addresses, routes and
/// interface sysctls; an address on an up link brings its subnet route; a route needs its
/// device up and its gateway on a link route; both ends of a veth up (carrier) gives each its
/// IPv6 link-local address (EUI-64 of the MAC); a link going down loses its routes.
///
///     let net = MemoryNetwork()
///     net.addNamespace(path: "/var/run/netns/c1")
///     let out = await CNIPlugin.run(.calico, environment: env, stdin: { conf }, net: net)
///     #expect(try net.links(in: .current).map(\.name) == ["lo", "cali1234567890a"])
///
/// `failCommand(containing:in:)` makes a command fail, to test what a failure part-way leaves.
public final class MemoryNetwork: NetworkCommands {
    let state = Mutex(MemoryNetworkState())

    public init() {}

    /// A command made to fail: the first `times` commands whose line contains `text`.
    struct Failure: Sendable {
        var text: String
        var namespace: NetworkNamespace?
        var stderr: String
        var times: Int
    }

    /// Makes the next `times` commands whose line (`ip route add default via …`, `sysctl -w
    /// net/ipv4/conf/<if>/proxy_arp=1`) contains `text` fail with `stderr`, in `ns` (nil:
    /// anywhere). In a batch, the commands before it have taken effect, as with `ip -batch`.
    public func failCommand(containing text: String, in ns: NetworkNamespace? = nil,
                            stderr: String = "RTNETLINK answers: Operation not permitted", times: Int = 1) {
        state.withLock { $0.failures.append(Failure(text: text, namespace: ns, stderr: stderr, times: times)) }
    }

    /// Adds an empty namespace (only `lo`, down) at `path`.
    public func addNamespace(path: String) {
        state.withLock { s in
            if s.namespaces[.path(path)] == nil { s.namespaces[.path(path)] = MemoryNamespace() }
        }
    }

    /// Deletes the namespace at `path`, as unmounting a runtime's namespace does.
    public func removeNamespace(path: String) {
        state.withLock { $0.removeNamespace(.path(path)) }
    }

    /// Every namespace but the host's.
    public var namespaces: [NetworkNamespace] {
        state.withLock { s in s.namespaces.keys.filter { $0 != .current }.sorted { $0.description < $1.description } }
    }

    /// Every command run so far, as it would run on the host (`nsenter --net=<path> -- ip …`
    /// for a namespace given by path).
    public var commandLines: [String] { state.withLock { $0.commandLines } }

    /// The namespace and name of the other end of veth `name` in `ns`.
    public func peer(of name: String, in ns: NetworkNamespace) -> (namespace: NetworkNamespace, name: String)? {
        state.withLock { s in
            guard let link = s.namespaces[ns]?.links.first(where: { $0.name == name }), let peer = link.peer,
                  let other = s.namespaces[peer.namespace]?.links.first(where: { $0.index == peer.index }) else { return nil }
            return (peer.namespace, other.name)
        }
    }

    // MARK: NetworkCommands

    @discardableResult
    public func ip(_ args: [String], in ns: NetworkNamespace) throws -> String {
        try state.withLock { try $0.run(args, in: ns) }
    }

    @discardableResult
    public func ipBatch(_ commands: [[String]], in ns: NetworkNamespace) throws -> String {
        try state.withLock { s in
            var out = ""
            for (i, command) in commands.enumerated() {
                do {
                    out += try s.run(command, in: ns)
                } catch var e as CommandError {
                    e.batchIndex = i
                    throw e
                }
            }
            return out
        }
    }

    public func setSysctl(_ key: String, _ value: String, in ns: NetworkNamespace) throws {
        try state.withLock { try $0.setSysctl(key, value, in: ns) }
    }

    public func sysctl(_ key: String, in ns: NetworkNamespace) throws -> String {
        try state.withLock { try $0.sysctl(key, in: ns) }
    }

    /// As `IPRoute2`'s: a namespace that cannot be entered is an error, not a missing link.
    @discardableResult
    public func deleteLinkPromptly(_ name: String, in ns: NetworkNamespace) throws -> Bool {
        _ = try state.withLock { try $0.existing(ns, ["ip", "link", "del", "dev", name]) }
        return try deleteLink(name, in: ns)
    }

    /// A namespace of the model other than the host's.
    public func validateNamespace(_ path: String) throws(NamespaceProblem) {
        guard state.withLock({ $0.namespaces[.path(path)] != nil }) else { throw .missing(path) }
    }
}
