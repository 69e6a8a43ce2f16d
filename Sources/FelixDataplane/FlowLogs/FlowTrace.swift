import FelixCalc
import GoldmaneAPI

/// A connection's enforced policy trace from the NFLOG prefixes its first packet met, in
/// order (pure): policy and profile rules become hits with their rule index; an end-of-tier
/// drop (`DPI|tier`) a hit of kind EndOfTier with rule index -1, triggered by the last
/// policy of that tier that applies to the endpoint; no profile matching (`DRI`) a profile
/// hit with rule index -1. `policy_index` counts the hits before each.
enum FlowTrace {
    static func hits(_ prefixes: [String], endpoint: EndpointUpdate, inbound: Bool, policies: [String: PolicyID],
                     staged: Set<PolicyID> = []) -> [Goldmane_PolicyHit] {
        var out: [Goldmane_PolicyHit] = []
        for p in prefixes {
            guard var h = hit(p, endpoint: endpoint, inbound: inbound, policies: policies, staged: staged) else { continue }
            h.policyIndex = Int64(out.count)
            out.append(h)
        }
        return out
    }

    static func action(_ c: Character) -> Goldmane_Action? {
        switch c {
        case "A": return .allow
        case "D": return .deny
        case "P": return .pass
        default: return nil
        }
    }

    /// A policy as a hit: kind, namespace and name from its stored name (`tier.name`,
    /// `ns/tier.name`, `ns/knp.default.name`, each possibly `staged:`).
    static func policy(_ id: PolicyID) -> Goldmane_PolicyHit {
        var h = Goldmane_PolicyHit()
        h.tier = id.tier
        var name = id.name
        if let slash = name.firstIndex(of: "/") {
            h.namespace = String(name[..<slash])
            name = String(name[name.index(after: slash)...])
        }
        let staged = name.hasPrefix("staged:")
        if staged { name = String(name.dropFirst("staged:".count)) }
        if name.hasPrefix("knp.default.") {
            h.kind = staged ? .stagedKubernetesNetworkPolicy : .networkPolicy
            h.name = String(name.dropFirst("knp.default.".count))
        } else {
            h.kind = h.namespace.isEmpty ? (staged ? .stagedGlobalNetworkPolicy : .globalNetworkPolicy)
                : (staged ? .stagedNetworkPolicy : .calicoNetworkPolicy)
            h.name = name.hasPrefix(id.tier + ".") ? String(name.dropFirst(id.tier.count + 1)) : name
        }
        return h
    }

    static func hit(_ prefix: String, endpoint: EndpointUpdate, inbound: Bool, policies: [String: PolicyID],
                    staged: Set<PolicyID>) -> Goldmane_PolicyHit? {
        let chars = Array(prefix)
        guard chars.count >= 3, let act = action(chars[0]) else { return nil }
        let parts = prefix.split(separator: "|", maxSplits: 1).map(String.init)
        let head = parts[0], name = parts.count > 1 ? parts[1] : ""
        let index = Int64(head.dropFirst(3)) ?? -1
        switch chars[1] {
        case "P" where index == -1:
            // End of tier: the last enforced policy of that tier for this endpoint triggered it.
            var h = Goldmane_PolicyHit()
            h.kind = .endOfTier
            h.tier = name
            h.action = act
            h.ruleIndex = -1
            let tier = endpoint.tiers.first { $0.name == name }
            if let last = (inbound ? tier?.ingressPolicies : tier?.egressPolicies)?.last(where: { !staged.contains($0) }) {
                var trigger = policy(last)
                trigger.action = act
                trigger.ruleIndex = -1
                h.trigger = trigger
            }
            return h
        case "P":
            guard let id = policies[name] else { return nil }
            var h = policy(id)
            h.action = act
            h.ruleIndex = index
            return h
        case "R":
            var h = Goldmane_PolicyHit()
            h.kind = .profile
            h.name = name
            h.action = act
            h.ruleIndex = index
            return h
        default:
            return nil
        }
    }
}
