import CalicoLab
import CalicoNetlink
import CalicoTestSupport
import Testing

/// The topology code the lab, the CNI tests and the node-startup tests share, on the in-memory
/// network (no root): what it builds, and that it removes every namespace it made.
@Suite("NamespaceTopology on the in-memory network")
struct NamespaceTopologyTests {
    /// `t-node` and `t-up` on a fresh in-memory network.
    func twoNamespaces() throws -> (MemoryNetwork, NamespaceTopology) {
        let net = MemoryNetwork()
        let topology = NamespaceTopology(net: net)
        try topology.addNamespace("t-node")
        try topology.addNamespace("t-up")
        return (net, topology)
    }

    /// `t-node`'s eth0 (198.51.100.1/24) into `t-up`'s `peer` (198.51.100.254/24), the default route through it.
    func uplink(_ topology: NamespaceTopology, peer: String) throws {
        try topology.connect("t-node", VethEnd("eth0", address: "198.51.100.1/24"),
                             to: "t-up", VethEnd(peer, address: "198.51.100.254/24"), defaultRoute: true)
    }

    @Test("a node namespace with an uplink into its peer namespace: addresses, default route, forwarding; torn down")
    func nodeWithUplink() throws {
        let (net, topology) = try twoNamespaces()
        try uplink(topology, peer: "up0")
        try topology.enableForwarding(in: "t-node")
        let node = NetworkNamespace.named("t-node")
        #expect(try net.links(in: node).map { "\($0.name) \($0.isUp)" } == ["lo true", "eth0 true"])
        #expect(try net.links(in: .named("t-up")).map { "\($0.name) \($0.isUp)" } == ["lo true", "up0 true"])
        #expect(net.peer(of: "eth0", in: node).map { "\($0.namespace) \($0.name)" } == "\(NamespaceTopology.path("t-up")) up0")
        #expect(try net.addresses(of: "eth0", in: node).filter { $0.family == 4 }.map(\.description) == ["198.51.100.1/24"])
        #expect(try net.routes(in: node).map(\.description) == ["default via 198.51.100.254 dev eth0", "198.51.100.0/24 dev eth0 scope link"])
        #expect(try net.sysctl("net/ipv4/ip_forward", in: node) == "1")
        #expect(try net.sysctl("net/ipv4/ip_forward", in: .named("t-up")) == "0")
        // Only `ip netns add` runs in the caller's namespace; nothing is configured there.
        #expect(net.commandLines.filter { !$0.hasPrefix("nsenter") && !$0.hasPrefix("ip netns") }.isEmpty, "\(net.commandLines)")
        #expect(topology.namespaces == ["t-node", "t-up"])

        #expect(topology.tearDown().isEmpty)
        #expect(net.namespaces.isEmpty && topology.namespaces.isEmpty)
        #expect(try net.links(in: .current).map(\.name) == ["lo"])
    }

    @Test("a step that fails part-way still leaves every namespace made to tearDown")
    func failurePartWay() throws {
        let (net, topology) = try twoNamespaces()
        net.failCommand(containing: "route add default")
        #expect(throws: CommandError.self) { try uplink(topology, peer: "eth0") }
        #expect(throws: CommandError.self) { try topology.addNamespace("t-node") }
        #expect(topology.tearDown().isEmpty)
        #expect(net.namespaces.isEmpty)
    }
}
