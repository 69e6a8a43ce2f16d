/// Kubernetes `LabelSelector` (matchLabels + matchExpressions).
public struct LabelSelector: Codable, Sendable, Equatable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [LabelSelectorRequirement]?
    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }
}

public struct LabelSelectorRequirement: Codable, Sendable, Equatable {
    public var key: String
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    public var `operator`: String
    public var values: [String]?
    public init(key: String, operator op: String, values: [String]? = nil) {
        self.key = key
        self.operator = op
        self.values = values
    }
}

public struct IPBlock: Codable, Sendable, Equatable {
    public var cidr: String
    public var except: [String]?
    public init(cidr: String, except: [String]? = nil) {
        self.cidr = cidr
        self.except = except
    }
}

public struct K8sNetworkPolicyPeer: Codable, Sendable, Equatable {
    public var podSelector: LabelSelector?
    public var namespaceSelector: LabelSelector?
    public var ipBlock: IPBlock?
    public init(podSelector: LabelSelector? = nil, namespaceSelector: LabelSelector? = nil, ipBlock: IPBlock? = nil) {
        self.podSelector = podSelector
        self.namespaceSelector = namespaceSelector
        self.ipBlock = ipBlock
    }
}

public struct K8sNetworkPolicyPort: Codable, Sendable, Equatable {
    /// `TCP` (default), `UDP` or `SCTP`.
    public var `protocol`: String?
    public var port: IntOrString?
    public var endPort: Int?
    public init(protocol proto: String? = nil, port: IntOrString? = nil, endPort: Int? = nil) {
        self.protocol = proto
        self.port = port
        self.endPort = endPort
    }
}

public struct K8sNetworkPolicyIngressRule: Codable, Sendable, Equatable {
    public var ports: [K8sNetworkPolicyPort]?
    public var from: [K8sNetworkPolicyPeer]?
    public init(ports: [K8sNetworkPolicyPort]? = nil, from: [K8sNetworkPolicyPeer]? = nil) {
        self.ports = ports
        self.from = from
    }
}

public struct K8sNetworkPolicyEgressRule: Codable, Sendable, Equatable {
    public var ports: [K8sNetworkPolicyPort]?
    public var to: [K8sNetworkPolicyPeer]?
    public init(ports: [K8sNetworkPolicyPort]? = nil, to: [K8sNetworkPolicyPeer]? = nil) {
        self.ports = ports
        self.to = to
    }
}

public struct KubernetesNetworkPolicySpec: Codable, Sendable, Equatable {
    public var podSelector: LabelSelector?
    public var ingress: [K8sNetworkPolicyIngressRule]?
    public var egress: [K8sNetworkPolicyEgressRule]?
    public var policyTypes: [PolicyType]?
    public init(podSelector: LabelSelector? = LabelSelector(), ingress: [K8sNetworkPolicyIngressRule]? = nil,
                egress: [K8sNetworkPolicyEgressRule]? = nil, policyTypes: [PolicyType]? = nil) {
        self.podSelector = podSelector
        self.ingress = ingress
        self.egress = egress
        self.policyTypes = policyTypes
    }
}

/// `networking.k8s.io/v1 NetworkPolicy`.
public struct KubernetesNetworkPolicy: CalicoResource {
    public static let kindName = "NetworkPolicy"
    public static let isNamespaced = true
    public static let apiVersions = ["networking.k8s.io/v1"]
    public var apiVersion = "networking.k8s.io/v1"
    public var kind = KubernetesNetworkPolicy.kindName
    public var metadata = ObjectMeta()
    public var spec = KubernetesNetworkPolicySpec()
    /// Deprecated upstream, accepted on input.
    public var status: Value?
    public init(metadata: ObjectMeta = ObjectMeta(), spec: KubernetesNetworkPolicySpec = KubernetesNetworkPolicySpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}
