import CalicoAPI
import CalicoSelector

/// An input to the graph: a resource written or deleted, or the datastore being in sync.
public enum CalcEvent: Sendable {
    case put(any CalicoResource)
    case delete(CalcKey)
    /// A stored resource Felix cannot use: its value does not decode (`raw` is the value
    /// when it parses at all). A policy is held at its last good version, or replaced by a
    /// stand-in that drops what it selects (see `PolicyStandIn`).
    case unusable(CalcKey, raw: Value?, reason: String)
    /// An IPAM block and its owner (`host:<node>` affinity's node; nil when unowned).
    case ipamBlock(cidr: String, owner: String?)
    case ipamBlockRemove(cidr: String)
    case inSync
}

/// Felix's calculation graph for one node: from cluster state to the exact dataplane
/// updates this node needs. Synchronous and deterministic: the same state in any order of
/// events gives the same output.
///
/// Each `flush()` computes the desired state (local endpoints and their tiers, active
/// policies and profiles, IP sets and members) and returns the difference to what it
/// returned before, ordered as upstream's event sequencer: IP sets, policies, profiles,
/// endpoints added or changed; then endpoints, profiles, policies, IP sets removed.
public final class CalcGraph {
    public let hostname: String

    /// An endpoint as the graph needs it; a class so the two maps holding it share it.
    final class EndpointRecord: Equatable {
        let id: EndpointID
        let node: String
        let interfaceName: String
        let mac: String?
        let labels: [String: String]
        let profileIDs: [String]
        let ipv4: [String]
        let ipv6: [String]
        let ports: [(name: String, proto: String, port: Int)]
        let qos: QoSControls?
        let isHost: Bool

        init(id: EndpointID, node: String, interfaceName: String, mac: String?, labels: [String: String], profileIDs: [String],
             ipv4: [String], ipv6: [String], ports: [(name: String, proto: String, port: Int)], qos: QoSControls?, isHost: Bool) {
            self.id = id
            self.node = node
            self.interfaceName = interfaceName
            self.mac = mac
            self.labels = labels
            self.profileIDs = profileIDs
            self.ipv4 = ipv4
            self.ipv6 = ipv6
            self.ports = ports
            self.qos = qos
            self.isHost = isHost
        }

        static func == (a: EndpointRecord, b: EndpointRecord) -> Bool {
            a.id == b.id && a.node == b.node && a.interfaceName == b.interfaceName && a.mac == b.mac && a.labels == b.labels
                && a.profileIDs == b.profileIDs && a.ipv4 == b.ipv4 && a.ipv6 == b.ipv6 && a.qos == b.qos && a.isHost == b.isHost
                && a.ports.map { "\($0.name)/\($0.proto)/\($0.port)" } == b.ports.map { "\($0.name)/\($0.proto)/\($0.port)" }
        }
    }

    var endpoints: [EndpointID: EndpointRecord] = [:]
    /// Policy matches of local endpoints from the last structural recompute (see there).
    var matchCache: [EndpointID: (record: EndpointRecord, labels: InternedLabels, indices: [Int])] = [:]
    var lastUsableKeys: [PolicyID] = []
    var lastUsableSelectors: [Selector] = []
    /// Rules of active policies as parsed last time, with the IP sets they need.
    var parsedPolicies: [PolicyID: (model: PolicyModel, active: ActivePolicy, specs: Set<IPSetSpec>)] = [:]
    // Route inputs.
    var blocks: [String: String?] = [:]
    var pools: [String: IPPool] = [:]
    var nodeIPs: [String: String] = [:]
    var routesDirty = false
    var sentRoutes: [String: RouteUpdate] = [:]

    /// FelixConfiguration `default` and `node.<hostname>`.
    var felixConfigs: [String: FelixConfiguration] = [:]
    var sentConfig: [String: String]? = [:]
    var profiles: [String: Profile] = [:]
    var policies: [String: PolicyModel] = [:]
    var tiers: [String: Tier] = [:]
    var networkSets: [String: (labels: [String: String], nets: [String])] = [:]
    /// Resources left out, with the reason (for logs and `--dump`).
    public private(set) var skipped: [String: String] = [:]
    /// Policies whose stored version Felix cannot use (it does not decode or does not
    /// translate), by key, with the reason naming the field. Each is enforced at its last
    /// good version, or as a stand-in dropping what it selects at the end of its tier.
    /// Felix is not ready while any is held.
    public private(set) var heldPolicies: [String: String] = [:]
    /// Keys of `policies` holding a stand-in (no good version seen).
    var standIns: Set<String> = []
    var inSync = false
    var sentInSync = false

