/// Orders one flush's updates the way upstream's event sequencer does, and sends each only
/// when it differs from what was sent before:
///
/// 1. config, 2. new IP sets, 3. IP set member deltas, 4. policies, 5. profiles,
/// 6. endpoints added or changed; then 7. endpoints, 8. profiles, 9. policies removed,
/// 10. IP sets removed (after the rules that used them); 11. the cluster's pools, hosts,
/// tunnel endpoints and routes (`RouteCalculator`'s order); 12. in sync, once.
struct EventSequencer {
    private(set) var sentConfig: [String: String] = [:]
    private(set) var sentPolicies: [PolicyID: ActivePolicy] = [:]
    private(set) var sentProfiles: [String: ActiveProfile] = [:]
    private(set) var sentEndpoints: [EndpointID: EndpointUpdate] = [:]
    private var sentInSync = false

    struct Batch {
        var config: [String: String]
        var ipSets: (added: [DataplaneUpdate], deltas: [DataplaneUpdate], removed: [DataplaneUpdate])
        /// The active rules when they were recomputed in this flush.
        var rules: ActiveRules?
        var cluster: [DataplaneUpdate]
        var inSync: Bool
    }

    mutating func sequence(_ b: Batch) -> [DataplaneUpdate] {
        var out: [DataplaneUpdate] = []
        if b.config != sentConfig {
            out.append(.configUpdate(b.config))
            sentConfig = b.config
        }
        out += b.ipSets.added
        out += b.ipSets.deltas
        if let rules = b.rules {
            for id in rules.policies.keys.sorted() where sentPolicies[id] != rules.policies[id] {
                out.append(.activePolicyUpdate(id, rules.policies[id]!))
            }
            for name in rules.profiles.keys.sorted() where sentProfiles[name] != rules.profiles[name] {
                let p = rules.profiles[name]!
                out.append(.activeProfileUpdate(name: name, inbound: p.inbound, outbound: p.outbound))
            }
            for id in rules.endpoints.keys.sorted() where sentEndpoints[id] != rules.endpoints[id] {
                out.append(.endpointUpdate(rules.endpoints[id]!))
            }
            for id in sentEndpoints.keys.sorted() where rules.endpoints[id] == nil { out.append(.endpointRemove(id)) }
            for name in sentProfiles.keys.sorted() where rules.profiles[name] == nil { out.append(.activeProfileRemove(name: name)) }
            for id in sentPolicies.keys.sorted() where rules.policies[id] == nil { out.append(.activePolicyRemove(id)) }
            sentPolicies = rules.policies
            sentProfiles = rules.profiles
            sentEndpoints = rules.endpoints
        }
        out += b.ipSets.removed
        out += b.cluster
        if b.inSync && !sentInSync {
            out.append(.inSync)
            sentInSync = true
        }
        return out
    }
}
