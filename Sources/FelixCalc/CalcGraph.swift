import CalicoAPI
import CalicoSelector

/// An input to the graph: a resource written or deleted, or the datastore being in sync.
public enum CalcEvent: Sendable {
    case put(any CalicoResource)
    case delete(kind: String, namespace: String?, name: String)
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

    struct EndpointRecord: Equatable {
        var id: EndpointID
        var node: String
        var interfaceName: String
        var mac: String?
        var labels: [String: String]
        var profileIDs: [String]
        var ipv4: [String]
        var ipv6: [String]
        var ports: [(name: String, proto: String, port: Int)]
        var qos: QoSControls?
        var isHost: Bool

        static func == (a: EndpointRecord, b: EndpointRecord) -> Bool {
            a.id == b.id && a.node == b.node && a.interfaceName == b.interfaceName && a.mac == b.mac && a.labels == b.labels
                && a.profileIDs == b.profileIDs && a.ipv4 == b.ipv4 && a.ipv6 == b.ipv6 && a.qos == b.qos && a.isHost == b.isHost
                && a.ports.map { "\($0.name)/\($0.proto)/\($0.port)" } == b.ports.map { "\($0.name)/\($0.proto)/\($0.port)" }
        }
    }

    var endpoints: [EndpointID: EndpointRecord] = [:]
    var profiles: [String: Profile] = [:]
    var policies: [String: PolicyModel] = [:]
    var tiers: [String: Tier] = [:]
    var networkSets: [String: (labels: [String: String], nets: [String])] = [:]
    /// Resources left out, with the reason (for logs and `--dump`).
    public private(set) var skipped: [String: String] = [:]
    var inSync = false
    var sentInSync = false

    // What was emitted last.
    var sentIPSets: [String: (IPSetType, Set<String>)] = [:]
    var sentPolicies: [PolicyID: ActivePolicy] = [:]
    var sentProfiles: [String: ([ParsedRule], [ParsedRule])] = [:]
    var sentEndpoints: [EndpointID: EndpointUpdate] = [:]

    public init(hostname: String) { self.hostname = hostname }

    static func key(_ kind: String, _ ns: String?, _ name: String) -> String { "\(kind)/\(ns ?? "")/\(name)" }

    // MARK: Input

    public func apply(_ event: CalcEvent) {
        switch event {
        case .inSync:
            inSync = true
        case .put(let r):
            put(r)
        case let .delete(kind, ns, name):
            let k = Self.key(kind, ns, name)
            skipped[k] = nil
            switch kind {
            case WorkloadEndpoint.kindName: endpoints[.workload(namespace: ns ?? "default", name: name)] = nil
            case HostEndpoint.kindName: endpoints[.host(name: name)] = nil
            case Profile.kindName: profiles[name] = nil
            case Tier.kindName: tiers[name] = nil
            case NetworkSet.kindName, GlobalNetworkSet.kindName: networkSets[k] = nil
            default: policies[k] = nil
            }
        }
    }

