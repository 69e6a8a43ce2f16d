/// A protocol/port pair (optionally limited to a network) that Felix always allows to or from the host.
public struct ProtoPort: Codable, Sendable, Equatable {
    public var `protocol`: String
    public var port: Int
    public var net: String?
    public init(protocol proto: String, port: Int, net: String? = nil) {
        self.protocol = proto
        self.port = port
        self.net = net
    }
}

/// An inclusive range of routing table indices.
public struct RouteTableRange: Codable, Sendable, Equatable {
    public var min: Int
    public var max: Int
    public init(min: Int, max: Int) {
        self.min = min
        self.max = max
    }
}

/// Overrides the timeout of one of Felix's health reporters.
public struct HealthTimeoutOverride: Codable, Sendable, Equatable {
    public var name: String
    public var timeout: String
    public init(name: String, timeout: String) {
        self.name = name
        self.timeout = timeout
    }
}

/// Timeouts of the eBPF conntrack table: each a duration or `Auto`.
public struct BPFConntrackTimeouts: Codable, Sendable, Equatable {
    public var creationGracePeriod: String?
    public var tcpSynSent: String?
    public var tcpEstablished: String?
    public var tcpFinsSeen: String?
    public var tcpResetSeen: String?
    public var udpTimeout: String?
    public var genericTimeout: String?
    public var icmpTimeout: String?
    public init() {}
}

