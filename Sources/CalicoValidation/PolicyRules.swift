import CalicoAPI

enum PolicyRules {

    static func validate(_ f: PolicyFields, into p: inout Problems) {
        let spec = FieldPath("spec")
        if let tier = f.tier, !tier.isEmpty, !Formats.isName(tier) {
            p.add(spec["tier"], tier, "tier must be a DNS-1123 name")
        }
        if let s = f.selector { RuleRules.selector(s, path: spec["selector"], allowGlobal: false, into: &p) }
        if let s = f.serviceAccountSelector { RuleRules.selector(s, path: spec["serviceAccountSelector"], allowGlobal: false, into: &p) }
        if let s = f.namespaceSelector { RuleRules.selector(s, path: spec["namespaceSelector"], allowGlobal: false, into: &p) }
        if let types = f.types {
            var seen = Set<PolicyType>()
            for (i, t) in types.enumerated() where !seen.insert(t).inserted {
                p.add(spec["types"][i], t.rawValue, "policy type is repeated")
            }
        }
        if let hints = f.performanceHints {
            var seen = Set<String>()
            for (i, h) in hints.enumerated() {
                if h != "AssumeNeededOnEveryNode" { p.add(spec["performanceHints"][i], h, "unknown performance hint; only AssumeNeededOnEveryNode is supported") }
                if !seen.insert(h).inserted { p.add(spec["performanceHints"][i], h, "performance hint is repeated") }
            }
        }
        for (i, rule) in (f.ingress ?? []).enumerated() {
            RuleRules.validate(rule, direction: .ingress, path: spec["ingress"][i], into: &p)
            if rule.destination?.services != nil {
                p.add(spec["ingress"][i]["destination"]["services"], "destination services are not allowed in ingress rules")
            }
            if f.isGlobal, let svc = rule.source?.services, (svc.namespace ?? "").isEmpty {
                p.add(spec["ingress"][i]["source"]["services"]["namespace"], "a services match in a global policy must set namespace")
            }
        }
        for (i, rule) in (f.egress ?? []).enumerated() {
            RuleRules.validate(rule, direction: .egress, path: spec["egress"][i], into: &p)
            if rule.source?.services != nil {
                p.add(spec["egress"][i]["source"]["services"], "source services are not allowed in egress rules")
            }
            if rule.http != nil { p.add(spec["egress"][i]["http"], "http match is not allowed in egress rules") }
            if f.isGlobal, let svc = rule.destination?.services, (svc.namespace ?? "").isEmpty {
                p.add(spec["egress"][i]["destination"]["services"]["namespace"], "a services match in a global policy must set namespace")
            }
        }
        if f.isGlobal {
            let preDNAT = f.preDNAT ?? false, doNotTrack = f.doNotTrack ?? false, applyOnForward = f.applyOnForward ?? false
            if preDNAT && doNotTrack { p.add(spec["preDNAT"], "preDNAT and doNotTrack cannot both be true") }
            if preDNAT && !applyOnForward { p.add(spec["applyOnForward"], "preDNAT requires applyOnForward: true") }
            if doNotTrack && !applyOnForward { p.add(spec["applyOnForward"], "doNotTrack requires applyOnForward: true") }
            if preDNAT {
                if !(f.egress ?? []).isEmpty { p.add(spec["egress"], "preDNAT policy cannot have egress rules") }
                if (f.types ?? []).contains(.egress) { p.add(spec["types"], "Egress", "preDNAT policy cannot have Egress in types") }
            }
        }
    }

    /// For staged policies with `stagedAction: Delete`: everything but tier must be empty.
    static func validateStagedDelete(_ f: PolicyFields, into p: inout Problems) {
        let spec = FieldPath("spec")
        let set: [(String, Bool)] = [
            ("order", f.order != nil), ("selector", !(f.selector ?? "").isEmpty), ("types", !(f.types ?? []).isEmpty),
            ("ingress", !(f.ingress ?? []).isEmpty), ("egress", !(f.egress ?? []).isEmpty),
            ("serviceAccountSelector", !(f.serviceAccountSelector ?? "").isEmpty),
            ("namespaceSelector", !(f.namespaceSelector ?? "").isEmpty), ("performanceHints", !(f.performanceHints ?? []).isEmpty),
            ("doNotTrack", f.doNotTrack ?? false), ("preDNAT", f.preDNAT ?? false), ("applyOnForward", f.applyOnForward ?? false),
        ]
        for (field, isSet) in set where isSet {
            p.add(spec[field], "must be empty when stagedAction is Delete")
        }
    }

    static func validateTier(_ tier: Tier, into p: inout Problems) {
        if let forced = Tier.reservedOrders[tier.name], let order = tier.spec.order, order != forced {
            p.add(FieldPath("spec")["order"], formatDouble(order), "tier \(tier.name) must have order \(formatDouble(forced))")
        }
    }
}
