import CalicoAPI

/// Routes from IPAM blocks, IP pools, nodes and workloads (upstream's L3RouteResolver, pure):
/// a route per block to its node, /32s for local workloads and for workloads in blocks
/// borrowed from another node, and CIDR_INFO for each pool.
enum RouteResolver {
    struct Inputs {
        var hostname: String
        /// Block CIDR → owning node (`host:<node>` affinity), nil when unowned.
        var blocks: [String: String?]
        var pools: [IPPool]
        /// Node → its IPv4 address (no mask).
        var nodeIPs: [String: String]
        /// Workloads: node, interface, addresses.
        var workloads: [(node: String, interfaceName: String, nets: [String])]
    }

    static func poolType(_ p: IPPool?) -> String {
        guard let p else { return "NONE" }
        if let v = p.spec.vxlanMode, v != "Never", !v.isEmpty { return "VXLAN" }
        if let i = p.spec.ipipMode, i != "Never", !i.isEmpty { return "IPIP" }
        return "NO_ENCAP"
    }

    static func routes(_ input: Inputs) -> [String: RouteUpdate] {
        let pools = input.pools.compactMap { p -> (IPPool, IPNet)? in
            guard !(p.spec.disabled ?? false), let n = p.spec.cidr.flatMap({ IPNet($0) }) else { return nil }
            return (p, n)
        }
        func pool(containing ip: IPAddress) -> IPPool? { pools.first { $0.1.contains(ip) }?.0 }
        var out: [String: RouteUpdate] = [:]
        for (p, net) in pools {
            out[net.description] = RouteUpdate(dst: net.description, kind: .cidrInfo, dstNodeName: nil, dstNodeIP: nil,
                                               poolType: poolType(p), natOutgoing: p.spec.natOutgoing ?? false,
                                               interfaceName: nil, borrowed: false)
        }
        var blockOwners: [(IPNet, String?)] = []
        for (cidr, owner) in input.blocks {
            guard let net = IPNet(cidr) else { continue }
            blockOwners.append((net, owner))
            guard let owner else { continue }
            let p = pool(containing: net.address)
            out[net.description] = RouteUpdate(dst: net.description, kind: owner == input.hostname ? .localWorkload : .remoteWorkload,
                                               dstNodeName: owner, dstNodeIP: input.nodeIPs[owner], poolType: poolType(p),
                                               natOutgoing: p?.spec.natOutgoing ?? false, interfaceName: nil, borrowed: false)
        }
        // Blocks by CIDR and the prefix lengths in use: an address finds its block by masking.
        var byNet: [IPNet: String?] = [:]
        for (net, owner) in blockOwners { byNet[net] = owner }
        let lengths = Set(blockOwners.map { $0.0.prefixLength })
        func owner(of ip: IPAddress) -> String? {
            for l in lengths where l <= ip.bitLength {
                if let o = byNet[IPNet(address: ip.masked(to: l), prefixLength: l)!] { return o }
            }
            return nil
        }
        for w in input.workloads {
            for text in w.nets {
                guard let net = IPNet(text) else { continue }
                let ip = net.address
                let owner = owner(of: ip)
                let local = w.node == input.hostname
                let borrowed = owner != nil && owner != w.node
                guard local || borrowed else { continue }
                let dst = "\(ip)/\(ip.bitLength)"
                let p = pool(containing: ip)
                out[dst] = RouteUpdate(dst: dst, kind: local ? .localWorkload : .remoteWorkload, dstNodeName: w.node,
                                       dstNodeIP: input.nodeIPs[w.node], poolType: poolType(p), natOutgoing: p?.spec.natOutgoing ?? false,
                                       interfaceName: local ? w.interfaceName : nil, borrowed: borrowed)
            }
        }
        return out
    }
}
