import CalicoAPI
import CalicoDatastore
import CalicoNetlink
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A small Calico cluster inside Linux network namespaces, run by the project's real binaries:
/// an underlay router, one node (`calico-node -startup`, optionally Felix), an outside host,
/// and pods wired by the `calico` CNI plugin. Everything is named `<prefix>-…` and recorded in
/// `<stateDirectory>/lab.json`, so another process can `load` the lab and take it `down`.
///
///     let lab = try await Lab.up(LabConfig(stateDirectory: dir, startFelix: false))
///     let web = try await lab.addPod(name: "web", namespace: "demo", labels: ["app": "web"])
///     print(try lab.exec("ext", ["ping", "-c1", web.ip]).stdout)
///     try lab.down()
public final class Lab: Sendable {
    public let stateDirectory: String
    public let prefix: String
    /// Where the binaries the lab runs are.
    public let binDirectory: String
    public let datastoreKind: LabDatastore
    public let nodeName = LabAddresses.nodeName
    public let nodeIP = LabAddresses.node
    public let extIP = LabAddresses.ext
    let topology: LabTopology
    let state: Mutex<LabState>
    /// etcd, when this process started it (a lab loaded from disk has only its pid).
    let etcdServer = Mutex<EtcdServer?>(nil)
    /// The typed client, and the relay to etcd it goes through in etcd mode.
    let client = Mutex<(datastore: Datastore?, forwarder: NamespaceForwarder?)>((nil, nil))

    init(state: LabState) {
        stateDirectory = state.stateDirectory
        prefix = state.prefix
        binDirectory = state.binDirectory
        datastoreKind = state.datastore
        topology = LabTopology(prefix: state.prefix)
        self.state = Mutex(state)
    }

    /// The node's network namespace (`<prefix>-node1`).
    public var nodeNamespace: String { topology.node }
    /// The outside host's network namespace (`<prefix>-ext`).
    public var extNamespace: String { topology.ext }
    /// The underlay router's network namespace (`<prefix>-router`).
    public var routerNamespace: String { topology.router }
    /// The pods, in the order they were added.
    public var pods: [LabPod] { state.withLock { $0.pods } }
    public func pod(_ name: String) -> LabPod? { pods.first { $0.name == name } }
    /// Things that did not work but did not stop the lab (e.g. no `calico-probe`).
    public var warnings: [String] { state.withLock { $0.warnings } }
    /// etcd's client URL as the node namespace reaches it (etcd mode only).
    public var etcdEndpoint: String? { state.withLock { $0.etcdEndpoint } }

    /// The nodes, node1 first.
    public var nodes: [LabNode] { state.withLock { $0.nodes } }
    public func node(_ name: String) -> LabNode? { nodes.first { $0.name == name } }
    public var encapsulation: LabEncapsulation { state.withLock { $0.encapsulation } }
    /// Who routes between the lab's nodes.
    public var routing: LabRouting { state.withLock { $0.routing ?? .felix } }
    /// Whether the lab is dual stack.
    public var ipv6: Bool { state.withLock { $0.ipv6 ?? false } }

    /// node1's Felix pid while it runs.
    public var felixPID: Int32? { felixPID(on: nodeName) }

    /// A node's Felix pid while it runs.
    public func felixPID(on node: String) -> Int32? {
        guard let n = self.node(node), let pid = n.felixPID, running(pid, in: n.netnsName) else { return nil }
        return pid
    }

    /// Whether `pid` runs in the network namespace `netns` (a recorded pid that was reused by
    /// another process does not count).
    func running(_ pid: Int32?, in netns: String) -> Bool {
        guard let pid else { return false }
        return ProcessControl.isAlive(pid) && ProcessControl.isProcess(pid, inNetworkNamespace: LabTopology.path(netns))
    }

    /// The network namespace of a target: a pod name, a node (`node1` …), `ext` or `router`.
    public func netnsName(of target: String) throws -> String {
        switch target {
        case "ext": return topology.ext
        case "router": return topology.router
        default:
            if let n = node(target) { return n.netnsName }
            if let pod = pod(target) { return pod.netnsName }
            throw LabError.unknownTarget(target, known: nodes.map(\.name) + ["ext", "router"] + pods.map(\.name))
        }
    }

    /// A binary of the lab (`calicoctl`, `calico-probe`, …) in `binDirectory`.
    public func binary(_ name: String) -> String { binDirectory + "/" + name }

    /// The variables that point a Calico tool at this lab's datastore (as seen from the node
    /// namespace).
    public var datastoreEnvironment: [String: String] {
        state.withLock { s in
            switch s.datastore {
            case .embedded: return ["DATASTORE_TYPE": "embedded", "EMBEDDED_DATASTORE_PATH": s.embeddedPath ?? ""]
            case .etcd: return ["DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": s.etcdEndpoint ?? ""]
            }
        }
    }

