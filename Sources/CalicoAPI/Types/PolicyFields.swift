/// The policy-level fields every policy kind shares, read off its concrete spec (used by
/// validation and by the calculation graph alike).
public struct PolicyFields: Sendable {
    public var tier: String?
    public var order: Double?
    public var selector: String?
    public var types: [PolicyType]?
    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var serviceAccountSelector: String?
    public var namespaceSelector: String?
    public var performanceHints: [String]?
    public var doNotTrack: Bool?
    public var preDNAT: Bool?
    public var applyOnForward: Bool?
    public var isGlobal: Bool

    public init(_ s: NetworkPolicySpec) {
        self.init(tier: s.tier, order: s.order, selector: s.selector, types: s.types, ingress: s.ingress, egress: s.egress,
                  serviceAccountSelector: s.serviceAccountSelector, performanceHints: s.performanceHints, isGlobal: false)
    }
    public init(_ s: StagedNetworkPolicySpec) {
        self.init(tier: s.tier, order: s.order, selector: s.selector, types: s.types, ingress: s.ingress, egress: s.egress,
                  serviceAccountSelector: s.serviceAccountSelector, performanceHints: s.performanceHints, isGlobal: false)
    }
    public init(_ s: GlobalNetworkPolicySpec) {
        self.init(tier: s.tier, order: s.order, selector: s.selector, types: s.types, ingress: s.ingress, egress: s.egress,
                  serviceAccountSelector: s.serviceAccountSelector, namespaceSelector: s.namespaceSelector,
                  performanceHints: s.performanceHints, doNotTrack: s.doNotTrack, preDNAT: s.preDNAT,
                  applyOnForward: s.applyOnForward, isGlobal: true)
    }
    public init(_ s: StagedGlobalNetworkPolicySpec) {
        self.init(tier: s.tier, order: s.order, selector: s.selector, types: s.types, ingress: s.ingress, egress: s.egress,
                  serviceAccountSelector: s.serviceAccountSelector, namespaceSelector: s.namespaceSelector,
                  performanceHints: s.performanceHints, doNotTrack: s.doNotTrack, preDNAT: s.preDNAT,
                  applyOnForward: s.applyOnForward, isGlobal: true)
    }

    init(tier: String?, order: Double?, selector: String?, types: [PolicyType]?, ingress: [Rule]?, egress: [Rule]?,
         serviceAccountSelector: String?, namespaceSelector: String? = nil, performanceHints: [String]?,
         doNotTrack: Bool? = nil, preDNAT: Bool? = nil, applyOnForward: Bool? = nil, isGlobal: Bool) {
        self.tier = tier
        self.order = order
        self.selector = selector
        self.types = types
        self.ingress = ingress
        self.egress = egress
        self.serviceAccountSelector = serviceAccountSelector
        self.namespaceSelector = namespaceSelector
        self.performanceHints = performanceHints
        self.doNotTrack = doNotTrack
        self.preDNAT = preDNAT
        self.applyOnForward = applyOnForward
        self.isGlobal = isGlobal
    }
}
