import CalicoNetlink
import Foundation

/// The lab's network namespaces and the links between them. Nothing is configured in the
/// caller's (root) namespace: every veth is created inside a lab namespace with its peer in
/// another one.
///
///     <prefix>-node1  eth0 198.51.100.1/24 ── to-node1 198.51.100.254/24  <prefix>-router
///     <prefix>-ext    eth0 203.0.113.10/24 ── to-ext   203.0.113.254/24   (10.244.0.0/16 via node)
struct LabTopology: Sendable {
    static let netnsDirectory = "/var/run/netns"
    /// Router-side interface names.
    static let routerToNode = "to-node1"
    static let routerToExt = "to-ext"

    let prefix: String
    let net = IPRoute2()

    var router: String { "\(prefix)-router" }
    var node: String { "\(prefix)-\(LabAddresses.nodeName)" }
    var ext: String { "\(prefix)-ext" }
    func pod(_ name: String) -> String { "\(prefix)-\(name)" }

    static func path(_ netns: String) -> String { "\(netnsDirectory)/\(netns)" }

    /// Names a pod may not take (they are the lab's own namespaces).
    static let reservedNames: Set<String> = ["router", LabAddresses.nodeName, "ext"]

    /// Builds router, node and outside host. `created` is told each namespace before
    /// anything is put into it, so a failure part-way leaves a record of what to delete.
    func build(created: (String) throws -> Void) throws {
        for ns in [router, node, ext] {
            try Self.addNamespace(ns)
            try created(ns)
        }
        let r = NetworkNamespace.named(router)
        let n = NetworkNamespace.named(node)
        let e = NetworkNamespace.named(ext)
        try net.createVeth(name: "eth0", peer: Self.routerToNode, peerNamespace: Self.path(router), in: n)
        try net.createVeth(name: "eth0", peer: Self.routerToExt, peerNamespace: Self.path(router), in: e)
        try net.ipBatch([
            ["addr", "add", "\(LabAddresses.routerNodeSide)/24", "dev", Self.routerToNode],
            ["link", "set", "dev", Self.routerToNode, "up"],
            ["addr", "add", "\(LabAddresses.routerExtSide)/24", "dev", Self.routerToExt],
            ["link", "set", "dev", Self.routerToExt, "up"],
            ["route", "add", LabAddresses.podPool, "via", LabAddresses.node, "dev", Self.routerToNode],
        ], in: r)
        try net.setSysctl("net/ipv4/ip_forward", "1", in: r)
        try net.ipBatch([
            ["addr", "add", "\(LabAddresses.node)/24", "dev", "eth0"],
            ["link", "set", "dev", "eth0", "up"],
            ["route", "add", "default", "via", LabAddresses.routerNodeSide, "dev", "eth0"],
        ], in: n)
        try net.setSysctl("net/ipv4/ip_forward", "1", in: n)
        try? net.setSysctl("net/ipv6/conf/all/forwarding", "1", in: n)  // absent when IPv6 is off
        try net.ipBatch([
            ["addr", "add", "\(LabAddresses.ext)/24", "dev", "eth0"],
            ["link", "set", "dev", "eth0", "up"],
            ["route", "add", "default", "via", LabAddresses.routerExtSide, "dev", "eth0"],
        ], in: e)
    }

    /// `ip netns add <name>` with its loopback up.
    static func addNamespace(_ name: String) throws {
        let out = try CommandRunner.run(["ip", "netns", "add", name])
        guard out.status == 0 else {
            throw LabError.step("ip netns add \(name)", out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try IPRoute2().setLink("lo", up: true, in: .named(name))
    }

    /// Every namespace whose name starts with `<prefix>-`.
    static func namespaces(withPrefix prefix: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: netnsDirectory)) ?? []
        return entries.filter { $0.hasPrefix(prefix + "-") }.sorted()
    }

    static func exists(_ netns: String) -> Bool {
        FileManager.default.fileExists(atPath: path(netns))
    }

    /// `ip netns del`; fine when it is already gone.
    static func deleteNamespace(_ name: String) throws {
        guard exists(name) else { return }
        let out = try CommandRunner.run(["ip", "netns", "del", name])
        if out.status != 0 && exists(name) {
            throw LabError.step("ip netns del \(name)", out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Checks a pod (or Kubernetes namespace) name: a DNS label, short enough that
    /// `<prefix>-<name>` stays a usable namespace name.
    static func checkName(_ name: String, what: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard !name.isEmpty, name.count <= 63, name.allSatisfy(allowed.contains), name.first != "-", name.last != "-" else {
            throw LabError.badName(name, reason: "a \(what) name must be lower-case letters, digits and '-' (not first or last), at most 63 characters")
        }
    }
}
