import Foundation

/// How pods on different nodes reach each other in the lab.
public enum LabEncapsulation: String, Sendable, Codable, CaseIterable {
    /// No encapsulation: Felix routes each node's blocks via the node's address
    /// (`programClusterRoutes: Enabled`); every node on one underlay subnet.
    case none
    /// VXLAN always (`vxlanMode: Always`); nodes alternate between the two underlay subnets.
    case vxlan
    /// VXLAN between subnets, direct within one (`vxlanMode: CrossSubnet`); nodes alternate.
    case vxlanCrossSubnet = "vxlan-crosssubnet"

    /// The pool's `vxlanMode`.
    var vxlanMode: String {
        switch self {
        case .none: return "Never"
        case .vxlan: return "Always"
        case .vxlanCrossSubnet: return "CrossSubnet"
        }
    }
}

/// Who programs the routes between nodes.
public enum LabRouting: String, Sendable, Codable, CaseIterable {
    /// Felix (`programClusterRoutes: Enabled`, VXLAN routes).
    case felix
    /// BIRD on every node, configured by `calico-node -confd` (`CALICO_NETWORKING_BACKEND=bird`):
    /// a full mesh; Felix programs no cluster routes (VXLAN pools' routes stay Felix's).
    case bgp
}

/// One of the underlay's two subnets (198.51.100.0/25 and 198.51.100.128/25), each a bridge in
/// the router namespace.
public enum LabSubnet: String, Sendable, Codable {
    case a, b

    /// The router's address on the subnet (the nodes' gateway).
    public var gateway: String { self == .a ? LabAddresses.routerNodeSide : LabAddresses.routerSubnetB }
    var bridge: String { "br-\(rawValue)" }
    /// The bridge's MAC, set when it is made: a bridge without one takes its lowest port's
    /// MAC and changes it when that port goes (a removed node), leaving the other nodes'
    /// neighbour entries for their gateway pointing nowhere.
    var bridgeMAC: String { self == .a ? "02:ca:11:c0:00:0a" : "02:ca:11:c0:00:0b" }
    var base: Int { self == .a ? 0 : 128 }
    /// The subnet's IPv6 prefix (a dual-stack lab): `fd00:10:244:ff0a::/64` or `…:ff0b::/64`,
    /// inside the lab's IPv6 range and outside its IPv6 pod pool (`fd00:10:244::/56`).
    var prefixV6: String { "fd00:10:244:ff0\(rawValue)::" }
    /// The router's IPv6 address on the subnet.
    public var gatewayV6: String { prefixV6 + "fe" }
}

/// A node of the lab: `node<index>` in namespace `<prefix>-node<index>`, with its underlay
/// address, and the pids of what runs in it.
public struct LabNode: Sendable, Codable, Equatable {
    public var name: String
    public var index: Int
    public var subnet: LabSubnet
    /// The node's address on its subnet (no prefix length; the prefix is /25).
    public var ip: String
    /// The node's IPv6 address on its subnet (/64), in a dual-stack lab.
    public var ipv6: String?
    public var netnsName: String
    public var felixPID: Int32?
    /// `calico-node -allocate-tunnel-addrs`.
    public var allocatorPID: Int32?
    /// `calico-node -confd` and BIRD (BGP routing).
    public var confdPID: Int32?
    public var birdPID: Int32?

    /// The most nodes a lab has (addresses .1–.125 and .129–.253).
    public static let maxIndex = 125

    /// Node `index` (1-based) of a lab: all on subnet A without encapsulation, else
    /// alternating A, B, A, … so that both same-subnet and cross-subnet pairs exist.
    /// With `ipv6` it also gets `<subnet prefix>::<last byte of its IPv4 address>`.
    /// With BGP routing nodes alternate subnets whatever the encapsulation.
    public static func plan(index: Int, encapsulation: LabEncapsulation, prefix: String, ipv6: Bool = false,
                            routing: LabRouting = .felix) -> LabNode {
        let subnet: LabSubnet = (encapsulation == .none && routing == .felix) || index % 2 == 1 ? .a : .b
        let name = "node\(index)"
        return LabNode(name: name, index: index, subnet: subnet, ip: "198.51.100.\(subnet.base + index)",
                       ipv6: ipv6 ? subnet.prefixV6 + "\(subnet.base + index)" : nil,
                       netnsName: "\(prefix)-\(name)", felixPID: nil, allocatorPID: nil)
    }

    /// `node<N>` names.
    public static func isNodeName(_ s: String) -> Bool {
        s.hasPrefix("node") && Int(s.dropFirst(4)).map { (1...maxIndex).contains($0) && "node\($0)" == s } == true
    }

    /// Files of this node in the state directory (node1 keeps the one-node lab's names).
    var felixLog: String { index == 1 ? "felix.log" : "felix-\(name).log" }
    var allocatorLog: String { "allocate-tunnel-addrs-\(name).log" }
    var nodenameFile: String { index == 1 ? "nodename" : "nodename-\(name)" }
    var ipamLock: String { index == 1 ? "ipam.lock" : "ipam-\(name).lock" }
    /// BIRD's files: its configuration directory (confd writes `bird.cfg` there), control
    /// socket and pid file; the logs of confd and BIRD.
    var birdDirectory: String { "bird-\(name)" }
    var birdSocket: String { "bird-\(name).ctl" }
    var birdPIDFile: String { "bird-\(name).pid" }
    var birdLog: String { "bird-\(name).log" }
    var confdLog: String { "confd-\(name).log" }
    /// The pod MTU file Felix writes (upstream's `/var/lib/calico/mtu`, one per node here).
    public var mtuFile: String { "mtu-\(name)" }
    /// The router's side of the node's link (a port of its subnet's bridge).
    var routerPort: String { "to-\(name)" }
}
