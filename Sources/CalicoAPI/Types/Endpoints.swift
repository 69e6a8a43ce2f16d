public struct EndpointPort: Codable, Sendable, Equatable {
    public var name: String?
    public var `protocol`: IPProtocol?
    public var port: Int?
    public init(name: String? = nil, protocol proto: IPProtocol? = nil, port: Int? = nil) {
        self.name = name
        self.protocol = proto
        self.port = port
    }
}

public struct HostEndpointSpec: Codable, Sendable, Equatable {
    public var node: String?
    public var interfaceName: String?
    public var expectedIPs: [String]?
    public var profiles: [String]?
    public var ports: [EndpointPort]?
    public init(node: String? = nil, interfaceName: String? = nil, expectedIPs: [String]? = nil, profiles: [String]? = nil, ports: [EndpointPort]? = nil) {
        self.node = node
        self.interfaceName = interfaceName
        self.expectedIPs = expectedIPs
        self.profiles = profiles
        self.ports = ports
    }
}

public struct HostEndpoint: CalicoResource {
    public static let kindName = "HostEndpoint"
    public var apiVersion = calicoAPIVersion
    public var kind = HostEndpoint.kindName
    public var metadata = ObjectMeta()
    public var spec = HostEndpointSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: HostEndpointSpec = HostEndpointSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct IPNAT: Codable, Sendable, Equatable {
    public var internalIP: String?
    public var externalIP: String?
    public init(internalIP: String? = nil, externalIP: String? = nil) {
        self.internalIP = internalIP
        self.externalIP = externalIP
    }
}

public struct WorkloadEndpointPort: Codable, Sendable, Equatable {
    public var name: String?
    public var `protocol`: IPProtocol?
    public var port: Int?
    public var hostPort: Int?
    public var hostIP: String?
    public init(name: String? = nil, protocol proto: IPProtocol? = nil, port: Int? = nil, hostPort: Int? = nil, hostIP: String? = nil) {
        self.name = name
        self.protocol = proto
        self.port = port
        self.hostPort = hostPort
        self.hostIP = hostIP
    }
}

/// Bandwidth, packet-rate, connection and DSCP controls of a workload (from QoS annotations).
public struct QoSControls: Codable, Sendable, Equatable {
    public var ingressBandwidth: Int64?
    public var egressBandwidth: Int64?
    public var ingressBurst: Int64?
    public var egressBurst: Int64?
    public var ingressPeakrate: Int64?
    public var egressPeakrate: Int64?
    public var ingressMinburst: Int64?
    public var egressMinburst: Int64?
    public var ingressPacketRate: Int64?
    public var egressPacketRate: Int64?
    public var ingressPacketBurst: Int64?
    public var egressPacketBurst: Int64?
    public var ingressMaxConnections: Int64?
    public var egressMaxConnections: Int64?
    public var dscp: DSCP?
    public init() {}
}

public struct WorkloadEndpointSpec: Codable, Sendable, Equatable {
    public var orchestrator: String?
    public var workload: String?
    public var node: String?
    public var containerID: String?
    public var pod: String?
    public var endpoint: String?
    public var serviceAccountName: String?
    public var ipNetworks: [String]?
    public var ipNATs: [IPNAT]?
    public var ipv4Gateway: String?
    public var ipv6Gateway: String?
    public var profiles: [String]?
    public var interfaceName: String?
    public var mac: String?
    public var ports: [WorkloadEndpointPort]?
    public var allowSpoofedSourcePrefixes: [String]?
    public var qosControls: QoSControls?
    public init() {}
}

public struct WorkloadEndpoint: CalicoResource {
    public static let kindName = "WorkloadEndpoint"
    public static let isNamespaced = true
    public var apiVersion = calicoAPIVersion
    public var kind = WorkloadEndpoint.kindName
    public var metadata = ObjectMeta()
    public var spec = WorkloadEndpointSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: WorkloadEndpointSpec = WorkloadEndpointSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct ProfileSpec: Codable, Sendable, Equatable {
    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var labelsToApply: [String: String]?
    public init(ingress: [Rule]? = nil, egress: [Rule]? = nil, labelsToApply: [String: String]? = nil) {
        self.ingress = ingress
        self.egress = egress
        self.labelsToApply = labelsToApply
    }
}

public struct Profile: CalicoResource {
    public static let kindName = "Profile"
    public var apiVersion = calicoAPIVersion
    public var kind = Profile.kindName
    public var metadata = ObjectMeta()
    public var spec = ProfileSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: ProfileSpec = ProfileSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

extension Profile {
    /// The profile Calico always provides: everything allowed both ways.
    public static let defaultAllowName = "projectcalico-default-allow"
    public static var defaultAllow: Profile {
        Profile(metadata: ObjectMeta(name: defaultAllowName),
                spec: ProfileSpec(ingress: [Rule(action: .allow)], egress: [Rule(action: .allow)]))
    }
}

public struct NetworkSetSpec: Codable, Sendable, Equatable {
    public var nets: [String]?
    public init(nets: [String]? = nil) { self.nets = nets }
}

public struct NetworkSet: CalicoResource {
    public static let kindName = "NetworkSet"
    public static let isNamespaced = true
    public var apiVersion = calicoAPIVersion
    public var kind = NetworkSet.kindName
    public var metadata = ObjectMeta()
    public var spec = NetworkSetSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: NetworkSetSpec = NetworkSetSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct GlobalNetworkSet: CalicoResource {
    public static let kindName = "GlobalNetworkSet"
    public var apiVersion = calicoAPIVersion
    public var kind = GlobalNetworkSet.kindName
    public var metadata = ObjectMeta()
    public var spec = NetworkSetSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: NetworkSetSpec = NetworkSetSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}
