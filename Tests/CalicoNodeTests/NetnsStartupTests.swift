import CalicoAPI
import CalicoDatastore
import CalicoTestSupport
import Foundation
import Testing
@testable import CalicoNode

/// Runs a command, returning its status and output.
@discardableResult
func sh(_ argv: [String], environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    if let environment { p.environment = environment }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

let nodeBinary = BuiltProducts.path("calico-node")

/// Two network namespaces joined by veths; addresses only from 198.51.100.0/24 (TEST-NET-2).
/// In the node namespace, in kernel order: `docker0` (198.51.100.65/26, excluded by
/// default), `eth0` (198.51.100.1/26) and `ens5` (198.51.100.129/26); their peers hold .66,
/// .2 and .130. The root namespace is never touched.
final class TestNamespaces {
    let node: String
    let peer: String

    init() throws {
        node = "cn-\(getpid())"
        peer = "cn-\(getpid())-peer"
        try? cleanup()
        let linksUp = ["docker0", "eth0", "ens5"].flatMap { name in
            [["ip", "-n", node, "link", "set", name, "up"], ["ip", "-n", peer, "link", "set", "p-\(name)", "up"]]
        }
        let setup: [[String]] = [
            ["ip", "netns", "add", node],
            ["ip", "netns", "add", peer],
            ["ip", "-n", node, "link", "set", "lo", "up"],
            ["ip", "-n", node, "link", "add", "docker0", "type", "veth", "peer", "name", "p-docker0", "netns", peer],
            ["ip", "-n", node, "link", "add", "eth0", "type", "veth", "peer", "name", "p-eth0", "netns", peer],
            ["ip", "-n", node, "link", "add", "ens5", "type", "veth", "peer", "name", "p-ens5", "netns", peer],
            ["ip", "-n", node, "addr", "add", "198.51.100.65/26", "dev", "docker0"],
            ["ip", "-n", node, "addr", "add", "198.51.100.1/26", "dev", "eth0"],
            ["ip", "-n", node, "addr", "add", "198.51.100.129/26", "dev", "ens5"],
            ["ip", "-n", peer, "addr", "add", "198.51.100.66/26", "dev", "p-docker0"],
            ["ip", "-n", peer, "addr", "add", "198.51.100.2/26", "dev", "p-eth0"],
            ["ip", "-n", peer, "addr", "add", "198.51.100.130/26", "dev", "p-ens5"],
        ] + linksUp
        for cmd in setup {
            let r = try sh(cmd)
            guard r.status == 0 else {
                try? cleanup()
                throw StartupError("\(cmd.joined(separator: " ")) failed: \(r.err)")
            }
        }
    }

    func cleanup() throws {
        // Deleting a namespace deletes its veths (and so their peers).
        let existing = try sh(["ip", "netns", "list"]).out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        for ns in [node, peer] where existing.contains(ns) {
            try sh(["ip", "netns", "del", ns])
        }
    }

    deinit { try? cleanup() }

    /// Runs `calico-node -startup` inside the node namespace.
    func startup(store dir: String, method: String?) throws -> (status: Int32, out: String, err: String) {
        var env = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
            "NODENAME": "netns-node",
            "EMBEDDED_DATASTORE_PATH": dir + "/datastore.db",
            "CALICO_NODENAME_FILE": dir + "/nodename",
            "CALICO_IPV4POOL_CIDR": "10.244.0.0/16",
        ]
        if let method { env["IP_AUTODETECTION_METHOD"] = method }
        return try sh(["ip", "netns", "exec", node, nodeBinary, "-startup"], environment: env)
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
        defer { try? ns.cleanup() }
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
                #expect(r.status == 0, "\(label): \(r.out) \(r.err)")
                let node = try await nodeAddress(dir)
                #expect(node?.spec.bgp?.ipv4Address == expected, "\(label)")
                #expect(node?.spec.addresses?.first?.address == String(expected.split(separator: "/")[0]), "\(label)")
                #expect(node?.spec.interfaces?.map(\.name) == c.interfaces, "\(label)")
                #expect(try String(contentsOfFile: dir + "/nodename", encoding: .utf8) == "netns-node")
            } else {
                #expect(r.status == 1, "\(label) should fail: \(r.out)")
                #expect(r.err.contains("Couldn't autodetect an IPv4 address"), "\(label): \(r.err)")
            }
        }
    }

    @Test func secondRunOfTheBinaryChangesNothing() async throws {
        let ns = try namespaces()
        defer { try? ns.cleanup() }
        let dir = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try ns.startup(store: dir, method: nil)
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.contains("Using autodetected IPv4 address on interface eth0: 198.51.100.1/26"))
        #expect(first.out.contains("Created Node netns-node"))
        let store = try NodeStartup.openDatastore(environment: ["EMBEDDED_DATASTORE_PATH": dir + "/datastore.db"], createIfMissing: false)
        let revision = try await store.kv.list(prefix: "/calico/").revision
        let second = try ns.startup(store: dir, method: nil)
        #expect(second.status == 0, "\(second.err)")
        #expect(second.out.hasSuffix("Calico node configuration is up to date\n"), "\(second.out)")
        #expect(try await store.kv.list(prefix: "/calico/").revision == revision)
    }
}
