import CalicoAPI
import GoldmaneAPI

/// Whether a flow passes a `Filter` (pure), as Goldmane decides: OR within a field, AND across
/// fields, an empty field does not constrain; Exact compares, Fuzzy looks for a substring. A
/// flow named `pub` also matches `PUBLIC NETWORK`, `pvt` `PRIVATE NETWORK`, namespace `-`
/// matches `Global`. A policy match holds when any enforced or pending hit has every field the
/// match sets. swift-calico's IP filters take an address or a CIDR and hold when any address
/// of the flow's side falls in one.
public enum FlowMatcher {
    public static func matches(_ f: Goldmane_Flow, _ filter: Goldmane_Filter) -> Bool {
        matches(key: f.key, filter, sourceIPs: { f.sourceIps }, destIPs: { f.destIps })
    }

    /// The same from the key alone; the addresses are asked for only when the filter has IPs.
    static func matches(key k: Goldmane_FlowKey, _ filter: Goldmane_Filter, sourceIPs: () -> [String], destIPs: () -> [String]) -> Bool {
        strings(k.sourceName, filter.sourceNames, names: true)
            && strings(k.sourceNamespace, filter.sourceNamespaces, names: false)
            && strings(k.destName, filter.destNames, names: true)
            && strings(k.destNamespace, filter.destNamespaces, names: false)
            && strings(k.proto, filter.protocols, names: false)
            && (filter.destPorts.isEmpty || filter.destPorts.contains { $0.port == k.destPort })
            && (filter.actions.isEmpty || filter.actions.contains(k.action))
            && (filter.reporter == .unspecified || filter.reporter == k.reporter)
            && (filter.pendingActions.isEmpty || filter.pendingActions.contains(pendingAction(k.policies)))
            && (filter.policies.isEmpty || filter.policies.contains { m in
                (k.policies.enforcedPolicies + k.policies.pendingPolicies).contains { policy(m, $0) }
            })
            && (filter.sourceIps.isEmpty || addresses(sourceIPs(), filter.sourceIps))
            && (filter.destIps.isEmpty || addresses(destIPs(), filter.destIps))
    }

    static func strings(_ value: String, _ matches: [Goldmane_StringMatch], names: Bool) -> Bool {
        guard !matches.isEmpty else { return true }
        let alias = names ? displayName(value) : (value == "-" ? "Global" : value)
        return matches.contains { m in
            m.type == .fuzzy ? value.contains(m.value) || alias.contains(m.value) : value == m.value || alias == m.value
        }
    }

    /// `pub`/`pvt` as Whisker shows them.
    public static func displayName(_ name: String) -> String {
        switch name {
        case "pub": return "PUBLIC NETWORK"
        case "pvt": return "PRIVATE NETWORK"
        default: return name
        }
    }

    /// The action the pending trace ends with (its last hit's), or the enforced action when
    /// there is no pending trace.
    public static func pendingAction(_ trace: Goldmane_PolicyTrace) -> Goldmane_Action {
        trace.pendingPolicies.last?.action ?? trace.enforcedPolicies.last?.action ?? .unspecified
    }

    static func policy(_ m: Goldmane_PolicyMatch, _ hit: Goldmane_PolicyHit) -> Bool {
        (m.kind == .kindUnspecified || m.kind == hit.kind) && (m.tier.isEmpty || m.tier == hit.tier)
            && (m.namespace.isEmpty || m.namespace == hit.namespace) && (m.name.isEmpty || m.name == hit.name)
            && (m.action == .unspecified || m.action == hit.action)
    }

    static func addresses(_ ips: [String], _ matches: [Goldmane_StringMatch]) -> Bool {
        guard !matches.isEmpty else { return true }
        return matches.contains { m in
            if m.type == .fuzzy { return ips.contains { $0.contains(m.value) } }
            if let net = IPNet(m.value.contains("/") ? m.value : m.value + (m.value.contains(":") ? "/128" : "/32")) {
                return ips.contains { ip in IPAddress(ip).map { net.contains($0) } ?? false }
            }
            return ips.contains(m.value)
        }
    }
}
