import Foundation

/// Which datastore the lab's cluster uses.
public enum LabDatastore: String, Sendable, Codable, CaseIterable {
    /// The embedded SQLite store, a file in the state directory (`datastore.db`).
    case embedded
    /// A throwaway etcd started in the router namespace on 198.51.100.254.
    case etcd = "etcdv3"
}

/// How to build a lab (see `Lab.up`).
public struct LabConfig: Sendable {
    /// The default state directory of the `calico-lab` command.
    public static let defaultStateDirectory = "/var/run/calico-lab"

    /// Where `lab.json`, the datastore file, logs and the IPAM lock live; created when missing.
    public var stateDirectory: String
    /// Where the project's binaries are (`calico-node`, `calico`, `calico-ipam`, `calicoctl`,
    /// `calico-probe`); nil: the directory of the running executable.
    public var binDirectory: String?
    public var datastore: LabDatastore
    /// Whether `up` starts `calico-node -felix` in the node namespace.
    public var startFelix: Bool
    /// Extra variables for Felix (`FELIX_*`), over the lab's own.
    public var felixEnvironment: [String: String]
    /// How long `up` waits for Felix to answer `readiness` on its health port (9099) before it
    /// goes on with a warning.
    public var felixReadyTimeout: Duration
    /// Whether `calico-probe serve` runs on the node, on the outside host and in every pod.
    public var startProbeServers: Bool
    /// Names of every namespace start with `<prefix>-`; nil: `clab-<pid>`.
    public var prefix: String?
    /// How many nodes `up` starts (`node1` … `nodeN`).
    public var nodes: Int
    public var encapsulation: LabEncapsulation
    /// Dual stack: IPv6 on the underlay (`fd00:10:244:ff0a::/64`, `…:ff0b::/64`), an IPv6
    /// pool (`fd00:10:244::/56`, the same encapsulation) and IPv6 addresses for pods.
    public var ipv6: Bool
    /// Felix-programmed routes (default) or BGP through BIRD on every node.
    public var routing: LabRouting
    /// With BGP routing: a ToR in the router namespace (BIRD, AS 65000) that every node peers
    /// with over eBGP, routing pods between the subnets.
    public var tor = false
    /// Run Goldmane and Whisker in the router namespace and have every Felix send its flow
    /// logs there (every `flowFlushSeconds`); the `calico-lab` command turns this on.
    public var flows = false
    public var flowFlushSeconds = 15
    /// Goldmane's aggregation window (upstream's 15 s; tests shorten it).
    public var goldmaneWindowSeconds = 15
    /// With flows: also make Whisker reachable at `127.0.0.1:<uiPort>` of the calling namespace
    /// (a relay process, nothing configured there).
    public var uiPort: Int?

    public init(stateDirectory: String = LabConfig.defaultStateDirectory, binDirectory: String? = nil,
                datastore: LabDatastore = .embedded, startFelix: Bool = true, felixEnvironment: [String: String] = [:],
                felixReadyTimeout: Duration = .seconds(15), startProbeServers: Bool = true, prefix: String? = nil,
                nodes: Int = 1, encapsulation: LabEncapsulation = .none, ipv6: Bool = false, routing: LabRouting = .felix) {
        self.nodes = nodes
        self.routing = routing
        self.ipv6 = ipv6
        self.encapsulation = encapsulation
        self.stateDirectory = stateDirectory
        self.binDirectory = binDirectory
        self.datastore = datastore
        self.startFelix = startFelix
        self.felixEnvironment = felixEnvironment
        self.felixReadyTimeout = felixReadyTimeout
        self.startProbeServers = startProbeServers
        self.prefix = prefix
    }

    /// The directory of the running executable (`/proc/self/exe`).
    public static func executableDirectory() -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }
}

/// Fixed facts of the lab's topology (addresses from the project's lab ranges).
public enum LabAddresses {
    public static let nodeName = "node1"
    /// node1's `eth0` (on subnet A, 198.51.100.0/25).
    public static let node = "198.51.100.1"
    /// The router on subnet A (the gateway of its nodes; etcd listens here).
    public static let routerNodeSide = "198.51.100.126"
    /// The router on subnet B (198.51.100.128/25).
    public static let routerSubnetB = "198.51.100.254"
    /// The underlay subnets' prefix length.
    public static let underlayPrefix = 25
    /// The outside host's `eth0`.
    public static let ext = "203.0.113.10"
    /// The router's side of the outside link.
    public static let routerExtSide = "203.0.113.254"
    /// Goldmane's gRPC port (in the router namespace) and Whisker's HTTP port.
    public static let goldmanePort = 7443
    public static let whiskerPort = 8081
    public static let podPool = "10.244.0.0/16"
    /// The IPv6 pod pool: a /56 of the lab's IPv6 range fd00:10:244::/48 (the underlay's
    /// subnets take two /64s of the rest).
    public static let podPoolV6 = "fd00:10:244::/56"
    /// The underlay's IPv6 prefix length.
    public static let underlayPrefixV6 = 64
    /// Ports `calico-probe serve` listens on.
    public static let probeTCPPorts = [8080, 9090]
    public static let probeUDPPorts = [5353]
    /// Felix's health port (readiness and liveness).
    public static let felixHealthPort = 9099
}