    // Incremental state: interned labels, compiled selectors, IP-set contributions.
    let interner = LabelInterner()
    var compiledSelectors: [String: CompiledSelector] = [:]
    var labelCache: [EndpointID: InternedLabels] = [:]
    var netsetLabelCache: [String: InternedLabels] = [:]
    /// One IP set's membership state; a class so it is updated in place, never copied.
    final class SpecState {
        let spec: IPSetSpec
        let selector: CompiledSelector
        /// Members contributed by each source (endpoint or network set), by source number.
        var contributions: [Int: [String]] = [:]
        /// How many sources contribute each member.
        var counts: [String: Int] = [:]
        /// Members that appeared or disappeared since the last flush.
        var appeared: Set<String> = []
        var disappeared: Set<String> = []
        /// Members that are CIDRs broader than one address (need coverage handling).
        var broadMembers = 0
        /// Built in this flush: compare with what was sent as a whole.
        var fresh = true

        init(spec: IPSetSpec, selector: CompiledSelector) {
            self.spec = spec
            self.selector = selector
        }
    }
    var specStates: [String: SpecState] = [:]
    /// Spec and compiled selector of each IP set, apart from its (large) state, so reading
    /// them copies nothing big.
    var specInfo: [String: SpecProbe] = [:]

    /// What evaluating a source against an IP set needs, shared by reference.
    final class SpecProbe {
        let selector: CompiledSelector
        /// nil for selector sets; (protocol, port name) for named-port sets.
        let namedPort: (proto: String, name: String)?
        let isNetworkSetEligible: Bool
        init(_ spec: IPSetSpec, _ selector: CompiledSelector) {
            self.selector = selector
            if case let .namedPort(_, proto, name) = spec {
                namedPort = (proto, name)
                isNetworkSetEligible = false
            } else {
                namedPort = nil
                isNetworkSetEligible = true
            }
        }
    }
    var currentMembers: [String: Set<String>] = [:]
    var changedSpecs: Set<String> = []
    var dirtySources: Set<Int> = []
    /// Every endpoint and network set gets a small number, kept while it exists.
    enum Source: Hashable { case endpoint(EndpointID), networkSet(String) }
    var sourceNumbers: [Source: Int] = [:]
    var sources: [Int: Source] = [:]
    var nextSource = 0

    /// Sources by label: key id → value id → source numbers (for scanning only the
    /// candidates of a selector that requires `key == value`, `key in {…}` or `has(key)`).
    var labelIndex: [Int32: [Int32: Set<Int>]] = [:]
    /// The labels each source is indexed under.
    var indexedLabels: [Int: InternedLabels] = [:]

    func reindex(_ n: Int, _ labels: InternedLabels?) {
        if let old = indexedLabels[n] {
            var i = 0
            while i < old.pairs.count {
                labelIndex[old.pairs[i]]?[old.pairs[i + 1]]?.remove(n)
                i += 2
            }
        }
        indexedLabels[n] = labels
        if let labels {
            var i = 0
            while i < labels.pairs.count {
                labelIndex[labels.pairs[i], default: [:]][labels.pairs[i + 1], default: []].insert(n)
                i += 2
            }
        }
    }

    /// The sources that may match `sel`: a required label narrows the scan.
    func candidates(for sel: Selector) -> [Int]? {
        var terms: [Expression]
        switch sel.expression {
        case .and(let xs): terms = xs
        default: terms = [sel.expression]
        }
        var best: Set<Int>? = nil
        for t in terms {
            var c: Set<Int>? = nil
            switch t {
            case let .equal(k, v):
                guard let kid = interner.existingID(k), let vid = interner.existingID(v) else { return [] }
                c = labelIndex[kid]?[vid] ?? []
            case let .inSet(k, vs):
                guard let kid = interner.existingID(k) else { return [] }
                var u = Set<Int>()
                for v in vs { if let vid = interner.existingID(v) { u.formUnion(labelIndex[kid]?[vid] ?? []) } }
                c = u
            case .has(let k):
                guard let kid = interner.existingID(k) else { return [] }
                var u = Set<Int>()
                for set in (labelIndex[kid] ?? [:]).values { u.formUnion(set) }
                c = u
            default: continue
            }
            if let c, best == nil || c.count < best!.count { best = c }
        }
        return best.map { Array($0) }
    }

    /// Endpoints and their interned effective labels by source number (Int keys hash fast).
    var endpointByNumber: [Int: EndpointRecord] = [:]
    var labelsByNumber: [Int: InternedLabels] = [:]

    func number(_ s: Source) -> Int {
        if let n = sourceNumbers[s] { return n }
        nextSource += 1
        sourceNumbers[s] = nextSource
        sources[nextSource] = s
        return nextSource
    }
    var structureDirty = true
    var cachedPolicies: [PolicyID: ActivePolicy] = [:]
    var cachedProfiles: [String: ([ParsedRule], [ParsedRule])] = [:]
    var cachedEndpoints: [EndpointID: EndpointUpdate] = [:]

