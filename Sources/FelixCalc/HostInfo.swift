import CalicoAPI

/// What the graph keeps of a Node: its underlay addresses (with prefix length) and its VXLAN
/// tunnel addresses and MACs.
struct HostInfo: Equatable {
    var name: String
    var ipv4: IPNet?
    var ipv6: IPNet?
    var vxlanTunnelIPv4: String?
    var vxlanMACv4: String?
    var vxlanTunnelIPv6: String?
    var vxlanMACv6: String?

    init(name: String, ipv4: IPNet? = nil, ipv6: IPNet? = nil, vxlanTunnelIPv4: String? = nil, vxlanMACv4: String? = nil,
         vxlanTunnelIPv6: String? = nil, vxlanMACv6: String? = nil) {
        self.name = name
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.vxlanTunnelIPv4 = vxlanTunnelIPv4
        self.vxlanMACv4 = vxlanMACv4
        self.vxlanTunnelIPv6 = vxlanTunnelIPv6
        self.vxlanMACv6 = vxlanMACv6
    }

    init(_ n: Node) {
        func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
        self.init(name: n.name,
                  ipv4: n.spec.bgp?.ipv4Address.flatMap { IPNet($0) }.flatMap { $0.family == .v4 ? $0 : nil },
                  ipv6: n.spec.bgp?.ipv6Address.flatMap { IPNet($0) }.flatMap { $0.family == .v6 ? $0 : nil },
                  vxlanTunnelIPv4: nonEmpty(n.spec.ipv4VXLANTunnelAddr), vxlanMACv4: nonEmpty(n.spec.vxlanTunnelMACAddr),
                  vxlanTunnelIPv6: nonEmpty(n.spec.ipv6VXLANTunnelAddr), vxlanMACv6: nonEmpty(n.spec.vxlanTunnelMACAddrV6))
    }

    func address(_ family: IPAddress.Family) -> IPNet? { family == .v4 ? ipv4 : ipv6 }

    var metadata: HostMetadata { HostMetadata(name: name, ipv4: ipv4?.description, ipv6: ipv6?.description) }
}

/// The VXLAN tunnel endpoints of the cluster (upstream's VXLAN resolver, pure): a node has one
/// per family when it has an underlay address and a tunnel address of that family. Its MAC is
/// the Node's, or, when the Node has none, derived from the node name as upstream does
/// (`66` then five bytes of SHA-1 of the name; `<name>-v6` for IPv6), so every node computes
/// the same one. A MAC two nodes claim is given to neither; `problems` says so.
enum VXLANResolver {
    static func vteps(_ hosts: [HostInfo]) -> (vteps: [String: VTEP], problems: [String: String]) {
        var out: [String: VTEP] = [:]
        for h in hosts {
            var v = VTEP(node: h.name, parentIPv4: nil, tunnelIPv4: nil, macV4: nil)
            if let parent = h.ipv4, let tunnel = h.vxlanTunnelIPv4 {
                v.parentIPv4 = parent.address.description
                v.tunnelIPv4 = tunnel
                v.macV4 = (h.vxlanMACv4 ?? derivedMAC(h.name)).lowercased()
            }
            if let parent = h.ipv6, let tunnel = h.vxlanTunnelIPv6 {
                v.parentIPv6 = parent.address.description
                v.tunnelIPv6 = tunnel
                v.macV6 = (h.vxlanMACv6 ?? derivedMAC(h.name + "-v6")).lowercased()
            }
            if v.tunnelIPv4 != nil || v.tunnelIPv6 != nil { out[h.name] = v }
        }
        var problems: [String: String] = [:]
        var owners: [String: [String]] = [:]
        for v in out.values {
            for mac in [v.macV4, v.macV6].compactMap({ $0 }) { owners[mac, default: []].append(v.node) }
        }
        for (mac, nodes) in owners where nodes.count > 1 {
            for n in nodes {
                out[n] = nil
                problems[n] = "Node \(n): VXLAN tunnel MAC \(mac) is also claimed by \(nodes.filter { $0 != n }.sorted().joined(separator: ", ")); no tunnel to it"
            }
        }
        return (out, problems)
    }

    /// `66:xx:xx:xx:xx:xx` from the first five bytes of SHA-1(`seed`).
    static func derivedMAC(_ seed: String) -> String {
        let hash = SHA1.hash(Array(seed.utf8))
        return ([0x66] + hash[0..<5]).map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: ":")
    }
}
