import CalicoAPI

/// Node rules (libcalico Node: BGP, tunnel and WireGuard addresses, WireGuard keys).
enum NodeRules {
    typealias R = OtherKindRules

    static func validate(_ node: Node, into p: inout Problems) {
        let spec = FieldPath("spec")
        let s = node.spec
        if let bgp = s.bgp {
            let at = spec["bgp"]
            if (bgp.ipv4Address ?? "").isEmpty && (bgp.ipv6Address ?? "").isEmpty {
                // Upstream refuses only a wholly empty bgp block.
                if bgp.asNumber == nil && (bgp.ipv4IPIPTunnelAddr ?? "").isEmpty && (bgp.routeReflectorClusterID ?? "").isEmpty {
                    p.report(at, nil, "bgp must set ipv4Address or ipv6Address (no BGP IP address and subnet specified)",
                             as: "BGP", "Spec.BGP should not be empty")
                } else {
                    p.add(at, "bgp must set ipv4Address or ipv6Address (no BGP IP address and subnet specified)")
                }
            }
            R.network(bgp.ipv4Address, family: .v4, strict: false, at["ipv4Address"], into: &p)
            R.network(bgp.ipv6Address, family: .v6, strict: false, at["ipv6Address"], into: &p)
            R.ip(bgp.ipv4IPIPTunnelAddr, family: .v4, at["ipv4IPIPTunnelAddr"], into: &p)
            R.ip(bgp.routeReflectorClusterID, family: .v4, at["routeReflectorClusterID"], into: &p)
        }
        R.ip(s.ipv4VXLANTunnelAddr, family: .v4, spec["ipv4VXLANTunnelAddr"], into: &p)
        R.ip(s.ipv6VXLANTunnelAddr, family: .v6, spec["ipv6VXLANTunnelAddr"], into: &p)
        for (field, mac) in [("vxlanTunnelMACAddr", s.vxlanTunnelMACAddr), ("vxlanTunnelMACAddrV6", s.vxlanTunnelMACAddrV6)] {
            if let m = mac, !m.isEmpty, !Formats.isMAC(m) { p.tag(spec[field], m, "must be a MAC address such as 66:cf:23:df:22:07", tag: "mac") }
        }
        if let wg = s.wireguard {
            R.ip(wg.interfaceIPv4Address, family: .v4, spec["wireguard"]["interfaceIPv4Address"], into: &p)
            R.ip(wg.interfaceIPv6Address, family: .v6, spec["wireguard"]["interfaceIPv6Address"], into: &p)
        }
        for (i, a) in (s.addresses ?? []).enumerated() {
            let at = spec["addresses"][i]
            if let addr = a.address, !addr.isEmpty {
                R.network(addr, family: nil, strict: true, at["address"], into: &p)
            } else {
                p.add(at["address"], "address is required")  // upstream: no check
            }
            R.oneOf(a.type, ["CalicoNodeIP", "InternalIP", "ExternalIP"], at["type"], tag: "ipType", into: &p)
        }
        if let status = node.status {
            for (field, key) in [("wireguardPublicKey", status.wireguardPublicKey), ("wireguardPublicKeyV6", status.wireguardPublicKeyV6)] {
                if let k = key, !k.isEmpty, !isWireguardKey(k) {
                    p.tag(FieldPath("status")[field], k, "must be a WireGuard public key: 32 bytes in standard base64 (44 characters ending in '=')",
                          tag: "wireguardPublicKey")
                }
            }
        }
    }

    /// Standard padded base64 of exactly 32 bytes: 43 alphabet characters then `=`.
    static func isWireguardKey(_ k: String) -> Bool {
        let b = Array(k.utf8)
        guard b.count == 44, b[43] == 61 else { return false }
        return b[..<43].allSatisfy { Formats.isAlnum($0) || $0 == 43 || $0 == 47 }
    }
}
