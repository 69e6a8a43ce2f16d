import CalicoAPI
import CalicoSelector

/// What the active rules are at one moment: policies and profiles in use on this node, the
/// local endpoints with their tiers, and the IP sets the rules need.
struct ActiveRules {
    var policies: [PolicyID: ActivePolicy] = [:]
    var profiles: [String: ActiveProfile] = [:]
    var endpoints: [EndpointID: EndpointUpdate] = [:]
    var ipSets: Set<IPSetSpec> = []
}

struct ActiveProfile: Equatable {
    var inbound: [ParsedRule]
    var outbound: [ParsedRule]
}

/// Which policies and profiles are active on this node and their parsed rules (upstream's
/// active-rules calculator and rule scanner): a policy is active when it selects a local
/// endpoint (or is needed on every node), a profile when a local endpoint names it.
/// Recomputed when policies, tiers, profiles or local endpoints change; matches and parsed
/// rules of unchanged inputs are reused.
final class ActiveRulesCalculator {
    private let compiler: SelectorCompiler
    /// Policies by graph key.
    private(set) var policies: [String: PolicyModel] = [:]
    private var tiers: [String: Tier] = [:]
    private var profiles: [String: Profile] = [:]
    /// QoSPolicies by name.
    private var qosPolicies: [String: QoSPolicy] = [:]
    /// Inputs changed since the last recompute.
    private(set) var dirty = true
    /// Policies and profiles left out at the last recompute, with the reason, by graph key.
    private(set) var skipped: [String: String] = [:]

    /// Policy matches of local endpoints from the last recompute.
    private var matchCache: [EndpointID: (record: EndpointRecord, labels: InternedLabels, indices: [Int])] = [:]
    private var lastKeys: [PolicyID] = []
    private var lastSelectors: [Selector] = []
    /// Rules of active policies as parsed last time, with the IP sets they need.
    private var parsed: [PolicyID: (model: PolicyModel, active: ActivePolicy, sets: Set<IPSetSpec>)] = [:]

    init(compiler: SelectorCompiler) {
        self.compiler = compiler
    }

    func policy(_ key: String) -> PolicyModel? { policies[key] }

    func setPolicy(_ key: String, _ model: PolicyModel?) {
        policies[key] = model
        dirty = true
    }

    func setTier(_ name: String, _ tier: Tier?) {
        tiers[name] = tier
        dirty = true
    }

    func setProfile(_ name: String, _ profile: Profile?) {
        profiles[name] = profile
        dirty = true
    }

    func setQoSPolicy(_ name: String, _ policy: QoSPolicy?) {
        qosPolicies[name] = policy
        dirty = true
    }

    /// Something the result depends on changed outside the policies, tiers and profiles
    /// (local endpoints, or a held policy's reason).
    func invalidate() { dirty = true }

    /// The active rules for these local endpoints (with their interned effective labels).
    func recompute(local: [(EndpointRecord, InternedLabels)]) -> ActiveRules {
        dirty = false
        skipped = [:]
        let resolver = PolicyResolver(tiers: tiers)
        var usable: [PolicyModel] = []
        for (k, p) in policies.sorted(by: { $0.key < $1.key }) {
            if resolver.tierOrder(p.tier) == nil {
                skipped[k] = "policy \(p.id.name) skipped: tier \(p.tier) does not exist"
                continue
            }
            usable.append(p)
        }
        // Selectors apart from the (large) models, so matching copies nothing.
        let selectors = usable.map { compiler.compile($0.selector) }
        var active: [PolicyID: PolicyModel] = [:]
        for p in usable where p.assumeNeededOnEveryNode { active[p.id] = p }
        var out = ActiveRules()
        var profileNames = Set<String>()
        // Which policies select which local endpoint is kept while neither the endpoint (and
        // its labels) nor any policy's selector changed: a rule edit re-matches nothing.
        let keys = usable.map(\.id)
        let usableSelectors = usable.map(\.selector)
        let selectorsSame = keys == lastKeys && usableSelectors == lastSelectors
        let qos = qosPolicies.values.compactMap { q in
            (try? Selector.parse(q.spec.selector ?? "")).map { (q, compiler.compile($0)) }
        }
        var newMatches: [EndpointID: (record: EndpointRecord, labels: InternedLabels, indices: [Int])] = [:]
        for (e, l) in local {
            let indices: [Int]
            if selectorsSame, let c = matchCache[e.id], c.record === e, c.labels == l {
                indices = c.indices
            } else {
                indices = selectors.indices.filter { selectors[$0].matches(l, interner: compiler.interner) }
            }
            newMatches[e.id] = (e, l, indices)
            let matching = indices.map { usable[$0] }
            for p in matching { active[p.id] = p }
            profileNames.formUnion(e.profileIDs)
            var update = resolver.endpointUpdate(e, matching: matching)
            let qosMatching = qos.filter { $0.1.matches(l, interner: compiler.interner) }.map(\.0)
            let effective = QoSPolicyResolver.resolve(endpoint: e.qos, matching: qosMatching)
            update.qosControls = effective?.controls
            update.qosSources = effective?.sources ?? [:]
            out.endpoints[e.id] = update
        }
        matchCache = newMatches
        lastKeys = keys
        lastSelectors = usableSelectors
        for (id, p) in active {
            let (ap, sets) = parse(id, p)
            out.policies[id] = ap
            out.ipSets.formUnion(sets)
        }
        parsed = parsed.filter { active[$0.key] != nil }
        for name in profileNames { out.profiles[name] = profile(name, sets: &out.ipSets) }
        return out
    }

    /// A policy's parsed rules; parsing (canonical selectors, hashes) is the costly part, so
    /// it is reused while the policy is unchanged.
    private func parse(_ id: PolicyID, _ p: PolicyModel) -> (ActivePolicy, Set<IPSetSpec>) {
        if let c = parsed[id], c.model == p { return (c.active, c.sets) }
        var sets = Set<IPSetSpec>()
        let inbound = p.inbound.enumerated().map { RuleParser.parse($1, index: $0, owner: "\(id)/in", sets: &sets) }
        let outbound = p.outbound.enumerated().map { RuleParser.parse($1, index: $0, owner: "\(id)/out", sets: &sets) }
        let ap = ActivePolicy(
            namespace: p.namespace, inbound: p.types.contains(.ingress) ? inbound : [],
            outbound: p.types.contains(.egress) ? outbound : [], untracked: p.doNotTrack, preDNAT: p.preDNAT,
            staged: p.staged, originalSelector: p.originalSelector)
        parsed[id] = (p, ap, sets)
        return (ap, sets)
    }

    /// A profile's rules; a missing profile, or one whose rules do not translate, denies
    /// everything (fail closed).
    private func profile(_ name: String, sets: inout Set<IPSetSpec>) -> ActiveProfile {
        if let prof = profiles[name] {
            do {
                let inbound = try PolicyTranslation.rules(prof.spec.ingress, namespace: nil).enumerated()
                    .map { RuleParser.parse($1, index: $0, owner: "profile/\(name)/in", sets: &sets) }
                let outbound = try PolicyTranslation.rules(prof.spec.egress, namespace: nil).enumerated()
                    .map { RuleParser.parse($1, index: $0, owner: "profile/\(name)/out", sets: &sets) }
                return ActiveProfile(inbound: inbound, outbound: outbound)
            } catch {
                skipped[CalcKey(Profile.self, name: name).graphKey] = "profile \(name) has a bad selector (\(error)); denying all"
            }
        }
        return ActiveProfile(inbound: [ParsedRule(action: "deny")], outbound: [ParsedRule(action: "deny")])
    }
}
