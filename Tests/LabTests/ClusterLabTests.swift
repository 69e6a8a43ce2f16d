import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoLab
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Pods on three nodes over two subnets, with real packets: routing in each encapsulation mode
/// (switched live on the pool), NAT outgoing and its exclusions, cross-node policy, restarts
/// without loss, node removal. One lab, in order.
@Suite("A cluster of three nodes", .serialized)
struct ClusterLabTests {
    @Test("VXLAN CrossSubnet: direct within a subnet, encapsulated across it")
    func crossSubnet() async throws {
        let c = try await ClusterLab.get()
        try c.setPool(vxlanMode: "CrossSubnet")
        #expect(c.eventually { try c.routes(on: "node1").contains("\(c.block(of: "c3")) via 198.51.100.3 dev eth0") },
                "node1 routes node3's block directly: \(c.routeText("node1"))")
        #expect(c.eventually { try c.routes(on: "node1").contains { $0.hasPrefix("\(c.block(of: "b2")) via ") && $0.contains("dev vxlan.calico onlink") } },
                "node1 routes node2's block through the tunnel: \(c.routeText("node1"))")
        #expect(try c.routes(on: "node1").contains("blackhole \(c.block(of: "a1"))"))
        // IPv6 likewise: node3 directly, node2 through vxlan-v6.calico.
        #expect(c.eventually { try c.routes6(on: "node1").contains { $0.contains("via \(c.nodeIP6("node3")) dev eth0") } },
                "node1 routes node3's IPv6 block directly: \((try? c.routes6(on: "node1")) ?? [])")
        #expect(c.eventually { try c.routes6(on: "node1").contains { $0.contains("dev vxlan-v6.calico") && $0.contains("onlink") } },
                "node1 routes node2's IPv6 block through the IPv6 tunnel: \((try? c.routes6(on: "node1")) ?? [])")
        #expect(c.eventually { c.podMTU(on: "node1") == 1430 }, "node1's pod MTU leaves room for VXLAN over IPv6 (1500 - 70): \(c.podMTU(on: "node1") ?? 0)")
        try c.expect(try c.podMatrix { _, _ in true }, "every pod reaches every pod (TCP, UDP, ICMP; IPv4 and IPv6)")
        // On the underlay: VXLAN to node2, plain pod traffic to node3.
        let toNode2 = try c.capture(in: "node1", interface: "eth0", filter: "udp port 4789 and dst host 198.51.100.130") { try c.ping("a1", c.ip("b2")) }
        #expect(!toNode2.isEmpty, "a1 → b2 leaves node1 as VXLAN to node2")
        let toNode3 = try c.capture(in: "node1", interface: "eth0", filter: "icmp and dst host \(c.ip("c3"))") { try c.ping("a1", c.ip("c3")) }
        #expect(!toNode3.isEmpty, "a1 → c3 leaves node1 unencapsulated")
        let toNode2v6 = try c.capture(in: "node1", interface: "eth0", filter: "ip6 and udp port 4789 and dst host \(c.nodeIP6("node2"))") { try c.ping("a1", c.ip6("b2")) }
        #expect(!toNode2v6.isEmpty, "a1 → b2 over IPv6 leaves node1 as VXLAN over IPv6 to node2")
        let toNode3v6 = try c.capture(in: "node1", interface: "eth0", filter: "icmp6 and dst host \(c.ip6("c3"))") { try c.ping("a1", c.ip6("c3")) }
        #expect(!toNode3v6.isEmpty, "a1 → c3 over IPv6 leaves node1 unencapsulated")
    }

    @Test("VXLAN Always: encapsulated even within a subnet")
    func vxlanAlways() async throws {
        let c = try await ClusterLab.get()
        try c.setPool(vxlanMode: "Always")
        defer { try? c.setPool(vxlanMode: "CrossSubnet") }
        #expect(c.eventually { try c.routes(on: "node1").contains { $0.hasPrefix("\(c.block(of: "c3")) via ") && $0.contains("dev vxlan.calico onlink") } },
                "node1 routes node3's block through the tunnel: \(c.routeText("node1"))")
        #expect(c.eventually { try c.routes6(on: "node1").filter { $0.contains("dev vxlan-v6.calico") }.count == 2 },
                "node1 routes both remote IPv6 blocks through the IPv6 tunnel: \((try? c.routes6(on: "node1")) ?? [])")
        try c.expect(try c.podMatrix { _, _ in true }, "every pod reaches every pod with VXLAN always")
        let toNode3 = try c.capture(in: "node1", interface: "eth0", filter: "udp port 4789 and dst host 198.51.100.3") { try c.ping("a1", c.ip("c3")) }
        #expect(!toNode3.isEmpty, "a1 → c3 is encapsulated")
        let toNode3v6 = try c.capture(in: "node1", interface: "eth0", filter: "ip6 and udp port 4789 and dst host \(c.nodeIP6("node3"))") { try c.ping("a1", c.ip6("c3")) }
        #expect(!toNode3v6.isEmpty, "a1 → c3 over IPv6 is encapsulated")
    }

    @Test("No encapsulation: Felix routes the subnet directly; across subnets there is no path")
    func noEncapsulation() async throws {
        let c = try await ClusterLab.get()
        try c.setPool(vxlanMode: "Never")
        defer { try? c.setPool(vxlanMode: "CrossSubnet") }
        // The tunnel addresses are released and the devices go.
        #expect(c.eventually(15) { !(try c.lab.exec("node1", ["ip", "link", "show", "vxlan.calico"]).status == 0) }, "vxlan.calico removed from node1")
        #expect(c.eventually { c.podMTU(on: "node1") == 1500 }, "without encapsulation pods get the host MTU: \(c.podMTU(on: "node1") ?? 0)")
        #expect(try c.routes(on: "node1").contains("\(c.block(of: "c3")) via 198.51.100.3 dev eth0"))
        #expect(c.eventually { !(try c.lab.exec("node1", ["ip", "link", "show", "vxlan-v6.calico"]).status == 0) }, "vxlan-v6.calico removed from node1")
        #expect(try c.routes6(on: "node1").contains { $0.contains("via \(c.nodeIP6("node3")) dev eth0") })
        try c.expect(try c.podMatrix { s, d in !(s == "b2" || d == "b2") }, "subnet A's pods reach each other; node2's pods are out of reach without encapsulation")
    }

    @Test("NAT outgoing: the outside sees the node; IPPoolsOnly versus IPPoolsAndHostIPs; pod to pod never NATed")
    func natOutgoing() async throws {
        let c = try await ClusterLab.get()
        try c.setPool(vxlanMode: "CrossSubnet", natOutgoing: true)
        let ext = try c.capture(in: "ext", interface: "eth0", filter: "icmp[icmptype] == icmp-echo") { try c.ping("a1", c.lab.extIP) }
        #expect(ext.first?.contains("198.51.100.1 > 203.0.113.10") == true, "ext sees node1's address: \(ext)")
        // Another node's host address: SNATed with IPPoolsOnly (the default) …
        let snat = try c.capture(in: "node2", interface: "eth0", filter: "tcp dst port 8080 and dst host 198.51.100.130") {
            _ = try c.checker.check([ConnectivityExpectation(source: try c.source("a1"), target: "node2", probe: .tcp("198.51.100.130", 8080), expectReachable: true)], timeout: 5)
        }
        #expect(snat.first?.contains("198.51.100.1.") == true, "IPPoolsOnly: node2 sees node1's address: \(snat)")
        // … and not with IPPoolsAndHostIPs.
        try c.setFelixConfig("natOutgoingExclusions", "IPPoolsAndHostIPs")
        defer { try? c.setFelixConfig("natOutgoingExclusions", nil) }
        #expect(c.eventually { (try? c.lab.exec("node1", ["nft", "list", "chain", "ip", "calico", "nat-cali-nat-outgoing"]).stdout.contains("all-hosts-net")) == true })
        let kept = try c.capture(in: "node2", interface: "eth0", filter: "tcp dst port 8080 and dst host 198.51.100.130") {
            _ = try c.checker.check([ConnectivityExpectation(source: try c.source("a1"), target: "node2", probe: .tcp("198.51.100.130", 8080), expectReachable: true)], timeout: 5)
        }
        #expect(kept.first?.contains("\(c.ip("a1")).") == true, "IPPoolsAndHostIPs: node2 sees the pod's address: \(kept)")
        // Pod to pod keeps the pod's address.
        let podToPod = try c.capture(in: "b2", interface: "eth0", filter: "icmp[icmptype] == icmp-echo") { try c.ping("a1", c.ip("b2")) }
        #expect(podToPod.first?.contains("\(c.ip("a1")) > \(c.ip("b2"))") == true, "pod to pod is not NATed: \(podToPod)")
        // Without natOutgoing the outside is out of reach (the router has no route to pods).
        try c.setPool(natOutgoing: false)
        defer { try? c.setPool(natOutgoing: true) }
        try c.expect([ConnectivityExpectation(source: try c.source("a1"), target: "ext", probe: .tcp(c.lab.extIP, 8080), expectReachable: false)],
                     "without natOutgoing a pod cannot reach the outside")
    }

    @Test("Policy across nodes: remote endpoints in IP sets, namespace selectors")
    func crossNodePolicy() async throws {
        let c = try await ClusterLab.get()
        try c.setPool(vxlanMode: "CrossSubnet")
        let policy = """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: db-from-web, namespace: prod}
            spec:
              selector: app == 'db'
              ingress: [{action: Allow, source: {selector: app == 'web', namespaceSelector: team == 'demo'}}]
            """
        try c.lab.apply(policy)
        defer { _ = try? c.lab.calicoctl(["delete", "--skip-not-exists", "-f", "-"], input: policy) }
        try c.expect(try c.podMatrix { s, d in d != "b2" || s == "a1" }, "only demo's web pod (another node, another subnet) reaches db")
    }

    @Test("Felix and allocate-tunnel-addrs restart without a route flap or lost traffic")
    func restarts() async throws {
        let c = try await ClusterLab.get()
        try c.setPool(vxlanMode: "CrossSubnet")
        #expect(c.eventually { try c.routes(on: "node1").count == 3 })
        let before = try c.routes(on: "node1")
        let tunnelBefore = try c.lab.exec("node1", ["ip", "-4", "-br", "addr", "show", "vxlan.calico"]).stdout
        // Route changes on node1 while both restart, and pings across the tunnel meanwhile.
        let mon = NSTemporaryDirectory() + "routes-\(getpid()).txt"
        defer {
            try? FileManager.default.removeItem(atPath: mon)
            try? FileManager.default.removeItem(atPath: mon + ".ping")
        }
        let monitor = try ProcessControl.spawnDaemon(try c.lab.commandLine(in: "node1", ["timeout", "6", "ip", "monitor", "route"]),
                                                     environment: nil, logPath: mon)
        let pinger = try ProcessControl.spawnDaemon(try c.lab.commandLine(in: "a1", ["ping", "-c", "40", "-i", "0.1", "-W", "1", c.ip("b2")]),
                                                    environment: nil, logPath: mon + ".ping")
        usleep(300_000)
        try c.lab.stopFelix(on: "node1", signal: SIGKILL)
        try c.lab.startFelix(on: "node1")
        try c.lab.restartAllocator(on: "node1")
        try await c.lab.waitForFelix(on: "node1", timeout: .seconds(15))
        ProcessControl.waitForExit(pinger, within: .seconds(8))
        ProcessControl.waitForExit(monitor, within: .seconds(8))
        let pings = (try? String(contentsOfFile: mon + ".ping", encoding: .utf8)) ?? ""
        #expect(pings.contains(" 0% packet loss"), "no ping lost while Felix and allocate-tunnel-addrs restarted:\n\(pings.suffix(300))")
        let changes = ((try? String(contentsOfFile: mon, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.contains("proto 80") || $0.contains("vxlan.calico") }
        #expect(changes.isEmpty, "no route of Felix's changed: \(changes)")
        #expect(try c.routes(on: "node1") == before)
        #expect(try c.lab.exec("node1", ["ip", "-4", "-br", "addr", "show", "vxlan.calico"]).stdout == tunnelBefore, "the tunnel address is kept")
    }

    @Test("Bad input: a block of a node that does not exist is named in readiness; everything else keeps working")
    func blockOfUnknownNode() async throws {
        let c = try await ClusterLab.get()
        try c.setPool(vxlanMode: "CrossSubnet")
        let ipam = IPAMClient(datastore: try c.lab.datastore())
        let ghost = try await ipam.autoAssign(AutoAssignRequest(handleID: "ghost-test", hostname: "ghost"))
        let block = c.block(ofIP: "\(ghost.ipv4[0].address)")
        #expect(c.eventually { (c.lab.felixReadiness(on: "node2")?.report ?? "").contains("IPAM block \(block) is affine to node ghost, which does not exist") },
                "node2's readiness names the block: \(c.lab.felixReadiness(on: "node2")?.report ?? "(no answer)")")
        #expect(c.lab.felixReadiness(on: "node2")?.ready == false)
        #expect(try !c.routes(on: "node2").contains { $0.hasPrefix(block) }, "no route to a block without a node")
        try c.expect(try c.podMatrix { _, _ in true }, "everything else keeps being programmed")
        _ = try await ipam.releaseByHandle("ghost-test")
        try await ipam.releaseHostAffinities(host: "ghost", mustBeEmpty: false)
        #expect(c.eventually { c.lab.felixReadiness(on: "node2")?.ready == true }, "ready again once the block is gone")
    }

    @Test("Removing a node: the others drop its routes and tunnel; its addresses are released")
    func removeNode() async throws {
        let c = try await ClusterLab.get()
        try c.setPool(vxlanMode: "CrossSubnet")
        let gone = c.ip("c3")
        let block = c.block(of: "c3")
        let tunnel = try c.lab.exec("node3", ["ip", "-4", "-br", "addr", "show", "vxlan.calico"]).stdout.split(whereSeparator: \.isWhitespace).last.map { String($0.split(separator: "/")[0]) }
        let node3v6 = c.nodeIP6("node3")
        #expect(try c.routes6(on: "node1").contains { $0.contains("via \(node3v6) ") }, "node1 has an IPv6 route to node3 before")
        try await c.lab.removeNode("node3")
        #expect(c.eventually { !(try c.routes(on: "node1").contains { $0.hasPrefix(block) }) }, "node1 drops node3's block: \(c.routeText("node1"))")
        #expect(c.eventually { !(try c.routes6(on: "node1").contains { $0.contains("via \(node3v6) ") }) }, "node1 drops node3's IPv6 block")
        #expect(c.eventually { !(try c.lab.exec("node2", ["ip", "neigh", "show", "dev", "vxlan.calico"]).stdout.contains(tunnel ?? "?")) },
                "node2 drops node3's VTEP")
        let ipam = IPAMClient(datastore: try c.lab.datastore())
        #expect(try await ipam.allocation(of: IPAddress(gone)!) == nil, "c3's address is released")
        #expect(try await ipam.ipsByHandle("vxlan-tunnel-addr-node3").isEmpty, "node3's tunnel address is released")
        try c.expect([ConnectivityExpectation(source: try c.source("a1"), target: "b2", probe: .tcp(c.ip("b2"), 8080), expectReachable: true)],
                     "the remaining nodes still connect")
    }
}
