import CalicoAPI
import CalicoSelector

/// A policy of any kind, normalised for the graph: tier, order, the endpoint selector with
/// namespace scoping applied, and its rules with their selectors translated.
struct PolicyModel: Sendable, Equatable {
    var id: PolicyID
    var tier: String
    var order: Double?
    /// Sort key within the tier (upstream's backend key).
    var sortName: String
    var namespace: String?
    var selector: Selector
    var originalSelector: String
    var types: [PolicyType]
    var inbound: [TranslatedRule]
    var outbound: [TranslatedRule]
    var doNotTrack: Bool
    var preDNAT: Bool
    var applyOnForward: Bool
    var staged: Bool
    var assumeNeededOnEveryNode: Bool
}

/// A rule whose selectors are final (namespace/service-account scoping applied).
struct TranslatedRule: Sendable, Equatable {
    var rule: Rule
    var srcSelector: Selector?
    var notSrcSelector: Selector?
    var dstSelector: Selector?
    var notDstSelector: Selector?
}

enum PolicyTranslationError: Error, CustomStringConvertible {
    case badSelector(String, SelectorError)
    /// A rule field Felix cannot enforce as written (field path, reason).
    case badField(String, String)
    var description: String {
        switch self {
        case let .badSelector(field, e): return "\(field): \(e)"
        case let .badField(field, reason): return "\(field): \(reason)"
        }
    }
}

/// Turns v3 policies into `PolicyModel`s (pure).
enum PolicyTranslation {
    static let namespaceLabel = "projectcalico.org/namespace"
    static let serviceAccountLabel = "projectcalico.org/serviceaccount"

    static func parse(_ text: String, _ field: String) throws -> Selector {
        do { return try Selector.parse(text) } catch { throw PolicyTranslationError.badSelector(field, error) }
    }

    /// `a && b` of canonical selectors (skipping empty ones).
    static func and(_ parts: [Expression]) -> Expression {
        let kept = parts.filter { $0 != .all }
        if kept.isEmpty { return .all }
        return kept.count == 1 ? kept[0] : .and(kept)
    }

    /// A namespace selector (over namespace labels) as an endpoint selector: labels get the
    /// `pcns.` prefix; `all()` = any namespaced endpoint; `global()` = non-namespaced only.
    static func namespaceExpression(_ sel: Selector) -> Expression {
        switch sel.expression {
        case .all: return .has(namespaceLabel)
        case .global: return .not(.has(namespaceLabel))
        default: return prefixed(sel.expression, "pcns.")
        }
    }

    static func prefixed(_ e: Expression, _ prefix: String) -> Expression {
        switch e {
        case .all, .global: return e
        case .has(let k): return .has(relabel(k, prefix))
        case let .equal(k, v): return .equal(relabel(k, prefix), v)
        case let .notEqual(k, v): return .notEqual(relabel(k, prefix), v)
        case let .contains(k, v): return .contains(relabel(k, prefix), v)
        case let .startsWith(k, v): return .startsWith(relabel(k, prefix), v)
        case let .endsWith(k, v): return .endsWith(relabel(k, prefix), v)
        case let .inSet(k, v): return .inSet(relabel(k, prefix), v)
        case let .notInSet(k, v): return .notInSet(relabel(k, prefix), v)
        case .not(let x): return .not(prefixed(x, prefix))
        case .and(let xs): return .and(xs.map { prefixed($0, prefix) })
        case .or(let xs): return .or(xs.map { prefixed($0, prefix) })
        }
    }

    /// The namespace's own name is matchable as `projectcalico.org/name`.
    static func relabel(_ key: String, _ prefix: String) -> String {
        key == "projectcalico.org/name" ? namespaceLabel : prefix + key
    }

    static func entity(_ e: EntityRule?, policyNamespace: String?, field: String = "") throws -> (Selector?, Selector?) {
        guard let e else { return (nil, nil) }
        let sel = try (e.selector ?? "").isEmpty ? nil : parse(e.selector!, "\(field).selector")
        let notSel = try (e.notSelector ?? "").isEmpty ? nil : parse(e.notSelector!, "\(field).notSelector")
        let nsSel = try e.namespaceSelector.map { try parse($0, "\(field).namespaceSelector") }
        let sa = e.serviceAccounts
        let uses = sel != nil || notSel != nil || nsSel != nil || sa != nil
        guard uses else { return (nil, nil) }
        var parts: [Expression] = []
        if let nsSel, !(e.namespaceSelector ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            parts.append(namespaceExpression(nsSel))
        } else if let ns = policyNamespace {
            parts.append(.equal(namespaceLabel, ns))
        }
        if let sel { parts.append(sel.expression) }
        if let sa {
            if let names = sa.names, !names.isEmpty { parts.append(.inSet(serviceAccountLabel, Array(Set(names)).sorted())) }
            if let s = sa.selector, !s.isEmpty { parts.append(prefixed(try parse(s, "\(field).serviceAccounts.selector").expression, "pcsa.")) }
        }
        // Only a notSelector (or nothing positive): no positive selector set at all.
        return (parts.isEmpty ? nil : Selector(and(parts)), notSel)
    }