    // What was emitted last.
    var sentPolicies: [PolicyID: ActivePolicy] = [:]
    var sentProfiles: [String: ([ParsedRule], [ParsedRule])] = [:]
    var sentEndpoints: [EndpointID: EndpointUpdate] = [:]

    /// Whether to compute routes (upstream builds them only when the dataplane needs them:
    /// BPF, VXLAN, WireGuard or ProgramClusterRoutes).
    public let computeRoutes: Bool

    public init(hostname: String, computeRoutes: Bool = false) {
        self.hostname = hostname
        self.computeRoutes = computeRoutes
    }

    /// The graph's name of a kind: Kubernetes NetworkPolicies kept apart from Calico's.
    static let kubernetesPolicyKind = "KubernetesNetworkPolicy"
    public static func kindName(_ kind: ResourceKind) -> String { kind.type == KubernetesNetworkPolicy.self ? kubernetesPolicyKind : kind.kind }
    public static func kindName(of r: any CalicoResource) -> String { r is KubernetesNetworkPolicy ? kubernetesPolicyKind : r.kind }


    // MARK: Input

    public func apply(_ event: CalcEvent) {
        switch event {
        case .inSync:
            inSync = true
        case let .ipamBlock(cidr, owner):
            if blocks[cidr] != owner || blocks[cidr] == nil { blocks[cidr] = owner; routesDirty = true }
        case .ipamBlockRemove(let cidr):
            if blocks.removeValue(forKey: cidr) != nil { routesDirty = true }
        case .put(let r):
            put(r)
        case let .unusable(key, raw, reason):
            let (kind, ns, name, k) = (key.kind, key.namespace, key.name, key.graphKey)
            if PolicyStandIn.isPolicyKind(kind) {
                hold(k, kind: kind, reason: reason) { PolicyStandIn.model(kind: kind, namespace: ns, name: name, raw: raw) }
            } else {
                // What was known of it stays (an endpoint nobody knows is dropped anyway).
                skipped[k] = "\(key) kept at its last good version: \(reason)"
            }
        case .delete(let key):
            let (kind, ns, name, k) = (key.kind, key.namespace, key.name, key.graphKey)
            skipped[k] = nil
            heldPolicies[k] = nil
            standIns.remove(k)
            switch kind {
            case WorkloadEndpoint.kindName: setEndpoint(.workload(namespace: ns ?? "default", name: name), nil)
            case HostEndpoint.kindName: setEndpoint(.host(name: name), nil)
            case Profile.kindName: setProfile(name, nil)
            case FelixConfiguration.kindName: felixConfigs[name] = nil
            case IPPool.kindName:
                pools[name] = nil
                routesDirty = true
            case Node.kindName:
                nodeIPs[name] = nil
                routesDirty = true
            case Tier.kindName:
                tiers[name] = nil
                structureDirty = true
            case NetworkSet.kindName, GlobalNetworkSet.kindName: setNetworkSet(k, nil)
            default:
                policies[k] = nil
                structureDirty = true
            }
        }
    }

    /// FelixConfiguration fields in force on this node: `default` overlaid by
    /// `node.<hostname>` (file and `FELIX_*` environment layers are applied by the daemon).
    func resolvedConfig() -> [String: String] {
        var out: [String: String] = [:]
        for name in ["default", "node.\(hostname)"] {
            guard let c = felixConfigs[name], case let .mapping(pairs, _)? = try? TreeEncoder().encode(c.spec) else { continue }
            for (key, value) in pairs {
                switch value {
                case .scalar(let text, _, _): out[key] = text
                default: out[key] = Emitter.json(value, indent: 0)
                }
            }
        }
        return out
    }

    func setEndpoint(_ id: EndpointID, _ record: EndpointRecord?) {
        let old = endpoints[id]
        if old == record { return }
        if old?.node != record?.node || old?.ipv4 != record?.ipv4 || old?.ipv6 != record?.ipv6 || old?.interfaceName != record?.interfaceName {
            routesDirty = true
        }
        endpoints[id] = record
        labelCache[id] = nil
        let n = number(.endpoint(id))
        endpointByNumber[n] = record
        labelsByNumber[n] = nil
        dirtySources.insert(n)
        if old?.node == hostname || record?.node == hostname { structureDirty = true }
    }

    func setProfile(_ name: String, _ profile: Profile?) {
        let oldLabels = profiles[name]?.spec.labelsToApply
        profiles[name] = profile
        structureDirty = true
        if oldLabels != profile?.spec.labelsToApply {
            // Endpoints inheriting its labels change their effective labels.
            for e in endpoints.values where e.profileIDs.contains(name) {
                labelCache[e.id] = nil
                let n = number(.endpoint(e.id))
                labelsByNumber[n] = nil
                dirtySources.insert(n)
            }
        }
    }

    func setNetworkSet(_ key: String, _ value: (labels: [String: String], nets: [String])?) {
        networkSets[key] = value
        netsetLabelCache[key] = nil
        let n = number(.networkSet(key))
        labelsByNumber[n] = nil
        dirtySources.insert(n)
    }

