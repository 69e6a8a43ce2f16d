import FelixCalc

/// The dataplane's desired state, fed by the calculation graph's updates, rendered into one
/// `NftRuleset` per family. Policy and profile chains are rendered once per change and
/// cached; everything else is cheap and rendered on demand.
final class DataplaneModel {
    var settings: FelixSettings {
        didSet {
            if settings != oldValue {
                policyCache.removeAll()
                profileCache.removeAll()
                endpointCache.removeAll()
            }
        }
    }
    private(set) var ipSets: [String: (type: IPSetType, members: Set<String>)] = [:]
    private(set) var policies: [PolicyID: ActivePolicy] = [:]
    private(set) var profiles: [String: (inbound: [ParsedRule], outbound: [ParsedRule])] = [:]
    private(set) var endpoints: [EndpointID: EndpointUpdate] = [:]
    private(set) var inSync = false
    /// Datastore configuration as last received.
    private(set) var datastoreConfig: [String: String]? = nil
    /// Policies the kernel refused: rendered from their last good version (nil = empty chains).
    var quarantined: [PolicyID: ActivePolicy?] = [:]
    /// Policies whose current version has been applied successfully.
    var lastGood: [PolicyID: ActivePolicy] = [:]
    /// Sets touched since the last successful apply (names per family).
    var dirtySets: Set<String> = []
    /// Sets the graph removed, kept while a quarantined policy's stand-in still uses them.
    private var retiredSets: [String: (type: IPSetType, members: Set<String>)] = [:]

    private var policyCache: [PolicyID: [IPFamily: [NftChain]]] = [:]
    /// Endpoint chains depend on the endpoint and on which policies exist, are staged and in
    /// which layer: `policyShape` counts changes of the latter.
    private var policyShape = 0
    private var endpointCache: [EndpointID: (update: EndpointUpdate, shape: Int, chains: [NftChain])] = [:]
    /// Set members split by family.
    private var familyMembers: [String: [IPFamily: Set<String>]] = [:]
    private var profileCache: [String: [IPFamily: [NftChain]]] = [:]

    /// This node's name (which VTEP is ours).
    let hostname: String
    private(set) var pools: [String: IPPoolInfo] = [:]
    private(set) var hosts: [String: HostMetadata] = [:]
    private(set) var vteps: [String: VTEP] = [:]

    init(settings: FelixSettings, hostname: String = "") {
        self.settings = settings
        self.hostname = hostname
    }

    func apply(_ update: DataplaneUpdate) {
        switch update {
        case .inSync: inSync = true
        case .configUpdate(let c): datastoreConfig = c
        case let .ipSetUpdate(id, type, members):
            ipSets[id] = (type, Set(members))
            retiredSets[id] = nil
            markSet(id)
        case let .ipSetDelta(id, added, removed):
            guard var s = ipSets[id] else { return }
            for m in removed { s.members.remove(m) }
            for m in added { s.members.insert(m) }
            ipSets[id] = s
            markSet(id)
        case .ipSetRemove(let id):
            retiredSets[id] = ipSets[id]
            ipSets[id] = nil
            markSet(id)
        case let .activePolicyUpdate(id, p):
            if let old = policies[id], old.staged == p.staged, old.untracked == p.untracked, old.preDNAT == p.preDNAT {} else { policyShape += 1 }
            policies[id] = p
            policyCache[id] = nil
        case .activePolicyRemove(let id):
            policyShape += 1
            policies[id] = nil
            policyCache[id] = nil
            quarantined[id] = nil
            lastGood[id] = nil
        case let .activeProfileUpdate(name, inbound, outbound):
            profiles[name] = (inbound, outbound)
            profileCache[name] = nil
        case .activeProfileRemove(let name):
            profiles[name] = nil
            profileCache[name] = nil
        case .endpointUpdate(let e):
            if endpoints[e.id]?.qosControls?.dscp != e.qosControls?.dscp || endpoints[e.id]?.ipv4Nets != e.ipv4Nets
                || endpoints[e.id]?.ipv6Nets != e.ipv6Nets { markSet(DSCPChains.setID) }
            endpoints[e.id] = e
        case .endpointRemove(let id):
            if endpoints[id]?.qosControls?.dscp != nil { markSet(DSCPChains.setID) }
            endpoints[id] = nil
            endpointCache[id] = nil
        case .ipPoolUpdate(let p):
            pools[p.cidr] = p
            markClusterSets()
        case .ipPoolRemove(let cidr):
            pools[cidr] = nil
            markClusterSets()
        case .hostMetadataUpdate(let h):
            hosts[h.name] = h
            markClusterSets()
        case .hostMetadataRemove(let name):
            hosts[name] = nil
            markClusterSets()
        case .vtepUpdate(let v):
            vteps[v.node] = v
            markClusterSets()
        case .vtepRemove(let node):
            vteps[node] = nil
            markClusterSets()
        case .routeUpdate, .routeRemove: break
        }
    }

    /// The cluster's sets (pools, hosts, VTEPs) are diffed on the next apply.
    func markClusterSets() {
        for id in [ClusterChains.masqPools, ClusterChains.allPools, ClusterChains.allHosts, ClusterChains.allVXLAN] {
            for f in IPFamily.allCases { dirtySets.insert(RuleRenderer.setName(id, f)) }
        }
    }

    func markSet(_ id: String) {
        familyMembers[id] = nil
        for f in IPFamily.allCases { dirtySets.insert(RuleRenderer.setName(id, f)) }
    }

