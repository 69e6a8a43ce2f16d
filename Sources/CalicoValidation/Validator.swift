import CalicoAPI

/// Validates resources the way calicoctl's offline struct validator does: field formats and
/// cross-field rules, no defaulting and no datastore lookups.
public enum Validator {
    /// All problems found in a resource (empty when valid).
    public static func validate(_ resource: any CalicoResource) -> [FieldError] {
        var p = Problems()
        let meta = resource.metadata
        let namespaced = type(of: resource).isNamespaced
        switch resource {
        case let r as NetworkPolicy:
            MetadataRules.validate(meta, nameRule: .namespacedPolicy, namespaced: namespaced, into: &p)
            PolicyRules.validate(PolicyFields(r.spec), into: &p)
        case let r as GlobalNetworkPolicy:
            MetadataRules.validate(meta, nameRule: .globalPolicy, namespaced: namespaced, into: &p)
            PolicyRules.validate(PolicyFields(r.spec), into: &p)
        case let r as StagedNetworkPolicy:
            MetadataRules.validate(meta, nameRule: .namespacedPolicy, namespaced: namespaced, into: &p)
            if r.spec.stagedAction == .delete {
                PolicyRules.validateStagedDelete(PolicyFields(r.spec), into: &p)
            } else {
                PolicyRules.validate(PolicyFields(r.spec), into: &p)
            }
        case let r as StagedGlobalNetworkPolicy:
            MetadataRules.validate(meta, nameRule: .globalPolicy, namespaced: namespaced, into: &p)
            if r.spec.stagedAction == .delete {
                PolicyRules.validateStagedDelete(PolicyFields(r.spec), into: &p)
            } else {
                PolicyRules.validate(PolicyFields(r.spec), into: &p)
            }
        case let r as StagedKubernetesNetworkPolicy:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            if r.spec.stagedAction == .delete {
                let s = r.spec
                let set = [("podSelector", s.podSelector != nil), ("ingress", s.ingress != nil), ("egress", s.egress != nil),
                           ("policyTypes", s.policyTypes != nil)]
                for (field, isSet) in set where isSet {
                    p.report(FieldPath("spec")[field], nil, "must be empty when stagedAction is Delete",
                             as: "StagedKubernetesNetworkPolicySpec", "Spec fields should all be zero-value if stagedAction is Delete")
                }
            } else {
                KubernetesPolicyRules.validate(podSelector: r.spec.podSelector, ingress: r.spec.ingress, egress: r.spec.egress,
                                               policyTypes: r.spec.policyTypes, into: &p)
            }
        case let r as KubernetesNetworkPolicy:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            KubernetesPolicyRules.validate(podSelector: r.spec.podSelector, ingress: r.spec.ingress, egress: r.spec.egress,
                                           policyTypes: r.spec.policyTypes, into: &p)
        case let r as Tier:
            MetadataRules.validate(meta, nameRule: .label, namespaced: namespaced, into: &p)
            PolicyRules.validateTier(r, into: &p)
        case let r as NetworkSet:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            EndpointRules.validateNetworkSet(r.metadata, r.spec, into: &p)
        case let r as QoSPolicy:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            QoSRules.validate(r.spec, path: FieldPath("spec"), into: &p)
        case let r as GlobalNetworkSet:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            EndpointRules.validateNetworkSet(r.metadata, r.spec, into: &p)
        case let r as HostEndpoint:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            EndpointRules.validate(r, into: &p)
        case let r as WorkloadEndpoint:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            EndpointRules.validate(r, into: &p)
        case let r as Profile:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            EndpointRules.validate(r, into: &p)
        case let r as IPPool:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            IPAMRules.validate(r, into: &p)
        case let r as IPReservation:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            IPAMRules.validate(r, into: &p)
        case let r as IPAMConfiguration:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            IPAMRules.validate(r, into: &p)
        default:
            MetadataRules.validate(meta, nameRule: .subdomain, namespaced: namespaced, into: &p)
            OtherKindRules.validate(resource, into: &p)
        }
        return p.errors
    }
}