    func put(_ r: any CalicoResource) {
        let k = CalcKey(of: r).graphKey
        skipped[k] = nil
        switch r {
        case let w as WorkloadEndpoint:
            let s = w.spec
            let ns = w.metadata.namespace ?? "default"
            var labels = w.metadata.labels ?? [:]
            labels[PolicyTranslation.namespaceLabel] = ns
            if let sa = s.serviceAccountName, !sa.isEmpty { labels[PolicyTranslation.serviceAccountLabel] = sa }
            let nets = (s.ipNetworks ?? []).compactMap { IPNet($0) }
            setEndpoint(.workload(namespace: ns, name: w.name), EndpointRecord(
                id: .workload(namespace: ns, name: w.name), node: s.node ?? "", interfaceName: s.interfaceName ?? "", mac: s.mac,
                labels: labels, profileIDs: s.profiles ?? [],
                ipv4: nets.filter { $0.family == .v4 }.map { "\($0.address)/32" }, ipv6: nets.filter { $0.family == .v6 }.map { "\($0.address)/128" },
                ports: (s.ports ?? []).compactMap { p in
                    guard let name = p.name, let port = p.port else { return nil }
                    return (name, RuleParser.proto(p.protocol) ?? "tcp", port)
                }, qos: QoSAnnotations.controls(annotations: w.metadata.annotations, spec: s.qosControls), isHost: false))
        case let h as HostEndpoint:
            let s = h.spec
            let ips = (s.expectedIPs ?? []).compactMap { IPAddress($0) }
            setEndpoint(.host(name: h.name), EndpointRecord(
                id: .host(name: h.name), node: s.node ?? "", interfaceName: s.interfaceName ?? "", mac: nil,
                labels: h.metadata.labels ?? [:], profileIDs: s.profiles ?? [],
                ipv4: ips.filter { $0.family == .v4 }.map { "\($0)/32" }, ipv6: ips.filter { $0.family == .v6 }.map { "\($0)/128" },
                ports: (s.ports ?? []).compactMap { p in
                    guard let name = p.name, let port = p.port else { return nil }
                    return (name, RuleParser.proto(p.protocol) ?? "tcp", port)
                }, qos: QoSAnnotations.controls(annotations: h.metadata.annotations, spec: nil), isHost: true))
        case let p as IPPool:
            pools[p.name] = p
            routesDirty = true
        case let n as Node:
            let ip = n.spec.bgp?.ipv4Address.flatMap { IPNet($0)?.address.description }
            if nodeIPs[n.name] != ip { nodeIPs[n.name] = ip; routesDirty = true }
        case let c as FelixConfiguration:
            if c.name == "default" || c.name == "node.\(hostname)" { felixConfigs[c.name] = c }
        case let p as Profile:
            setProfile(p.name, p)
        case let t as Tier:
            tiers[t.name] = t
            structureDirty = true
        case let n as NetworkSet:
            var labels = n.metadata.labels ?? [:]
            labels[PolicyTranslation.namespaceLabel] = n.metadata.namespace ?? "default"
            setNetworkSet(k, (labels, n.spec.nets ?? []))
        case let n as GlobalNetworkSet:
            setNetworkSet(k, (n.metadata.labels ?? [:], n.spec.nets ?? []))
        default:
            var converted: any CalicoResource = r
            if let knp = r as? KubernetesNetworkPolicy {
                converted = KubernetesPolicyConverter.convert(knp).0
            } else if let sknp = r as? StagedKubernetesNetworkPolicy {
                converted = KubernetesPolicyConverter.convert(sknp).0
            }
            do {
                let model = try PolicyTranslation.model(of: converted)
                policies[k] = model
                heldPolicies[k] = nil
                standIns.remove(k)
                structureDirty = true
            } catch {
                let kind = Self.kindName(of: r)
                let reason = "\(r.kind) \(r.metadata.namespace.map { "\($0)/" } ?? "")\(r.name): \(error)"
                hold(k, kind: kind, reason: reason) {
                    let ns = type(of: converted).isNamespaced ? converted.metadata.namespace ?? "default" : nil
                    return PolicyStandIn.model(kind: kind, namespace: ns, name: converted.name,
                                        fields: PolicyTranslation.fields(of: converted) ?? PolicyFields(GlobalNetworkPolicySpec()))
                }
            }
        }
    }

    /// A policy whose current stored version cannot be used: kept at its last good version,
    /// or (none seen) replaced by its stand-in. Staged policies are never enforced, so an
    /// unusable one is only left out.
    func hold(_ k: String, kind: String, reason: String, standIn: () -> PolicyModel) {
        structureDirty = true
        if PolicyStandIn.isStaged(kind) {
            policies[k] = nil
            skipped[k] = "\(reason) (staged: left out)"
            return
        }
        heldPolicies[k] = reason
        if policies[k] == nil || standIns.contains(k) {
            policies[k] = standIn()
            standIns.insert(k)
        }
    }

