import FelixCalc

/// The cluster's part of the `calico` table (pure): NAT outgoing (spec §2.10) and the VXLAN
/// guards. Sets: `masq-ipam-pools` (pools with `natOutgoing`), `network-ip-pools` (every
/// workload pool), `all-hosts-net` (every node's address), `all-vxlan-net` (every VTEP's
/// parent address, with VXLAN on). Chains: the `nat-` base chains, `nat-cali-POSTROUTING`
/// (NAT outgoing, and masquerade of host traffic leaving the tunnel from another local
/// address), `nat-cali-nat-outgoing`.
struct ClusterChains {
    var family: IPFamily
    var settings: ClusterSettings
    var pools: [IPPoolInfo]
    var hosts: [HostMetadata]
    /// Parent addresses of every VTEP of this family (empty: VXLAN off here).
    var vtepParents: [String]
    /// This node's VXLAN device of this family, when it has one.
    var vxlanDevice: String?

    static let masqPools = "masq-ipam-pools"
    static let allPools = "network-ip-pools"
    static let allHosts = "all-hosts-net"
    static let allVXLAN = "all-vxlan-net"

    static let baseChains: [(String, BaseChainHook, String?)] = [
        ("nat-PREROUTING", BaseChainHook(type: "nat", hook: "prerouting", priority: -100), "nat-cali-PREROUTING"),
        ("nat-INPUT", BaseChainHook(type: "nat", hook: "input", priority: -100), nil),
        ("nat-OUTPUT", BaseChainHook(type: "nat", hook: "output", priority: 110), "nat-cali-OUTPUT"),
        ("nat-POSTROUTING", BaseChainHook(type: "nat", hook: "postrouting", priority: 110), "nat-cali-POSTROUTING"),
    ]

    var addr: String { family.addressKeyword }
    func set(_ id: String) -> String { RuleRenderer.setName(id, family) }
    var vxlanOn: Bool { vxlanDevice != nil }

    private var familyPools: [IPPoolInfo] { pools.filter { family.contains($0.cidr) } }

    func sets() -> [NftSet] {
        let ps = familyPools
        var out = [
            NftSet(name: set(Self.masqPools), kind: .net, members: Set(ps.filter { $0.natOutgoing && $0.workloads }.map(\.cidr))),
            NftSet(name: set(Self.allPools), kind: .net, members: Set(ps.filter(\.workloads).map(\.cidr))),
            NftSet(name: set(Self.allHosts), kind: .net, members: Set(hosts.compactMap { h in
                (family == .v4 ? h.ipv4 : h.ipv6).map { Self.host($0) }
            })),
        ]
        if vxlanOn { out.append(NftSet(name: set(Self.allVXLAN), kind: .net, members: Set(vtepParents.map { Self.host($0) }))) }
        return out
    }

    /// `198.51.100.1/24` or `198.51.100.1` → `198.51.100.1/32` (`/128` for IPv6).
    static func host(_ text: String) -> String {
        let ip = text.split(separator: "/").first.map(String.init) ?? text
        return ip + (ip.contains(":") ? "/128" : "/32")
    }

    func chains() -> [NftChain] {
        var out: [NftChain] = []
        for (name, hook, jump) in Self.baseChains {
            out.append(NftChain(name: name, rules: jump.map { ["jump \($0)"] } ?? [], hook: hook))
        }
        out.append(NftChain(name: "nat-cali-PREROUTING", rules: []))
        out.append(NftChain(name: "nat-cali-OUTPUT", rules: []))
        var post: [String] = []
        let masq = natOutgoingRules()
        if !masq.isEmpty { post.append("jump nat-cali-nat-outgoing") }
        if let dev = vxlanDevice {
            // Host traffic into the tunnel from an address the tunnel does not own takes the
            // tunnel's address, so replies come back through the tunnel.
            post.append("oifname \"\(dev)\" fib saddr . oif type != local fib saddr type local masquerade fully-random")
        }
        out.append(NftChain(name: "nat-cali-POSTROUTING", rules: post))
        if !masq.isEmpty { out.append(NftChain(name: "nat-cali-nat-outgoing", rules: masq)) }
        return out
    }

    /// `cali-nat-outgoing`'s rules; none without a NAT pool of this family.
    func natOutgoingRules() -> [String] {
        guard familyPools.contains(where: { $0.natOutgoing && $0.workloads }) else { return [] }
        var match = "\(addr) saddr @\(set(Self.masqPools)) \(addr) daddr != @\(set(Self.allPools))"
        if settings.natOutgoingExclusions == "IPPoolsAndHostIPs" { match += " \(addr) daddr != @\(set(Self.allHosts))" }
        if !settings.natOutgoingInterfaceFilter.isEmpty {
            let f = settings.natOutgoingInterfaceFilter
            match += " oifname \"\(f.hasSuffix("+") ? String(f.dropLast()) + "*" : f)\""
        }
        let snat = family == .v4 && !settings.natOutgoingAddress.isEmpty
        func action(_ ports: String) -> String {
            snat ? "snat to \(settings.natOutgoingAddress)\(ports)" : "masquerade\(ports.isEmpty ? "" : " to \(ports)") fully-random"
        }
        guard let range = settings.natPortRange else { return ["\(match) \(action(""))"] }
        let ports = ":\(range.lowerBound)-\(range.upperBound)"
        return ["\(match) meta l4proto tcp \(action(ports))", "\(match) meta l4proto udp \(action(ports))", "\(match) \(action(""))"]
    }

    /// `filter-cali-INPUT`'s first rules: VXLAN only from known VTEPs.
    var inputRules: [String] {
        guard vxlanOn else { return [] }
        let port = settings.vxlanPort
        return ["meta l4proto udp udp dport \(port) \(addr) saddr @\(set(Self.allVXLAN)) fib daddr type local accept",
                "meta l4proto udp udp dport \(port) fib daddr type local drop"]
    }

    /// `filter-cali-OUTPUT`: VXLAN to known VTEPs passes before host endpoint policy.
    var outputRules: [String] {
        guard vxlanOn else { return [] }
        return ["meta l4proto udp udp dport \(settings.vxlanPort) \(addr) daddr @\(set(Self.allVXLAN)) accept"]
    }
}
