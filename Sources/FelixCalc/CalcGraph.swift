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
/// Only the wiring lives here; each node is its own type, as upstream's `calc` package:
/// `EndpointRecords` (endpoints and inherited labels) → `ActiveRulesCalculator` (active
/// policies, profiles and endpoint tiers via `PolicyResolver`) → `IPSetMemberCalculator`
/// (IP sets and members, over a `LabelIndex`); `RouteCalculator`; `ConfigMerge`; and the
/// `EventSequencer`, which orders each flush's differences.
public final class CalcGraph {
    public let hostname: String
    /// Whether to compute routes (upstream builds them only when the dataplane needs them:
    /// BPF, VXLAN, WireGuard or ProgramClusterRoutes).
    public let computeRoutes: Bool

    let compiler = SelectorCompiler()
    var endpoints: EndpointRecords
    let rules: ActiveRulesCalculator
    let ipSets: IPSetMemberCalculator
    var routes: RouteCalculator
    var config: ConfigMerge
    var sequencer = EventSequencer()
    var inSync = false

    /// Resources kept at their last good version, with the reason (for logs and `--dump`).
    private var keptResources: [String: String] = [:]
    /// Resources left out, with the reason (for logs and `--dump`).
    public var skipped: [String: String] { keptResources.merging(rules.skipped) { a, _ in a } }
    /// Policies whose stored version Felix cannot use (it does not decode or does not
    /// translate), by key, with the reason naming the field. Each is enforced at its last
    /// good version, or as a stand-in dropping what it selects at the end of its tier.
    /// Felix is not ready while any is held.
    public private(set) var heldPolicies: [String: String] = [:]
    /// Cluster resources Felix cannot fully use (overlapping pools, a node without an
    /// address, a clashing VTEP MAC, a block of an unknown node), by resource, with the
    /// reason; the rest is programmed. Felix reports them and is not ready while any remain.
    public var clusterProblems: [String: String] { routes.problems }
    /// The endpoint (of any node) holding an address, for naming flow ends: its identity, the
    /// name flow logs show and its own labels.
    public func endpoint(atAddress ip: String) -> (id: EndpointID, displayName: String, labels: [String: String])? {
        guard let id = endpoints.byAddress[ip], let r = endpoints.records[id] else { return nil }
        return (id, r.displayName, r.labels)
    }

    /// Local endpoints whose QoS annotations have clamped or ignored values, with the warnings.
    public var qosWarnings: [EndpointID: [String]] {
        var out: [EndpointID: [String]] = [:]
        for id in endpoints.local { if let w = endpoints.records[id]?.qosWarnings, !w.isEmpty { out[id] = w } }
        return out
    }
    /// Keys of policies enforced as a stand-in (no good version seen).
    var standIns: Set<String> = []

