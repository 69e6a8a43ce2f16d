/// A CIDR block of service IPs to advertise (`serviceClusterIPs`, `serviceExternalIPs`, `serviceLoadBalancerIPs`).
public struct ServiceIPBlock: Codable, Sendable, Equatable {
    public var cidr: String?
    public init(cidr: String? = nil) { self.cidr = cidr }
}

/// A named BGP community value (`aa:nn` or `aa:nn:mm`).
public struct Community: Codable, Sendable, Equatable {
    public var name: String?
    public var value: String?
    public init(name: String? = nil, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// Communities to attach when advertising a CIDR.
public struct PrefixAdvertisement: Codable, Sendable, Equatable {
    public var cidr: String?
    public var communities: [String]?
    public init(cidr: String? = nil, communities: [String]? = nil) {
        self.cidr = cidr
        self.communities = communities
    }
}

public struct BGPConfigurationSpec: Codable, Sendable, Equatable {
    public var logSeverityScreen: String?
    public var nodeToNodeMeshEnabled: Bool?
    public var asNumber: ASNumber?
    public var serviceLoadBalancerIPs: [ServiceIPBlock]?
    public var serviceExternalIPs: [ServiceIPBlock]?
    public var serviceClusterIPs: [ServiceIPBlock]?
    public var communities: [Community]?
    public var prefixAdvertisements: [PrefixAdvertisement]?
    public var listenPort: Int?
    public var nodeMeshPassword: SecretSource?
    public var nodeMeshMaxRestartTime: String?
    public var bindMode: String?
    public var ignoredInterfaces: [String]?
    public var localWorkloadPeeringIPV4: String?
    public var localWorkloadPeeringIPV6: String?
    public var serviceLoadBalancerAggregation: String?
    public var programClusterRoutes: String?

    public init() {}
}

/// Cluster-wide (`default`) or per-node (`node.<name>`) BGP settings.
public struct BGPConfiguration: CalicoResource {
    public static let kindName = "BGPConfiguration"
    public var apiVersion = calicoAPIVersion
    public var kind = BGPConfiguration.kindName
    public var metadata = ObjectMeta()
    public var spec = BGPConfigurationSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: BGPConfigurationSpec = BGPConfigurationSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct BGPPeerSpec: Codable, Sendable, Equatable {
    public var node: String?
    public var peerIP: String?
    public var asNumber: ASNumber?
    public var nodeSelector: String?
    public var peerSelector: String?
    public var keepOriginalNextHop: Bool?
    public var nextHopMode: String?
    public var password: SecretSource?
    public var sourceAddress: String?
    public var maxRestartTime: String?
    public var numAllowedLocalASNumbers: Int32?
    public var ttlSecurity: Int?
    public var reachableBy: String?
    public var filters: [String]?
    public var localWorkloadSelector: String?
    public var reversePeering: String?
    public var localASNumber: ASNumber?

    public init() {}
}

/// A BGP peering between Calico nodes (selected by `node`/`nodeSelector`) and a peer.
public struct BGPPeer: CalicoResource {
    public static let kindName = "BGPPeer"
    public var apiVersion = calicoAPIVersion
    public var kind = BGPPeer.kindName
    public var metadata = ObjectMeta()
    public var spec = BGPPeerSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: BGPPeerSpec = BGPPeerSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// Bounds on the prefix length a BGP filter rule matches (0–32 for IPv4, 0–128 for IPv6).
public struct BGPFilterPrefixLength: Codable, Sendable, Equatable {
    public var min: Int32?
    public var max: Int32?
    public init(min: Int32? = nil, max: Int32? = nil) {
        self.min = min
        self.max = max
    }
}

/// One import/export rule of a BGPFilter (same shape for IPv4 and IPv6).
public struct BGPFilterRule: Codable, Sendable, Equatable {
    public var cidr: String?
    public var prefixLength: BGPFilterPrefixLength?
    public var source: String?
    public var interface: String?
    public var matchOperator: String?
    public var action: String?
    public init(cidr: String? = nil, matchOperator: String? = nil, action: String? = nil) {
        self.cidr = cidr
        self.matchOperator = matchOperator
        self.action = action
    }
}

public typealias BGPFilterRuleV4 = BGPFilterRule
public typealias BGPFilterRuleV6 = BGPFilterRule

public struct BGPFilterSpec: Codable, Sendable, Equatable {
    public var exportV4: [BGPFilterRuleV4]?
    public var importV4: [BGPFilterRuleV4]?
    public var exportV6: [BGPFilterRuleV6]?
    public var importV6: [BGPFilterRuleV6]?
    public init() {}
}

/// Import/export route filters that BGPPeers reference by name.
public struct BGPFilter: CalicoResource {
    public static let kindName = "BGPFilter"
    public var apiVersion = calicoAPIVersion
    public var kind = BGPFilter.kindName
    public var metadata = ObjectMeta()
    public var spec = BGPFilterSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: BGPFilterSpec = BGPFilterSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}
