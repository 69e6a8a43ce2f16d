import CalicoAPI

/// Where resources live in the key space: the upstream etcdv3 layout
/// `/calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>`.
public enum ResourcePaths {
    public static let root = "/calico/resources/v3/projectcalico.org/"

    public static func key(_ kind: ResourceKind, namespace: String?, name: String) -> String {
        if kind.isNamespaced { return "\(root)\(kind.plural)/\(namespace ?? "default")/\(name)" }
        return "\(root)\(kind.plural)/\(name)"
    }

    /// Prefix of all objects of a kind (in one namespace when given).
    public static func prefix(_ kind: ResourceKind, namespace: String?) -> String {
        if kind.isNamespaced, let namespace { return "\(root)\(kind.plural)/\(namespace)/" }
        return "\(root)\(kind.plural)/"
    }

    /// The kind, namespace and name a key stands for.
    public static func parse(_ key: String) -> (kind: ResourceKind, namespace: String?, name: String)? {
        guard key.hasPrefix(root) else { return nil }
        let parts = key.dropFirst(root.count).split(separator: "/", omittingEmptySubsequences: false)
        guard let plural = parts.first, let kind = ResourceRegistry.calicoKinds.first(where: { $0.plural == plural }) else { return nil }
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
