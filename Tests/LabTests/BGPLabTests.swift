import CalicoLab
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing

/// BGP through real BIRD 2: three nodes on two subnets, each running calico-node -confd and
/// BIRD; the node-to-node mesh carries every block, Felix programs no cluster routes.
@Suite("BGP with BIRD", .serialized)
struct BGPLabTests {
    final class BGPLab: @unchecked Sendable {
        let lab: Lab
        let checker: ConnectivityChecker
        private static let lock = NSLock()
        nonisolated(unsafe) private static var shared: BGPLab?

        static func get() async throws -> BGPLab {
            try RootGate.require("the BGP LabTests (network namespaces, BIRD)")
            if let s = lock.withLock({ shared }) { return s }
            let s = try await BGPLab()
            lock.withLock { shared = s }
            atexit { try? BGPLab.lock.withLock { BGPLab.shared }?.lab.down() }
            return s
        }

        private init() async throws {
            let dir = NSTemporaryDirectory() + "bgptests-\(getpid())"
            try? FileManager.default.removeItem(atPath: dir)
            lab = try await Lab.up(LabConfig(stateDirectory: dir, binDirectory: SharedLab.binDirectory, prefix: "cbg-\(getpid())", nodes: 3,
                                             encapsulation: .none, routing: .bgp))
            checker = ConnectivityChecker(probeBinary: SharedLab.binDirectory + "/calico-probe", probeTimeoutMilliseconds: 400)
            do {
                for (pod, node) in [("a1", "node1"), ("b2", "node2"), ("c3", "node3")] {
                    _ = try await lab.addPod(name: pod, namespace: "demo", labels: ["app": pod], node: node)
                }
            } catch {
                try? lab.down()
                throw error
            }
        }

        func block(_ pod: String) -> String {
            let p = lab.pod(pod)!.ip.split(separator: ".").map { Int($0)! }
            return "\(p[0]).\(p[1]).\(p[2]).\(p[3] & ~63)/26"
        }

