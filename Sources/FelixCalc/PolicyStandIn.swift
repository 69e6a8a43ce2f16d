import CalicoAPI
import CalicoSelector

/// What Felix enforces for a policy whose stored version it cannot use and of which it has
/// no good version: the policy's own place (tier, order, scope, types) with no rules, so
/// what it selects is dropped at the end of its tier unless an earlier policy decided
/// (fail closed). Whatever of the place cannot be read is taken at its widest: a selector
/// that does not parse selects everything in the policy's scope, unknown types are both.
enum PolicyStandIn {
    static let policyKinds: Set<String> = [
        NetworkPolicy.kindName, GlobalNetworkPolicy.kindName, StagedNetworkPolicy.kindName, StagedGlobalNetworkPolicy.kindName,
        CalcGraph.kubernetesPolicyKind, StagedKubernetesNetworkPolicy.kindName,
    ]

    static func isPolicyKind(_ kind: String) -> Bool { policyKinds.contains(kind) }

    /// Staged policies are never enforced: an unusable one is only reported.
    static func isStaged(_ kind: String) -> Bool { kind.hasPrefix("Staged") }

    /// The stand-in for a policy known by its fields (it decoded, but does not translate).
    static func model(kind: String, namespace: String?, name: String, fields f: PolicyFields) -> PolicyModel {
        var place = f
        place.types = PolicyType.defaulted(f.types, ingress: f.ingress, egress: f.egress)
        place.ingress = nil
        place.egress = nil
        return model(kind: kind, namespace: namespace, name: name, place: place)
    }

    /// The stand-in for a policy known only by its key and, when it parses, its raw value.
    static func model(kind: String, namespace: String?, name: String, raw: Value?) -> PolicyModel {
        let spec = raw?["spec"]
        if kind == CalcGraph.kubernetesPolicyKind {
            var types: [PolicyType] = []
            if case let .sequence(items, _)? = spec?["policyTypes"] {
                types = items.compactMap { $0.scalarText.flatMap(PolicyType.init(rawValue:)) }
                if types.count != items.count { types = [] }
            }
            var place = PolicyFields(NetworkPolicySpec(tier: "default", order: 1000, selector: "all()",
                                                       types: types.isEmpty ? [.ingress, .egress] : types))
            place.isGlobal = false
            return model(kind: kind, namespace: namespace, name: KubernetesPolicyConverter.namePrefix + name, place: place)
        }
        var tier = spec?["tier"]?.scalarText ?? ""
        if tier.isEmpty { tier = name.contains(".") ? String(name.prefix { $0 != "." }) : "default" }
        var types: [PolicyType] = [.ingress, .egress]
        if case let .sequence(items, _)? = spec?["types"] {
            let read = items.compactMap { $0.scalarText.flatMap(PolicyType.init(rawValue:)) }
            if !read.isEmpty && read.count == items.count { types = read }
        }
        let order = spec?["order"]?.scalarText.flatMap(Value.plainDouble).flatMap { $0.isFinite ? $0 : nil }
        var place = PolicyFields(GlobalNetworkPolicySpec(tier: tier, order: order, selector: spec?["selector"]?.scalarText, types: types))
        place.isGlobal = namespace == nil
        place.serviceAccountSelector = spec?["serviceAccountSelector"]?.scalarText
        place.namespaceSelector = spec?["namespaceSelector"]?.scalarText
        place.doNotTrack = spec?["doNotTrack"]?.scalarText == "true"
        place.preDNAT = spec?["preDNAT"]?.scalarText == "true"
        place.applyOnForward = spec?["applyOnForward"]?.scalarText == "true"
        return model(kind: kind, namespace: namespace, name: name, place: place)
    }

    private static func model(kind: String, namespace: String?, name: String, place: PolicyFields) -> PolicyModel {
        var p = place
        // A selector that does not parse is taken as selecting everything in scope.
        func parses(_ s: String?) -> Bool { s.map { (try? Selector.parse($0)) != nil } ?? true }
        if !parses(p.selector) { p.selector = "all()" }
        if !parses(p.serviceAccountSelector) { p.serviceAccountSelector = nil }
        if !parses(p.namespaceSelector) { p.namespaceSelector = nil }
        p.performanceHints = nil
        // Cannot throw now: every selector parses and there are no rules.
        return (try? PolicyTranslation.model(name: name, namespace: namespace, staged: false, p))
            ?? PolicyModel(
                id: PolicyID(tier: p.tier ?? "default", name: name), tier: p.tier ?? "default", order: p.order, sortName: name,
                namespace: namespace, selector: .all, originalSelector: "all()", types: p.types ?? [.ingress, .egress],
                inbound: [], outbound: [], doNotTrack: false, preDNAT: false, applyOnForward: false, staged: false,
                assumeNeededOnEveryNode: false)
    }
}