    // MARK: Desired state

    /// Endpoint labels with the labels of its profiles (own labels win).
    func effectiveLabels(_ e: EndpointRecord) -> [String: String] {
        var labels: [String: String] = [:]
        for p in e.profileIDs { labels.merge(profiles[p]?.spec.labelsToApply ?? [:]) { _, b in b } }
        labels.merge(e.labels) { _, b in b }
        return labels
    }

    struct TierOrder {
        var order: Double
        var name: String
        var defaultAction: String
    }

    func tierOrder(_ name: String) -> TierOrder? {
        if let t = tiers[name] {
            return TierOrder(order: t.spec.order ?? Tier.defaultOrder(for: name), name: name, defaultAction: (t.spec.defaultAction ?? .deny).rawValue)
        }
        // Built-in tiers exist without an object.
        guard let order = Tier.reservedOrders[name] else { return nil }
        return TierOrder(order: order, name: name, defaultAction: name == "default" ? "Deny" : "Pass")
    }

    func compiled(_ sel: Selector) -> CompiledSelector {
        if let c = compiledSelectors[sel.canonical] { return c }
        let c = CompiledSelector(sel.expression, interner: interner)
        compiledSelectors[sel.canonical] = c
        return c
    }

    func labels(of e: EndpointRecord) -> InternedLabels {
        if let l = labelCache[e.id] { return l }
        let l = interner.labels(effectiveLabels(e))
        labelCache[e.id] = l
        return l
    }

    func labels(ofNetworkSet key: String) -> InternedLabels {
        if let l = netsetLabelCache[key] { return l }
        let l = interner.labels(networkSets[key]?.labels ?? [:])
        netsetLabelCache[key] = l
        return l
    }

    /// Recomputes what depends on local endpoints, policies, profiles and tiers: endpoint
    /// updates, active policies and profiles, and the IP sets they need.
    func recomputeStructure() -> Set<IPSetSpec> {
        var usable: [(PolicyModel, CompiledSelector)] = []
        for (k, p) in policies.sorted(by: { $0.key < $1.key }) {
            if tierOrder(p.tier) == nil {
                skipped[k] = "policy \(p.id.name) skipped: tier \(p.tier) does not exist"
                continue
            }
            // Parsed fine when stored, so any reason left is a tier that is back now.
            skipped[k] = nil
            usable.append((p, compiled(p.selector)))
        }
        let local = endpoints.values.filter { $0.node == hostname }.sorted { $0.id < $1.id }
        // Selectors apart from the (large) models, so matching copies nothing.
        let selectors = usable.map(\.1)
        var active: [PolicyID: PolicyModel] = [:]
        for (p, _) in usable where p.assumeNeededOnEveryNode { active[p.id] = p }
        var profileNames = Set<String>()
        var endpointUpdates: [EndpointID: EndpointUpdate] = [:]
        // Which policies select which local endpoint is kept while neither the endpoint (and
        // its labels) nor any policy's selector changed: a rule edit re-matches nothing.
        let usableKeys = usable.map { $0.0.id }
        let usableSelectors = usable.map { $0.0.selector }
        let selectorsSame = usableKeys == lastUsableKeys && usableSelectors == lastUsableSelectors
        var newMatchCache: [EndpointID: (record: EndpointRecord, labels: InternedLabels, indices: [Int])] = [:]
        for e in local {
            let l = labels(of: e)
            let indices: [Int]
            if selectorsSame, let c = matchCache[e.id], c.record === e, c.labels == l {
                indices = c.indices
            } else {
                indices = selectors.indices.filter { selectors[$0].matches(l, interner: interner) }
            }
            newMatchCache[e.id] = (e, l, indices)
            let matching = indices.map { usable[$0].0 }
            for p in matching { active[p.id] = p }
            profileNames.formUnion(e.profileIDs)
            endpointUpdates[e.id] = endpointUpdate(e, matching)
        }
        matchCache = newMatchCache
        lastUsableKeys = usableKeys
        lastUsableSelectors = usableSelectors
        var specs = Set<IPSetSpec>()
        var activePolicies: [PolicyID: ActivePolicy] = [:]
        for (id, p) in active {
            // Parsing rules (canonical selectors, hashes) is the costly part: reuse it while
            // the policy is unchanged.
            if let c = parsedPolicies[id], c.model == p {
                activePolicies[id] = c.active
                specs.formUnion(c.specs)
                continue
            }
            var mine = Set<IPSetSpec>()
            let inbound = p.inbound.enumerated().map { RuleParser.parse($1, index: $0, owner: "\(id)/in", sets: &mine) }
            let outbound = p.outbound.enumerated().map { RuleParser.parse($1, index: $0, owner: "\(id)/out", sets: &mine) }
            let ap = ActivePolicy(
                namespace: p.namespace, inbound: p.types.contains(.ingress) ? inbound : [],
                outbound: p.types.contains(.egress) ? outbound : [], untracked: p.doNotTrack, preDNAT: p.preDNAT,
                staged: p.staged, originalSelector: p.originalSelector)
            activePolicies[id] = ap
            parsedPolicies[id] = (p, ap, mine)
            specs.formUnion(mine)
        }
        parsedPolicies = parsedPolicies.filter { active[$0.key] != nil }
        var activeProfiles: [String: ([ParsedRule], [ParsedRule])] = [:]
        for name in profileNames {
            if let prof = profiles[name] {
                do {
                    let inbound = try PolicyTranslation.rules(prof.spec.ingress, namespace: nil).enumerated()
                        .map { RuleParser.parse($1, index: $0, owner: "profile/\(name)/in", sets: &specs) }
                    let outbound = try PolicyTranslation.rules(prof.spec.egress, namespace: nil).enumerated()
                        .map { RuleParser.parse($1, index: $0, owner: "profile/\(name)/out", sets: &specs) }
                    activeProfiles[name] = (inbound, outbound)
                    continue
                } catch {
                    skipped[CalcKey(Profile.self, name: name).graphKey] = "profile \(name) has a bad selector (\(error)); denying all"
                }
            }
            // A missing profile denies everything (fail closed).
            activeProfiles[name] = ([ParsedRule(action: "deny")], [ParsedRule(action: "deny")])
        }
        cachedPolicies = activePolicies
        cachedProfiles = activeProfiles
        cachedEndpoints = endpointUpdates
        return specs
    }

