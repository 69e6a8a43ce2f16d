import CalicoAPI

/// The graph's route node (upstream's L3 route resolver): keeps IPAM blocks, pools, node
/// addresses and workload addresses, and on flush emits the routes that changed since the
/// last flush (removals first) — only when something they depend on changed.
struct RouteCalculator {
    let hostname: String
    private var blocks: [String: String?] = [:]
    private var pools: [String: IPPool] = [:]
    private var nodeIPs: [String: String] = [:]
    private var workloads: [EndpointID: (node: String, interfaceName: String, nets: [String])] = [:]
    private var dirty = false
    private var sent: [String: RouteUpdate] = [:]

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

    mutating func setNode(_ name: String, ipv4: String?) {
        if nodeIPs[name] != ipv4 {
            nodeIPs[name] = ipv4
            dirty = true
        }
    }

    /// A workload's addresses (nil: gone). Host endpoints have no routes.
    mutating func setEndpoint(_ id: EndpointID, _ record: EndpointRecord?) {
        guard case .workload = id else { return }
        workloads[id] = record.map { ($0.node, $0.interfaceName, $0.ipv4 + $0.ipv6) }
        dirty = true
    }

    /// Route removals, then additions and changes, since the last flush.
    mutating func flush() -> [DataplaneUpdate] {
        guard dirty else { return [] }
        dirty = false
        let routes = RouteResolver.routes(.init(hostname: hostname, blocks: blocks, pools: Array(pools.values), nodeIPs: nodeIPs,
                                                workloads: Array(workloads.values)))
        var out: [DataplaneUpdate] = []
        for dst in sent.keys.sorted() where routes[dst] == nil { out.append(.routeRemove(dst: dst)) }
        for dst in routes.keys.sorted() where sent[dst] != routes[dst] { out.append(.routeUpdate(routes[dst]!)) }
        sent = routes
        return out
    }
}
