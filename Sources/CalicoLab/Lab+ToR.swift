import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The top-of-rack router of a BGP lab: BIRD 2 in the router namespace, AS 65000, peering
/// eBGP with every node (BGPPeers `tor-<node>` and, dual stack, `tor-<node>-v6`). It learns
/// every node's blocks and routes them, so pods on different subnets reach each other.
public enum LabToR {
    public static let asNumber = 65000
    static let config = "bird-tor.cfg"
    static let socket = "bird-tor.ctl"
    static let pidFile = "bird-tor.pid"
    static let log = "bird-tor.log"

    /// The ToR's BIRD configuration (pure): a dynamic eBGP session for any node on either
    /// subnet (`node_a1`, `node_b1`, … as they connect), every route learnt installed in the
    /// router's kernel and offered to the other nodes.
    public static func birdConfig(ipv6: Bool) -> String {
        var out = ["# The lab's ToR (calico-lab up --tor): AS \(asNumber), eBGP with the nodes.",
                   "router id \(LabAddresses.routerNodeSide);",
                   "timeformat protocol iso short;",
                   "protocol device { scan time 2; }",
                   "protocol kernel kernel4 { ipv4 { import none; export all; }; }"]
        if ipv6 { out.append("protocol kernel kernel6 { ipv6 { import none; export all; }; }") }
        for subnet in [LabSubnet.a, .b] {
            out += ["protocol bgp node_\(subnet.rawValue)_v4 {",
                    "  local \(subnet.gateway) as \(asNumber);",
                    "  neighbor range 198.51.100.\(subnet.base)/\(LabAddresses.underlayPrefix) external;",
                    "  dynamic name \"node_\(subnet.rawValue)\";",
                    "  ipv4 { import all; export all; };",
                    "}"]
            if ipv6 {
                out += ["protocol bgp node_\(subnet.rawValue)_v6 {",
                        "  local \(subnet.gatewayV6) as \(asNumber);",
                        "  neighbor range \(subnet.prefixV6)/\(LabAddresses.underlayPrefixV6) external;",
                        "  dynamic name \"node6_\(subnet.rawValue)\";",
                        "  ipv6 { import all; export all; };",
                        "}"]
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The BGPPeers that make a node peer with the ToR. `nextHopMode: Keep`: the mesh gives
    /// every node every block and each offers them to the ToR (upstream's export filter takes
    /// anything inside a pool); keeping the next hop means the ToR routes a block to its own
    /// node whoever told it, not to a node on the other subnet that would send it back.
    static func peers(for node: LabNode) -> String {
        var docs = [peer(name: "tor-\(node.name)", node: node.name, address: node.subnet.gateway)]
        if node.ipv6 != nil { docs.append(peer(name: "tor-\(node.name)-v6", node: node.name, address: node.subnet.gatewayV6)) }
        return docs.joined(separator: "\n---\n")
    }

    static func peer(name: String, node: String, address: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: BGPPeer
        metadata: {name: \(name)}
        spec: {node: \(node), peerIP: '\(address)', asNumber: \(asNumber), nextHopMode: Keep}
        """
    }
}

extension Lab {
    /// Whether the ToR's BIRD runs.
    public var torRunning: Bool { state.withLock { $0.torPID }.map { running($0, in: routerNamespace) } ?? false }

    /// Starts the ToR (BIRD in the router namespace) and has every node peer with it.
    public func startToR() throws {
        guard routing == .bgp else { throw LabError.step("ToR", "a ToR needs BGP routing (calico-lab up --routing bgp)") }
        if torRunning { return }
        try LabToR.birdConfig(ipv6: ipv6).write(toFile: path(LabToR.config), atomically: false, encoding: .utf8)
        try spawnBIRD("the ToR's BIRD", netns: routerNamespace, config: path(LabToR.config), socket: path(LabToR.socket),
                      pidFile: path(LabToR.pidFile), log: path(LabToR.log)) { pid in try update { $0.torPID = pid } }
        for n in nodes { try apply(LabToR.peers(for: n)) }
    }

    /// The nodes stop peering with the ToR, and its BIRD stops (its routes go with it).
    public func stopToR() throws {
        for n in nodes { try removeToRPeers(of: n) }
        guard let pid = state.withLock({ $0.torPID }) else { return }
        if running(pid, in: routerNamespace) { ProcessControl.stop(pid, grace: .seconds(3)) }
        try update { $0.torPID = nil }
        for f in [LabToR.config, LabToR.socket, LabToR.pidFile] { try? FileManager.default.removeItem(atPath: path(f)) }
    }

    func removeToRPeers(of n: LabNode) throws {
        for name in ["tor-\(n.name)", "tor-\(n.name)-v6"] {
            let out = try calicoctl(["delete", "bgppeer", name, "--skip-not-exists"])
            if out.status != 0 { warn("calicoctl delete bgppeer \(name): \(out.stdout)\(out.stderr)") }
        }
    }

    /// `birdc -s <socket> <command>` for the ToR.
    public func torc(_ command: String) throws -> String {
        try Self.birdc(socket: path(LabToR.socket), command)
    }
}