    func put(_ r: any CalicoResource) {
        let k = Self.key(r.apiVersion == "networking.k8s.io/v1" ? "KubernetesNetworkPolicy" : r.kind, r.metadata.namespace, r.name)
        skipped[k] = nil
        switch r {
        case let w as WorkloadEndpoint:
            let s = w.spec
            let ns = w.metadata.namespace ?? "default"
            var labels = w.metadata.labels ?? [:]
            labels[PolicyTranslation.namespaceLabel] = ns
            if let sa = s.serviceAccountName, !sa.isEmpty { labels[PolicyTranslation.serviceAccountLabel] = sa }
            let nets = (s.ipNetworks ?? []).compactMap { IPNet($0) }
            endpoints[.workload(namespace: ns, name: w.name)] = EndpointRecord(
                id: .workload(namespace: ns, name: w.name), node: s.node ?? "", interfaceName: s.interfaceName ?? "", mac: s.mac,
                labels: labels, profileIDs: s.profiles ?? [],
                ipv4: nets.filter { $0.family == .v4 }.map { "\($0.address)/32" }, ipv6: nets.filter { $0.family == .v6 }.map { "\($0.address)/128" },
                ports: (s.ports ?? []).compactMap { p in
                    guard let name = p.name, let port = p.port else { return nil }
                    return (name, RuleParser.proto(p.protocol) ?? "tcp", port)
                }, qos: s.qosControls, isHost: false)
        case let h as HostEndpoint:
            let s = h.spec
            let ips = (s.expectedIPs ?? []).compactMap { IPAddress($0) }
            endpoints[.host(name: h.name)] = EndpointRecord(
                id: .host(name: h.name), node: s.node ?? "", interfaceName: s.interfaceName ?? "", mac: nil,
                labels: h.metadata.labels ?? [:], profileIDs: s.profiles ?? [],
                ipv4: ips.filter { $0.family == .v4 }.map { "\($0)/32" }, ipv6: ips.filter { $0.family == .v6 }.map { "\($0)/128" },
                ports: (s.ports ?? []).compactMap { p in
                    guard let name = p.name, let port = p.port else { return nil }
                    return (name, RuleParser.proto(p.protocol) ?? "tcp", port)
                }, qos: nil, isHost: true)
        case let p as Profile:
            profiles[p.name] = p
        case let t as Tier:
            tiers[t.name] = t
        case let n as NetworkSet:
            var labels = n.metadata.labels ?? [:]
            labels[PolicyTranslation.namespaceLabel] = n.metadata.namespace ?? "default"
            networkSets[k] = (labels, n.spec.nets ?? [])
        case let n as GlobalNetworkSet:
            networkSets[k] = (n.metadata.labels ?? [:], n.spec.nets ?? [])
        default:
            do {
                let model: PolicyModel?
                if let knp = r as? KubernetesNetworkPolicy {
                    model = try PolicyTranslation.model(of: KubernetesPolicyConverter.convert(knp).0)
                } else if let sknp = r as? StagedKubernetesNetworkPolicy {
                    model = try PolicyTranslation.model(of: KubernetesPolicyConverter.convert(sknp).0)
                } else {
                    model = try PolicyTranslation.model(of: r)
                }
                if let model { policies[k] = model } else { policies[k] = nil }
            } catch {
                policies[k] = nil
                skipped[k] = "\(r.kind) \(r.metadata.namespace.map { "\($0)/" } ?? "")\(r.name) skipped: \(error)"
            }
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
            return TierOrder(order: t.spec.order ?? Self.builtinOrder(name), name: name, defaultAction: (t.spec.defaultAction ?? .deny).rawValue)
        }
        switch name {
        case "default": return TierOrder(order: 1_000_000, name: name, defaultAction: "Deny")
        case "adminnetworkpolicy": return TierOrder(order: 1000, name: name, defaultAction: "Pass")
        case "baselineadminnetworkpolicy": return TierOrder(order: 10_000_000, name: name, defaultAction: "Pass")
        default: return nil
        }
    }

    static func builtinOrder(_ name: String) -> Double {
        switch name {
        case "adminnetworkpolicy": return 1000
        case "baselineadminnetworkpolicy": return 10_000_000
        default: return 1_000_000
        }
    }

    struct Desired {
        var ipSets: [String: (IPSetType, Set<String>)] = [:]
        var policies: [PolicyID: ActivePolicy] = [:]
        var profiles: [String: ([ParsedRule], [ParsedRule])] = [:]
        var endpoints: [EndpointID: EndpointUpdate] = [:]
    }

