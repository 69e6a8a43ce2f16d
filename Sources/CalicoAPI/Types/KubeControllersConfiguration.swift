/// A template for host endpoints that the node controller creates automatically.
public struct AutoHostEndpointTemplate: Codable, Sendable, Equatable {
    public var generateName: String?
    public var interfaceCIDRs: [String]?
    public var interfacePattern: String?
    public var labels: [String: String]?
    public var nodeSelector: String?
    public init(generateName: String? = nil) { self.generateName = generateName }
}

public struct AutoHostEndpointConfig: Codable, Sendable, Equatable {
    public var autoCreate: String?
    public var createDefaultHostEndpoint: String?
    public var templates: [AutoHostEndpointTemplate]?
    public init() {}
}

public struct NodeControllerConfig: Codable, Sendable, Equatable {
    public var reconcilerPeriod: String?
    public var syncLabels: String?
    public var hostEndpoint: AutoHostEndpointConfig?
    public var leakGracePeriod: String?
    public init() {}
}

/// The settings of the policy, workloadEndpoint, serviceAccount and namespace controllers.
public struct ReconcilerControllerConfig: Codable, Sendable, Equatable {
    public var reconcilerPeriod: String?
    public init(reconcilerPeriod: String? = nil) { self.reconcilerPeriod = reconcilerPeriod }
}

public typealias PolicyControllerConfig = ReconcilerControllerConfig
public typealias WorkloadEndpointControllerConfig = ReconcilerControllerConfig
public typealias ServiceAccountControllerConfig = ReconcilerControllerConfig
public typealias NamespaceControllerConfig = ReconcilerControllerConfig

public struct LoadBalancerControllerConfig: Codable, Sendable, Equatable {
    public var assignIPs: String?
    public init(assignIPs: String? = nil) { self.assignIPs = assignIPs }
}

/// The controllers to run; an absent block disables that controller.
public struct ControllersConfig: Codable, Sendable, Equatable {
    public var node: NodeControllerConfig?
    public var policy: PolicyControllerConfig?
    public var workloadEndpoint: WorkloadEndpointControllerConfig?
    public var serviceAccount: ServiceAccountControllerConfig?
    public var namespace: NamespaceControllerConfig?
    public var loadBalancer: LoadBalancerControllerConfig?
    public init() {}
}

public struct KubeControllersConfigurationSpec: Codable, Sendable, Equatable {
    public var logSeverityScreen: String?
    public var healthChecks: String?
    public var etcdV3CompactionPeriod: String?
    public var prometheusMetricsPort: Int?
    public var debugProfilePort: Int32?
    public var controllers: ControllersConfig?
    public init() {}
}

public struct KubeControllersConfigurationStatus: Codable, Sendable, Equatable {
    public var runningConfig: KubeControllersConfigurationSpec?
    public var environmentVars: [String: String]?
    public init() {}
}

/// Configuration of calico-kube-controllers (only `default`).
public struct KubeControllersConfiguration: CalicoResource {
    public static let kindName = "KubeControllersConfiguration"
    public var apiVersion = calicoAPIVersion
    public var kind = KubeControllersConfiguration.kindName
    public var metadata = ObjectMeta()
    public var spec = KubeControllersConfigurationSpec()
    public var status: KubeControllersConfigurationStatus?
    public init(metadata: ObjectMeta = ObjectMeta(), spec: KubeControllersConfigurationSpec = KubeControllersConfigurationSpec(),
                status: KubeControllersConfigurationStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}