    /// What one source (an endpoint or a network set) contributes to an IP set.
    func contribution(of source: Int, to st: SpecProbe) -> [String] {
        if let e = endpointByNumber[source] {
            let l: InternedLabels
            if let cached = labelsByNumber[source] { l = cached } else {
                l = interner.labels(effectiveLabels(e))
                labelsByNumber[source] = l
            }
            guard st.selector.matches(l, interner: interner) else { return [] }
            guard let (proto, name) = st.namedPort else { return e.ipv4 + e.ipv6 }
            var out: [String] = []
            for p in e.ports where p.name == name && p.proto == proto {
                for ip in e.ipv4 + e.ipv6 { out.append("\(ip.split(separator: "/")[0]),\(proto):\(p.port)") }
            }
            return out
        }
        guard st.isNetworkSetEligible, case .networkSet(let key)? = sources[source], let n = networkSets[key] else { return [] }
        let l: InternedLabels
        if let cached = labelsByNumber[source] { l = cached } else {
            l = interner.labels(n.labels)
            labelsByNumber[source] = l
        }
        guard st.selector.matches(l, interner: interner) else { return [] }
        return n.nets.flatMap { text -> [String] in
            guard let net = IPNet(text) else { return [] }
            // The kernel's sets take no /0: it is split into two /1s.
            if net.prefixLength == 0 { return net.family == .v4 ? ["0.0.0.0/1", "128.0.0.0/1"] : ["::/1", "8000::/1"] }
            return [net.network.description]
        }
    }

    func allSources() -> [Int] {
        endpoints.keys.map { number(.endpoint($0)) } + networkSets.keys.map { number(.networkSet($0)) }
    }

    /// A CIDR member wider than one address (`a.b.c.0/24`), as opposed to `a.b.c.d/32`.
    static func isBroad(_ m: String) -> Bool {
        guard let slash = m.firstIndex(of: "/") else { return false }
        let len = m[m.index(after: slash)...]
        return len != "32" && len != "128"
    }

    func setContribution(_ id: String, source: Int, _ members: [String]) {
        guard let st = specStates[id] else { return }
        let old = st.contributions[source] ?? []
        if old == members { return }
        for m in old {
            let c = (st.counts[m] ?? 0) - 1
            st.counts[m] = c > 0 ? c : nil
            if c <= 0 {
                if st.appeared.remove(m) == nil { st.disappeared.insert(m) }
                if Self.isBroad(m) { st.broadMembers -= 1 }
            }
        }
        for m in members {
            st.counts[m, default: 0] += 1
            if st.counts[m] == 1 {
                if st.disappeared.remove(m) == nil { st.appeared.insert(m) }
                if Self.isBroad(m) { st.broadMembers += 1 }
            }
        }
        st.contributions[source] = members.isEmpty ? nil : members
        changedSpecs.insert(id)
    }

