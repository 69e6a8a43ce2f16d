import CalicoAPI

/// Where resources live in the key space: the upstream etcdv3 layout
/// `/calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>`.
public enum ResourcePaths {
    /// Prefix of every resource of every group.
    public static let resourcesRoot = "/calico/resources/v3/"
    public static let root = "/calico/resources/v3/projectcalico.org/"
    /// Kubernetes NetworkPolicies, stored beside Calico's (there is no Kubernetes API server to
    /// own them here).
    public static let kubernetesRoot = "/calico/resources/v3/networking.k8s.io/"

    static func groupRoot(_ kind: ResourceKind) -> String {
        kind.type == KubernetesNetworkPolicy.self ? kubernetesRoot : root
    }

    public static func key(_ kind: ResourceKind, namespace: String?, name: String) -> String {
        if kind.isNamespaced { return "\(groupRoot(kind))\(kind.plural)/\(namespace ?? "default")/\(name)" }
        return "\(groupRoot(kind))\(kind.plural)/\(name)"
    }

    /// Prefix of all objects of a kind (in one namespace when given).
    public static func prefix(_ kind: ResourceKind, namespace: String?) -> String {
        if kind.isNamespaced, let namespace { return "\(groupRoot(kind))\(kind.plural)/\(namespace)/" }
        return "\(groupRoot(kind))\(kind.plural)/"
    }

    /// The kind, namespace and name a key stands for.
    public static func parse(_ key: String) -> (kind: ResourceKind, namespace: String?, name: String)? {
        let base: String
        let kinds: [ResourceKind]
        if key.hasPrefix(root) {
            (base, kinds) = (root, ResourceRegistry.calicoKinds)
        } else if key.hasPrefix(kubernetesRoot) {
            (base, kinds) = (kubernetesRoot, [ResourceRegistry.kubernetesNetworkPolicy])
        } else {
            return nil
        }
        let parts = key.dropFirst(base.count).split(separator: "/", omittingEmptySubsequences: false)
        guard let plural = parts.first, let kind = kinds.first(where: { $0.plural == plural }) else { return nil }
        if kind.isNamespaced {
            guard parts.count == 3 else { return nil }
            return (kind, String(parts[1]), String(parts[2]))
        }
        guard parts.count == 2 else { return nil }
        return (kind, nil, String(parts[1]))
    }
}

/// Identifies a resource in messages: `NetworkPolicy(shop/default.web)`.
public struct ResourceID: Hashable, Sendable, CustomStringConvertible {
    public var kind: String
    public var namespace: String?
    public var name: String
    public init(kind: String, namespace: String?, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }
    public var description: String { "\(kind)(\(namespace.map { "\($0)/" } ?? "")\(name))" }
}
