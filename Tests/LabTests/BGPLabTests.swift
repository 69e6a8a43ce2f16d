import CalicoAPI
import CalicoDatastore
import CalicoLab
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing

/// BGP through real BIRD 2: three dual-stack nodes on two subnets, each running calico-node
/// -confd and BIRD; the node-to-node mesh carries every block of both families, Felix programs
/// no cluster routes.
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
                                             encapsulation: .none, ipv6: true, routing: .bgp))
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

        /// The names of a node's BIRD protocols that are Established.
        func established(_ node: String) -> Set<String> {
            let text = (try? lab.birdc(on: node, "show protocols")) ?? ""
            return Set(text.split(separator: "\n").filter { $0.contains("Established") }.compactMap { $0.split(separator: " ").first.map(String.init) })
        }

        /// The mesh sessions a node has with every other node, both families.
        func mesh(_ node: String) -> Set<String> {
            Set(lab.nodes.filter { $0.name != node }.flatMap { n in
                [n.ip, n.ipv6!].map { "Mesh_" + String($0.map { $0 == "." || $0 == ":" ? "_" : $0 }) }
            })
        }

        /// `ip route get <address>` on a node.
        func route(_ node: String, to address: String) -> String {
            (try? lab.exec(node, ["ip", "route", "get", address]).stdout) ?? ""
        }

        func confdLog(_ node: String) -> String {
            (try? String(contentsOfFile: lab.stateDirectory + "/confd-\(node).log", encoding: .utf8)) ?? ""
        }

        func birdConfig(_ node: String) -> String {
            (try? String(contentsOfFile: lab.stateDirectory + "/bird-\(node)/bird.cfg", encoding: .utf8)) ?? ""
        }

        func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) -> Bool {
            pollUntil(seconds, interval: 0.2, condition)
        }
    }

    @Test("Full mesh: every node learns the others' blocks from BIRD, both families; pods of one subnet talk; Felix programs no cluster routes")
    func fullMesh() async throws {
        let b = try await BGPLab.get()
        for node in ["node1", "node2", "node3"] {
            #expect(b.eventually { b.established(node) == b.mesh(node) },
                    "\(node): mesh sessions with the two others over IPv4 and IPv6 established:\n\((try? b.lab.birdc(on: node, "show protocols")) ?? "")")
        }
        let birdRoutes = { (node: String) in try b.lab.exec(node, ["ip", "route", "show", "proto", "bird"]).stdout }
        #expect(b.eventually { let r = try birdRoutes("node1"); return r.contains("\(b.block("b2")) via") && r.contains("\(b.block("c3")) via 198.51.100.3 dev eth0") },
                "node1's kernel has BIRD's routes to node2's and node3's blocks:\n\((try? birdRoutes("node1")) ?? "")")
        #expect(b.eventually { try birdRoutes("node3").contains("\(b.block("a1")) via 198.51.100.1 dev eth0") })
        let c3v6 = b.lab.pod("c3")!.ipv6!, b2v6 = b.lab.pod("b2")!.ipv6!
        #expect(b.eventually { let r = b.route("node1", to: c3v6); return r.contains("via fd00:10:244:ff0a::3 dev eth0 proto bird") },
                "node1 routes node3's IPv6 block through BIRD: \(b.route("node1", to: c3v6))")
        #expect(b.eventually { b.route("node1", to: b2v6).contains("proto bird") }, "and node2's: \(b.route("node1", to: b2v6))")
        #expect(try b.lab.exec("node1", ["ip", "route", "show", "proto", "80"]).stdout.isEmpty, "Felix programs no cluster routes")
        #expect(try !birdRoutes("node1").contains("198.51.100.0/25"), "BIRD does not copy interface routes into the kernel")
        let a1 = ProbeSource(name: "a1", namespace: try b.lab.netnsName(of: "a1"))
        let c3 = ProbeSource(name: "c3", namespace: try b.lab.netnsName(of: "c3"))
        let (ok, results) = try b.checker.check([
            ConnectivityExpectation(source: a1, target: "c3", probe: .tcp(b.lab.pod("c3")!.ip, 8080), expectReachable: true),
            ConnectivityExpectation(source: a1, target: "c3", probe: .icmp(b.lab.pod("c3")!.ip), expectReachable: true),
            ConnectivityExpectation(source: c3, target: "a1", probe: .udp(b.lab.pod("a1")!.ip, 5353), expectReachable: true),
            ConnectivityExpectation(source: a1, target: "c3", probe: .tcp(c3v6, 8080), expectReachable: true),
            ConnectivityExpectation(source: c3, target: "a1", probe: .udp(b.lab.pod("a1")!.ipv6!, 5353), expectReachable: true),
        ], timeout: 10)
        #expect(ok, "pods on subnet A reach each other over BIRD's routes\n\(ConnectivityChecker.table(results))")
    }

    @Test("calicoctl node status on a node: Felix running, the mesh sessions established")
    func nodeStatus() async throws {
        let b = try await BGPLab.get()
        let socket = b.lab.stateDirectory + "/" + "bird-node1.ctl"
        let run = { try b.lab.exec("node1", ["env", "CALICO_BIRD_SOCKET=\(socket)", SharedLab.binDirectory + "/calicoctl", "node", "status"]) }
        #expect(b.eventually { try run().stdout.components(separatedBy: "Established").count - 1 == 4 }, "\((try? run().stdout) ?? "")")
        let out = try run()
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("Calico process is running.\n\nIPv4 BGP status\n+"), "\(out.stdout)")
        #expect(out.stdout.contains("| 198.51.100.130 | node-to-node mesh | up    |"), "\(out.stdout)")
        #expect(out.stdout.contains("| 198.51.100.3   | node-to-node mesh | up    |"), "\(out.stdout)")
        #expect(out.stdout.contains("\nIPv6 BGP status\n+"), "\(out.stdout)")
        #expect(out.stdout.contains("| fd00:10:244:ff0b::130 | node-to-node mesh | up    |"), "\(out.stdout)")
        #expect(out.stdout.contains("| fd00:10:244:ff0a::3   | node-to-node mesh | up    |"), "\(out.stdout)")
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
        #expect(b.established("node1") == b.mesh("node1").union(["Node_198_51_100_126"]),
                "the mesh sessions (cluster AS 64512) stay up beside the ToR: \(b.established("node1"))")
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
                !((try? b.lab.birdc(on: n.name, "show protocols")) ?? "").contains("Node_") && b.established(n.name) == b.mesh(n.name)
            } }
        }
        let sessions = { (node: String) in (try? b.lab.birdc(on: node, "show protocols")) ?? "" }
        #expect(b.eventually { !sessions("node1").contains("Mesh_") && b.established("node1") == ["Node_198_51_100_130", "Node_198_51_100_3",
                                                                                                      "Node_fd00_10_244_ff0b__130", "Node_fd00_10_244_ff0a__3"] },
                "node1 reflects for node2 and node3, both families:\n\(sessions("node1"))")
        #expect(b.eventually { !sessions("node3").contains("Mesh_") && b.established("node3") == ["Node_198_51_100_1", "Node_fd00_10_244_ff0a__1"] },
                "node3 peers only with the reflector:\n\(sessions("node3"))")
        let routes = { try b.lab.exec("node3", ["ip", "route", "show", "proto", "bird"]).stdout }
        #expect(b.eventually { let r = try routes(); return r.contains("\(b.block("a1")) via 198.51.100.1") && r.contains(b.block("b2")) },
                "node3 still learns node1's and node2's blocks (node2's through the reflector):\n\((try? routes()) ?? "")")
        #expect(b.eventually { b.route("node3", to: b.lab.pod("b2")!.ipv6!).contains("proto bird") }, "IPv6 too")
        let socket = b.lab.stateDirectory + "/bird-node3.ctl"
        let status = try b.lab.exec("node3", ["env", "CALICO_BIRD_SOCKET=\(socket)", SharedLab.binDirectory + "/calicoctl", "node", "status"]).stdout
        #expect(status.contains("| 198.51.100.1 | node specific | up    |"), "\(status)")
    }

    @Test("confd killed and restarted catches up with what changed meanwhile; the reload keeps the sessions whose peers did not change")
    func confdRestart() async throws {
        let b = try await BGPLab.get()
        let sessions = { (try? b.lab.birdc(on: "node1", "show protocols")) ?? "" }
        #expect(b.eventually { b.established("node1") == b.mesh("node1") })
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
        let routes = {
            try (b.lab.exec("node1", ["ip", "route", "show", "proto", "bird"]).stdout + b.lab.exec("node1", ["ip", "-6", "route", "show", "proto", "bird"]).stdout)
                .split(separator: "\n").sorted()
        }
        #expect(b.eventually { try routes().count >= 6 })
        let before = try routes()
        try b.lab.stopBIRD(on: "node1", signal: SIGKILL)
        try b.lab.startBIRD(on: "node1")
        #expect(b.eventually { try routes() == before }, "the same routes after BIRD's restart: \((try? routes()) ?? [])")
    }

    @Test("A config change reaches BIRD with one reload and no session reset")
    func oneReload() async throws {
        let b = try await BGPLab.get()
        #expect(b.eventually { b.established("node1") == b.mesh("node1") })
        let reloads = { b.confdLog("node1").components(separatedBy: "confd: BIRD reload:").count - 1 }
        let sinceBefore = try b.lab.birdc(on: "node1", "show protocols")
        let before = reloads()
        try b.lab.apply("apiVersion: projectcalico.org/v3\nkind: BGPFilter\nmetadata: {name: unused}\nspec: {exportV4: [{action: Reject, matchOperator: In, cidr: 10.99.0.0/16}]}")
        defer { _ = try? b.lab.calicoctl(["delete", "bgpfilter", "unused"]) }
        #expect(b.eventually { b.birdConfig("node1").contains("'bgp_unused_exportFilterV4'") })
        usleep(1_000_000)
        #expect(reloads() == before + 1, "one reload for one change: \(before) → \(reloads())")
        let sinceAfter = try b.lab.birdc(on: "node1", "show protocols")
        let mesh = { (t: String) in t.split(separator: "\n").filter { $0.hasPrefix("Mesh_") }.sorted() }
        #expect(mesh(sinceAfter) == mesh(sinceBefore), "the sessions were not reset:\n\(sinceBefore)\n→\n\(sinceAfter)")
    }

    @Test("The lab's ToR (--tor): every node peers with BIRD in the router over eBGP; pods on different subnets reach each other, both families")
    func torOption() async throws {
        let b = try await BGPLab.get()
        let a1 = ProbeSource(name: "a1", namespace: try b.lab.netnsName(of: "a1"))
        let b2 = ProbeSource(name: "b2", namespace: try b.lab.netnsName(of: "b2"))
        let (a1ip, b2ip) = (b.lab.pod("a1")!, b.lab.pod("b2")!)
        func across(_ reachable: Bool) throws -> (Bool, String) {
            let (ok, results) = try b.checker.check([
                ConnectivityExpectation(source: a1, target: "b2", probe: .tcp(b2ip.ip, 8080), expectReachable: reachable),
                ConnectivityExpectation(source: b2, target: "a1", probe: .tcp(a1ip.ip, 8080), expectReachable: reachable),
                ConnectivityExpectation(source: a1, target: "b2", probe: .tcp(b2ip.ipv6!, 8080), expectReachable: reachable),
                ConnectivityExpectation(source: b2, target: "a1", probe: .udp(a1ip.ipv6!, 5353), expectReachable: reachable),
            ], timeout: 15)
            return (ok, ConnectivityChecker.table(results))
        }
        let (cut, cutTable) = try across(false)
        #expect(cut, "without the ToR the router knows no pod routes: subnet A and B pods do not meet\n\(cutTable)")
        try b.lab.startToR()
        defer { try? b.lab.stopToR() }
        #expect(b.lab.torRunning)
        #expect(b.eventually { try b.lab.torc("show protocols").components(separatedBy: "Established").count - 1 == 6 },
                "the ToR has an eBGP session with each node per family:\n\((try? b.lab.torc("show protocols")) ?? "")")
        #expect(b.eventually { b.established("node2").isSuperset(of: ["Node_198_51_100_254", "Node_fd00_10_244_ff0b__fe"]) },
                "node2 peers with the ToR's address on its subnet: \(b.established("node2"))")
        #expect(b.eventually { try b.lab.torc("show route for \(b2ip.ip)").contains("via 198.51.100.130 on br-b") },
                "the ToR routes node2's block to node2, whoever offered it:\n\((try? b.lab.torc("show route for \(b2ip.ip)")) ?? "")")
        #expect(try b.lab.torc("show route all for \(a1ip.ip)").contains("BGP.as_path: 64512"))
        let (ok, table) = try across(true)
        #expect(ok, "with the ToR pods on subnet A and B reach each other over IPv4 and IPv6\n\(table)")
        try b.lab.stopToR()
        #expect(!b.lab.torRunning)
        #expect(b.eventually { !b.established("node2").contains("Node_198_51_100_254") && !b.birdConfig("node2").contains("Node_198_51_100_254") },
                "the nodes stop peering with the ToR")
    }

    @Test("Passwords from files: the mesh's, a node's own that does not match, a password file changed in place")
    func passwords() async throws {
        let b = try await BGPLab.get()
        let dir = b.lab.stateDirectory + "/bgp-secrets/bgp"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "meshpw\n".write(toFile: dir + "/mesh", atomically: false, encoding: .utf8)
        try "other".write(toFile: dir + "/odd", atomically: false, encoding: .utf8)
        let config = { (name: String, key: String) in
            "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: \(name)}\nspec: {nodeMeshPassword: {secretKeyRef: {name: bgp, key: \(key)}}}"
        }
        try b.lab.apply(config("default", "mesh"))
        defer {
            _ = try? b.lab.calicoctl(["delete", "bgpconfiguration", "node.node3", "--skip-not-exists"])
            _ = try? b.lab.calicoctl(["patch", "bgpconfiguration", "default", "-p", "{\"spec\":{\"nodeMeshPassword\":null}}"])
            try? FileManager.default.removeItem(atPath: dir)
            _ = b.eventually { b.lab.nodes.allSatisfy { b.established($0.name) == b.mesh($0.name) } }
        }
        #expect(b.eventually { b.lab.nodes.allSatisfy { b.birdConfig($0.name).contains("  password \"meshpw\";") } },
                "every node's mesh sessions carry the password from the file (its trailing newline dropped)")
        #expect(b.eventually(30) { b.lab.nodes.allSatisfy { b.established($0.name) == b.mesh($0.name) } },
                "with the same password everywhere the mesh comes back up: \(b.lab.nodes.map { b.established($0.name) })")
        // node3's own configuration names another password: TCP-MD5 keeps it apart.
        try b.lab.apply(config("node.node3", "odd"))
        #expect(b.eventually { b.birdConfig("node3").contains("  password \"other\";") })
        #expect(b.eventually(30) { b.established("node3").isEmpty && !b.established("node1").contains("Mesh_198_51_100_3") },
                "node3 cannot keep sessions with a password the others do not share: \(b.established("node3"))")
        #expect(b.established("node1").isSuperset(of: ["Mesh_198_51_100_130", "Mesh_fd00_10_244_ff0b__130"]), "node1 and node2 still agree")
        _ = try b.lab.calicoctl(["delete", "bgpconfiguration", "node.node3"])
        #expect(b.eventually(30) { b.lab.nodes.allSatisfy { b.established($0.name) == b.mesh($0.name) } }, "one password again, one mesh again")
        // The file changes in place: confd notices without any datastore change.
        try "meshpw2".write(toFile: dir + "/mesh", atomically: false, encoding: .utf8)
        #expect(b.eventually { b.lab.nodes.allSatisfy { b.birdConfig($0.name).contains("  password \"meshpw2\";") } }, "the new password reaches BIRD")
        #expect(b.eventually(30) { b.lab.nodes.allSatisfy { b.established($0.name) == b.mesh($0.name) } }, "and the mesh re-forms with it")
        // A missing file: a problem in the log naming the resource and the secret.
        try b.lab.apply(config("node.node3", "missing"))
        #expect(b.eventually { b.confdLog("node3").contains("BGPConfiguration nodeMeshPassword: password secret bgp/missing cannot be read") },
                "\(b.confdLog("node3").suffix(600))")
    }

    @Test("Bad input: invalid address and AS refused by calicoctl; two peers of one session name; a peer BIRD rejects; undecodable resources; node status keeps working")
    func badInput() async throws {
        let b = try await BGPLab.get()
        #expect(b.eventually { b.established("node1") == b.mesh("node1") })
        let peer = { (name: String, spec: String) in "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: \(name)}\nspec: \(spec)" }
        // Refused at the API: nothing stored.
        for (name, spec, field) in [("bad-ip", "{peerIP: 198.51.100.300, asNumber: 65000}", "peerIP"),
                                    ("bad-as", "{peerIP: 198.51.100.99, asNumber: 4294967296}", "asNumber")] {
            let out = try b.lab.calicoctl(["apply", "-f", "-"], input: peer(name, spec))
            #expect(out.status != 0 && (out.stdout + out.stderr).contains(field), "calicoctl refuses \(name), naming \(field): \(out.stdout)\(out.stderr)")
            #expect(try b.lab.calicoctl(["get", "bgppeer", name]).status != 0, "\(name) was not stored")
        }
        // Two peers rendering to one BIRD protocol name: the first wins, the second is named in the log.
        try b.lab.apply(peer("dup-a", "{peerIP: 198.51.100.99, asNumber: 65000}") + "\n---\n" + peer("dup-b", "{peerIP: 198.51.100.99, asNumber: 65001}"))
        defer { _ = try? b.lab.calicoctl(["delete", "bgppeer", "dup-a", "dup-b", "--skip-not-exists"]) }
        #expect(b.eventually { b.confdLog("node1").contains("BGPPeer dup-b: a session named Global_198_51_100_99 exists already; skipped") },
                "\(b.confdLog("node1").suffix(800))")
        // confd logs the skip while rendering; bird.cfg is written after, so wait for it too.
        #expect(b.eventually { b.birdConfig("node1").contains("neighbor 198.51.100.99 as 65000;") },
                "\(b.birdConfig("node1"))")
        #expect(!b.birdConfig("node1").contains("as 65001;"))
        // A peer BIRD rejects (link-local without an interface): the last good configuration stays.
        let good = b.birdConfig("node1")
        try b.lab.apply(peer("link-local", "{peerIP: 'fe80::1', asNumber: 65000}"))
        #expect(b.eventually { b.confdLog("node1").contains("BIRD rejects the new configuration from BGPPeer link-local") },
                "confd names the resource BIRD stumbled on:\n\(b.confdLog("node1").suffix(800))")
        #expect(b.birdConfig("node1") == good, "bird.cfg is the last good one")
        #expect(b.established("node1") == b.mesh("node1"), "the sessions stay up")
        let socket = b.lab.stateDirectory + "/bird-node1.ctl"
        let status = try b.lab.exec("node1", ["env", "CALICO_BIRD_SOCKET=\(socket)", SharedLab.binDirectory + "/calicoctl", "node", "status"])
        #expect(status.status == 0 && status.stdout.contains("| node-to-node mesh | up    |"), "node status still works: \(status.stdout)\(status.stderr)")
        _ = try b.lab.calicoctl(["delete", "bgppeer", "link-local"])
        // Written around the API by another client: a peer whose address is no address, a peer
        // that does not decode (skipped; everything else renders), a filter that does not decode
        // (nothing renders until it is fixed: without it routes could leak).
        let ds = try b.lab.datastore()
        func key(_ kind: String, _ name: String) -> String {
            ResourcePaths.key(ResourceRegistry.kind(named: kind.lowercased())!, namespace: nil, name: name)
        }
        func raw(_ kind: String, _ name: String, _ spec: [String: Any]) async throws {
            let object: [String: Any] = ["kind": kind, "apiVersion": "projectcalico.org/v3",
                                         "metadata": ["name": name, "creationTimestamp": "2026-01-01T00:00:00Z"], "spec": spec]
            _ = try await ds.kv.create(key(kind, name), value: Array(try JSONSerialization.data(withJSONObject: object)))
        }
        func removeRaw(_ kind: String, _ name: String) async {
            _ = try? await ds.kv.delete(key(kind, name), expectedRevision: nil)
        }
        try await raw("BGPPeer", "not-an-ip", ["peerIP": "not-an-ip", "asNumber": 65000])
        try await raw("BGPPeer", "huge-as", ["peerIP": "198.51.100.98", "asNumber": "sixty-five thousand"])
        #expect(b.eventually { b.confdLog("node1").contains("BGPPeer not-an-ip: peerIP not-an-ip is not an address or address:port; skipped") },
                "\(b.confdLog("node1").suffix(800))")
        #expect(b.eventually { b.confdLog("node1").contains("bgppeers/huge-as does not decode") }, "\(b.confdLog("node1").suffix(800))")
        try b.lab.apply(peer("later", "{peerIP: 198.51.100.97, asNumber: 65000}"))
        defer { _ = try? b.lab.calicoctl(["delete", "bgppeer", "later", "--skip-not-exists"]) }
        #expect(b.eventually { b.birdConfig("node1").contains("neighbor 198.51.100.97 as 65000;") }, "other changes still render")
        try await raw("BGPFilter", "broken", ["exportV4": "not a list"])
        #expect(b.eventually { b.confdLog("node1").contains("bgpfilters/broken does not decode") && b.confdLog("node1").contains("keeping the last good configuration") },
                "\(b.confdLog("node1").suffix(800))")
        _ = try b.lab.calicoctl(["delete", "bgppeer", "later"])
        usleep(500_000)
        #expect(b.birdConfig("node1").contains("198.51.100.97"), "nothing renders while the filter does not decode")
        await removeRaw("BGPFilter", "broken")
        #expect(b.eventually { !b.birdConfig("node1").contains("198.51.100.97") }, "fixed, the configuration catches up")
        #expect(b.established("node1") == b.mesh("node1"))
        await removeRaw("BGPPeer", "not-an-ip")
        await removeRaw("BGPPeer", "huge-as")
    }
}