    func endpointUpdate(_ e: EndpointRecord, _ matching: [PolicyModel]) -> EndpointUpdate {
        func tiers(_ policies: [PolicyModel], defaultAction: String? = nil) -> [TierInfo] {
            let byTier = Dictionary(grouping: policies, by: \.tier)
            let ordered = byTier.keys.compactMap { tierOrder($0) }.sorted { ($0.order, $0.name) < ($1.order, $1.name) }
            return ordered.map { t in
                let ps = byTier[t.name]!.sorted { a, b in
                    let oa = a.order ?? .infinity, ob = b.order ?? .infinity
                    return oa != ob ? oa < ob : a.sortName < b.sortName
                }
                return TierInfo(name: t.name, ingressPolicies: ps.filter { $0.types.contains(.ingress) }.map(\.id),
                                egressPolicies: ps.filter { $0.types.contains(.egress) }.map(\.id),
                                defaultAction: defaultAction ?? t.defaultAction)
            }
        }
        var u = EndpointUpdate(id: e.id, interfaceName: e.interfaceName, mac: e.mac, profileIDs: e.profileIDs,
                               ipv4Nets: e.ipv4, ipv6Nets: e.ipv6, tiers: [], qosControls: e.qos)
        let normal = matching.filter { !$0.doNotTrack && !$0.preDNAT }
        u.tiers = tiers(normal)
        if e.isHost {
            u.untrackedTiers = tiers(matching.filter(\.doNotTrack), defaultAction: "Pass")
            u.preDNATTiers = tiers(matching.filter(\.preDNAT), defaultAction: "Pass")
            u.forwardTiers = tiers(normal.filter(\.applyOnForward))
        }
        return u
    }

    // MARK: Output

    public func flush() -> [DataplaneUpdate] {
        // Refresh the label index for changed sources before any scan.
        for n in dirtySources {
            if let e = endpointByNumber[n] {
                let l = labelsByNumber[n] ?? interner.labels(effectiveLabels(e))
                labelsByNumber[n] = l
                reindex(n, l)
            } else if case .networkSet(let key)? = sources[n], let ns = networkSets[key] {
                let l = labelsByNumber[n] ?? interner.labels(ns.labels)
                labelsByNumber[n] = l
                reindex(n, l)
            } else {
                reindex(n, nil)
            }
        }
        let structureChanged = structureDirty
        if structureDirty {
            let specs = recomputeStructure()
            let wanted = Dictionary(uniqueKeysWithValues: specs.map { ($0.id, $0) })
            for id in specStates.keys where wanted[id] == nil {
                specStates[id] = nil
                specInfo[id] = nil
                changedSpecs.insert(id)
            }
            var everything: [Int]? = nil
            for (id, spec) in wanted where specStates[id] == nil {
                specStates[id] = SpecState(spec: spec, selector: compiled(spec.selector))
                specInfo[id] = SpecProbe(spec, compiled(spec.selector))
                changedSpecs.insert(id)
                let st = specInfo[id]!
                let scan: [Int]
                if let c = candidates(for: spec.selector) {
                    scan = c
                } else {
                    if everything == nil { everything = allSources() }
                    scan = everything!
                }
                for source in scan { setContribution(id, source: source, contribution(of: source, to: st)) }
            }
        }
        for source in dirtySources.sorted() {
            for (id, info) in specInfo { setContribution(id, source: source, contribution(of: source, to: info)) }
        }
        for n in dirtySources {
            switch sources[n] {
            case .endpoint(let id)? where endpoints[id] == nil:
                sources[n] = nil
                sourceNumbers[.endpoint(id)] = nil
                endpointByNumber[n] = nil
                labelsByNumber[n] = nil
            case .networkSet(let key)? where networkSets[key] == nil:
                sources[n] = nil
                sourceNumbers[.networkSet(key)] = nil
                labelsByNumber[n] = nil
            default: break
            }
        }
        dirtySources.removeAll()
        structureDirty = false
        let changed = changedSpecs.sorted()
        changedSpecs.removeAll()

        var adds: [DataplaneUpdate] = []
        var deltas: [DataplaneUpdate] = []
        var removes: [DataplaneUpdate] = []
        for id in changed {
            guard specStates[id] != nil else {
                if currentMembers.removeValue(forKey: id) != nil { removes.append(.ipSetRemove(id: id)) }
                continue
            }
            let type = specStates[id]!.spec.type
            guard currentMembers[id] != nil else {
                // New set: all members.
                let raw = Set(specStates[id]!.counts.keys)
                let members = type == .net && specStates[id]!.broadMembers > 0 ? CIDRCoverage.removeCovered(raw) : raw
                currentMembers[id] = members
                specStates[id]!.appeared.removeAll()
                specStates[id]!.disappeared.removeAll()
                specStates[id]!.fresh = false
                adds.append(.ipSetUpdate(id: id, type: type, members: members.sorted()))
                continue
            }
            let added: [String], removed: [String]
            if specStates[id]!.fresh || (type == .net && (specStates[id]!.broadMembers > 0 || currentMembers[id]!.contains(where: Self.isBroad))) {
                // CIDRs may cover each other: recompute the set.
                let raw = Set(specStates[id]!.counts.keys)
                let members = type == .net ? CIDRCoverage.removeCovered(raw) : raw
                added = members.subtracting(currentMembers[id]!).sorted()
                removed = currentMembers[id]!.subtracting(members).sorted()
                currentMembers[id] = members
            } else {
                added = specStates[id]!.appeared.sorted()
                removed = specStates[id]!.disappeared.sorted()
                for m in removed { currentMembers[id]!.remove(m) }
                for m in added { currentMembers[id]!.insert(m) }
            }
            specStates[id]!.appeared.removeAll()
            specStates[id]!.disappeared.removeAll()
            specStates[id]!.fresh = false
            if !added.isEmpty || !removed.isEmpty { deltas.append(.ipSetDelta(id: id, added: added, removed: removed)) }
        }
        // New sets first, then deltas (upstream flushAddedIPSets before flushIPSetDeltas).
        adds += deltas
        // IP set removals come last (after the policies that used them).
        let ipSetRemovals = removes
        removes = []
        for id in (structureChanged ? cachedPolicies.keys.sorted() : []) where sentPolicies[id] != cachedPolicies[id] {
            adds.append(.activePolicyUpdate(id, cachedPolicies[id]!))
        }
        for name in structureChanged ? cachedProfiles.keys.sorted() : [] {
            let new = cachedProfiles[name]!
            if let old = sentProfiles[name], old.0 == new.0, old.1 == new.1 { continue }
            adds.append(.activeProfileUpdate(name: name, inbound: new.0, outbound: new.1))
        }
        for id in (structureChanged ? cachedEndpoints.keys.sorted() : []) where sentEndpoints[id] != cachedEndpoints[id] {
            adds.append(.endpointUpdate(cachedEndpoints[id]!))
        }
        if structureChanged {
            for id in sentEndpoints.keys.sorted() where cachedEndpoints[id] == nil { removes.append(.endpointRemove(id)) }
            for name in sentProfiles.keys.sorted() where cachedProfiles[name] == nil { removes.append(.activeProfileRemove(name: name)) }
            for id in sentPolicies.keys.sorted() where cachedPolicies[id] == nil { removes.append(.activePolicyRemove(id)) }
        }
        removes += ipSetRemovals
        sentPolicies = cachedPolicies
        sentProfiles = cachedProfiles
        sentEndpoints = cachedEndpoints
        var out = adds + removes
        // Routes after everything else: removals, then additions.
        if routesDirty && computeRoutes {
            let workloads = endpoints.values.filter { !$0.isHost }.map { (node: $0.node, interfaceName: $0.interfaceName, nets: $0.ipv4 + $0.ipv6) }
            let routes = RouteResolver.routes(.init(hostname: hostname, blocks: blocks, pools: Array(pools.values), nodeIPs: nodeIPs, workloads: workloads))
            for dst in sentRoutes.keys.sorted() where routes[dst] == nil { out.append(.routeRemove(dst: dst)) }
            for dst in routes.keys.sorted() where sentRoutes[dst] != routes[dst] { out.append(.routeUpdate(routes[dst]!)) }
            sentRoutes = routes
            routesDirty = false
        }
        // Config first, as upstream's sequencer sends it.
        let config = resolvedConfig()
        if config != sentConfig {
            out.insert(.configUpdate(config), at: 0)
            sentConfig = config
        }
        if inSync && !sentInSync {
            out.append(.inSync)
            sentInSync = true
        }
        return out
    }
}

