import CalicoAPI

/// A resource as the calculation graph keys it: its kind (Kubernetes NetworkPolicies kept
/// apart from Calico's NetworkPolicies), namespace and stored name. Made only from a
/// resource, a registry kind or a resource type, so no caller spells a kind name.
public struct CalcKey: Hashable, Sendable, CustomStringConvertible {
    public let kind: String
    public let namespace: String?
    public let name: String

    public init(of r: any CalicoResource) {
        self.init(kindName: CalcGraph.kindName(of: r), namespace: r.metadata.namespace, name: r.name)
    }

    public init(_ kind: ResourceKind, namespace: String?, name: String) {
        self.init(kindName: CalcGraph.kindName(kind), namespace: namespace, name: name)
    }

    public init<R: CalicoResource>(_ type: R.Type, namespace: String? = nil, name: String) {
        self.init(kindName: type == KubernetesNetworkPolicy.self ? CalcGraph.kubernetesPolicyKind : R.kindName, namespace: namespace, name: name)
    }

    init(kindName: String, namespace: String?, name: String) {
        kind = kindName
        self.namespace = namespace
        self.name = name
    }

    /// The graph's map key.
    var graphKey: String { "\(kind)/\(namespace ?? "")/\(name)" }

    public var description: String { "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)" }
}