        func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            repeat {
                if (try? condition()) == true { return true }
                usleep(200_000)
            } while Date() < deadline
            return false
        }
    }

    @Test("Full mesh: every node learns the others' blocks from BIRD; pods of one subnet talk; Felix programs no cluster routes")
    func fullMesh() async throws {
        let b = try await BGPLab.get()
        for node in ["node1", "node2", "node3"] {
            #expect(b.eventually { ((try? b.lab.birdc(on: node, "show protocols")) ?? "").components(separatedBy: "Established").count - 1 == 2 },
                    "\(node): two mesh sessions established:\n\((try? b.lab.birdc(on: node, "show protocols")) ?? "")")
        }
        let birdRoutes = { (node: String) in try b.lab.exec(node, ["ip", "route", "show", "proto", "bird"]).stdout }
        #expect(b.eventually { let r = try birdRoutes("node1"); return r.contains("\(b.block("b2")) via") && r.contains("\(b.block("c3")) via 198.51.100.3 dev eth0") },
                "node1's kernel has BIRD's routes to node2's and node3's blocks:\n\((try? birdRoutes("node1")) ?? "")")
        #expect(b.eventually { try birdRoutes("node3").contains("\(b.block("a1")) via 198.51.100.1 dev eth0") })
        #expect(try b.lab.exec("node1", ["ip", "route", "show", "proto", "80"]).stdout.isEmpty, "Felix programs no cluster routes")
        #expect(try !birdRoutes("node1").contains("198.51.100.0/25"), "BIRD does not copy interface routes into the kernel")
        let a1 = ProbeSource(name: "a1", namespace: try b.lab.netnsName(of: "a1"))
        let c3 = ProbeSource(name: "c3", namespace: try b.lab.netnsName(of: "c3"))
        let (ok, results) = try b.checker.check([
            ConnectivityExpectation(source: a1, target: "c3", probe: .tcp(b.lab.pod("c3")!.ip, 8080), expectReachable: true),
            ConnectivityExpectation(source: a1, target: "c3", probe: .icmp(b.lab.pod("c3")!.ip), expectReachable: true),
            ConnectivityExpectation(source: c3, target: "a1", probe: .udp(b.lab.pod("a1")!.ip, 5353), expectReachable: true),
        ], timeout: 10)
        #expect(ok, "pods on subnet A reach each other over BIRD's routes\n\(ConnectivityChecker.table(results))")
    }

    @Test("calicoctl node status on a node: Felix running, the mesh sessions established")
    func nodeStatus() async throws {
        let b = try await BGPLab.get()
        let socket = b.lab.stateDirectory + "/" + "bird-node1.ctl"
        let run = { try b.lab.exec("node1", ["env", "CALICO_BIRD_SOCKET=\(socket)", SharedLab.binDirectory + "/calicoctl", "node", "status"]) }
        #expect(b.eventually { try run().stdout.components(separatedBy: "Established").count - 1 == 2 }, "\((try? run().stdout) ?? "")")
        let out = try run()
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("Calico process is running.\n\nIPv4 BGP status\n+"), "\(out.stdout)")
        #expect(out.stdout.contains("| 198.51.100.130 | node-to-node mesh | up    |"), "\(out.stdout)")
        #expect(out.stdout.contains("| 198.51.100.3   | node-to-node mesh | up    |"), "\(out.stdout)")
        #expect(out.stdout.hasSuffix("\nIPv6 BGP status\nNo IPv6 peers found.\n\n"), "\(out.stdout)")
    }

    @Test("eBGP to a ToR BIRD (AS 65000) with localASNumber 65100 for node1: the ToR learns node1's block with AS path 65100; the mesh keeps the cluster's AS")
    func torWithLocalAS() async throws {
        let b = try await BGPLab.get()
        let dir = b.lab.stateDirectory
        let torConf = dir + "/tor-bird.conf", torSocket = dir + "/tor-bird.ctl"
        try """
            router id 198.51.100.126;
            protocol device { }
            protocol bgp node1 {
              local 198.51.100.126 as 65000;
              neighbor 198.51.100.1 as 65100;
              ipv4 { import all; export none; };
            }
            """.write(toFile: torConf, atomically: false, encoding: .utf8)
        let tor = try ProcessControl.spawnDaemon(["ip", "netns", "exec", b.lab.routerNamespace, "/usr/sbin/bird", "-f", "-c", torConf, "-s", torSocket,
                                                  "-P", dir + "/tor-bird.pid"], environment: nil, logPath: dir + "/tor-bird.log")
        defer {
            _ = ProcessControl.stop(tor, signal: SIGKILL)
            for f in [torConf, torSocket, dir + "/tor-bird.pid", dir + "/tor-bird.log"] { try? FileManager.default.removeItem(atPath: f) }
        }
        let peer = """
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: tor}
            spec: {node: node1, peerIP: 198.51.100.126, asNumber: 65000, localASNumber: 65100}
            """
        try b.lab.apply(peer)
        defer { _ = try? b.lab.calicoctl(["delete", "bgppeer", "tor"]) }
        let torc = { (cmd: [String]) in try CommandRunner.run(["birdc", "-s", torSocket] + cmd).stdout }
        #expect(b.eventually { try torc(["show", "protocols", "node1"]).contains("Established") },
                "the ToR's session with node1 is up: \((try? torc(["show", "protocols", "all", "node1"])) ?? "")\n\(ProcessControl.logTail(dir + "/tor-bird.log"))")
        #expect(b.eventually { try torc(["show", "route", "all", "for", b.lab.pod("a1")!.ip]).contains("BGP.as_path: 65100") },
                "the ToR learns node1's block with AS path 65100: \((try? torc(["show", "route", "all"])) ?? "")")
        // A BGPFilter rejecting node1's block keeps it out of the ToR's table; without it, it is back.
        let filtered = """
            apiVersion: projectcalico.org/v3
            kind: BGPFilter
            metadata: {name: hide-a1}
            spec: {exportV4: [{action: Reject, matchOperator: In, cidr: \(b.block("a1"))}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: tor}
            spec: {node: node1, peerIP: 198.51.100.126, asNumber: 65000, localASNumber: 65100, filters: [hide-a1]}
            """
        try b.lab.apply(filtered)
        defer { _ = try? b.lab.calicoctl(["delete", "bgpfilter", "hide-a1"]) }
        #expect(b.eventually { !(try torc(["show", "route", "for", b.lab.pod("a1")!.ip]).contains("65100")) },
                "the filter keeps node1's block from the ToR: \((try? torc(["show", "route"])) ?? "")")
        #expect(try torc(["show", "protocols", "node1"]).contains("Established"), "the session itself stays")
        try b.lab.apply(peer)
        #expect(b.eventually { try torc(["show", "route", "all", "for", b.lab.pod("a1")!.ip]).contains("BGP.as_path: 65100") },
                "without the filter the block is back")
        let protocols = try b.lab.birdc(on: "node1", "show protocols all Node_198_51_100_126")
        #expect(protocols.replacingOccurrences(of: " +", with: " ", options: .regularExpression).contains("Local AS: 65100"), "\(protocols)")
        #expect(try b.lab.birdc(on: "node1", "show protocols").components(separatedBy: "Established").count - 1 == 3,
                "the mesh sessions (cluster AS 64512) stay up beside the ToR")
    }

    @Test("Route reflector: mesh off, node1 a reflector by routeReflectorClusterID, the others peer with it by selector; same routes; node status shows the sessions")
    func routeReflector() async throws {
        let b = try await BGPLab.get()
        let rr = """
            apiVersion: projectcalico.org/v3
            kind: BGPConfiguration
            metadata: {name: default}
            spec: {nodeToNodeMeshEnabled: false}
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: to-reflector}
            spec: {nodeSelector: all(), peerSelector: route-reflector == 'true'}
            """
        for (args, why) in [(["label", "nodes", "node1", "route-reflector=true"], "label"),
                            (["patch", "node", "node1", "-p", "{\"spec\":{\"bgp\":{\"routeReflectorClusterID\":\"244.0.0.1\"}}}"], "patch")] {
            let out = try b.lab.calicoctl(args)
            try #require(out.status == 0, "calicoctl \(why): \(out.stdout)\(out.stderr)")
        }
        try b.lab.apply(rr)
        defer {
            _ = try? b.lab.calicoctl(["delete", "bgppeer", "to-reflector"])
            _ = try? b.lab.calicoctl(["patch", "bgpconfiguration", "default", "-p", "{\"spec\":{\"nodeToNodeMeshEnabled\":true}}"])
            _ = try? b.lab.calicoctl(["patch", "node", "node1", "-p", "{\"spec\":{\"bgp\":{\"routeReflectorClusterID\":null}}}"])
            _ = try? b.lab.calicoctl(["label", "nodes", "node1", "route-reflector", "--remove"])
            // The mesh back up before the next test.
            _ = b.eventually { b.lab.nodes.allSatisfy { n in
                let p = (try? b.lab.birdc(on: n.name, "show protocols")) ?? ""
                return !p.contains("Node_") && p.components(separatedBy: "Established").count - 1 == 2
            } }
        }
        let sessions = { (node: String) in (try? b.lab.birdc(on: node, "show protocols")) ?? "" }
        #expect(b.eventually { let p = sessions("node1"); return !p.contains("Mesh_") && p.contains("Node_198_51_100_130") && p.contains("Node_198_51_100_3 ")
                    && p.components(separatedBy: "Established").count - 1 == 2 }, "node1 reflects for node2 and node3:\n\(sessions("node1"))")
        #expect(b.eventually { let p = sessions("node3"); return !p.contains("Mesh_") && p.contains("Node_198_51_100_1 ") && p.contains("Established") },
                "node3 peers only with the reflector:\n\(sessions("node3"))")
        let routes = { try b.lab.exec("node3", ["ip", "route", "show", "proto", "bird"]).stdout }
        #expect(b.eventually { let r = try routes(); return r.contains("\(b.block("a1")) via 198.51.100.1") && r.contains(b.block("b2")) },
                "node3 still learns node1's and node2's blocks (node2's through the reflector):\n\((try? routes()) ?? "")")
        let socket = b.lab.stateDirectory + "/bird-node3.ctl"
        let status = try b.lab.exec("node3", ["env", "CALICO_BIRD_SOCKET=\(socket)", SharedLab.binDirectory + "/calicoctl", "node", "status"]).stdout
        #expect(status.contains("| 198.51.100.1 | node specific | up    |"), "\(status)")
    }

    @Test("confd killed and restarted catches up with what changed meanwhile; the reload keeps the sessions whose peers did not change")
    func confdRestart() async throws {
        let b = try await BGPLab.get()
        let sessions = { (try? b.lab.birdc(on: "node1", "show protocols")) ?? "" }
        #expect(b.eventually { sessions().components(separatedBy: "Established").count - 1 == 2 })
        func meshSince(_ text: String) -> [String] {
            text.split(separator: "\n").filter { $0.hasPrefix("Mesh_") }.map { $0.split(separator: " ", omittingEmptySubsequences: true)[4...4].joined() }
        }
        let before = meshSince(sessions())
        try b.lab.stopConfd(on: "node1", signal: SIGKILL)
        let peer = "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: tor-later}\nspec: {node: node1, peerIP: 198.51.100.126, asNumber: 65000}"
        try b.lab.apply(peer)
        defer { _ = try? b.lab.calicoctl(["delete", "bgppeer", "tor-later"]) }
        usleep(500_000)
        #expect(!sessions().contains("Node_198_51_100_126"), "nothing renders while confd is down")
        try b.lab.startConfd(on: "node1")
        #expect(b.eventually { sessions().contains("Node_198_51_100_126") }, "the restarted confd renders the new peer:\n\(sessions())")
        #expect(meshSince(sessions()) == before, "the mesh sessions were not reset by the reload: \(before) → \(meshSince(sessions()))")
    }

    @Test("Killing BIRD and starting it again restores the same routes")
    func birdRestart() async throws {
        let b = try await BGPLab.get()
        let routes = { try b.lab.exec("node1", ["ip", "route", "show", "proto", "bird"]).stdout.split(separator: "\n").sorted() }
        #expect(b.eventually { try routes().count >= 3 })
        let before = try routes()
        try b.lab.stopBIRD(on: "node1", signal: SIGKILL)
        try b.lab.startBIRD(on: "node1")
        #expect(b.eventually { try routes() == before }, "the same routes after BIRD's restart: \((try? routes()) ?? [])")
    }
}