    /// The policy version rendered now (its quarantined stand-in when the kernel refused it).
    func effectivePolicy(_ id: PolicyID) -> ActivePolicy? {
        if let q = quarantined[id] {
            return q ?? policies[id].map { p in
                var empty = p
                empty.inbound = []
                empty.outbound = []
                return empty
            }
        }
        return policies[id]
    }

    func policyChains(_ id: PolicyID, _ family: IPFamily) -> [NftChain] {
        if quarantined[id] != nil {
            return effectivePolicy(id).map { PolicyRenderer(family: family, settings: settings).chains(id, $0) } ?? []
        }
        if let c = policyCache[id]?[family] { return c }
        guard let p = policies[id] else { return [] }
        let chains = PolicyRenderer(family: family, settings: settings).chains(id, p)
        policyCache[id, default: [:]][family] = chains
        return chains
    }

    /// Everything wanted in `family`'s table.
    func ruleset(_ family: IPFamily) -> NftRuleset {
        var r = NftRuleset()
        func add(_ c: NftChain) { r.chains[c.name] = c }
        let hostEndpoints = endpoints.values.filter { if case .host = $0.id { return true } else { return false } }
        let cluster = clusterChains(family)
        StaticChains(family: family, settings: settings).chains(hosts: hostEndpoints, cluster: cluster).forEach(add)
        cluster.chains().forEach(add)
        for s in cluster.sets() { r.sets[s.name] = s }
        for id in policies.keys { policyChains(id, family).forEach(add) }
        for (name, p) in profiles {
            if let c = profileCache[name]?[family] { c.forEach(add); continue }
            let c = PolicyRenderer(family: family, settings: settings).profileChains(name, inbound: p.inbound, outbound: p.outbound)
            profileCache[name, default: [:]][family] = c
            c.forEach(add)
        }
        let er = EndpointRenderer(settings: settings, activePolicies: policies)
        var toMap: [String: String] = [:], fromMap: [String: String] = [:]
        for e in endpoints.values {
            if case .workload = e.id {
                toMap[e.interfaceName] = "goto \(ChainNames.endpoint("tw", e.interfaceName))"
                fromMap[e.interfaceName] = "goto \(ChainNames.endpoint("fw", e.interfaceName))"
            }
            if let c = endpointCache[e.id], c.update == e, c.shape == policyShape {
                c.chains.forEach(add)
                continue
            }
            let chains: [NftChain]
            switch e.id {
            case .workload: chains = er.workload(e)
            case .host: chains = er.host(e)
            }
            endpointCache[e.id] = (e, policyShape, chains)
            chains.forEach(add)
        }
        if let dscp = DSCPChains(family: family).render(endpoints.values) {
            let post = r.chains["mangle-cali-POSTROUTING"]!
            add(NftChain(name: post.name, rules: [dscp.hook] + post.rules, hook: post.hook))
            add(dscp.chain)
            r.sets[dscp.set.name] = dscp.set
        }
        r.maps[ChainNames.toWorkloadMap] = toMap
        r.maps[ChainNames.fromWorkloadMap] = fromMap
        var sets = ipSets
        for id in setsOfStandIns() where sets[id] == nil {
            if let r = retiredSets[id] { sets[id] = r }
        }
        for (id, s) in sets {
            let name = RuleRenderer.setName(id, family)
            let members: Set<String>
            if let cached = familyMembers[id]?[family] { members = cached } else {
                members = s.members.filter { m in family.contains(s.type == .ipAndPort ? String(m.split(separator: ",")[0]) : m) }
                familyMembers[id, default: [:]][family] = members
            }
            r.sets[name] = NftSet(name: name, kind: s.type == .ipAndPort ? .addressPort : .net, members: members)
        }
        return r
    }

    func clusterChains(_ family: IPFamily) -> ClusterChains {
        let mine = vteps[hostname]
        let device = family == .v4 ? (mine?.tunnelIPv4 != nil ? VXLANDevice.v4.name : nil) : (mine?.tunnelIPv6 != nil ? VXLANDevice.v6.name : nil)
        let on = settings.cluster.vxlanEnabled ?? true
        let parents = vteps.values.compactMap { family == .v4 ? $0.parentIPv4 : $0.parentIPv6 }
        return ClusterChains(family: family, settings: settings.cluster, pools: Array(pools.values), hosts: Array(hosts.values),
                             vtepParents: on && device != nil ? parents : [], vxlanDevice: on ? device : nil)
    }

    /// IP sets the quarantined policies' stand-ins refer to.
    func setsOfStandIns() -> Set<String> {
        var out = Set<String>()
        for id in quarantined.keys {
            guard let p = effectivePolicy(id) else { continue }
            for r in p.inbound + p.outbound { out.formUnion(r.allIPSetIDs) }
        }
        return out
    }

    /// Forgets retired sets no stand-in needs (after a successful apply).
    func pruneRetiredSets() {
        let needed = setsOfStandIns()
        retiredSets = retiredSets.filter { needed.contains($0.key) }
    }
}

extension ParsedRule {
    /// Every IP set the rule matches on.
    var allIPSetIDs: [String] {
        srcIPSetIDs + notSrcIPSetIDs + dstIPSetIDs + notDstIPSetIDs + srcNamedPortIPSetIDs + notSrcNamedPortIPSetIDs
            + dstNamedPortIPSetIDs + notDstNamedPortIPSetIDs
    }
}
