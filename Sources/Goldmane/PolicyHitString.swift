import GoldmaneAPI

/// A policy hit's string form (Felix's flow-log label, also Goldmane's statistics order):
/// `<policyIndex>|<tier>|<namePart>|<action>|<ruleIndex>`, namePart by kind — `tier.name`
/// (GlobalNetworkPolicy), `ns/tier.name` (CalicoNetworkPolicy), `ns/knp.default.name`
/// (Kubernetes), `ns/staged:knp.default.name`, `tier.staged:name`, `ns/tier.staged:name`,
/// `__PROFILE__.name` (tier `__PROFILE__`). Rule index -1 is the tier's end-of-tier action.
public enum PolicyHitString {
    public static func format(_ h: Goldmane_PolicyHit) -> String {
        let subject = h.kind == .endOfTier && h.hasTrigger ? h.trigger : h
        let tier = subject.kind == .profile ? "__PROFILE__" : h.tier
        return "\(h.policyIndex)|\(tier)|\(namePart(subject))|\(actionText(h.action))|\(h.ruleIndex)"
    }

    static func namePart(_ h: Goldmane_PolicyHit) -> String {
        switch h.kind {
        case .globalNetworkPolicy: return "\(h.tier).\(h.name)"
        case .calicoNetworkPolicy: return "\(h.namespace)/\(h.tier).\(h.name)"
        case .networkPolicy: return "\(h.namespace)/knp.default.\(h.name)"
        case .stagedKubernetesNetworkPolicy: return "\(h.namespace)/staged:knp.default.\(h.name)"
        case .stagedGlobalNetworkPolicy: return "\(h.tier).staged:\(h.name)"
        case .stagedNetworkPolicy: return "\(h.namespace)/\(h.tier).staged:\(h.name)"
        case .adminNetworkPolicy: return "kanp.adminnetworkpolicy.\(h.name)"
        case .baselineAdminNetworkPolicy: return "kbanp.baselineadminnetworkpolicy.\(h.name)"
        case .profile: return "__PROFILE__.\(h.name)"
        default: return h.name
        }
    }

    public static func actionText(_ a: Goldmane_Action) -> String {
        switch a {
        case .allow: return "allow"
        case .deny: return "deny"
        case .pass: return "pass"
        default: return "unspecified"
        }
    }

    /// Parses the string form; nil when it is not one.
    public static func parse(_ s: String) -> Goldmane_PolicyHit? {
        let parts = s.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, let pIndex = Int64(parts[0]), let rIndex = Int64(parts[4]) else { return nil }
        var subject = Goldmane_PolicyHit()
        let tier = parts[1], name = parts[2]
        var ns = "", rest = name
        if let slash = name.firstIndex(of: "/") {
            ns = String(name[..<slash])
            rest = String(name[name.index(after: slash)...])
        }
        if tier == "__PROFILE__" {
            guard rest.hasPrefix("__PROFILE__.") else { return nil }
            subject.kind = .profile
            subject.name = String(rest.dropFirst("__PROFILE__.".count))
        } else if rest.hasPrefix("staged:knp.default.") {
            subject.kind = .stagedKubernetesNetworkPolicy
            subject.name = String(rest.dropFirst("staged:knp.default.".count))
        } else if rest.hasPrefix("knp.default.") {
            subject.kind = .networkPolicy
            subject.name = String(rest.dropFirst("knp.default.".count))
        } else if rest.hasPrefix("kanp.adminnetworkpolicy.") {
            subject.kind = .adminNetworkPolicy
            subject.name = String(rest.dropFirst("kanp.adminnetworkpolicy.".count))
        } else if rest.hasPrefix("kbanp.baselineadminnetworkpolicy.") {
            subject.kind = .baselineAdminNetworkPolicy
            subject.name = String(rest.dropFirst("kbanp.baselineadminnetworkpolicy.".count))
        } else {
            guard rest.hasPrefix(tier + ".") else { return nil }
            let local = String(rest.dropFirst(tier.count + 1))
            let staged = local.hasPrefix("staged:")
            subject.name = staged ? String(local.dropFirst("staged:".count)) : local
            subject.kind = ns.isEmpty ? (staged ? .stagedGlobalNetworkPolicy : .globalNetworkPolicy)
                : (staged ? .stagedNetworkPolicy : .calicoNetworkPolicy)
        }
        subject.namespace = ns
        subject.tier = tier == "__PROFILE__" ? "" : tier
        let action: Goldmane_Action = switch parts[3] {
        case "allow": .allow
        case "deny": .deny
        case "pass": .pass
        default: .unspecified
        }
        guard action != .unspecified else { return nil }
        if rIndex == -1 {
            var h = Goldmane_PolicyHit()
            h.kind = .endOfTier
            h.tier = subject.tier
            h.action = action
            h.policyIndex = pIndex
            h.ruleIndex = -1
            h.trigger = subject
            return h
        }
        subject.action = action
        subject.policyIndex = pIndex
        subject.ruleIndex = rIndex
        return subject
    }
}
