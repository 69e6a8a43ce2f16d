import Foundation
import CalicoAPI

/// One pod of the lab: a network namespace wired by the `calico` CNI plugin.
public struct LabPod: Sendable, Codable, Equatable {
    public var name: String
    /// The Kubernetes namespace (the endpoint's profile is `kns.<namespace>`).
    public var namespace: String
    /// The pod's IPv4 address (no prefix length).
    public var ip: String
    /// The pod's IPv6 address, in a dual-stack lab.
    public var ipv6: String?
    /// The host side of the pod's veth, in the node namespace (`cali…`).
    public var interfaceName: String
    /// The pod's network namespace (`<prefix>-<name>`).
    public var netnsName: String
    public var containerID: String
    public var labels: [String: String]
    public var serviceAccount: String?
    /// The WorkloadEndpoint's name (`node1-k8s-<pod>-eth0`).
    public var endpointName: String
    /// `calico-probe serve` in the pod, when it runs.
    public var serverPID: Int32?
    /// The node the pod runs on.
    public var node: String

    public init(name: String, namespace: String, ip: String, interfaceName: String, netnsName: String, containerID: String,
                labels: [String: String], serviceAccount: String?, endpointName: String, serverPID: Int32?, node: String = LabAddresses.nodeName) {
        self.node = node
        self.name = name
        self.namespace = namespace
        self.ip = ip
        self.interfaceName = interfaceName
        self.netnsName = netnsName
        self.containerID = containerID
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.endpointName = endpointName
        self.serverPID = serverPID
    }
}

/// What `lab.json` records, so that `status`, `exec` and `down` work from another process.
struct LabState: Codable, Sendable {
    static let fileName = "lab.json"

    var prefix: String
    var stateDirectory: String
    var binDirectory: String
    var datastore: LabDatastore
    var embeddedPath: String?
    /// etcd's client URL as the node namespace reaches it (`http://198.51.100.254:<port>`).
    var etcdEndpoint: String?
    var etcdPort: Int?
    var etcdPID: Int32?
    /// etcd's data and log directory (deleted by `down`).
    var etcdDirectory: String?
    /// The nodes, node1 first.
    var nodes: [LabNode] = []
    var encapsulation: LabEncapsulation = .none
    /// Dual stack: nodes and pods get IPv6 addresses too (nil in a lab.json from before).
    var ipv6: Bool?
    /// Who routes between nodes (nil in a lab.json from before: Felix).
    var routing: LabRouting?
    /// Whether the router routes the pod pool to node1 (a one-node lab, so the outside host
    /// reaches pods directly); otherwise pods reach the outside only through NAT outgoing.
    var routesPods = true
    /// The ToR's BIRD (`--tor`), while it runs.
    var torPID: Int32?
    var felixEnvironment: [String: String]
    /// `calico-probe serve` on the node and the outside host, by target name.
    var servers: [String: Int32]
    /// Kubernetes namespaces made by `ensureNamespace`, with their labels.
    var kubernetesNamespaces: [String: [String: String]]
    var pods: [LabPod]
    /// Namespaces (network) this lab created, in creation order.
    var netns: [String]
    var warnings: [String]

    static func path(in directory: String) -> String { directory + "/" + fileName }

    static func read(from directory: String) throws -> LabState {
        let path = path(in: directory)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LabError.noLab(directory)
        }
        do {
            return try JSONDecoder().decode(LabState.self, from: data)
        } catch {
            throw LabError.badState(path, "\(error)")
        }
    }

    /// Writes `lab.json` atomically (a new file renamed over the old one).
    func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try AtomicFile.write(data, to: Self.path(in: stateDirectory))
    }
}

/// Why a lab operation failed.
public enum LabError: Error, Sendable, CustomStringConvertible {
    case alreadyUp(String)
    case noLab(String)
    case badState(String, String)
    case missingBinary(String, directory: String)
    case unknownTarget(String, known: [String])
    case badName(String, reason: String)
    case podExists(String)
    case noPod(String)
    case step(String, String)
    case cleanup([String])

    public var description: String {
        switch self {
        case .alreadyUp(let d): return "a lab is already up in \(d) (lab.json exists); run `calico-lab down` first"
        case .noLab(let d): return "no lab in \(d) (no lab.json); run `calico-lab up` first"
        case let .badState(p, why): return "cannot read \(p): \(why)"
        case let .missingBinary(b, dir): return "\(b) is missing in \(dir) (build it: swift build --product \(b))"
        case let .unknownTarget(t, known): return "no namespace called \(t) in this lab; targets: \(known.joined(separator: ", "))"
        case let .badName(n, why): return "bad name \"\(n)\": \(why)"
        case .podExists(let p): return "pod \(p) already exists"
        case .noPod(let p): return "no pod called \(p)"
        case let .step(what, detail): return "\(what): \(detail)"
        case .cleanup(let problems): return "cleanup left problems:\n  " + problems.joined(separator: "\n  ")
        }
    }
}
