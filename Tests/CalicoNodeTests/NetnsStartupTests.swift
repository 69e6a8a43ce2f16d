import CalicoAPI
import CalicoDatastore
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing
@testable import CalicoNode

/// Two network namespaces joined by veths, built with the lab's `NamespaceTopology`; addresses
/// only from 198.51.100.0/24 (TEST-NET-2). In the node namespace, in kernel order: `docker0`
/// (198.51.100.65/26, excluded by default), `eth0` (198.51.100.1/26) and `ens5`
/// (198.51.100.129/26); their peers `p-<name>` hold .66, .2 and .130. No default route. The
/// root namespace is never touched.
final class TestNamespaces {
    let topology = NamespaceTopology()
    let node = "cn-\(getpid())"
    let peer = "cn-\(getpid())-peer"

    init() throws {
        do {
            try topology.addNamespace(node)
            try topology.addNamespace(peer)
            // No duplicate address detection: link-local addresses are there once links are up.
            for key in ["all", "default"] { try topology.net.setSysctl("net/ipv6/conf/\(key)/accept_dad", "0", in: .named(node)) }
            for (name, own, theirs) in [("docker0", "198.51.100.65/26", "198.51.100.66/26"), ("eth0", "198.51.100.1/26", "198.51.100.2/26"),
                                        ("ens5", "198.51.100.129/26", "198.51.100.130/26")] {
                try topology.connect(node, VethEnd(name, address: own), to: peer, VethEnd("p-\(name)", address: theirs))
            }
            // Startup reports link-local addresses too: a run before they appear and one after
            // would see different hosts.
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                let out = try topology.net.ip(["-6", "addr", "show"], in: .named(node))
                if out.components(separatedBy: "inet6 fe80:").count - 1 >= 3 && !out.contains("tentative") { break }
                usleep(50_000)
            }
        } catch {
            cleanup()
            throw error
        }
    }

    /// Deletes both namespaces (their veths go with them).
    func cleanup() {
        topology.tearDown()
    }

    deinit { cleanup() }

    /// Runs `calico-node -startup` inside the node namespace.
    func startup(store dir: String, method: String?) throws -> CommandOutput {
        var env = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
            "NODENAME": "netns-node",
            "EMBEDDED_DATASTORE_PATH": dir + "/datastore.db",
            "CALICO_NODENAME_FILE": dir + "/nodename",
            "CALICO_IPV4POOL_CIDR": "10.244.0.0/16",
        ]
        if let method { env["IP_AUTODETECTION_METHOD"] = method }
        return try CommandRunner.run(["ip", "netns", "exec", node, BuiltProducts.path("calico-node"), "-startup"], environment: env)
    }
}

/// `calico-node -startup` in a namespace with real interfaces: as root, with the binary built
/// (either missing fails the test, saying so).
@Suite(.serialized)
struct NetnsStartupTests {
    /// Root, the built binary and the namespaces.
    func namespaces(sourceLocation: SourceLocation = #_sourceLocation) throws -> TestNamespaces {
        try RootGate.require("network namespaces and veths", sourceLocation: sourceLocation)
        try BuiltProducts.require("calico-node", sourceLocation: sourceLocation)
        return try TestNamespaces()
    }

    func tempStore() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("node-netns-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func nodeAddress(_ dir: String) async throws -> Node? {
        let store = try NodeStartup.openDatastore(environment: ["EMBEDDED_DATASTORE_PATH": dir + "/datastore.db"], createIfMissing: false)
        return try await store.get(ResourceRegistry.kind(named: "node")!, namespace: nil, name: "netns-node").resource as? Node
    }

    @Test func realInterfacesInANamespace() async throws {
        let ns = try namespaces()
        defer { ns.cleanup() }
        let both = ["ens5", "eth0"]
        let cases: [(method: String?, expected: String?, interfaces: [String])] = [
            (nil, "198.51.100.1/26", both),
            ("first-found", "198.51.100.1/26", both),
            ("interface=ens.*", "198.51.100.129/26", both),
            ("interface=docker0", "198.51.100.65/26", both),
            ("skip-interface=eth.*", "198.51.100.129/26", ["ens5"]),
            ("cidr=198.51.100.128/26", "198.51.100.129/26", both),
            ("cidr=198.51.100.64/26", nil, []),  // only docker0 is in it, and docker0 is excluded
            ("can-reach=198.51.100.2", "198.51.100.1/26", both),
            ("can-reach=198.51.100.130", "198.51.100.129/26", both),
            ("can-reach=203.0.113.1", nil, []),  // no route in the namespace
        ]
        for c in cases {
            let dir = try tempStore()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let r = try ns.startup(store: dir, method: c.method)
            let label = c.method ?? "<unset>"
            if let expected = c.expected {
                #expect(r.status == 0, "\(label): \(r.stdout) \(r.stderr)")
                let node = try await nodeAddress(dir)
                #expect(node?.spec.bgp?.ipv4Address == expected, "\(label)")
                #expect(node?.spec.addresses?.first?.address == String(expected.split(separator: "/")[0]), "\(label)")
                #expect(node?.spec.interfaces?.map(\.name) == c.interfaces, "\(label)")
                #expect(try String(contentsOfFile: dir + "/nodename", encoding: .utf8) == "netns-node")
            } else {
                #expect(r.status == 1, "\(label) should fail: \(r.stdout)")
                #expect(r.stderr.contains("Couldn't autodetect an IPv4 address"), "\(label): \(r.stderr)")
            }
        }
    }

    @Test func secondRunOfTheBinaryChangesNothing() async throws {
        let ns = try namespaces()
        defer { ns.cleanup() }
        let dir = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try ns.startup(store: dir, method: nil)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Using autodetected IPv4 address on interface eth0: 198.51.100.1/26"))
        #expect(first.stdout.contains("Created Node netns-node"))
        let store = try NodeStartup.openDatastore(environment: ["EMBEDDED_DATASTORE_PATH": dir + "/datastore.db"], createIfMissing: false)
        let revision = try await store.kv.list(prefix: "/calico/").revision
        let second = try ns.startup(store: dir, method: nil)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasSuffix("Calico node configuration is up to date\n"), "\(second.stdout)")
        #expect(try await store.kv.list(prefix: "/calico/").revision == revision)
    }
}
