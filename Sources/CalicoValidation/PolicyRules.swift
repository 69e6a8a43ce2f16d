import CalicoAPI

enum PolicyRules {

    static func validate(_ f: PolicyFields, into p: inout Problems) {
        let spec = FieldPath("spec")
        let specName = f.isGlobal ? "GlobalNetworkPolicySpec" : "NetworkPolicySpec"
        if let tier = f.tier, !tier.isEmpty, !Formats.isName(tier) {
            p.tag(spec["tier"], tier, "tier must be a DNS-1123 name", tag: "name")
        }
        // Upstream's global() checks print the policy selector for all three fields of a GNP.
        let selectorValue = f.selector ?? ""
        if let s = f.selector {
            RuleRules.selector(s, path: spec["selector"], allowGlobal: false, globalUpstream: ("\(specName).Selector", s), into: &p)
        }
        if let s = f.serviceAccountSelector {
            RuleRules.selector(s, path: spec["serviceAccountSelector"], allowGlobal: false,
                               globalUpstream: ("\(specName).ServiceAccountSelector", f.isGlobal ? selectorValue : s), into: &p)
        }
        if let s = f.namespaceSelector {
            RuleRules.selector(s, path: spec["namespaceSelector"], allowGlobal: false,
                               globalUpstream: ("\(specName).NamespaceSelector", selectorValue), into: &p)
        }
        if let types = f.types {
            var seen = Set<PolicyType>()
            for (i, t) in types.enumerated() where !seen.insert(t).inserted {
                p.report(spec["types"][i], t.rawValue, "policy type is repeated", as: "\(specName).Types",
                         "'\(t.rawValue)' type specified more than once", upstreamValue: Upstream.list(types.map(\.rawValue)))
            }
        }
        if let hints = f.performanceHints {
            var seen = Set<String>()
            for (i, h) in hints.enumerated() {
                if h != "AssumeNeededOnEveryNode" {
                    p.tag(spec["performanceHints"][i], h, "unknown performance hint; only AssumeNeededOnEveryNode is supported", tag: "oneof")
                }
                if !seen.insert(h).inserted {
                    p.tag(spec["performanceHints"][i], h, "performance hint is repeated", tag: "unique",
                          field: "PerformanceHints", upstreamValue: Upstream.list(hints))
                }
            }
        }
        for (i, rule) in (f.ingress ?? []).enumerated() {
            RuleRules.validate(rule, direction: .ingress, path: spec["ingress"][i], into: &p)
            if let svc = rule.destination?.services {
                p.report(spec["ingress"][i]["destination"]["services"], nil, "destination services are not allowed in ingress rules",
                         as: "Services", "not allowed in ingress rule destination", upstreamValue: Upstream.services(svc))
            }
            if f.isGlobal, let svc = rule.source?.services, (svc.namespace ?? "").isEmpty {
                p.report(spec["ingress"][i]["source"]["services"]["namespace"], nil, "a services match in a global policy must set namespace",
                         as: "Namespace", "must specify a namespace")
            }
        }
        for (i, rule) in (f.egress ?? []).enumerated() {
            RuleRules.validate(rule, direction: .egress, path: spec["egress"][i], into: &p)
            if let svc = rule.source?.services {
                p.report(spec["egress"][i]["source"]["services"], nil, "source services are not allowed in egress rules",
                         as: "Services", "not allowed in egress rule source", upstreamValue: Upstream.services(svc))
            }
            if let http = rule.http {
                p.report(spec["egress"][i]["http"], nil, "http match is not allowed in egress rules", as: "HTTP",
                         f.isGlobal ? "not allowed in egress rules" : "not allowed in egress rule", upstreamValue: Upstream.http(http))
            }
            if f.isGlobal, let svc = rule.destination?.services, (svc.namespace ?? "").isEmpty {
                p.report(spec["egress"][i]["destination"]["services"]["namespace"], nil, "a services match in a global policy must set namespace",
                         as: "Namespace", "must specify a namespace")
            }
        }
        if f.isGlobal { validateGlobalFlags(f, spec: spec, into: &p) }
    }

    static func validateGlobalFlags(_ f: PolicyFields, spec: FieldPath, into p: inout Problems) {
        let preDNAT = f.preDNAT ?? false, doNotTrack = f.doNotTrack ?? false, applyOnForward = f.applyOnForward ?? false
        let forwardReason = "ApplyOnForward must be true if either PreDNAT or DoNotTrack is true, for a given PolicySpec"
        if preDNAT && doNotTrack {
            p.report(spec["preDNAT"], nil, "preDNAT and doNotTrack cannot both be true", as: "PolicySpec.PreDNAT",
                     "PreDNAT and DoNotTrack cannot both be true, for a given PolicySpec", upstreamValue: "true")
        }
        if preDNAT && !applyOnForward {
            p.report(spec["applyOnForward"], nil, "preDNAT requires applyOnForward: true", as: "PolicySpec.ApplyOnForward",
                     forwardReason, upstreamValue: "false")
        }
        if doNotTrack && !applyOnForward {
            p.report(spec["applyOnForward"], nil, "doNotTrack requires applyOnForward: true", as: "PolicySpec.ApplyOnForward",
                     forwardReason, upstreamValue: "false")
        }
        if preDNAT {
            if !(f.egress ?? []).isEmpty {
                p.report(spec["egress"], nil, "preDNAT policy cannot have egress rules", as: "PolicySpec.Egress",
                         "PreDNAT PolicySpec cannot have any Egress rules")
            }
            if let types = f.types, types.contains(.egress) {
                p.report(spec["types"], "Egress", "preDNAT policy cannot have Egress in types", as: "PolicySpec.Types",
                         "PreDNAT PolicySpec cannot have 'egress' Type", upstreamValue: Upstream.list(types.map(\.rawValue)))
            }
        }
    }

    /// For staged policies with `stagedAction: Delete`: everything but tier must be empty.
    /// Upstream reports this once, for the whole spec.
    static func validateStagedDelete(_ f: PolicyFields, into p: inout Problems) {
        let spec = FieldPath("spec")
        let set: [(String, Bool)] = [
            ("order", f.order != nil), ("selector", !(f.selector ?? "").isEmpty), ("types", !(f.types ?? []).isEmpty),
            ("ingress", !(f.ingress ?? []).isEmpty), ("egress", !(f.egress ?? []).isEmpty),
            ("serviceAccountSelector", !(f.serviceAccountSelector ?? "").isEmpty),
            ("namespaceSelector", !(f.namespaceSelector ?? "").isEmpty), ("performanceHints", !(f.performanceHints ?? []).isEmpty),
            ("doNotTrack", f.doNotTrack ?? false), ("preDNAT", f.preDNAT ?? false), ("applyOnForward", f.applyOnForward ?? false),
        ]
        let name = f.isGlobal ? "StagedGlobalNetworkPolicySpec" : "StagedNetworkPolicySpec"
        for (field, isSet) in set where isSet {
            p.report(spec[field], nil, "must be empty when stagedAction is Delete", as: name,
                     "Spec fields, except Tier, should all be zero-value if stagedAction is Delete")
        }
    }

    static func validateTier(_ tier: Tier, into p: inout Problems) {
        if let forced = Tier.reservedOrders[tier.name], let order = tier.spec.order, order != forced {
            p.report(FieldPath("spec")["order"], formatDouble(order), "tier \(tier.name) must have order \(formatDouble(forced))",
                     as: "TierSpec.Order", "\(tier.name) tier order must be \(Upstream.float(forced))", upstreamValue: Upstream.float(order))
        }
    }
}
