import CalicoNetlink
import Foundation
import Synchronization

/// One end of a veth pair made by `NamespaceTopology.connect`: the interface's name and,
/// optionally, its address (`198.51.100.1/24`).
public struct VethEnd: Sendable, Equatable {
    public var name: String
    public var address: String?

    public init(_ name: String, address: String? = nil) {
        self.name = name
        self.address = address
    }

    /// The address without its prefix length.
    var host: String? { address.map { String($0.split(separator: "/")[0]) } }
}

/// Network namespaces joined by veths: what the lab, the CNI tests and the node-startup tests
/// build. A namespace is made with its loopback up; a veth pair joins two namespaces, each end
/// with its address and up, optionally with a default route through the far end; forwarding is
/// switched on per namespace. Every namespace added is recorded, and `tearDown()` deletes them
/// (their links go with them). Nothing is ever configured in the caller's own namespace.
///
///     let topology = NamespaceTopology()
///     try topology.addNamespace("t-1-node")
///     try topology.addNamespace("t-1-up")
///     try topology.connect("t-1-node", VethEnd("eth0", address: "198.51.100.1/24"),
///                          to: "t-1-up", VethEnd("eth0", address: "198.51.100.254/24"), defaultRoute: true)
///     try topology.enableForwarding(in: "t-1-node")
///     defer { topology.tearDown() }
///
/// Every step goes through `net` (`ip netns add` included), so it runs as well against an
/// in-memory network as against the kernel.
public final class NamespaceTopology: Sendable {
    public static let netnsDirectory = "/var/run/netns"

    public let net: any NetworkCommands
    private let added = Mutex<[String]>([])

    public init(net: any NetworkCommands = IPRoute2()) {
        self.net = net
    }

    /// `/var/run/netns/<name>`.
    public static func path(_ name: String) -> String { "\(netnsDirectory)/\(name)" }

    /// The namespaces added and not deleted yet, oldest first.
    public var namespaces: [String] { added.withLock { $0 } }

    /// `ip netns add <name>` with its loopback up. A namespace that cannot be completed is
    /// still recorded, so `tearDown()` removes it.
    public func addNamespace(_ name: String) throws {
        try net.ip(["netns", "add", name], in: .current)
        added.withLock { $0.append(name) }
        try net.setLink("lo", up: true, in: .named(name))
    }

    /// A veth pair: `end` in `namespace`, `peerEnd` in `peer`, each with its address and up
    /// (the peer's side first). With `defaultRoute`, `namespace` sends everything through the
    /// peer end's address.
    public func connect(_ namespace: String, _ end: VethEnd, to peer: String, _ peerEnd: VethEnd,
                        defaultRoute: Bool = false) throws {
        try net.createVeth(name: end.name, peer: peerEnd.name, peerNamespace: Self.path(peer), in: .named(namespace))
        try net.ipBatch(Self.configuration(of: peerEnd), in: .named(peer))
        var own = Self.configuration(of: end)
        if defaultRoute, let gateway = peerEnd.host {
            own.append(["route", "add", "default", "via", gateway, "dev", end.name])
        }
        try net.ipBatch(own, in: .named(namespace))
    }

    static func configuration(of end: VethEnd) -> [[String]] {
        (end.address.map { [["addr", "add", $0, "dev", end.name]] } ?? []) + [["link", "set", "dev", end.name, "up"]]
    }

    /// IPv4 forwarding on in `namespace`; with `ipv6` IPv6 forwarding too, where the kernel
    /// has IPv6.
    public func enableForwarding(in namespace: String, ipv6: Bool = false) throws {
        try net.setSysctl("net/ipv4/ip_forward", "1", in: .named(namespace))
        if ipv6 { try? net.setSysctl("net/ipv6/conf/all/forwarding", "1", in: .named(namespace)) }
    }

    /// `ip netns del <name>`; fine when it is gone already.
    public func deleteNamespace(_ name: String) throws {
        defer { added.withLock { $0.removeAll { $0 == name } } }
        do {
            try net.ip(["netns", "del", name], in: .current)
        } catch let e as CommandError where e.isNotFound {
            return
        }
    }

    /// Deletes every namespace added, newest first; returns what could not be deleted.
    @discardableResult
    public func tearDown() -> [String] {
        var problems: [String] = []
        for name in namespaces.reversed() {
            do { try deleteNamespace(name) } catch { problems.append("\(error)") }
        }
        return problems
    }

    /// Every namespace whose name starts with `<prefix>-` (in the kernel's `/var/run/netns`).
    public static func namespaces(withPrefix prefix: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: netnsDirectory)) ?? []
        return entries.filter { $0.hasPrefix(prefix + "-") }.sorted()
    }

    /// Whether `/var/run/netns/<name>` exists.
    public static func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: path(name))
    }
}
