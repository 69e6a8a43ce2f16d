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

/// One kernel test's world: a "node" network namespace (lo up, an `eth0` veth into a peer
/// namespace of its own holding the default route, forwarding on), built with the lab's
/// `NamespaceTopology`, an embedded datastore in a temp dir (`CNIWorkspace`), and container
/// namespaces on demand. Every name carries `cnit-<pid>-<tag>`; `cleanup()` deletes all of it.
/// Nothing is added to the root namespace.
final class CNILab: CNIWorkspace, @unchecked Sendable {
    static let nodeAddress = "198.51.100.1"
    static let upstreamAddress = "198.51.100.254"

    let topology = NamespaceTopology()
    var net: any NetworkCommands { topology.net }
    var node: String { "\(prefix)-node" }
    var upstream: String { "\(prefix)-up" }

    init(tag: String) throws {
        try super.init(prefix: "cnit-\(getpid())-\(tag)")
        do {
            try topology.addNamespace(node)
            try topology.addNamespace(upstream)
            try topology.connect(node, VethEnd("eth0", address: "\(Self.nodeAddress)/24"),
                                 to: upstream, VethEnd("eth0", address: "\(Self.upstreamAddress)/24"), defaultRoute: true)
            try topology.enableForwarding(in: node)
        } catch {
            cleanup()
            throw error
        }
    }

    func addNamespace(_ name: String) throws {
        try topology.addNamespace(name)
    }

    /// A new container namespace (lo up); returns its path.
    @discardableResult
    func container(_ name: String) throws -> String {
        let ns = "\(prefix)-\(name)"
        try topology.addNamespace(ns)
        return NamespaceTopology.path(ns)
    }

    func containerNamespace(_ name: String) -> NetworkNamespace { .named("\(prefix)-\(name)") }
    var nodeNamespace: NetworkNamespace { .named(node) }

    func deleteNamespace(_ name: String) {
        try? topology.deleteNamespace("\(prefix)-\(name)")
    }

    func cleanup() {
        topology.tearDown()
        removeDirectory()
    }

    /// `cali*` links and routes into the pool left in the node namespace.
    func nodeLeftovers() throws -> (links: [String], routes: [String]) {
        try Self.caliLeftovers(net, in: nodeNamespace)
    }

    // MARK: Plugin runs

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
            if let out = try? CommandRunner.run(ns.wrap(["ping", "-c1", "-W1", address])), out.status == 0 { return true }
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
