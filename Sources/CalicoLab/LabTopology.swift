import CalicoNetlink
import Foundation

/// The lab's network namespaces and the links between them. Nothing is configured in the
/// caller's (root) namespace: every veth is created inside a lab namespace with its peer in
/// another one.
///
///     <prefix>-router  br-a 198.51.100.126/25   br-b 198.51.100.254/25   to-ext 203.0.113.254/24
///     <prefix>-nodeK   eth0 198.51.100.K/25 (subnet A) or 198.51.100.(128+K)/25 (subnet B),
///                      its peer to-nodeK a port of br-a / br-b; default route via the bridge
///     <prefix>-ext     eth0 203.0.113.10/24 ── to-ext; default route via the router
///
/// A one-node lab also routes the pod pool to node1 on the router, so the outside host reaches
/// pods directly; with more nodes pods reach the outside only through NAT outgoing.
struct LabTopology: Sendable {
    /// Router-side interface names.
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
    static func isReserved(_ name: String) -> Bool { ["router", "ext"].contains(name) || LabNode.isNodeName(name) }

    /// Builds the router (with both subnets' bridges) and the outside host. `created` is told
    /// each namespace as soon as it exists, so a failure part-way leaves a record of what to delete.
    func build(ipv6: Bool = false, created: (String) throws -> Void) throws {
        for ns in [router, ext] {
            try namespaces.addNamespace(ns)
            try created(ns)
            try noDAD(ns)
        }
        let r = NetworkNamespace.named(router)
        for subnet in [LabSubnet.a, .b] {
            try net.ipBatch([
                // No multicast snooping: it withholds IPv6 neighbour solicitations from a port
                // until its host's MLD report (up to a second after an address appears).
                ["link", "add", subnet.bridge, "address", subnet.bridgeMAC, "type", "bridge", "mcast_snooping", "0"],
                ["addr", "add", "\(subnet.gateway)/\(LabAddresses.underlayPrefix)", "dev", subnet.bridge],
                ["link", "set", "dev", subnet.bridge, "up"],
            ] + (ipv6 ? [["addr", "add", "\(subnet.gatewayV6)/\(LabAddresses.underlayPrefixV6)", "dev", subnet.bridge, "nodad"]] : []), in: r)
        }
        try namespaces.connect(ext, VethEnd("eth0", address: "\(LabAddresses.ext)/24"),
                               to: router, VethEnd(Self.routerToExt, address: "\(LabAddresses.routerExtSide)/24"), defaultRoute: true)
        try namespaces.enableForwarding(in: router, ipv6: ipv6)
    }

    /// A node's namespace, linked into its subnet's bridge, with its default route. With
    /// `forwarding` the lab switches forwarding on (without Felix, which otherwise owns it).
    func addNode(_ n: LabNode, forwarding: Bool, created: (String) throws -> Void) throws {
        try namespaces.addNamespace(n.netnsName)
        try created(n.netnsName)
        try noDAD(n.netnsName)
        try namespaces.connect(n.netnsName, VethEnd("eth0", address: "\(n.ip)/\(LabAddresses.underlayPrefix)"), to: router, VethEnd(n.routerPort))
        try net.ip(["link", "set", "dev", n.routerPort, "master", n.subnet.bridge], in: .named(router))
        try net.ip(["route", "add", "default", "via", n.subnet.gateway, "dev", "eth0"], in: .named(n.netnsName))
        if let v6 = n.ipv6 {
            // nodad: usable at once (a tentative address cannot be Felix's VXLAN source).
            try net.ipBatch([["addr", "add", "\(v6)/\(LabAddresses.underlayPrefixV6)", "dev", "eth0", "nodad"],
                             ["route", "add", "default", "via", n.subnet.gatewayV6, "dev", "eth0"]], in: .named(n.netnsName))
        }
        if forwarding { try namespaces.enableForwarding(in: n.netnsName, ipv6: true) }
    }

    /// No IPv6 duplicate address detection for the links a namespace gets: a tentative
    /// link-local address (about a second after a link's carrier comes) cannot source the
    /// neighbour solicitations a router sends while forwarding, so the first packets would be
    /// lost. A lab's addresses are unique by construction.
    func noDAD(_ ns: String) throws {
        for key in ["all", "default"] { try? net.setSysctl("net/ipv6/conf/\(key)/accept_dad", "0", in: .named(ns)) }
    }

    /// The router's route for the pod pool to node1 (a one-node lab).
    func routePods(to n: LabNode) throws {
        try net.ip(["route", "replace", LabAddresses.podPool, "via", n.ip, "dev", n.subnet.bridge], in: .named(router))
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
