import CalicoNetlink
import Foundation

/// The lab's network namespaces and the links between them. Nothing is configured in the
/// caller's (root) namespace: every veth is created inside a lab namespace with its peer in
/// another one.
///
///     <prefix>-node1  eth0 198.51.100.1/24 ── to-node1 198.51.100.254/24  <prefix>-router
///     <prefix>-ext    eth0 203.0.113.10/24 ── to-ext   203.0.113.254/24   (10.244.0.0/16 via node)
struct LabTopology: Sendable {
    /// Router-side interface names.
    static let routerToNode = "to-node1"
    static let routerToExt = "to-ext"

    let prefix: String
    /// The namespaces and links, built with the topology code the CNI and node tests share.
    let namespaces = NamespaceTopology()
    var net: any NetworkCommands { namespaces.net }

    var router: String { "\(prefix)-router" }
    var node: String { "\(prefix)-\(LabAddresses.nodeName)" }
    var ext: String { "\(prefix)-ext" }
    func pod(_ name: String) -> String { "\(prefix)-\(name)" }

    static func path(_ netns: String) -> String { NamespaceTopology.path(netns) }

    /// Names a pod may not take (they are the lab's own namespaces).
    static let reservedNames: Set<String> = ["router", LabAddresses.nodeName, "ext"]

    /// Builds router, node and outside host. `created` is told each namespace as soon as it
    /// exists, so a failure part-way leaves a record of what to delete.
    func build(created: (String) throws -> Void) throws {
        for ns in [router, node, ext] {
            try namespaces.addNamespace(ns)
            try created(ns)
        }
        try namespaces.connect(node, VethEnd("eth0", address: "\(LabAddresses.node)/24"),
                               to: router, VethEnd(Self.routerToNode, address: "\(LabAddresses.routerNodeSide)/24"), defaultRoute: true)
        try namespaces.connect(ext, VethEnd("eth0", address: "\(LabAddresses.ext)/24"),
                               to: router, VethEnd(Self.routerToExt, address: "\(LabAddresses.routerExtSide)/24"), defaultRoute: true)
        try net.ip(["route", "add", LabAddresses.podPool, "via", LabAddresses.node, "dev", Self.routerToNode], in: .named(router))
        try namespaces.enableForwarding(in: router)
        try namespaces.enableForwarding(in: node, ipv6: true)
    }

    /// A pod's namespace, with its loopback up.
    func addNamespace(_ name: String) throws { try namespaces.addNamespace(name) }

    /// `ip netns del`; fine when it is already gone.
    func deleteNamespace(_ name: String) throws { try namespaces.deleteNamespace(name) }

    /// Every namespace whose name starts with `<prefix>-`.
    static func namespaces(withPrefix prefix: String) -> [String] { NamespaceTopology.namespaces(withPrefix: prefix) }

    static func exists(_ netns: String) -> Bool { NamespaceTopology.exists(netns) }

    /// Checks a pod (or Kubernetes namespace) name: a DNS label, short enough that
    /// `<prefix>-<name>` stays a usable namespace name.
    static func checkName(_ name: String, what: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard !name.isEmpty, name.count <= 63, name.allSatisfy(allowed.contains), name.first != "-", name.last != "-" else {
            throw LabError.badName(name, reason: "a \(what) name must be lower-case letters, digits and '-' (not first or last), at most 63 characters")
        }
    }
}
