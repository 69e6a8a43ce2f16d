/// Kubernetes object metadata, as every v3 resource carries it.
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var selfLink: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [Value]?
    public var finalizers: [String]?
    public var managedFields: [Value]?

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil, annotations: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

/// Metadata a rule may carry.
public struct RuleMetadata: Codable, Sendable, Equatable {
    public var annotations: [String: String]?
    public init(annotations: [String: String]? = nil) { self.annotations = annotations }
}

/// A reference to a key of a Kubernetes Secret.
public struct SecretKeyRef: Codable, Sendable, Equatable {
    public var name: String?
    public var key: String?
    public var optional: Bool?
    public init(name: String? = nil, key: String? = nil, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }
}

/// `{secretKeyRef: …}` as used by BGP passwords.
public struct SecretSource: Codable, Sendable, Equatable {
    public var secretKeyRef: SecretKeyRef?
    public init(secretKeyRef: SecretKeyRef? = nil) { self.secretKeyRef = secretKeyRef }
}
