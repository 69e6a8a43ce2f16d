public struct IPPoolSpec: Codable, Sendable, Equatable {
    public var cidr: String?
    public var vxlanMode: String?
    public var ipipMode: String?
    public var natOutgoing: Bool?
    public var disabled: Bool?
    public var disableBGPExport: Bool?
    public var blockSize: Int?
    public var nodeSelector: String?
    public var namespaceSelector: String?
    public var allowedUses: [String]?
    public var assignmentMode: String?
    /// Legacy v1 fields: must be absent or false.
    public var ipip: Value?
    public var natOutgoingV1: Bool?

    enum CodingKeys: String, CodingKey {
        case cidr, vxlanMode, ipipMode, natOutgoing, disabled, disableBGPExport, blockSize, nodeSelector
        case namespaceSelector, allowedUses, assignmentMode, ipip
        case natOutgoingV1 = "nat-outgoing"
    }

    public init(cidr: String? = nil) { self.cidr = cidr }
}

public struct IPPool: CalicoResource {
    public static let kindName = "IPPool"
    public var apiVersion = calicoAPIVersion
    public var kind = IPPool.kindName
    public var metadata = ObjectMeta()
    public var spec = IPPoolSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: IPPoolSpec = IPPoolSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct IPReservationSpec: Codable, Sendable, Equatable {
    public var reservedCIDRs: [String]?
    public init(reservedCIDRs: [String]? = nil) { self.reservedCIDRs = reservedCIDRs }
}

public struct IPReservation: CalicoResource {
    public static let kindName = "IPReservation"
    public var apiVersion = calicoAPIVersion
    public var kind = IPReservation.kindName
    public var metadata = ObjectMeta()
    public var spec = IPReservationSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: IPReservationSpec = IPReservationSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct IPAMConfigurationSpec: Codable, Sendable, Equatable {
    public var strictAffinity: Bool?
    public var maxBlocksPerHost: Int32?
    /// Hidden upstream field (libcalico IPAMConfig), accepted and kept.
    public var autoAllocateBlocks: Bool?
    public init(strictAffinity: Bool? = nil, maxBlocksPerHost: Int32? = nil) {
        self.strictAffinity = strictAffinity
        self.maxBlocksPerHost = maxBlocksPerHost
    }
}

public struct IPAMConfiguration: CalicoResource {
    public static let kindName = "IPAMConfiguration"
    public var apiVersion = calicoAPIVersion
    public var kind = IPAMConfiguration.kindName
    public var metadata = ObjectMeta()
    public var spec = IPAMConfigurationSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: IPAMConfigurationSpec = IPAMConfigurationSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}