    var embeddedPath: String { stateDirectory + "/datastore.db" }
    var ipamLockPath: String { stateDirectory + "/ipam.lock" }
    var nodenamePath: String { stateDirectory + "/nodename" }
    var felixLogPath: String { stateDirectory + "/felix.log" }
    func path(_ file: String) -> String { stateDirectory + "/" + file }

    // MARK: Bring-up

    /// Builds the lab: router, node and outside host namespaces and links, the datastore
    /// (embedded file or etcd in the router namespace), `calico-node -startup`, Felix (when
    /// `startFelix`) and `calico-probe serve` on the node and the outside host. When a step
    /// fails, everything made so far is taken down again and the error is thrown.
    public static func up(_ config: LabConfig) async throws -> Lab {
        let directory = URL(fileURLWithPath: config.stateDirectory).standardizedFileURL.path
        if FileManager.default.fileExists(atPath: LabState.path(in: directory)) { throw LabError.alreadyUp(directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let binDirectory = config.binDirectory ?? LabConfig.executableDirectory()
        for name in ["calico-node", "calico", "calico-ipam", "calicoctl"]
        where !FileManager.default.isExecutableFile(atPath: binDirectory + "/" + name) {
            throw LabError.missingBinary(name, directory: binDirectory)
        }
        let prefix: String
        if let p = config.prefix {
            try LabTopology.checkName(p, what: "prefix")
            prefix = p
        } else {
            prefix = defaultPrefix()
        }
        let leftovers = LabTopology.namespaces(withPrefix: prefix)
        if !leftovers.isEmpty {
            throw LabError.step("namespaces of prefix \(prefix) exist already", leftovers.joined(separator: ", "))
        }
        // A datastore left by an earlier lab that was not taken down must not leak into this one.
        for name in LabFiles.all { try? FileManager.default.removeItem(atPath: directory + "/" + name) }

        guard (1...LabNode.maxIndex).contains(config.nodes) else {
            throw LabError.step("nodes", "a lab has 1 to \(LabNode.maxIndex) nodes (got \(config.nodes))")
        }
        var initial = LabState(prefix: prefix, stateDirectory: directory, binDirectory: binDirectory, datastore: config.datastore,
                               felixEnvironment: config.felixEnvironment, servers: [:], kubernetesNamespaces: [:],
                               pods: [], netns: [], warnings: [])
        initial.encapsulation = config.encapsulation
        initial.ipv6 = config.ipv6
        initial.routing = config.routing
        initial.routesPods = config.nodes == 1
        if config.datastore == .embedded { initial.embeddedPath = directory + "/datastore.db" }
        if config.flows {
            initial.felixEnvironment = try Lab.flowLogEnvironment(flush: config.flowFlushSeconds, stateDirectory: directory).merging(initial.felixEnvironment) { _, given in given }
        }
        try initial.write()
        let lab = Lab(state: initial)
        do {
            try lab.topology.build(ipv6: config.ipv6) { ns in try lab.update { $0.netns.append(ns) } }
            if config.flows { try lab.startFlowServices(uiPort: config.uiPort, window: config.goldmaneWindowSeconds) }
            if config.datastore == .etcd { try await lab.startEtcd() }
            if config.startProbeServers {
                let pid = try lab.startProbeServer(target: "ext", netns: lab.topology.ext)
                try lab.update { $0.servers["ext"] = pid }
            }
            for i in 1...config.nodes {
                try await lab.addNode(index: i, startFelix: config.startFelix, startProbeServer: config.startProbeServers, waitForFelix: nil)
            }
            if lab.state.withLock({ $0.routesPods }) { try lab.topology.routePods(to: lab.nodes[0]) }
            if config.tor { try lab.startToR() }
            if config.startFelix {
                for n in lab.nodes { try await lab.waitForFelix(on: n.name, timeout: config.felixReadyTimeout) }
                await lab.waitForTunnels(timeout: config.felixReadyTimeout)
            }
            return lab
        } catch {
            try? lab.down()
            throw error
        }
    }

    /// Labs started by this process so far (for default prefixes).
    static let started = Mutex(0)

    /// `clab-<pid>` for the first lab of this process, then `clab2-<pid>`, `clab3-<pid>`, …:
    /// never `<another prefix>-…`, as `down` deletes every namespace under its prefix.
    static func defaultPrefix() -> String {
        let n = started.withLock { n -> Int in
            n += 1
            return n
        }
        return n == 1 ? "clab-\(getpid())" : "clab\(n)-\(getpid())"
    }

    deinit {
        client.withLock { $0.forwarder }?.close()
    }

    /// The lab recorded in `<stateDirectory>/lab.json`.
    public static func load(stateDirectory: String) throws -> Lab {
        let directory = URL(fileURLWithPath: stateDirectory).standardizedFileURL.path
        return Lab(state: try LabState.read(from: directory))
    }

    /// Changes the state and writes `lab.json`.
    func update<T>(_ change: (inout LabState) throws -> T) throws -> T {
        try state.withLock { s in
            let result = try change(&s)
            try s.write()
            return result
        }
    }

    func warn(_ message: String) {
        try? update { $0.warnings.append(message) }
    }

    /// Starts etcd in the router namespace, listening on 127.0.0.1 there and on the router's
    /// side of the node link.
    func startEtcd() async throws {
        let server = try await EtcdServer.start(inNamespace: topology.router, addresses: [LabAddresses.routerNodeSide])
        etcdServer.withLock { $0 = server }
        try update { s in
            s.etcdEndpoint = server.endpoint(on: LabAddresses.routerNodeSide)
            s.etcdPort = server.clientPort
            s.etcdDirectory = server.directory
            s.etcdPID = server.processID
        }
    }

    /// `calico-node -startup` in a node's namespace: its Node, and on the first node the pools
    /// 10.244.0.0/16 (VXLAN as the lab's encapsulation, NAT outgoing) and fd00:10:244::/48,
    /// cluster defaults; then FelixConfiguration `programClusterRoutes: Enabled` (Felix routes
    /// between nodes without BIRD).
    func runStartup(_ n: LabNode) async throws {
        var env = datastoreEnvironment
        env["NODENAME"] = n.name
        env["IP"] = "\(n.ip)/\(LabAddresses.underlayPrefix)"
        env["IP6"] = n.ipv6.map { "\($0)/\(LabAddresses.underlayPrefixV6)" } ?? "none"
        env["CALICO_NETWORKING_BACKEND"] = routing == .bgp ? "bird" : "vxlan"
        env["CALICO_IPV4POOL_CIDR"] = LabAddresses.podPool
        env["CALICO_IPV4POOL_VXLAN"] = encapsulation.vxlanMode
        env["CALICO_IPV4POOL_NAT_OUTGOING"] = "true"
        // Not the random ULA pool upstream would make: the lab's range (used by a dual-stack lab).
        env["CALICO_IPV6POOL_CIDR"] = LabAddresses.podPoolV6
        if ipv6 { env["CALICO_IPV6POOL_VXLAN"] = encapsulation.vxlanMode }
        env["CALICO_NODENAME_FILE"] = path(n.nodenameFile)
        env["CLUSTER_TYPE"] = "k8s,lab"
        let out = try CommandRunner.run(inNamespace(n.netnsName, [binary("calico-node"), "-startup"], environment: env))
        guard out.status == 0 else {
            throw LabError.step("calico-node -startup on \(n.name) failed (exit \(out.status))", (out.stdout + out.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let kind = ResourceRegistry.kind(named: "felixconfiguration")!
        for _ in 0..<10 {
            guard var fc = try await datastore().get(kind, namespace: nil, name: "default").resource as? FelixConfiguration else { return }
            if fc.spec.programClusterRoutes != nil || routing == .bgp { return }
            fc.spec.programClusterRoutes = "Enabled"
            do {
                _ = try await datastore().update(fc)
                return
            } catch DatastoreError.conflict {
                continue
            }
        }
    }

    /// `argv` run in a lab namespace with exactly `environment` (plus a standard `PATH`).
    func inNamespace(_ netns: String, _ argv: [String], environment: [String: String]) -> [String] {
        var env = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        env.merge(environment) { _, b in b }
        return ["ip", "netns", "exec", netns, "env", "-i"] + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + argv
    }

    // MARK: Datastore

    /// A typed client of the lab's datastore (one per lab object). In etcd mode it reaches
    /// etcd through a loopback relay of this process into the router namespace.
    public func datastore() throws -> Datastore {
        try client.withLock { c in
            if let ds = c.datastore { return ds }
            var config = DatastoreConfig()
            let s = state.withLock { $0 }
            switch s.datastore {
            case .embedded:
                config.type = .embedded
                config.embeddedPath = s.embeddedPath ?? embeddedPath
            case .etcd:
                guard let port = s.etcdPort else { throw LabError.step("datastore", "etcd is not running") }
                let forwarder = try NamespaceForwarder(to: "127.0.0.1", port: port, in: .named(topology.router))
                c.forwarder = forwarder
                config.type = .etcdv3
                config.etcdEndpoints = ["http://127.0.0.1:\(forwarder.port)"]
            }
            let ds = try config.open()
            c.datastore = ds
            return ds
        }
    }

    // MARK: Status

    /// What runs, for people: namespaces, datastore, Felix, servers, pods with their addresses.
    public func status() -> String {
        let s = state.withLock { $0 }
        func alive(_ pid: Int32?, _ netns: String) -> String {
            guard let pid else { return "not running" }
            return running(pid, in: netns) ? "running (pid \(pid))" : "NOT running (pid \(pid) gone)"
        }
        var lines = ["Lab \(s.prefix) (state in \(s.stateDirectory), binaries from \(s.binDirectory))"]
        let present = Set(LabTopology.namespaces(withPrefix: s.prefix))
        lines.append("Namespaces:")
        var namespaces = [(topology.router, "router \(LabAddresses.routerNodeSide) (subnet A) / \(LabAddresses.routerSubnetB) (subnet B) / 203.0.113.254"
                              + (s.routesPods ? ", routes 10.244.0.0/16 to node1" : ""))]
        for n in s.nodes {
            let v6 = n.ipv6.map { " \($0)/\(LabAddresses.underlayPrefixV6)" } ?? ""
            namespaces.append((n.netnsName, "\(n.name) eth0 \(n.ip)/\(LabAddresses.underlayPrefix)\(v6) (subnet \(n.subnet.rawValue.uppercased()))"))
        }
        namespaces.append((topology.ext, "outside host eth0 \(extIP)/24"))
        for (ns, what) in namespaces {
            lines.append("  \(ns)\(present.contains(ns) ? "" : " (MISSING)"): \(what)")
        }
        lines.append("Encapsulation: \(s.encapsulation.rawValue)")
        switch s.datastore {
        case .embedded: lines.append("Datastore: embedded \(s.embeddedPath ?? "")")
        case .etcd: lines.append("Datastore: etcdv3 \(s.etcdEndpoint ?? "?") (etcd \(alive(s.etcdPID, topology.router)))")
        }
        for n in s.nodes {
            lines.append("\(n.name): Felix \(alive(n.felixPID, n.netnsName))" + (n.felixPID == nil ? "" : ", log \(path(n.felixLog))")
                         + "; allocate-tunnel-addrs \(alive(n.allocatorPID, n.netnsName))")
        }
        for (target, pid) in s.servers.sorted(by: { $0.key < $1.key }) {
            lines.append("calico-probe serve on \(target): \(alive(pid, (try? netnsName(of: target)) ?? ""))")
        }
        if !s.kubernetesNamespaces.isEmpty {
            lines.append("Kubernetes namespaces:")
            for (ns, labels) in s.kubernetesNamespaces.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(ns) \(Self.describe(labels))")
            }
        }
        lines.append("Pods (\(s.pods.count)):")
        for p in s.pods {
            let missing = present.contains(p.netnsName) ? "" : " (namespace MISSING)"
            let sa = p.serviceAccount.map { " sa=\($0)" } ?? ""
            lines.append("  \(p.name)  node=\(p.node)  ns=\(p.namespace)  ip=\(p.ip)\(p.ipv6.map { "  ipv6=\($0)" } ?? "")  host-if=\(p.interfaceName)\(sa)  \(Self.describe(p.labels))  server: \(alive(p.serverPID, p.netnsName))\(missing)")
        }
        for w in s.warnings { lines.append("warning: \(w)") }
        return lines.joined(separator: "\n")
    }

    static func describe(_ labels: [String: String]) -> String {
        labels.isEmpty ? "(no labels)" : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// Files a lab keeps in its state directory (removed by `down`).
enum LabFiles {
    static let all = [LabState.fileName, "datastore.db", "datastore.db-wal", "datastore.db-shm", "datastore.db-journal",
                      "ipam.lock", "nodename", "felix.log", "probe-node1.log", "probe-ext.log", "goldmane.log", "whisker.log", "ui-relay.log", "ui-relay.port"]

    /// Whether a file of the state directory is the lab's (per-node files included).
    static func isLab(_ name: String) -> Bool {
        all.contains(name) || (name.hasPrefix("probe-") && name.hasSuffix(".log")) || (name.hasPrefix("felix-") && name.hasSuffix(".log"))
            || (name.hasPrefix("allocate-tunnel-addrs-") && name.hasSuffix(".log")) || name.hasPrefix("nodename-")
            || (name.hasPrefix("ipam-") && name.hasSuffix(".lock")) || name.hasPrefix("mtu-") || name.hasPrefix("bird-")
            || (name.hasPrefix("confd-") && name.hasSuffix(".log")) || name == Lab.bgpSecrets
    }
}