    func desired() -> Desired {
        var d = Desired()
        // Policies whose tier exists; others skipped with a reason.
        var usable: [PolicyModel] = []
        for (k, p) in policies.sorted(by: { $0.key < $1.key }) {
            if tierOrder(p.tier) == nil {
                skipped[k] = "policy \(p.id.name) skipped: tier \(p.tier) does not exist"
                continue
            }
            usable.append(p)
        }
        let local = endpoints.values.filter { $0.node == hostname }.sorted { $0.id < $1.id }
        var active: [PolicyID: PolicyModel] = [:]
        for p in usable where p.assumeNeededOnEveryNode { active[p.id] = p }
        var profileNames = Set<String>()
        for e in local {
            let labels = effectiveLabels(e)
            let matching = usable.filter { $0.selector.matches(labels) }
            for p in matching { active[p.id] = p }
            profileNames.formUnion(e.profileIDs)
            d.endpoints[e.id] = endpointUpdate(e, matching)
        }
        var specs = Set<IPSetSpec>()
        for (id, p) in active {
            let inbound = p.inbound.enumerated().map { RuleParser.parse($1, index: $0, owner: "\(id)/in", sets: &specs) }
            let outbound = p.outbound.enumerated().map { RuleParser.parse($1, index: $0, owner: "\(id)/out", sets: &specs) }
            d.policies[id] = ActivePolicy(
                namespace: p.namespace, inbound: p.types.contains(.ingress) ? inbound : [],
                outbound: p.types.contains(.egress) ? outbound : [], untracked: p.doNotTrack, preDNAT: p.preDNAT,
                staged: p.staged, originalSelector: p.originalSelector)
        }
        for name in profileNames {
            if let prof = profiles[name] {
                do {
                    let inbound = try PolicyTranslation.rules(prof.spec.ingress, namespace: nil).enumerated()
                        .map { RuleParser.parse($1, index: $0, owner: "profile/\(name)/in", sets: &specs) }
                    let outbound = try PolicyTranslation.rules(prof.spec.egress, namespace: nil).enumerated()
                        .map { RuleParser.parse($1, index: $0, owner: "profile/\(name)/out", sets: &specs) }
                    d.profiles[name] = (inbound, outbound)
                    continue
                } catch {
                    skipped[Self.key("Profile", nil, name)] = "profile \(name) has a bad selector (\(error)); denying all"
                }
            }
            // A missing profile denies everything (fail closed).
            d.profiles[name] = ([ParsedRule(action: "deny")], [ParsedRule(action: "deny")])
        }
        for spec in specs { d.ipSets[spec.id] = (spec.type, members(spec)) }
        return d
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

    /// Members of an IP set over every endpoint and network set; CIDRs covered by a broader
    /// member of the same set are left out (nft interval sets reject overlaps).
    func members(_ spec: IPSetSpec) -> Set<String> {
        var out = Set<String>()
        switch spec {
        case .selector(let sel):
            for e in endpoints.values where sel.matches(effectiveLabels(e)) {
                out.formUnion(e.ipv4)
                out.formUnion(e.ipv6)
            }
            for n in networkSets.values where sel.matches(n.labels) {
                for net in n.nets { if let parsed = IPNet(net) { out.insert(parsed.network.description) } }
            }
            return CIDRCoverage.removeCovered(out)
        case let .namedPort(sel, proto, name):
            for e in endpoints.values where sel.matches(effectiveLabels(e)) {
                for p in e.ports where p.name == name && p.proto == proto {
                    for ip in e.ipv4 + e.ipv6 {
                        out.insert("\(ip.split(separator: "/")[0]),\(proto):\(p.port)")
                    }
                }
            }
            return out
        }
    }

    // MARK: Output

    public func flush() -> [DataplaneUpdate] {
        let d = desired()
        var adds: [DataplaneUpdate] = []
        var removes: [DataplaneUpdate] = []
        for id in d.ipSets.keys.sorted() {
            let (type, members) = d.ipSets[id]!
            if let (_, old) = sentIPSets[id] {
                let added = members.subtracting(old), removed = old.subtracting(members)
                if !added.isEmpty || !removed.isEmpty {
                    adds.append(.ipSetDelta(id: id, added: added.sorted(), removed: removed.sorted()))
                }
            } else {
                adds.append(.ipSetUpdate(id: id, type: type, members: members.sorted()))
            }
        }
        for id in d.policies.keys.sorted() where sentPolicies[id] != d.policies[id] {
            adds.append(.activePolicyUpdate(id, d.policies[id]!))
        }
        for name in d.profiles.keys.sorted() {
            let new = d.profiles[name]!
            if let old = sentProfiles[name], old.0 == new.0, old.1 == new.1 { continue }
            adds.append(.activeProfileUpdate(name: name, inbound: new.0, outbound: new.1))
        }
        for id in d.endpoints.keys.sorted() where sentEndpoints[id] != d.endpoints[id] {
            adds.append(.endpointUpdate(d.endpoints[id]!))
        }
        for id in sentEndpoints.keys.sorted() where d.endpoints[id] == nil { removes.append(.endpointRemove(id)) }
        for name in sentProfiles.keys.sorted() where d.profiles[name] == nil { removes.append(.activeProfileRemove(name: name)) }
        for id in sentPolicies.keys.sorted() where d.policies[id] == nil { removes.append(.activePolicyRemove(id)) }
        for id in sentIPSets.keys.sorted() where d.ipSets[id] == nil { removes.append(.ipSetRemove(id: id)) }
        sentIPSets = d.ipSets
        sentPolicies = d.policies
        sentProfiles = d.profiles
        sentEndpoints = d.endpoints
        var out = adds + removes
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
        for (id, v) in sentIPSets.sorted(by: { $0.key < $1.key }) { lines.append("ipset \(id) \(v.0) \(v.1.sorted())") }
        for (id, p) in sentPolicies.sorted(by: { $0.key < $1.key }) { lines.append("policy \(id) \(p)") }
        for (n, p) in sentProfiles.sorted(by: { $0.key < $1.key }) { lines.append("profile \(n) \(p.0) \(p.1)") }
        for (id, e) in sentEndpoints.sorted(by: { $0.key < $1.key }) { lines.append("endpoint \(id) \(e)") }
        return lines.joined(separator: "\n")
    }
}
