/// The controls of a `QoSPolicy`, with the annotations' value syntax: bandwidths, bursts,
/// peak rates and minimum bursts as quantities (`10M`, `1Gi`); packet rates, packet bursts and
/// connection limits as numbers; `dscp` as 0–63 or a name (`EF`, `AF21`, `CS5`).
public struct QoSPolicySpec: Codable, Sendable, Equatable {
    /// The endpoints (workload and host) the policy applies to.
    public var selector: String?
    /// Lower first; the name breaks ties.
    public var order: Double?
    public var ingressBandwidth: String?
    public var egressBandwidth: String?
    public var ingressBurst: String?
    public var egressBurst: String?
    public var ingressPeakrate: String?
    public var egressPeakrate: String?
    public var ingressMinburst: String?
    public var egressMinburst: String?
    public var ingressPacketRate: Int64?
    public var egressPacketRate: Int64?
    public var ingressPacketBurst: Int64?
    public var egressPacketBurst: Int64?
    public var ingressMaxConnections: Int64?
    public var egressMaxConnections: Int64?
    public var dscp: DSCP?

    public init(selector: String? = nil, order: Double? = nil) {
        self.selector = selector
        self.order = order
    }

    /// The quantity fields by name (`ingressBandwidth` …), those that are set.
    public var quantities: [(name: String, value: String)] {
        [("ingressBandwidth", ingressBandwidth), ("egressBandwidth", egressBandwidth), ("ingressBurst", ingressBurst),
         ("egressBurst", egressBurst), ("ingressPeakrate", ingressPeakrate), ("egressPeakrate", egressPeakrate),
         ("ingressMinburst", ingressMinburst), ("egressMinburst", egressMinburst)].compactMap { n, v in v.map { (n, $0) } }
    }

    /// The number fields by name (`ingressPacketRate` …), those that are set.
    public var counts: [(name: String, value: Int64)] {
        [("ingressPacketRate", ingressPacketRate), ("egressPacketRate", egressPacketRate), ("ingressPacketBurst", ingressPacketBurst),
         ("egressPacketBurst", egressPacketBurst), ("ingressMaxConnections", ingressMaxConnections),
         ("egressMaxConnections", egressMaxConnections)].compactMap { n, v in v.map { (n, $0) } }
    }
}

/// A selector-based QoS policy (cluster-scoped). Upstream 3.31 announces a declarative QoS API
/// but ships only annotations; this kind is swift-calico's: one resource sets the controls of
/// every endpoint it selects. Per field, an endpoint's own annotation wins, then the matching
/// QoSPolicy with the lowest order.
public struct QoSPolicy: CalicoResource {
    public static let kindName = "QoSPolicy"
    public var apiVersion = calicoAPIVersion
    public var kind = QoSPolicy.kindName
    public var metadata = ObjectMeta()
    public var spec = QoSPolicySpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: QoSPolicySpec = QoSPolicySpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}