public struct FelixConfigurationSpec: Codable, Sendable, Equatable {
    public var useInternalDataplaneDriver: Bool?
    public var dataplaneDriver: String?
    public var dataplaneWatchdogTimeout: String?
    public var ipv6Support: Bool?
    public var routeRefreshInterval: String?
    public var interfaceRefreshInterval: String?
    public var iptablesRefreshInterval: String?
    public var iptablesPostWriteCheckInterval: String?
    public var iptablesLockFilePath: String?
    public var iptablesLockTimeout: String?
    public var iptablesLockProbeInterval: String?
    public var featureDetectOverride: String?
    public var featureGates: String?
    public var ipsetsRefreshInterval: String?
    public var maxIpsetSize: Int?
    public var iptablesBackend: String?
    public var xdpRefreshInterval: String?
    public var netlinkTimeout: String?
    public var metadataAddr: String?
    public var metadataPort: Int?
    public var openstackRegion: String?
    public var interfacePrefix: String?
    public var interfaceExclude: String?
    public var chainInsertMode: String?
    public var defaultEndpointToHostAction: String?
    public var iptablesFilterAllowAction: String?
    public var iptablesMangleAllowAction: String?
    public var iptablesFilterDenyAction: String?
    public var logPrefix: String?
    public var logActionRateLimit: String?
    public var logActionRateLimitBurst: Int?
    public var logFilePath: String?
    public var logSeverityFile: String?
    public var logSeverityScreen: String?
    public var logSeveritySys: String?
    public var logDebugFilenameRegex: String?
    public var ipipEnabled: Bool?
    public var ipipMTU: Int?
    public var vxlanEnabled: Bool?
    public var vxlanMTU: Int?
    public var vxlanMTUV6: Int?
    public var vxlanPort: Int?
    public var vxlanVNI: Int?
    public var allowVXLANPacketsFromWorkloads: Bool?
    public var allowIPIPPacketsFromWorkloads: Bool?
    public var reportingInterval: String?
    public var reportingTTL: String?
    public var endpointReportingEnabled: Bool?
    public var endpointReportingDelay: String?
    public var endpointStatusPathPrefix: String?
    public var iptablesMarkMask: UInt32?
    public var disableConntrackInvalidCheck: Bool?
    public var healthEnabled: Bool?
    public var healthHost: String?
    public var healthPort: Int?
    public var healthTimeoutOverrides: [HealthTimeoutOverride]?
    public var prometheusMetricsEnabled: Bool?
    public var prometheusMetricsHost: String?
    public var prometheusMetricsPort: Int?
    public var prometheusGoMetricsEnabled: Bool?
    public var prometheusProcessMetricsEnabled: Bool?
    public var prometheusWireGuardMetricsEnabled: Bool?
    public var failsafeInboundHostPorts: [ProtoPort]?
    public var failsafeOutboundHostPorts: [ProtoPort]?
    public var kubeNodePortRanges: [Port]?
    public var policySyncPathPrefix: String?
    public var usageReportingEnabled: Bool?
    public var usageReportingInitialDelay: String?
    public var usageReportingInterval: String?
    public var natPortRange: Port?
    public var natOutgoingAddress: String?
    public var natOutgoingExclusions: String?
    public var deviceRouteSourceAddress: String?
    public var deviceRouteSourceAddressIPv6: String?
    public var deviceRouteProtocol: Int?
    public var removeExternalRoutes: Bool?
    public var programClusterRoutes: String?
    public var ipForwarding: String?
    public var externalNodesList: [String]?
    public var debugMemoryProfilePath: String?
    public var debugDisableLogDropping: Bool?
    public var debugSimulateCalcGraphHangAfter: String?
    public var debugSimulateDataplaneHangAfter: String?
    public var debugSimulateDataplaneApplyDelay: String?
    public var debugHost: String?
    public var debugPort: Int?
    public var iptablesNATOutgoingInterfaceFilter: String?
    public var sidecarAccelerationEnabled: Bool?
    public var xdpEnabled: Bool?
    public var genericXDPEnabled: Bool?
    public var nftablesMode: String?
    public var nftablesRefreshInterval: String?
    public var nftablesFilterAllowAction: String?
    public var nftablesMangleAllowAction: String?
    public var nftablesFilterDenyAction: String?
    public var nftablesMarkMask: UInt32?
    public var bpfEnabled: Bool?
    public var bpfDisableUnprivileged: Bool?
    public var bpfLogLevel: String?
    public var bpfConntrackLogLevel: String?
    public var bpfConntrackMode: String?
    public var bpfConntrackTimeouts: BPFConntrackTimeouts?
    public var bpfLogFilters: [String: String]?
    public var bpfCTLBLogFilter: String?
    public var bpfDataIfacePattern: String?
    public var bpfL3IfacePattern: String?
    public var bpfConnectTimeLoadBalancingEnabled: Bool?
    public var bpfConnectTimeLoadBalancing: String?
    public var bpfHostNetworkedNATWithoutCTLB: String?
    public var bpfExternalServiceMode: String?
    public var bpfDSROptoutCIDRs: [String]?
    public var bpfExtToServiceConnmark: Int?
    public var bpfKubeProxyIptablesCleanupEnabled: Bool?
    public var bpfKubeProxyMinSyncPeriod: String?
    public var bpfKubeProxyHealthzPort: Int?
    public var bpfKubeProxyEndpointSlicesEnabled: Bool?
    public var bpfPSNATPorts: Port?
    public var bpfMapSizeNATFrontend: Int?
    public var bpfMapSizeNATBackend: Int?
    public var bpfMapSizeNATAffinity: Int?
    public var bpfMapSizeRoute: Int?
    public var bpfMapSizeConntrack: Int?
    public var bpfMapSizePerCpuConntrack: Int?
    public var bpfMapSizeConntrackScaling: String?
    public var bpfMapSizeConntrackCleanupQueue: Int?
    public var bpfMapSizeIPSets: Int?
    public var bpfMapSizeIfState: Int?
    public var bpfHostConntrackBypass: Bool?
    public var bpfEnforceRPF: String?
    public var bpfPolicyDebugEnabled: Bool?
    public var bpfForceTrackPacketsFromIfaces: [String]?
    public var bpfDisableGROForIfaces: String?
    public var bpfExcludeCIDRsFromNAT: [String]?
    public var bpfExportBufferSizeMB: Int?
    public var bpfRedirectToPeer: String?
    public var bpfAttachType: String?
    public var bpfProfiling: String?
    public var bpfJITHardening: String?
    public var routeSource: String?
    public var routeTableRanges: [RouteTableRange]?
    public var routeTableRange: RouteTableRange?
    public var routeSyncDisabled: Bool?
    public var wireguardEnabled: Bool?
    public var wireguardEnabledV6: Bool?
    public var wireguardThreadingEnabled: Bool?
    public var wireguardListeningPort: Int?
    public var wireguardListeningPortV6: Int?
    public var wireguardRoutingRulePriority: Int?
    public var wireguardInterfaceName: String?
    public var wireguardInterfaceNameV6: String?
    public var wireguardMTU: Int?
    public var wireguardMTUV6: Int?
    public var wireguardHostEncryptionEnabled: Bool?
    public var wireguardKeepAlive: String?
    public var awsSrcDstCheck: String?
    public var serviceLoopPrevention: String?
    public var workloadSourceSpoofing: String?
    public var mtuIfacePattern: String?
    public var floatingIPs: String?
    public var windowsManageFirewallRules: String?
    public var goGCThreshold: Int?
    public var goMemoryLimitMB: Int?
    public var goMaxProcs: Int?
    public var flowLogsFlushInterval: String?
    public var flowLogsCollectorDebugTrace: Bool?
    public var flowLogsGoldmaneServer: String?
    public var flowLogsLocalReporter: String?
    public var flowLogsPolicyEvaluationMode: String?
    public var cgroupV2Path: String?
    public var requireMTUFile: Bool?

