import CalicoAPI
import FelixCalc

/// DSCP marking of traffic leaving the cluster (spec §2.11), pure: set `dscp-src-net` holds
/// the addresses of local endpoints with a DSCP value, chain `mangle-cali-egress-dscp` sets
/// each one's value (`ip saddr <addr> ip dscp set <v>`, sorted by address), and the first rule
/// of `mangle-cali-POSTROUTING` sends there what comes from such an address and goes neither to
/// a pool nor to this host. POSTROUTING's mangle hook runs before NAT, so traffic NAT outgoing
/// rewrites is marked too, and replies of inbound connections from outside are marked as well.
/// Nothing is rendered while no endpoint has a value.
struct DSCPChains {
    var family: IPFamily

    static let setID = "dscp-src-net"
    static let chain = "mangle-cali-egress-dscp"

    /// (address in `/32` or `/128` form, code point) of every endpoint address of this family.
    func marks(_ endpoints: some Sequence<EndpointUpdate>) -> [(address: String, dscp: Int)] {
        var out: [String: Int] = [:]
        for e in endpoints {
            guard let code = e.qosControls?.dscp?.codePoint else { continue }
            for net in family == .v4 ? e.ipv4Nets : e.ipv6Nets { out[ClusterChains.host(net)] = code }
        }
        return out.sorted { a, b in
            let (x, y) = (IPAddress(Self.bare(a.key)), IPAddress(Self.bare(b.key)))
            return x != nil && y != nil ? x! < y! : a.key < b.key
        }.map { ($0.key, $0.value) }
    }

    /// The hook rule for `mangle-cali-POSTROUTING`, the chain and the set; nil when no endpoint
    /// of this family has a DSCP value.
    func render(_ endpoints: some Sequence<EndpointUpdate>) -> (hook: String, chain: NftChain, set: NftSet)? {
        let marks = marks(endpoints)
        guard !marks.isEmpty else { return nil }
        let addr = family.addressKeyword
        let set = RuleRenderer.setName(Self.setID, family)
        let pools = RuleRenderer.setName(ClusterChains.allPools, family)
        let hook = "\(addr) saddr @\(set) \(addr) daddr != @\(pools) fib daddr type != local jump \(Self.chain)"
        let rules = marks.map { "\(addr) saddr \(Self.bare($0.address)) \(addr) dscp set \($0.dscp)" }
        return (hook, NftChain(name: Self.chain, rules: rules), NftSet(name: set, kind: .net, members: Set(marks.map(\.address))))
    }

    static func bare(_ host: String) -> String { String(host.split(separator: "/")[0]) }
}
