import CalicoAPI
import CalicoValidation
import Foundation

/// What the Calico client does on write, before validation: defaults, tier-prefixed
/// policy names, and the checks that need no other object (singleton names, K8s-owned
/// names, tier/name agreement). Pure functions.
public enum ClientRules {
    static let singletonKinds: Set<String> = [ClusterInformation.kindName, KubeControllersConfiguration.kindName, IPAMConfiguration.kindName]
    static let exemptPrefixes = ["knp.default.", "kanp.adminnetworkpolicy.", "kbanp.baselineadminnetworkpolicy.", "ossg."]
    public static let tierLabel = "projectcalico.org/tier"
    public static let metadataAnnotation = "projectcalico.org/metadata"

    /// The tier of a policy kind's resource, or nil for other kinds.
    public static func tier(of r: any CalicoResource) -> String? {
        switch r {
        case let p as NetworkPolicy: return nonEmpty(p.spec.tier) ?? "default"
        case let p as GlobalNetworkPolicy: return nonEmpty(p.spec.tier) ?? "default"
        case let p as StagedNetworkPolicy: return nonEmpty(p.spec.tier) ?? "default"
        case let p as StagedGlobalNetworkPolicy: return nonEmpty(p.spec.tier) ?? "default"
        default: return nil
        }
    }

    static func nonEmpty(_ s: String?) -> String? { (s ?? "").isEmpty ? nil : s }

    /// The backend (stored) name of a policy: always tier-prefixed (`foo` → `default.foo`).
    public static func backendName(_ name: String, tier: String) -> String {
        if exemptPrefixes.contains(where: name.hasPrefix) { return name }
        return name.contains(".") ? name : "\(tier).\(name)"
    }

    /// The stored name for a name a user typed for `kind` (policy kinds get the tier prefix
    /// of the default tier when they have none).
    public static func lookupName(_ kind: ResourceKind, _ name: String) -> String {
        if kind.type == KubernetesNetworkPolicy.self { return name }
        switch kind.kind {
        case NetworkPolicy.kindName, GlobalNetworkPolicy.kindName, StagedNetworkPolicy.kindName, StagedGlobalNetworkPolicy.kindName:
            return backendName(name, tier: "default")
        default:
            return name
        }
    }

    /// Checks that need nothing but the resource itself (beyond the struct validator).
    public static func check(_ r: any CalicoResource) -> [FieldError] {
        var errors: [FieldError] = []
        let kind = r.kind
        if singletonKinds.contains(kind) && r.name != "default" {
            errors.append(FieldError(field: "metadata.name", value: r.name, reason: "\(kind) must be named default"))
        }
        if let bgp = r as? BGPConfiguration, bgp.name != "default" {
            errors += defaultOnlyFields(bgp)
        }
        if let tier = tier(of: r) {
            let name = r.name
            if name.hasPrefix("knp.default.") || name.hasPrefix("kanp.") || name.hasPrefix("kbanp.") {
                return errors + [FieldError(field: "metadata.name", value: name, reason: "Kubernetes policies must be managed through the kubernetes API")]
            }
            if !exemptPrefixes.contains(where: name.hasPrefix) {
                if !name.contains(".") && tier != "default" {
                    errors.append(FieldError(field: "metadata.name", value: name,
                                             reason: "name must be prefixed with the tier name \"\(tier).\" for a policy in tier \(tier)"))
                } else if name.contains("."), !name.hasPrefix("\(tier).") {
                    errors.append(FieldError(field: "metadata.name", value: name,
                                             reason: "the name's tier prefix must match spec.tier (\(tier))"))
                }
            }
        }
        return errors
    }

    /// Fields only the `default` BGPConfiguration may set (upstream's client refuses them on the
    /// per-node ones, naming the field without a value).
    static func defaultOnlyFields(_ bgp: BGPConfiguration) -> [FieldError] {
        let s = bgp.spec
        let set: [(String, String, String, Bool)] = [
            ("spec.nodeToNodeMeshEnabled", "NodeToNodeMeshEnabled", "nodeToNodeMeshEnabled", s.nodeToNodeMeshEnabled != nil),
            ("spec.asNumber", "ASNumber", "ASNumber", s.asNumber != nil),
            ("spec.serviceExternalIPs", "ServiceExternalIPs", "ServiceExternalIPs", !(s.serviceExternalIPs ?? []).isEmpty),
            ("spec.serviceClusterIPs", "ServiceClusterIPs", "ServiceClusterIPs", !(s.serviceClusterIPs ?? []).isEmpty),
        ]
        return set.filter(\.3).map { path, goName, word, _ in
            let reason = "Cannot set \(word) on a non default BGP Configuration."
            return FieldError(field: path, reason: reason, upstreamField: "BGPConfiguration.Spec.\(goName)",
                              upstreamReason: reason, upstreamOmitsValue: true)
        }
    }

