import CalicoAPI

/// Routes from IPAM blocks, IP pools, nodes and workloads (upstream's L3RouteResolver, pure):
/// a route per block to its node, /32s for local workloads and for workloads in blocks
/// borrowed from another node, and CIDR_INFO for each pool. Each carries its pool's type and
/// VXLAN mode and whether its node shares this node's subnet.
enum RouteResolver {
    struct Inputs {
        var hostname: String
        /// Block CIDR → owning node (`host:<node>` affinity), nil when unowned.
        var blocks: [String: String?]
        var pools: [IPPool]
        var hosts: [String: HostInfo]
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
        let me = input.hosts[input.hostname]
        /// The node's address for a destination of `family`, and whether it is in our subnet.
        func node(_ name: String, _ family: IPAddress.Family) -> (ip: String?, sameSubnet: Bool) {
            guard let there = input.hosts[name]?.address(family) else { return (nil, false) }
            let same = me?.address(family).map { $0.network.contains(there.address) } ?? false
            return (there.address.description, same)
        }
        func route(_ dst: String, _ kind: RouteUpdate.Kind, node name: String?, family: IPAddress.Family, pool p: IPPool?,
                   interface: String? = nil, borrowed: Bool = false) -> RouteUpdate {
            let n: (ip: String?, sameSubnet: Bool) = name.map { node($0, family) } ?? (nil, false)
            return RouteUpdate(dst: dst, kind: kind, dstNodeName: name, dstNodeIP: n.ip, poolType: poolType(p),
                               natOutgoing: p?.spec.natOutgoing ?? false, interfaceName: interface, borrowed: borrowed,
                               sameSubnet: n.sameSubnet, vxlanMode: p?.spec.vxlanMode ?? "Never")
        }
        var out: [String: RouteUpdate] = [:]
        for (p, net) in pools {
            out[net.description] = route(net.description, .cidrInfo, node: nil, family: net.family, pool: p)
        }
        var blockOwners: [(IPNet, String?)] = []
        for (cidr, owner) in input.blocks {
            guard let net = IPNet(cidr) else { continue }
            blockOwners.append((net, owner))
            guard let owner else { continue }
            out[net.description] = route(net.description, owner == input.hostname ? .localWorkload : .remoteWorkload, node: owner,
                                         family: net.family, pool: pool(containing: net.address))
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
                out[dst] = route(dst, local ? .localWorkload : .remoteWorkload, node: w.node, family: ip.family, pool: pool(containing: ip),
                                 interface: local ? w.interfaceName : nil, borrowed: borrowed)
            }
        }
        return out
    }
}