    public init() {}
}

/// Felix (per-node dataplane agent) configuration: `default`, `node.<name>` or a shared profile.
public struct FelixConfiguration: CalicoResource {
    public static let kindName = "FelixConfiguration"
    public var apiVersion = calicoAPIVersion
    public var kind = FelixConfiguration.kindName
    public var metadata = ObjectMeta()
    public var spec = FelixConfigurationSpec()
    public init(metadata: ObjectMeta = ObjectMeta(), spec: FelixConfigurationSpec = FelixConfigurationSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

extension FelixConfigurationSpec {
    /// The fields that hold a Go duration (`metav1.Duration` upstream), by name.
    public static var durationFields: [(name: String, path: WritableKeyPath<FelixConfigurationSpec, String?>)] {
        [
            ("dataplaneWatchdogTimeout", \.dataplaneWatchdogTimeout), ("routeRefreshInterval", \.routeRefreshInterval),
            ("interfaceRefreshInterval", \.interfaceRefreshInterval), ("iptablesRefreshInterval", \.iptablesRefreshInterval),
            ("iptablesPostWriteCheckInterval", \.iptablesPostWriteCheckInterval), ("iptablesLockTimeout", \.iptablesLockTimeout),
            ("iptablesLockProbeInterval", \.iptablesLockProbeInterval), ("ipsetsRefreshInterval", \.ipsetsRefreshInterval),
            ("xdpRefreshInterval", \.xdpRefreshInterval), ("netlinkTimeout", \.netlinkTimeout),
            ("reportingInterval", \.reportingInterval), ("reportingTTL", \.reportingTTL),
            ("endpointReportingDelay", \.endpointReportingDelay), ("usageReportingInitialDelay", \.usageReportingInitialDelay),
            ("usageReportingInterval", \.usageReportingInterval),
            ("debugSimulateCalcGraphHangAfter", \.debugSimulateCalcGraphHangAfter),
            ("debugSimulateDataplaneHangAfter", \.debugSimulateDataplaneHangAfter),
            ("debugSimulateDataplaneApplyDelay", \.debugSimulateDataplaneApplyDelay),
            ("nftablesRefreshInterval", \.nftablesRefreshInterval), ("bpfKubeProxyMinSyncPeriod", \.bpfKubeProxyMinSyncPeriod),
            ("wireguardKeepAlive", \.wireguardKeepAlive), ("flowLogsFlushInterval", \.flowLogsFlushInterval),
        ]
    }
}