    public init(hostname: String, computeRoutes: Bool = false) {
        self.hostname = hostname
        self.computeRoutes = computeRoutes
        endpoints = EndpointRecords(hostname: hostname, interner: compiler.interner)
        rules = ActiveRulesCalculator(compiler: compiler)
        ipSets = IPSetMemberCalculator(compiler: compiler)
        routes = RouteCalculator(hostname: hostname)
        config = ConfigMerge(hostname: hostname)
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
            routes.setBlock(cidr, owner: owner)
        case .ipamBlockRemove(let cidr):
            routes.removeBlock(cidr)
        case .put(let r):
            keptResources[CalcKey(of: r).graphKey] = nil
            put(r)
        case let .unusable(key, raw, reason):
            if PolicyStandIn.isPolicyKind(key.kind) {
                hold(key.graphKey, kind: key.kind, reason: reason) {
                    PolicyStandIn.model(kind: key.kind, namespace: key.namespace, name: key.name, raw: raw)
                }
            } else {
                // What was known of it stays (an endpoint nobody knows is dropped anyway).
                keptResources[key.graphKey] = "\(key) kept at its last good version: \(reason)"
            }
        case .delete(let key):
            delete(key)
        }
    }

    func put(_ r: any CalicoResource) {
        switch r {
        case let w as WorkloadEndpoint: setEndpoint(EndpointRecord(w))
        case let h as HostEndpoint: setEndpoint(EndpointRecord(h))
        case let p as IPPool: routes.setPool(p.name, p)
        case let n as Node: routes.setNode(n.name, HostInfo(n))
        case let c as FelixConfiguration: config.put(c)
        case let p as Profile: setProfile(p.name, p)
        case let t as Tier: rules.setTier(t.name, t)
        case let n as NetworkSet:
            var labels = n.metadata.labels ?? [:]
            labels[PolicyTranslation.namespaceLabel] = n.metadata.namespace ?? "default"
            setNetworkSet(CalcKey(of: n).graphKey, (labels, n.spec.nets ?? []))
        case let n as GlobalNetworkSet:
            setNetworkSet(CalcKey(of: n).graphKey, (n.metadata.labels ?? [:], n.spec.nets ?? []))
        case let q as QoSPolicy:
            // Not a security policy: never translated (nor held); it shapes the QoS of the
            // local endpoints it selects.
            rules.setQoSPolicy(q.name, q)
        default:
            putPolicy(r)
        }
    }

    func delete(_ key: CalcKey) {
        let k = key.graphKey
        keptResources[k] = nil
        heldPolicies[k] = nil
        standIns.remove(k)
        switch key.kind {
        case WorkloadEndpoint.kindName: removeEndpoint(.workload(namespace: key.namespace ?? "default", name: key.name))
        case HostEndpoint.kindName: removeEndpoint(.host(name: key.name))
        case Profile.kindName: setProfile(key.name, nil)
        case FelixConfiguration.kindName: config.delete(name: key.name)
        case IPPool.kindName: routes.setPool(key.name, nil)
        case Node.kindName: routes.setNode(key.name, nil)
        case Tier.kindName: rules.setTier(key.name, nil)
        case NetworkSet.kindName, GlobalNetworkSet.kindName: setNetworkSet(k, nil)
        case QoSPolicy.kindName: rules.setQoSPolicy(key.name, nil)
        default: rules.setPolicy(k, nil)
        }
    }

    /// A policy of any kind (Kubernetes ones converted first); one that does not translate is held.
    func putPolicy(_ r: any CalicoResource) {
        let k = CalcKey(of: r).graphKey
        var converted: any CalicoResource = r
        if let knp = r as? KubernetesNetworkPolicy {
            converted = KubernetesPolicyConverter.convert(knp).0
        } else if let sknp = r as? StagedKubernetesNetworkPolicy {
            converted = KubernetesPolicyConverter.convert(sknp).0
        }
        do {
            rules.setPolicy(k, try PolicyTranslation.model(of: converted))
            heldPolicies[k] = nil
            standIns.remove(k)
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

    /// A policy whose current stored version cannot be used: kept at its last good version,
    /// or (none seen) replaced by its stand-in. Staged policies are never enforced, so an
    /// unusable one is only left out.
    func hold(_ k: String, kind: String, reason: String, standIn: () -> PolicyModel) {
        if PolicyStandIn.isStaged(kind) {
            rules.setPolicy(k, nil)
            keptResources[k] = "\(reason) (staged: left out)"
            return
        }
        heldPolicies[k] = reason
        if rules.policy(k) == nil || standIns.contains(k) {
            rules.setPolicy(k, standIn())
            standIns.insert(k)
        } else {
            rules.invalidate()
        }
    }

    func setEndpoint(_ record: EndpointRecord) {
        let id = record.id
        if let old = endpoints.records[id], old == record { return }
        let old = endpoints.set(id, record)
        endpointChanged(id, old: old, new: record)
    }

    func removeEndpoint(_ id: EndpointID) {
        guard let old = endpoints.set(id, nil) else { return }
        endpointChanged(id, old: old, new: nil)
    }

    private func endpointChanged(_ id: EndpointID, old: EndpointRecord?, new: EndpointRecord?) {
        ipSets.setEndpoint(id, new, labels: endpoints.labels[id])
        if computeRoutes, new?.routesDiffer(from: old) ?? true { routes.setEndpoint(id, new) }
        if endpoints.isLocal(old) || endpoints.isLocal(new) { rules.invalidate() }
    }

    func setProfile(_ name: String, _ profile: Profile?) {
        rules.setProfile(name, profile)
        // Endpoints inheriting its labels change their effective labels.
        for id in endpoints.setProfileLabels(name, profile?.spec.labelsToApply) {
            ipSets.setEndpoint(id, endpoints.records[id], labels: endpoints.labels[id])
        }
    }

    func setNetworkSet(_ key: String, _ value: (labels: [String: String], nets: [String])?) {
        ipSets.setNetworkSet(key, nets: value?.nets, labels: value.map { compiler.interner.labels($0.labels) })
    }

    // MARK: Output

    /// The dataplane updates since the last flush, in the sequencer's order.
    public func flush() -> [DataplaneUpdate] {
        var active: ActiveRules? = nil
        if rules.dirty {
            let local = endpoints.local.sorted().compactMap { id in endpoints.records[id].map { ($0, endpoints.labels[id]!) } }
            active = rules.recompute(local: local)
        }
        let sets = ipSets.flush(wanted: active?.ipSets)
        return sequencer.sequence(.init(config: config.resolved, ipSets: sets, rules: active,
                                        cluster: computeRoutes ? routes.flush() : [], inSync: inSync))
    }
}

extension CalcGraph {
    /// A canonical text of everything sent so far (for order-independence checks).
    func stateFingerprint() -> String {
        var lines: [String] = []
        for (id, v) in ipSets.emitted.sorted(by: { $0.key < $1.key }) { lines.append("ipset \(id) \(v.sorted())") }
        for (id, p) in sequencer.sentPolicies.sorted(by: { $0.key < $1.key }) { lines.append("policy \(id) \(p)") }
        for (n, p) in sequencer.sentProfiles.sorted(by: { $0.key < $1.key }) { lines.append("profile \(n) \(p.inbound) \(p.outbound)") }
        for (id, e) in sequencer.sentEndpoints.sorted(by: { $0.key < $1.key }) {
            var plain = e
            plain.qosSources = [:]
            lines.append("endpoint \(id) \(plain) qos from \(e.qosSources.sorted { $0.key < $1.key })")
        }
        return lines.joined(separator: "\n")
    }
}