    /// Rules with their selectors translated. A rule Felix cannot enforce as written (a
    /// selector that does not parse, a CIDR or protocol it does not know) throws, naming
    /// the field: dropping it, or the part of it, would widen what the policy allows.
    static func rules(_ rules: [Rule]?, namespace: String?, field: String = "rules") throws -> [TranslatedRule] {
        try (rules ?? []).enumerated().map { i, r in
            let path = "\(field)[\(i)]"
            try RuleCheck.check(r, path)
            let (src, notSrc) = try entity(r.source, policyNamespace: namespace, field: "\(path).source")
            let (dst, notDst) = try entity(r.destination, policyNamespace: namespace, field: "\(path).destination")
            return TranslatedRule(rule: r, srcSelector: src, notSrcSelector: notSrc, dstSelector: dst, notDstSelector: notDst)
        }
    }

    static func model(name given: String, namespace: String?, staged: Bool, _ f: PolicyFields) throws -> PolicyModel {
        let tier = (f.tier ?? "").isEmpty ? "default" : f.tier!
        var name = given
        if !name.contains(".") && !name.hasPrefix("knp.") { name = "\(tier).\(name)" }
        var parts: [Expression] = [try parse(f.selector ?? "", "spec.selector").expression]
        if let ns = namespace { parts.append(.equal(namespaceLabel, ns)) }
        if let s = f.serviceAccountSelector, !s.isEmpty { parts.append(prefixed(try parse(s, "spec.serviceAccountSelector").expression, "pcsa.")) }
        if let s = f.namespaceSelector, !s.isEmpty { parts.append(namespaceExpression(try parse(s, "spec.namespaceSelector"))) }
        let key = (staged ? "staged:" : "") + name
        let stored = namespace.map { "\($0)/\(key)" } ?? key
        return PolicyModel(
            id: PolicyID(tier: tier, name: stored), tier: tier, order: f.order, sortName: stored, namespace: namespace,
            selector: Selector(and(parts)), originalSelector: f.selector ?? "",
            types: PolicyType.defaulted(f.types, ingress: f.ingress, egress: f.egress),
            inbound: try rules(f.ingress, namespace: namespace, field: "spec.ingress"),
            outbound: try rules(f.egress, namespace: namespace, field: "spec.egress"),
            doNotTrack: f.doNotTrack ?? false, preDNAT: f.preDNAT ?? false, applyOnForward: f.applyOnForward ?? false, staged: staged,
            assumeNeededOnEveryNode: (f.performanceHints ?? []).contains("AssumeNeededOnEveryNode"))
    }

    /// The policy-level fields of any Calico policy resource.
    static func fields(of r: any CalicoResource) -> PolicyFields? {
        switch r {
        case let p as NetworkPolicy: return PolicyFields(p.spec)
        case let p as GlobalNetworkPolicy: return PolicyFields(p.spec)
        case let p as StagedNetworkPolicy: return PolicyFields(p.spec)
        case let p as StagedGlobalNetworkPolicy: return PolicyFields(p.spec)
        default: return nil
        }
    }

    /// The model of any policy resource, or nil for other kinds (and staged Delete, which
    /// previews a removal and is not sent).
    static func model(of r: any CalicoResource) throws -> PolicyModel? {
        switch r {
        case let p as NetworkPolicy:
            return try model(name: p.name, namespace: p.metadata.namespace ?? "default", staged: false, PolicyFields(p.spec))
        case let p as GlobalNetworkPolicy:
            return try model(name: p.name, namespace: nil, staged: false, PolicyFields(p.spec))
        case let p as StagedNetworkPolicy:
            if p.spec.stagedAction == .delete { return nil }
            return try model(name: p.name, namespace: p.metadata.namespace ?? "default", staged: true, PolicyFields(p.spec))
        case let p as StagedGlobalNetworkPolicy:
            if p.spec.stagedAction == .delete { return nil }
            return try model(name: p.name, namespace: nil, staged: true, PolicyFields(p.spec))
        default:
            return nil
        }
    }
}
