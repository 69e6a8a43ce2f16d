public struct NodeBGPSpec: Codable, Sendable, Equatable {
    public var asNumber: ASNumber?
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var ipv4IPIPTunnelAddr: String?
    public var routeReflectorClusterID: String?
    public init(ipv4Address: String? = nil, ipv6Address: String? = nil) {
        self.ipv4Address = ipv4Address
        self.ipv6Address = ipv6Address
    }
}

/// The orchestrator's name for a node.
public struct OrchRef: Codable, Sendable, Equatable {
    public var nodeName: String?
    public var orchestrator: String?
    public init(nodeName: String? = nil, orchestrator: String? = nil) {
        self.nodeName = nodeName
        self.orchestrator = orchestrator
    }
}

public struct NodeWireguardSpec: Codable, Sendable, Equatable {
    public var interfaceIPv4Address: String?
    public var interfaceIPv6Address: String?
    public init(interfaceIPv4Address: String? = nil, interfaceIPv6Address: String? = nil) {
        self.interfaceIPv4Address = interfaceIPv4Address
        self.interfaceIPv6Address = interfaceIPv6Address
    }
}

/// A node address and its kind: `CalicoNodeIP`, `InternalIP` or `ExternalIP`.
public struct NodeAddress: Codable, Sendable, Equatable {
    public var address: String?
    public var type: String?
    public init(address: String? = nil, type: String? = nil) {
        self.address = address
        self.type = type
    }
}

public struct NodeInterface: Codable, Sendable, Equatable {
    public var name: String?
    public var addresses: [String]?
    public init(name: String? = nil, addresses: [String]? = nil) {
        self.name = name
        self.addresses = addresses
    }
}

public struct NodeSpec: Codable, Sendable, Equatable {
    public var bgp: NodeBGPSpec?
    public var ipv4VXLANTunnelAddr: String?
    public var vxlanTunnelMACAddr: String?
    public var ipv6VXLANTunnelAddr: String?
    public var vxlanTunnelMACAddrV6: String?
    public var orchRefs: [OrchRef]?
    public var wireguard: NodeWireguardSpec?
    public var addresses: [NodeAddress]?
    public var interfaces: [NodeInterface]?
    public init() {}
}

public struct NodeStatus: Codable, Sendable, Equatable {
    public var wireguardPublicKey: String?
    public var wireguardPublicKeyV6: String?
    public var podCIDRs: [String]?
    public init() {}
}

/// A Calico node: its BGP, tunnel and WireGuard addresses.
public struct Node: CalicoResource {
    public static let kindName = "Node"
    public var apiVersion = calicoAPIVersion
    public var kind = Node.kindName
    public var metadata = ObjectMeta()
    public var spec = NodeSpec()
    public var status: NodeStatus?
    public init(metadata: ObjectMeta = ObjectMeta(), spec: NodeSpec = NodeSpec(), status: NodeStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct ClusterInformationSpec: Codable, Sendable, Equatable {
    public var clusterGUID: String?
    public var clusterType: String?
    public var calicoVersion: String?
    public var datastoreReady: Bool?
    public var variant: String?
    public init() {}
}

/// Cluster-wide facts written by Calico itself (only `default`).
public struct ClusterInformation: CalicoResource {
    public static let kindName = "ClusterInformation"
    public var apiVersion = calicoAPIVersion
    public var kind = ClusterInformation.kindName
    public var metadata = ObjectMeta()
    public var spec = ClusterInformationSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: ClusterInformationSpec = ClusterInformationSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}