    /// Applies the client's defaults for a write (a value in, a value out).
    public static func applyDefaults(_ resource: any CalicoResource) -> any CalicoResource {
        switch resource {
        case var p as NetworkPolicy:
            let t = tier(of: p)!
            p.spec.tier = t
            p.spec.types = PolicyType.defaulted(p.spec.types, ingress: p.spec.ingress, egress: p.spec.egress)
            stampTier(&p.metadata, tier: t)
            return p
        case var p as GlobalNetworkPolicy:
            let t = tier(of: p)!
            p.spec.tier = t
            p.spec.types = PolicyType.defaulted(p.spec.types, ingress: p.spec.ingress, egress: p.spec.egress)
            stampTier(&p.metadata, tier: t)
            return p
        case var p as StagedNetworkPolicy:
            let t = tier(of: p)!
            p.spec.tier = t
            p.spec.types = p.spec.stagedAction == .delete ? nil : PolicyType.defaulted(p.spec.types, ingress: p.spec.ingress, egress: p.spec.egress)
            stampTier(&p.metadata, tier: t)
            return p
        case var p as StagedGlobalNetworkPolicy:
            let t = tier(of: p)!
            p.spec.tier = t
            p.spec.types = p.spec.stagedAction == .delete ? nil : PolicyType.defaulted(p.spec.types, ingress: p.spec.ingress, egress: p.spec.egress)
            stampTier(&p.metadata, tier: t)
            return p
        case var t as Tier:
            if t.spec.order == nil { t.spec.order = Tier.defaultOrder(for: t.name) }
            if t.spec.defaultAction == nil { t.spec.defaultAction = .deny }
            return t
        case var pool as IPPool:
            if let cidr = pool.spec.cidr, let net = IPNet(cidr) {
                pool.spec.cidr = net.network.description
                if pool.spec.blockSize == nil { pool.spec.blockSize = net.family == .v4 ? 26 : 122 }
            }
            if (pool.spec.ipipMode ?? "").isEmpty { pool.spec.ipipMode = "Never" }
            if (pool.spec.vxlanMode ?? "").isEmpty { pool.spec.vxlanMode = "Never" }
            if (pool.spec.nodeSelector ?? "").isEmpty { pool.spec.nodeSelector = "all()" }
            if (pool.spec.allowedUses ?? []).isEmpty { pool.spec.allowedUses = ["Workload", "Tunnel"] }
            if (pool.spec.assignmentMode ?? "").isEmpty { pool.spec.assignmentMode = "Automatic" }
            return pool
        case var kcc as KubeControllersConfiguration:
            if kcc.spec.prometheusMetricsPort == nil { kcc.spec.prometheusMetricsPort = 9094 }
            return kcc
        case var wep as WorkloadEndpoint:
            // Not the user's to set: upstream's client overwrites them with the truth.
            var labels = wep.metadata.labels ?? [:]
            labels["projectcalico.org/namespace"] = wep.metadata.namespace ?? "default"
            labels["projectcalico.org/orchestrator"] = wep.spec.orchestrator ?? ""
            wep.metadata.labels = labels
            return wep
        case var fc as FelixConfiguration:
            if fc.spec.floatingIPs == nil, fc.name == "default" { fc.spec.floatingIPs = "Disabled" }
            // Stored as Go writes a duration (`125s` → `2m5s`).
            for (_, path) in FelixConfigurationSpec.durationFields {
                if let text = fc.spec[keyPath: path] { fc.spec[keyPath: path] = GoDuration.normalized(text) }
            }
            return fc
        default:
            return resource
        }
    }

    static func stampTier(_ meta: inout ObjectMeta, tier: String) {
        var labels = meta.labels ?? [:]
        labels[tierLabel] = tier
        meta.labels = labels
    }
}
