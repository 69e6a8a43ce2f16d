import CalicoAPI

/// The graph's cluster node (upstream's L3 route resolver, VXLAN resolver and host/pool
/// dispatch): keeps IPAM blocks, pools, nodes and workload addresses, and on flush emits
/// what changed since the last flush — pools, host metadata, tunnel endpoints and routes —
/// only when something they depend on changed. What it cannot use (a node without an
/// address that owns blocks, overlapping pools, a clashing VTEP MAC, a block of an unknown
/// node) is reported in `problems`, by resource; the rest is still computed.
struct RouteCalculator {
    let hostname: String
    private var blocks: [String: String?] = [:]
    private var pools: [String: IPPool] = [:]
    private var hosts: [String: HostInfo] = [:]
    private var workloads: [EndpointID: (node: String, interfaceName: String, nets: [String])] = [:]
    private var dirty = false
    private var sentRoutes: [String: RouteUpdate] = [:]
    private var sentHosts: [String: HostMetadata] = [:]
    private var sentPools: [String: IPPoolInfo] = [:]
    private var sentVTEPs: [String: VTEP] = [:]
    /// Resource → why it is not (fully) used.
    private(set) var problems: [String: String] = [:]

    init(hostname: String) {
        self.hostname = hostname
    }

    mutating func setBlock(_ cidr: String, owner: String?) {
        if blocks[cidr] == nil || blocks[cidr]! != owner {
            blocks[cidr] = .some(owner)
            dirty = true
        }
    }

    mutating func removeBlock(_ cidr: String) {
        if blocks.removeValue(forKey: cidr) != nil { dirty = true }
    }

    mutating func setPool(_ name: String, _ pool: IPPool?) {
        pools[name] = pool
        dirty = true
    }

    mutating func setNode(_ name: String, _ info: HostInfo?) {
        if hosts[name] != info {
            hosts[name] = info
            dirty = true
        }
    }

    /// A workload's addresses (nil: gone). Host endpoints have no routes.
    mutating func setEndpoint(_ id: EndpointID, _ record: EndpointRecord?) {
        guard case .workload = id else { return }
        workloads[id] = record.map { ($0.node, $0.interfaceName, $0.ipv4 + $0.ipv6) }
        dirty = true
    }

    /// Pools, host metadata and tunnel endpoints added or changed, route removals, route
    /// additions, then tunnel endpoints and hosts and pools removed.
    mutating func flush() -> [DataplaneUpdate] {
        guard dirty else { return [] }
        dirty = false
        var problems: [String: String] = [:]
        let usablePools = self.usablePools(&problems)
        let (vteps, vtepProblems) = VXLANResolver.vteps(Array(hosts.values))
        problems.merge(vtepProblems) { a, _ in a }
        // Remote tunnel addresses outside their node's own blocks need /32 routes too.
        var sources = Array(workloads.values)
        for v in vteps.values where v.node != hostname {
            sources.append((v.node, "", [v.tunnelIPv4, v.tunnelIPv6].compactMap { $0 }))
        }
        let routes = RouteResolver.routes(.init(hostname: hostname, blocks: blocks, pools: usablePools, hosts: hosts, workloads: sources))
        for case let (cidr, owner?) in blocks where hosts[owner] == nil {
            problems["IPAMBlock \(cidr)"] = "IPAM block \(cidr) is affine to node \(owner), which does not exist; no route to it"
        }
        for (name, h) in hosts where h.ipv4 == nil && h.ipv6 == nil && blocks.values.contains(.some(name)) {
            problems["Node \(name)"] = "Node \(name) has no address (spec.bgp.ipv4Address/ipv6Address); no route to its blocks"
        }
        self.problems = problems

        var out: [DataplaneUpdate] = []
        let poolInfos = Dictionary(usablePools.map { (Self.info($0).cidr, Self.info($0)) }) { a, _ in a }
        for cidr in poolInfos.keys.sorted() where sentPools[cidr] != poolInfos[cidr] { out.append(.ipPoolUpdate(poolInfos[cidr]!)) }
        let metadata = hosts.mapValues(\.metadata)
        for name in metadata.keys.sorted() where sentHosts[name] != metadata[name] { out.append(.hostMetadataUpdate(metadata[name]!)) }
        for node in vteps.keys.sorted() where sentVTEPs[node] != vteps[node] { out.append(.vtepUpdate(vteps[node]!)) }
        for dst in sentRoutes.keys.sorted() where routes[dst] == nil { out.append(.routeRemove(dst: dst)) }
        for dst in routes.keys.sorted() where sentRoutes[dst] != routes[dst] { out.append(.routeUpdate(routes[dst]!)) }
        for node in sentVTEPs.keys.sorted() where vteps[node] == nil { out.append(.vtepRemove(node: node)) }
        for name in sentHosts.keys.sorted() where metadata[name] == nil { out.append(.hostMetadataRemove(name: name)) }
        for cidr in sentPools.keys.sorted() where poolInfos[cidr] == nil { out.append(.ipPoolRemove(cidr: cidr)) }
        sentRoutes = routes
        sentHosts = metadata
        sentPools = poolInfos
        sentVTEPs = vteps
        return out
    }

    /// Enabled pools with a CIDR; of pools that overlap, the one named first is used.
    private func usablePools(_ problems: inout [String: String]) -> [IPPool] {
        var kept: [(IPPool, IPNet)] = []
        for (name, p) in pools.sorted(by: { $0.key < $1.key }) {
            guard !(p.spec.disabled ?? false), let net = p.spec.cidr.flatMap({ IPNet($0) }) else { continue }
            if let other = kept.first(where: { $0.1.overlaps(net) }) {
                problems["IPPool \(name)"] = "IPPool \(name) (\(net)) overlaps IPPool \(other.0.name) (\(other.1)); ignored"
                continue
            }
            kept.append((p, net))
        }
        return kept.map(\.0)
    }

    static func info(_ p: IPPool) -> IPPoolInfo {
        func mode(_ s: String?) -> String { (s ?? "").isEmpty ? "Never" : s! }
        return IPPoolInfo(cidr: IPNet(p.spec.cidr ?? "")?.description ?? p.spec.cidr ?? "", natOutgoing: p.spec.natOutgoing ?? false,
                          vxlanMode: mode(p.spec.vxlanMode), ipipMode: mode(p.spec.ipipMode),
                          workloads: p.spec.allowedUses.map { $0.isEmpty || $0.contains("Workload") } ?? true)
    }
}
