import CalicoAPI
import CalicoDatastore
import Foundation
import Testing
@testable import CalicoNode

@Suite struct ConfdTests {
    @Test("A BIRD error is traced to the resource the rejected line came from")
    func origin() {
        let text = "router id 1.2.3.4;\n# From BGPConfiguration\nprotocol device { }\n# From BGPPeer link-local\nprotocol bgp Node_fe80__1 from bgp_template6 {\n  neighbor fe80::1 as 65000;\n}\n"
        #expect(Confd.origin(of: "bird: /x/bird.cfg.new:6:26 Link-local addresses require defined interface", in: text) == "BGPPeer link-local")
        #expect(Confd.origin(of: "bird: /x/bird.cfg.new:3:1 syntax error", in: text) == "BGPConfiguration")
        #expect(Confd.origin(of: "bird: /x/bird.cfg.new:1:1 syntax error", in: text) == nil, "no comment above line 1")
        #expect(Confd.origin(of: "bird: /x/bird.cfg.new:99:1 syntax error", in: text) == nil)
        #expect(Confd.origin(of: "bird: cannot open", in: text) == nil)
    }

    @Test("Secret files: <dir>/<name>/<key>, trailing line breaks dropped, missing ones absent, nothing outside the directory read")
    func secretFiles() throws {
        let dir = NSTemporaryDirectory() + "secrets-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/bgp", withIntermediateDirectories: true)
        try "s3cret\n".write(toFile: dir + "/bgp/tor", atomically: false, encoding: .utf8)
        try "outside".write(toFile: dir + "/top", atomically: false, encoding: .utf8)
        let files = SecretFiles(directory: dir + "/bgp/..")
        #expect(SecretFiles(directory: dir).read(["bgp/tor", "bgp/missing", "../top", "bgp/..", ".hidden/x"]) == ["bgp/tor": "s3cret"])
        #expect(files.read(["bgp/tor"]) == ["bgp/tor": "s3cret"], "the directory itself may be any path")
    }

    /// Two dual-stack nodes in an embedded store, and a confd for node1 writing into the
    /// fixture's directory (no BIRD runs: nothing to reload).
    func confd(_ extra: [String: String] = [:]) async throws -> (StartupFixture, Confd) {
        let f = try StartupFixture()
        for (name, v4, v6) in [("node1", "198.51.100.1/25", "fd00:10:244:ff0a::1/64"), ("node2", "198.51.100.2/25", "fd00:10:244:ff0a::2/64")] {
            var n = Node(metadata: ObjectMeta(name: name))
            n.spec.bgp = NodeBGPSpec(ipv4Address: v4, ipv6Address: v6)
            _ = try await f.store.create(n)
        }
        var env = ["CALICO_BIRD_CONFIG_DIR": f.dir + "/bird", "CALICO_BIRD_SOCKET": f.dir + "/bird.ctl", "CALICO_BIRD_BINARY": "/usr/sbin/bird"]
        env.merge(extra) { $1 }
        let c = Confd(datastore: f.store, nodeName: "node1", environment: env, log: { l in f.logs.withLock { $0.append(l) } })
        return (f, c)
    }

    @Test("One BIRD 2 daemon by default: bird.cfg holds both families; written once, checked by bird -p")
    func oneFile() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/bird"), "install Debian's bird2 (make test does)")
        let (f, c) = try await confd()
        defer { f.cleanup() }
        #expect(try await c.update())
        let text = try String(contentsOfFile: f.dir + "/bird/bird.cfg", encoding: .utf8)
        #expect(text.contains("protocol bgp Mesh_198_51_100_2 ") && text.contains("protocol bgp Mesh_fd00_10_244_ff0a__2 "))
        #expect(!FileManager.default.fileExists(atPath: f.dir + "/bird/bird6.cfg"))
        #expect(try await c.update() == false, "nothing changed, nothing written")
        #expect(f.logs.withLock { $0 }.contains { $0.contains("BIRD is not running") })
    }

    @Test("CALICO_BIRD6_SOCKET: bird.cfg for IPv4 and bird6.cfg for IPv6, each accepted by BIRD on its own")
    func twoFiles() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/bird"), "install Debian's bird2 (make test does)")
        let (f, c) = try await confd(["CALICO_BIRD6_SOCKET": "/nonexistent/bird6.ctl"])
        defer { f.cleanup() }
        #expect(try await c.update())
        let v4 = try String(contentsOfFile: f.dir + "/bird/bird.cfg", encoding: .utf8)
        let v6 = try String(contentsOfFile: f.dir + "/bird/bird6.cfg", encoding: .utf8)
        #expect(v4.contains("protocol bgp Mesh_198_51_100_2 ") && !v4.contains("fd00:") && !v4.contains("ipv6"))
        #expect(v6.contains("protocol bgp Mesh_fd00_10_244_ff0a__2 ") && !v6.contains("198.51.100.2") && !v6.contains("ipv4 {"))
        #expect(v6.contains("router id 198.51.100.1;"), "BIRD needs an IPv4 router id in the IPv6 daemon too")
    }

    @Test("A configuration BIRD rejects is not written; the log names the resource")
    func rejected() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/bird"), "install Debian's bird2 (make test does)")
        let (f, c) = try await confd()
        defer { f.cleanup() }
        try await c.update()
        let good = try String(contentsOfFile: f.dir + "/bird/bird.cfg", encoding: .utf8)
        var p = BGPPeer(metadata: ObjectMeta(name: "link-local"))
        p.spec.peerIP = "fe80::1"
        p.spec.asNumber = ASNumber(65000)
        _ = try await f.store.create(p)
        #expect(try await c.update() == false)
        #expect(try String(contentsOfFile: f.dir + "/bird/bird.cfg", encoding: .utf8) == good)
        #expect(!FileManager.default.fileExists(atPath: f.dir + "/bird/bird.cfg.new"))
        #expect(f.logs.withLock { $0 }.contains { $0.contains("BIRD rejects the new configuration from BGPPeer link-local") && $0.contains("Link-local") },
                "\(f.logs.withLock { $0 })")
    }
}
