/// `Ingress` or `Egress`.
public enum PolicyType: String, StrictStringEnum {
    public static let wireName = "policy type"
    case ingress = "Ingress"
    case egress = "Egress"
}

/// Fields shared by NetworkPolicy and StagedNetworkPolicy.
public struct NetworkPolicySpec: Codable, Sendable, Equatable {
    public var tier: String?
    public var order: Double?
    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var selector: String?
    public var types: [PolicyType]?
    public var serviceAccountSelector: String?
    public var performanceHints: [String]?

    public init(tier: String? = nil, order: Double? = nil, selector: String? = nil, types: [PolicyType]? = nil,
                ingress: [Rule]? = nil, egress: [Rule]? = nil) {
        self.tier = tier
        self.order = order
        self.selector = selector
        self.types = types
        self.ingress = ingress
        self.egress = egress
    }
}

public struct NetworkPolicy: CalicoResource {
    public static let kindName = "NetworkPolicy"
    public static let isNamespaced = true
    public var apiVersion = calicoAPIVersion
    public var kind = NetworkPolicy.kindName
    public var metadata = ObjectMeta()
    public var spec = NetworkPolicySpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: NetworkPolicySpec = NetworkPolicySpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// A staged policy's intent: preview creating/replacing (`Set`, the default) or removing (`Delete`).
public enum StagedAction: String, StrictStringEnum {
    public static let wireName = "stagedAction"
    case set = "Set"
    case delete = "Delete"
    case learn = "Learn"
    case ignore = "Ignore"
}

public struct StagedNetworkPolicySpec: Codable, Sendable, Equatable {
    public var stagedAction: StagedAction?
    public var tier: String?
    public var order: Double?
    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var selector: String?
    public var types: [PolicyType]?
    public var serviceAccountSelector: String?
    public var performanceHints: [String]?
    public init() {}
}

public struct StagedNetworkPolicy: CalicoResource {
    public static let kindName = "StagedNetworkPolicy"
    public static let isNamespaced = true
    public var apiVersion = calicoAPIVersion
    public var kind = StagedNetworkPolicy.kindName
    public var metadata = ObjectMeta()
    public var spec = StagedNetworkPolicySpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: StagedNetworkPolicySpec = StagedNetworkPolicySpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct GlobalNetworkPolicySpec: Codable, Sendable, Equatable {
    public var tier: String?
    public var order: Double?
    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var selector: String?
    public var types: [PolicyType]?
    public var doNotTrack: Bool?
    public var preDNAT: Bool?
    public var applyOnForward: Bool?
    public var serviceAccountSelector: String?
    public var namespaceSelector: String?
    public var performanceHints: [String]?

    public init(tier: String? = nil, order: Double? = nil, selector: String? = nil, types: [PolicyType]? = nil,
                ingress: [Rule]? = nil, egress: [Rule]? = nil) {
        self.tier = tier
        self.order = order
        self.selector = selector
        self.types = types
        self.ingress = ingress
        self.egress = egress
    }
}

public struct GlobalNetworkPolicy: CalicoResource {
    public static let kindName = "GlobalNetworkPolicy"
    public var apiVersion = calicoAPIVersion
    public var kind = GlobalNetworkPolicy.kindName
    public var metadata = ObjectMeta()
    public var spec = GlobalNetworkPolicySpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: GlobalNetworkPolicySpec = GlobalNetworkPolicySpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct StagedGlobalNetworkPolicySpec: Codable, Sendable, Equatable {
    public var stagedAction: StagedAction?
    public var tier: String?
    public var order: Double?
    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var selector: String?
    public var types: [PolicyType]?
    public var doNotTrack: Bool?
    public var preDNAT: Bool?
    public var applyOnForward: Bool?
    public var serviceAccountSelector: String?
    public var namespaceSelector: String?
    public var performanceHints: [String]?
    public init() {}
}

public struct StagedGlobalNetworkPolicy: CalicoResource {
    public static let kindName = "StagedGlobalNetworkPolicy"
    public var apiVersion = calicoAPIVersion
    public var kind = StagedGlobalNetworkPolicy.kindName
    public var metadata = ObjectMeta()
    public var spec = StagedGlobalNetworkPolicySpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: StagedGlobalNetworkPolicySpec = StagedGlobalNetworkPolicySpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// The Kubernetes NetworkPolicy spec shape embedded in StagedKubernetesNetworkPolicy.
public struct StagedKubernetesNetworkPolicySpec: Codable, Sendable, Equatable {
    public var stagedAction: StagedAction?
    public var podSelector: LabelSelector?
    public var ingress: [K8sNetworkPolicyIngressRule]?
    public var egress: [K8sNetworkPolicyEgressRule]?
    public var policyTypes: [PolicyType]?
    public init() {}
}

public struct StagedKubernetesNetworkPolicy: CalicoResource {
    public static let kindName = "StagedKubernetesNetworkPolicy"
    public static let isNamespaced = true
    public var apiVersion = calicoAPIVersion
    public var kind = StagedKubernetesNetworkPolicy.kindName
    public var metadata = ObjectMeta()
    public var spec = StagedKubernetesNetworkPolicySpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: StagedKubernetesNetworkPolicySpec = StagedKubernetesNetworkPolicySpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `Deny` (default) or `Pass`: what happens at the end of a tier.
public enum TierDefaultAction: String, StrictStringEnum {
    public static let wireName = "defaultAction"
    case deny = "Deny"
    case pass = "Pass"
}

public struct TierSpec: Codable, Sendable, Equatable {
    public var order: Double?
    public var defaultAction: TierDefaultAction?
    public init(order: Double? = nil, defaultAction: TierDefaultAction? = nil) {
        self.order = order
        self.defaultAction = defaultAction
    }
}

public struct Tier: CalicoResource {
    public static let kindName = "Tier"
    public var apiVersion = calicoAPIVersion
    public var kind = Tier.kindName
    public var metadata = ObjectMeta()
    public var spec = TierSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: TierSpec = TierSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

extension PolicyType {
    /// The client's `types` defaulting: given types as they are; otherwise `[Ingress]`
    /// without egress rules, `[Egress]` with only egress rules, both with both.
    public static func defaulted(_ types: [PolicyType]?, ingress: [Rule]?, egress: [Rule]?) -> [PolicyType] {
        if let types, !types.isEmpty { return types }
        switch (!(ingress ?? []).isEmpty, !(egress ?? []).isEmpty) {
        case (_, false): return [.ingress]
        case (false, true): return [.egress]
        case (true, true): return [.ingress, .egress]
        }
    }
}

extension Tier {
    /// Tiers whose order is fixed (any other order is invalid).
    public static let reservedOrders: [String: Double] = [
        "default": 1_000_000, "adminnetworkpolicy": 1000, "baselineadminnetworkpolicy": 10_000_000,
    ]

    /// The order a tier gets when it sets none: its reserved order, else 1,000,000.
    public static func defaultOrder(for name: String) -> Double { reservedOrders[name] ?? 1_000_000 }
}