/// Removing CIDRs covered by broader ones of the same set.
enum CIDRCoverage {
    static func removeCovered(_ members: Set<String>) -> Set<String> {
        let nets = members.compactMap { m -> (String, IPNet)? in IPNet(m).map { (m, $0) } }
        let broad = nets.filter { $0.1.prefixLength < $0.1.address.bitLength }
        if broad.isEmpty { return members }
        var out = Set<String>()
        for (text, net) in nets {
            let covered = broad.contains { other in
                other.1.family == net.family && other.1.prefixLength < net.prefixLength && other.1.contains(net.address)
                    || (other.1 == net && other.0 != text)
            }
            if !covered { out.insert(text) }
        }
        return out
    }
}

extension CalcGraph {
    /// A canonical text of everything sent so far (for order-independence checks).
    func stateFingerprint() -> String {
        var lines: [String] = []
        for (id, v) in currentMembers.sorted(by: { $0.key < $1.key }) { lines.append("ipset \(id) \(v.sorted())") }
        for (id, p) in sentPolicies.sorted(by: { $0.key < $1.key }) { lines.append("policy \(id) \(p)") }
        for (n, p) in sentProfiles.sorted(by: { $0.key < $1.key }) { lines.append("profile \(n) \(p.0) \(p.1)") }
        for (id, e) in sentEndpoints.sorted(by: { $0.key < $1.key }) { lines.append("endpoint \(id) \(e)") }
        return lines.joined(separator: "\n")
    }
}
