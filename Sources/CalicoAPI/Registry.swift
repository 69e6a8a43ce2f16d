/// What the tools know about one kind: its type, scope and the names users may type for it.
public struct ResourceKind: Sendable {
    public let type: any CalicoResource.Type
    public let kind: String
    public let plural: String
    public let aliases: [String]
    public var isNamespaced: Bool { type.isNamespaced }
    public var apiVersions: [String] { type.apiVersions }

    init(_ type: any CalicoResource.Type, plural: String, aliases: [String] = []) {
        self.type = type
        self.kind = type.kindName
        self.plural = plural
        self.aliases = aliases
    }
}

/// The kinds of `projectcalico.org/v3` (and Kubernetes NetworkPolicy).
public enum ResourceRegistry {
    public static let calicoKinds: [ResourceKind] = [
        ResourceKind(BGPConfiguration.self, plural: "bgpconfigurations", aliases: ["bgpconfig", "bgpconfigs"]),
        ResourceKind(BGPFilter.self, plural: "bgpfilters", aliases: ["bgpf", "bgpfs", "bf", "bfs"]),
        ResourceKind(BGPPeer.self, plural: "bgppeers", aliases: ["bgpp", "bgpps", "bp", "bps"]),
        ResourceKind(ClusterInformation.self, plural: "clusterinformations", aliases: ["clusterinfo", "clusterinfos"]),
        ResourceKind(FelixConfiguration.self, plural: "felixconfigurations", aliases: ["felixconfig", "felixconfigs"]),
        ResourceKind(GlobalNetworkPolicy.self, plural: "globalnetworkpolicies", aliases: ["gnp", "gnps"]),
        ResourceKind(GlobalNetworkSet.self, plural: "globalnetworksets", aliases: ["gnetset", "gnetsets"]),
        ResourceKind(HostEndpoint.self, plural: "hostendpoints", aliases: ["hep", "heps"]),
        ResourceKind(IPAMConfiguration.self, plural: "ipamconfigurations", aliases: ["ipamconfig", "ipamconfigs"]),
        ResourceKind(IPPool.self, plural: "ippools", aliases: ["ipp", "ipps", "pool", "pools"]),
        ResourceKind(IPReservation.self, plural: "ipreservations", aliases: ["reservation", "reservations"]),
        ResourceKind(KubeControllersConfiguration.self, plural: "kubecontrollersconfigurations",
                     aliases: ["kubecontrollersconfig", "kubecontrollersconfigs"]),
        ResourceKind(NetworkPolicy.self, plural: "networkpolicies", aliases: ["policy", "policies", "np", "nps", "pol", "pols"]),
        ResourceKind(NetworkSet.self, plural: "networksets", aliases: ["netset", "netsets"]),
        ResourceKind(Node.self, plural: "nodes", aliases: ["no", "nos"]),
        ResourceKind(Profile.self, plural: "profiles", aliases: ["pro", "pros"]),
        ResourceKind(QoSPolicy.self, plural: "qospolicies", aliases: ["qos", "qosp", "qosps"]),
        ResourceKind(StagedGlobalNetworkPolicy.self, plural: "stagedglobalnetworkpolicies", aliases: ["sgnp", "sgnps"]),
        ResourceKind(StagedKubernetesNetworkPolicy.self, plural: "stagedkubernetesnetworkpolicies",
                     aliases: ["stagedkubernetespolicy", "stagedkubernetespolicies", "sknp", "sknps", "skpol", "skpols"]),
        ResourceKind(StagedNetworkPolicy.self, plural: "stagednetworkpolicies",
                     aliases: ["stagedpolicy", "stagedpolicies", "snp", "snps", "spol", "spols"]),
        ResourceKind(Tier.self, plural: "tiers"),
        ResourceKind(WorkloadEndpoint.self, plural: "workloadendpoints", aliases: ["wep", "weps"]),
    ]

    public static let kubernetesNetworkPolicy = ResourceKind(
        KubernetesNetworkPolicy.self, plural: "networkpolicies",
        aliases: ["kubernetesnetworkpolicy", "kubernetesnetworkpolicies", "networkpolicy.networking.k8s.io",
                  "networkpolicies.networking.k8s.io", "knp", "knps"])

    /// Every kind the datastore stores.
    public static var allKinds: [ResourceKind] { calicoKinds + [kubernetesNetworkPolicy] }

    /// The kind for an `apiVersion` + `kind` pair of a document, if known.
    public static func kind(apiVersion: String, kind: String) -> ResourceKind? {
        if apiVersion == "networking.k8s.io/v1" {
            return kind == KubernetesNetworkPolicy.kindName ? kubernetesNetworkPolicy : nil
        }
        guard apiVersion == calicoAPIVersion || apiVersion == calicoCRDAPIVersion else { return nil }
        return calicoKinds.first { $0.kind == kind }
    }

    /// The kind a user typed on a command line (case-insensitive; singular, plural or alias).
    public static func kind(named name: String) -> ResourceKind? {
        let n = name.lowercased()
        if let k = calicoKinds.first(where: { $0.kind.lowercased() == n || $0.plural == n || $0.aliases.contains(n) }) { return k }
        return kubernetesNetworkPolicy.aliases.contains(n) ? kubernetesNetworkPolicy : nil
    }

    /// The kind of a resource value (Calico or Kubernetes).
    public static func kind(of resource: any CalicoResource) -> ResourceKind? {
        kind(apiVersion: resource.apiVersion, kind: resource.kind)
    }
}
