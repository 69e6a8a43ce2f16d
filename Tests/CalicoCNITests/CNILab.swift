import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Where the built plugins are.
enum CNITestEnvironment {
    static func binary(_ plugin: String) -> String { BuiltProducts.path(plugin) }
}

/// What one plugin run printed.
struct PluginRun {
    var status: Int32
    var stdout: String
    var stderr: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }
    var code: Int? { json["code"] as? Int }
    var msg: String { (json["msg"] as? String ?? "") + " " + (json["details"] as? String ?? "") }
    var ips: [String] { (json["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String } }
    var firstIP: String { ips.first.map { String($0.split(separator: "/")[0]) } ?? "" }
    var summary: String { "exit \(status), stdout: \(stdout), stderr: \(stderr)" }
}

/// One test's world: a "node" network namespace (lo up, an `eth0` veth into a peer
/// namespace of its own holding the default route, forwarding on), an embedded datastore in
/// a temp dir, and container namespaces on demand. Every name carries `cnit-<pid>-<tag>`;
/// `cleanup()` deletes all of it. Nothing is added to the root namespace.
final class CNILab: @unchecked Sendable {
    static let nodeAddress = "198.51.100.1"
    static let upstreamAddress = "198.51.100.254"

    let prefix: String
    let dir: String
    let nodeName = "node1"
    var node: String { "\(prefix)-node" }
    var upstream: String { "\(prefix)-up" }
    var dbPath: String { dir + "/datastore.db" }
    var lockPath: String { dir + "/ipam.lock" }
    private let lock = NSLock()
    private var namespaces: [String] = []
    let net = IPRoute2()

    init(tag: String) throws {
        prefix = "cnit-\(getpid())-\(tag)"
        dir = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            try addNamespace(node)
            try addNamespace(upstream)
            let n = NetworkNamespace.named(node)
            let u = NetworkNamespace.named(upstream)
            try net.setLink("lo", up: true, in: n)
            try net.createVeth(name: "eth0", peer: "eth0", peerNamespace: "/var/run/netns/\(upstream)", in: n)
            try net.addAddress("\(Self.nodeAddress)/24", device: "eth0", in: n)
            try net.setLink("eth0", up: true, in: n)
            try net.addAddress("\(Self.upstreamAddress)/24", device: "eth0", in: u)
            try net.setLink("eth0", up: true, in: u)
            try net.addRoute(RouteSpec(destination: "default", device: "eth0", gateway: Self.upstreamAddress), in: n)
            try net.setSysctl("net/ipv4/ip_forward", "1", in: n)
        } catch {
            cleanup()
            throw error
        }
    }

    func addNamespace(_ name: String) throws {
        try CommandRunner.check(["ip", "netns", "add", name])
        lock.withLock { namespaces.append(name) }
    }

    /// A new container namespace; returns its path.
    @discardableResult
    func container(_ name: String) throws -> String {
        let ns = "\(prefix)-\(name)"
        try addNamespace(ns)
        try net.setLink("lo", up: true, in: .named(ns))
        return "/var/run/netns/\(ns)"
    }

    func containerNamespace(_ name: String) -> NetworkNamespace { .named("\(prefix)-\(name)") }
    var nodeNamespace: NetworkNamespace { .named(node) }

    func deleteNamespace(_ name: String) {
        let ns = "\(prefix)-\(name)"
        _ = try? CommandRunner.run(["ip", "netns", "del", ns])
        lock.withLock { namespaces.removeAll { $0 == ns } }
    }

    func cleanup() {
        let all = lock.withLock { let n = namespaces; namespaces = []; return n }
        for ns in all.reversed() { _ = try? CommandRunner.run(["ip", "netns", "del", ns]) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: Datastore

    func datastore() throws -> Datastore {
        var c = DatastoreConfig()
        c.type = .embedded
        c.embeddedPath = dbPath
        return try c.open(createIfMissing: true)
    }

    func createPool(_ cidr: String, blockSize: Int? = nil, name: String = "pool1") async throws {
        var spec = IPPoolSpec(cidr: cidr)
        spec.blockSize = blockSize
        spec.ipipMode = "Never"
        spec.vxlanMode = "Never"
        _ = try await datastore().create(IPPool(metadata: ObjectMeta(name: name), spec: spec))
    }

    /// Addresses still allocated, handles still present, endpoints still stored.
    func leftovers() async throws -> (allocated: Int, handles: [String], endpoints: [String]) {
        let ds = try datastore()
        let ipam = IPAMClient(datastore: ds)
        let allocated = try await ipam.allBlocks().reduce(0) { $0 + $1.inUse }
        let handles = try await ipam.handles().map(\.handleID)
        let weps = try await ds.list(ResourceRegistry.kind(named: "workloadendpoint")!, namespace: nil).items.map(\.resource.name)
        return (allocated, handles, weps)
    }

    /// `cali*` links and routes into the pool left in the node namespace.
    func nodeLeftovers() throws -> (links: [String], routes: [String]) {
        let links = try net.links(in: nodeNamespace).map(\.name).filter { $0.hasPrefix("cali") }
        let routes = try net.routes(family: 4, in: nodeNamespace).filter { $0.destination.hasPrefix("10.24") }.map(\.description)
        return (links, routes)
    }

    // MARK: Plugin runs

    /// Network configuration JSON as a runtime would pass it.
    func netconf(version: String = "1.0.0", name: String = "testnet", ipam: [String: Any] = [:], extra: [String: Any] = [:]) -> String {
        var ipamConf: [String: Any] = ["type": "calico-ipam"]
        ipamConf.merge(ipam) { _, b in b }
        var o: [String: Any] = [
            "cniVersion": version, "name": name, "type": "calico",
            "datastore_type": "embedded", "embedded_datastore_path": dbPath,
            "nodename": nodeName, "mtu": 1450, "ipam_lock_file": lockPath,
            "log_level": "info", "ipam": ipamConf,
        ]
        o.merge(extra) { _, b in b }
        let data = try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The environment a runtime sets for one command.
    func environment(_ command: String, containerID: String, netns: String, ifname: String = "eth0", args: String? = nil,
                     extra: [String: String] = [:]) -> [String: String] {
        var env = ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns, "CNI_IFNAME": ifname,
                   "CNI_PATH": "/opt/cni/bin", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        if let args { env["CNI_ARGS"] = args }
        env.merge(extra) { _, b in b }
        return env
    }

    /// The command line that runs `plugin` inside the node namespace with `env`.
    func commandLine(_ plugin: String, env: [String: String]) -> [String] {
        ["ip", "netns", "exec", node, "env", "-i"] + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + [CNITestEnvironment.binary(plugin)]
    }

    /// Runs `calico` (see below).
    func run(_ command: String, containerID: String, netns: String, ifname: String = "eth0",
             args: String? = nil, conf: String? = nil, extraEnv: [String: String] = [:]) throws -> PluginRun {
        try run("calico", command, containerID: containerID, netns: netns, ifname: ifname, args: args, conf: conf, extraEnv: extraEnv)
    }

    /// Runs a plugin exactly as a runtime does: environment, netconf on stdin, in the node namespace.
    func run(_ plugin: String, _ command: String, containerID: String, netns: String, ifname: String = "eth0",
             args: String? = nil, conf: String? = nil, extraEnv: [String: String] = [:]) throws -> PluginRun {
        let env = environment(command, containerID: containerID, netns: netns, ifname: ifname, args: args, extra: extraEnv)
        let out = try CommandRunner.run(commandLine(plugin, env: env), input: conf ?? netconf())
        return PluginRun(status: out.status, stdout: out.stdout.trimmingCharacters(in: .whitespacesAndNewlines), stderr: out.stderr)
    }

    /// ADD that must succeed.
    func add(_ containerID: String, netns: String, args: String? = nil, conf: String? = nil,
             sourceLocation: SourceLocation = #_sourceLocation) throws -> PluginRun {
        let r = try run("ADD", containerID: containerID, netns: netns, args: args, conf: conf)
        #expect(r.status == 0, "ADD \(containerID): \(r.summary)", sourceLocation: sourceLocation)
        return r
    }

    /// Whether `from` (a container) reaches `address` with one ping, retrying briefly.
    func ping(from ns: NetworkNamespace, _ address: String) -> Bool {
        for _ in 0..<3 {
            let argv: [String]
            switch ns {
            case .path(let p): argv = ["nsenter", "--net=\(p)", "ping", "-c1", "-W1", address]
            case .current: argv = ["ping", "-c1", "-W1", address]
            }
            if let out = try? CommandRunner.run(argv), out.status == 0 { return true }
        }
        return false
    }
}

/// Runs `body` with a fresh lab, cleaned up however the body ends. Root and the built plugins
/// are required: without them the test fails, saying so.
func withLab(_ tag: String, pool: String? = "10.244.0.0/16", blockSize: Int? = nil,
             sourceLocation: SourceLocation = #_sourceLocation, _ body: (CNILab) async throws -> Void) async throws {
    try RootGate.require("network namespaces and veths for the CNI plugins", sourceLocation: sourceLocation)
    for plugin in ["calico", "calico-ipam"] { try BuiltProducts.require(plugin, sourceLocation: sourceLocation) }
    let lab = try CNILab(tag: tag)
    do {
        if let pool { try await lab.createPool(pool, blockSize: blockSize) }
        try await body(lab)
    } catch {
        lab.cleanup()
        throw error
    }
    lab.cleanup()
}
