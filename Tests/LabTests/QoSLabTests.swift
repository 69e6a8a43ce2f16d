import CalicoLab
import CalicoNetlink
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// QoS on real traffic: TBF bandwidth (iperf3), nft packet-rate and connection limits (ping,
/// TCP), DSCP marking (captured at the outside host), QoSPolicies following labels, and bad
/// input. Serialized: the measurements share two cores.
@Suite(.serialized) struct QoSLabTests {
    static let bw = QoSLab.bw

    /// Runs the measurements side by side; each result in the order given.
    static func together(_ work: [@Sendable () throws -> [Double]]) throws -> [[Double]] {
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var items: [Result<[Double], any Error>?]
            init(_ n: Int) { items = Array(repeating: nil, count: n) }
        }
        let results = Results(work.count)
        DispatchQueue.concurrentPerform(iterations: work.count) { i in
            let r = Result { try work[i]() }
            results.lock.withLock { results.items[i] = r }
        }
        return try results.items.map { try $0!.get() }
    }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
    static func text(_ xs: [Double]) -> String { xs.map { String(format: "%.1f", $0) }.joined(separator: " ") }

    @Test("Annotations: 10 and 100 Mbit/s each way within ±10 % once the 4 Gibit burst has drained; removing one removes its qdisc")
    func annotationBandwidth() async throws {
        let q = try await QoSLab.get()
        try q.annotate("eg100", [Self.bw + "egressBandwidth": "100M"])
        try q.annotate("in100", [Self.bw + "ingressBandwidth": "100M"])
        #expect(pollUntil(10) { q.egressRate("eg10") == 10_000_000 && q.ingressRate("in10") == 10_000_000 },
                "limits set at creation through args.cni.annotations: \(q.qdiscs(q.iface("eg10"))) \(q.qdiscs(q.iface("in10")))\n\(q.felixLog)")
        #expect(pollUntil(10) { q.egressRate("eg100") == 100_000_000 && q.ingressRate("in100") == 100_000_000 }, "patched limits\n\(q.felixLog)")
        let r = try Self.together([
            { try q.throughput(from: "eg10", to: "sink", port: 5301, seconds: 10, omit: 3) },
            { try q.throughput(from: "sink", to: "in10", port: 5302, seconds: 10, omit: 3) },
            { try q.throughput(from: "eg100", to: "sink", port: 5303, seconds: 10, omit: 3) },
            { try q.throughput(from: "sink", to: "in100", port: 5304, seconds: 10, omit: 3) },
        ])
        for (i, (what, limit)) in [("egress 10M", 10.0), ("ingress 10M", 10.0), ("egress 100M", 100.0), ("ingress 100M", 100.0)].enumerated() {
            let m = Self.mean(r[i])
            #expect(abs(m - limit) <= limit * 0.1, "\(what): mean \(String(format: "%.2f", m)) Mbit/s over [\(Self.text(r[i]))]")
        }
        try q.annotate("eg100", [Self.bw + "egressBandwidth": nil])
        try q.annotate("in100", [Self.bw + "ingressBandwidth": nil])
        #expect(pollUntil(10) { q.redirect("eg100") == nil && q.ingressRate("in100") == nil && q.qdiscs(q.iface("eg100")).allSatisfy { $0.kind != "ingress" } },
                "removed annotations remove their qdiscs and redirect: \(q.qdiscs(q.iface("eg100"))) \(q.qdiscs(q.iface("in100")))")
        let ifbs = try q.lab.exec("node1", ["ip", "-o", "link", "show", "type", "ifb"]).stdout
        #expect(ifbs.split(separator: "\n").count == 1, "only eg10's IFB device is left: \(ifbs)")
    }

    @Test("A QoSPolicy's own burst holds the limit from the first second (≤ 1.2×); peakrate caps the rate a burst is sent at")
    func policyBurstAndPeakrate() async throws {
        let q = try await QoSLab.get()
        try q.lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: QoSPolicy
            metadata: {name: first-second}
            spec: {selector: app == 'x', egressBandwidth: 10M}
            """)
        defer { _ = try? q.calicoctl(["delete", "qospolicy", "first-second"]) }
        #expect(pollUntil(10) { q.egressRate("x") == 10_000_000 }, "policy limit in the kernel\n\(q.felixLog)")
        let first = try q.throughput(from: "x", to: "sink", port: 5311, seconds: 5)
        #expect(first.count >= 5 && first.allSatisfy { $0 <= 12 } && Self.mean(first) >= 8.5, "every second within 1.2× of 10 Mbit/s: [\(Self.text(first))]")
        _ = try q.calicoctl(["delete", "qospolicy", "first-second"])
        #expect(pollUntil(10) { q.egressRate("x") == nil }, "policy deleted → limit gone")

        // 80 Mbit of burst over a 10 Mbit/s rate, sent at no more than the 20 Mbit/s peak.
        try q.annotate("x", [Self.bw + "egressBandwidth": "10M", Self.bw + "egressBurst": "80M", Self.bw + "egressPeakrate": "20M"])
        defer { try? q.annotate("x", [Self.bw + "egressBandwidth": nil, Self.bw + "egressBurst": nil, Self.bw + "egressPeakrate": nil]) }
        #expect(pollUntil(10) { q.egressRate("x") == 10_000_000 })
        let peak = try q.throughput(from: "x", to: "sink", port: 5312, seconds: 4)
        #expect(peak.allSatisfy { $0 <= 24 } && Self.mean(Array(peak.prefix(3))) >= 14,
                "the burst goes out at the peak rate, not the link's: [\(Self.text(peak))]")
    }

    @Test("Packet rate 100/s with burst 5: a ping flood gets about 100 answers a second, each way")
    func packetRate() async throws {
        let q = try await QoSLab.get()
        try q.annotate("x", [Self.bw + "ingressPacketRate": "100"])
        try q.annotate("y", [Self.bw + "egressPacketRate": "100", Self.bw + "egressPacketBurst": "5"])
        defer {
            try? q.annotate("x", [Self.bw + "ingressPacketRate": nil])
            try? q.annotate("y", [Self.bw + "egressPacketRate": nil, Self.bw + "egressPacketBurst": nil])
        }
        let table = { (try? q.lab.exec("node1", ["nft", "list", "table", "ip", "calico"]).stdout) ?? "" }
        #expect(pollUntil(10) { table().components(separatedBy: "limit rate over 100/second").count == 3 }, "both rules in place\n\(q.felixLog)")
        // From outside (a local pod's established flows are accepted by its own chain first, as upstream).
        let into = try q.pings(from: "ext", to: q.ip("x"), count: 600, interval: 0.001)
        let out = try q.pings(from: "y", to: q.ip("sink"), count: 600, interval: 0.001)
        for (what, r) in [("ingress", into), ("egress", out)] {
            let rate = Double(r.answered) / r.seconds
            #expect(r.answered < 600 && (80...125).contains(rate), "\(what): \(r.answered) of 600 answered in \(r.seconds) s = \(Int(rate))/s")
        }
        try q.annotate("x", [Self.bw + "ingressPacketRate": nil])
        try q.annotate("y", [Self.bw + "egressPacketRate": nil, Self.bw + "egressPacketBurst": nil])
        #expect(pollUntil(10) { !table().contains("limit rate over") }, "rules removed with the annotations")
        let freed = try q.pings(from: "ext", to: q.ip("x"), count: 500, interval: 0.001)
        #expect(freed.answered > 450, "without the limit: \(freed.answered) of 500 answered")
    }

    @Test("Max connections 3: the 4th TCP connection is reset while 3 stay open, each way")
    func maxConnections() async throws {
        let q = try await QoSLab.get()
        try q.annotate("x", [Self.bw + "ingressMaxConnections": "3"])
        try q.annotate("y", [Self.bw + "egressMaxConnections": "3"])
        defer {
            try? q.annotate("x", [Self.bw + "ingressMaxConnections": nil])
            try? q.annotate("y", [Self.bw + "egressMaxConnections": nil])
        }
        #expect(pollUntil(10) { ((try? q.lab.exec("node1", ["nft", "list", "table", "ip", "calico"]).stdout) ?? "").components(separatedBy: "ct count over 3").count == 3 },
                "both rules in place\n\(q.felixLog)")
        let into = try q.connections(from: "sink", to: "x", port: 7001, count: 4)
        #expect(into.opened == ["open", "open", "open", "reset"] && into.alive == 3, "to x: \(into)")
        let out = try q.connections(from: "y", to: "sink", port: 7002, count: 4)
        #expect(out.opened == ["open", "open", "open", "reset"] && out.alive == 3, "from y: \(out)")
        let unlimited = try q.connections(from: "sink", to: "eg10", port: 7003, count: 4)
        #expect(unlimited.opened == ["open", "open", "open", "open"], "a pod without the control: \(unlimited)")
    }

    @Test("DSCP EF on a pod marks what reaches the outside (after NAT outgoing) but not pod-to-pod traffic; a HostEndpoint's CS5 marks host traffic")
    func dscp() async throws {
        let q = try await QoSLab.get()
        try q.annotate("x", [Self.bw + "dscp": "EF"])
        defer { try? q.annotate("x", [Self.bw + "dscp": nil]) }
        #expect(pollUntil(10) { ((try? q.lab.exec("node1", ["nft", "list", "chain", "ip", "calico", "mangle-cali-egress-dscp"]).stdout) ?? "").contains("dscp set ef") },
                "DSCP chain\n\(q.felixLog)")
        let ext = try q.lab.capture(in: "ext", interface: "eth0", filter: "icmp[icmptype] == icmp-echo", verbose: true) {
            _ = try q.lab.exec("x", ["ping", "-c", "2", "-i", "0.2", "-W", "1", q.lab.extIP])
        }
        #expect(ext.first?.contains("tos 0xb8") == true, "EF (46) reaches the outside host: \(ext)")
        #expect(ext.joined().contains("\(q.lab.nodeIP) > \(q.lab.extIP)"), "after NAT outgoing (node's address): \(ext)")
        let replies = try q.lab.capture(in: "ext", interface: "eth0", filter: "icmp[icmptype] == icmp-echoreply", verbose: true) {
            _ = try q.lab.exec("ext", ["ping", "-c", "2", "-i", "0.2", "-W", "1", q.ip("x")])
        }
        #expect(replies.first?.contains("tos 0xb8") == true, "replies of a connection from outside are marked too: \(replies)")
        let pod = try q.lab.capture(in: "y", interface: "eth0", filter: "icmp[icmptype] == icmp-echo", verbose: true) {
            _ = try q.lab.exec("x", ["ping", "-c", "2", "-i", "0.2", "-W", "1", q.ip("y")])
        }
        #expect(pod.first?.contains("tos 0x0,") == true, "pod-to-pod traffic is not marked: \(pod)")

        try q.lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: HostEndpoint
            metadata:
              name: node1-eth0
              labels: {role: node}
              annotations: {qos.projectcalico.org/dscp: cs5}
            spec: {node: node1, interfaceName: eth0, expectedIPs: [\(q.lab.nodeIP)], profiles: [projectcalico-default-allow]}
            """)
        defer { _ = try? q.calicoctl(["delete", "hostendpoint", "node1-eth0"]) }
        #expect(pollUntil(10) { ((try? q.lab.exec("node1", ["nft", "list", "chain", "ip", "calico", "mangle-cali-egress-dscp"]).stdout) ?? "").contains("dscp set cs5") },
                "host endpoint's DSCP\n\(q.felixLog)")
        let host = try q.lab.capture(in: "ext", interface: "eth0", filter: "icmp[icmptype] == icmp-echo", verbose: true) {
            _ = try q.lab.exec("node1", ["ping", "-c", "2", "-i", "0.2", "-W", "1", q.lab.extIP])
        }
        #expect(host.first?.contains("tos 0xa0") == true, "CS5 (40) on host traffic leaving: \(host)")
    }

    @Test("A QoSPolicy selects pods by label as they appear and stops when the label goes; an annotation overrides it per field; --dump names the sources")
    func policyFollowsLabels() async throws {
        let q = try await QoSLab.get()
        try q.lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: QoSPolicy
            metadata: {name: gold}
            spec: {selector: qos == 'gold', order: 10, ingressBandwidth: 20M, egressBandwidth: 30M}
            """)
        defer { _ = try? q.calicoctl(["delete", "qospolicy", "gold"]) }
        let g1 = try await q.lab.addPod(name: "g1", namespace: "qos", labels: ["app": "g1", "qos": "gold"])
        defer { Task { try? await q.lab.removePod("g1") } }
        #expect(pollUntil(10) { q.ingressRate("g1") == 20_000_000 && q.egressRate("g1") == 30_000_000 },
                "a new pod with the label gets the policy: \(q.qdiscs(g1.interfaceName))\n\(q.felixLog)")
        try q.label("y", ["qos": "gold"])
        try q.annotate("y", [Self.bw + "ingressBandwidth": "5M"])
        defer {
            try? q.label("y", ["qos": nil])
            try? q.annotate("y", [Self.bw + "ingressBandwidth": nil])
        }
        #expect(pollUntil(10) { q.ingressRate("y") == 5_000_000 && q.egressRate("y") == 30_000_000 }, "annotation wins for ingress only")
        let wide = try q.calicoctl(["get", "qospolicy", "gold", "-o", "wide"])
        #expect(wide.stdout.contains("ENDPOINTS") && wide.stdout.split(separator: "\n").last?.split(separator: " ").last == "2",
                "calicoctl shows how many endpoints it selects: \(wide.stdout)\(wide.stderr)")
        var env = q.lab.datastoreEnvironment
        env["NODENAME"] = "node1"
        let dump = try CommandRunner.run(["env"] + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                                         + [q.lab.binary("calico-node"), "-felix", "--calc-only", "--dump"])
        #expect(dump.stdout.contains("ingressBandwidth=5000000 (endpoint)") && dump.stdout.contains("egressBandwidth=30000000 (QoSPolicy gold)"),
                "--dump: \(dump.stdout.suffix(1500))\(dump.stderr)")
        try q.label("g1", ["qos": nil])
        #expect(pollUntil(10) { q.ingressRate("g1") == nil && q.egressRate("g1") == nil }, "label removed → policy no longer applies")
    }

    @Test("Bad input: a qdisc the kernel refuses fails only that endpoint (readiness and log name it) until fixed; an invalid QoSPolicy is refused; out-of-range annotations are clamped")
    func badInput() async throws {
        let q = try await QoSLab.get()
        // Another tool holds x's ingress hook (clsact): the IFB redirect cannot be installed.
        _ = try q.lab.exec("node1", ["tc", "qdisc", "add", "dev", q.iface("x"), "clsact"])
        defer { _ = try? q.lab.exec("node1", ["tc", "qdisc", "del", "dev", q.iface("x"), "clsact"]) }
        try q.annotate("x", [Self.bw + "egressBandwidth": "10M"])
        try q.annotate("y", [Self.bw + "ingressBandwidth": "10M"])
        defer {
            try? q.annotate("x", [Self.bw + "egressBandwidth": nil])
            try? q.annotate("y", [Self.bw + "ingressBandwidth": nil])
        }
        let endpoint = q.lab.pod("x")!.endpointName
        #expect(pollUntil(10) { q.readiness.contains(endpoint) }, "readiness names x's endpoint: \(q.readiness)")
        #expect(pollUntil(10) { q.ingressRate("y") == 10_000_000 }, "y's limit is applied all the same")
        let log = (try? String(contentsOfFile: q.lab.stateDirectory + "/felix.log", encoding: .utf8)) ?? ""
        #expect(log.contains("QoS of wep:qos/\(endpoint)"), "log names the endpoint\n\(q.felixLog)")
        _ = try q.lab.exec("node1", ["tc", "qdisc", "del", "dev", q.iface("x"), "clsact"])
        // Retried every second; 20 s leaves room for a loaded 2-core machine (10 s flaked once in a full run).
        #expect(pollUntil(20) { q.egressRate("x") == 10_000_000 && !q.readiness.contains(endpoint) }, "repaired once the hook is free: \(q.readiness)")

        let bad = try q.calicoctl(["apply", "-f", "-"], input: """
            apiVersion: projectcalico.org/v3
            kind: QoSPolicy
            metadata: {name: bad}
            spec: {selector: all(), dscp: XX}
            """)
        #expect(bad.status != 0 && (bad.stdout + bad.stderr).contains("dscp"), "refused naming the field: \(bad.stdout)\(bad.stderr)")
        #expect(try q.calicoctl(["get", "qospolicy", "bad"]).status != 0, "nothing stored")

        try q.annotate("x", [Self.bw + "ingressBandwidth": "10P"])
        defer { try? q.annotate("x", [Self.bw + "ingressBandwidth": nil]) }
        #expect(pollUntil(10) { q.ingressRate("x") == 1_000_000_000_000_000 }, "10P clamped to 1P: \(q.qdiscs(q.iface("x")))")
        #expect(pollUntil(5) { ((try? String(contentsOfFile: q.lab.stateDirectory + "/felix.log", encoding: .utf8)) ?? "").contains("clamped") },
                "the clamping is logged\n\(q.felixLog)")
    }

    @Test("Reconciled from the kernel: a qdisc removed behind Felix's back comes back; a restart leaves right qdiscs alone")
    func reconcile() async throws {
        let q = try await QoSLab.get()
        #expect(pollUntil(10) { q.egressRate("eg10") == 10_000_000 })
        // The IFB's bucket, deleted by hand, is repaired at the next refresh (5 s in this lab).
        let ifb = try #require(q.redirect("eg10"))
        _ = try q.lab.exec("node1", ["tc", "qdisc", "del", "dev", ifb, "root"])
        #expect(q.egressRate("eg10") == nil)
        #expect(pollUntil(15) { q.egressRate("eg10") == 10_000_000 }, "repaired\n\(q.felixLog)")
        // A restart: the qdiscs stay as they are (same handle, counters not reset), nothing is rewritten.
        func state() -> String { (try? q.lab.exec("node1", ["tc", "qdisc", "show", "dev", ifb]).stdout) ?? "" }
        let handle = state().split(separator: " ").dropFirst(2).first.map(String.init)
        _ = try q.throughput(from: "eg10", to: "sink", port: 5321, seconds: 1)
        let sent = try q.lab.exec("node1", ["tc", "-s", "-j", "qdisc", "show", "dev", ifb]).stdout
        let logPath = q.lab.stateDirectory + "/felix.log"
        func qosChanges() -> Int { ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").components(separatedBy: "QoS bandwidth:").count }
        let before = qosChanges()
        try q.lab.stopFelix(on: "node1")
        try q.lab.startFelix(on: "node1")
        try await q.lab.waitForFelix(on: "node1", timeout: .seconds(20))
        usleep(500_000)
        #expect(qosChanges() == before, "the restarted Felix changed no qdisc\n\(q.felixLog)")
        let after = try q.lab.exec("node1", ["tc", "-s", "-j", "qdisc", "show", "dev", ifb]).stdout
        #expect(state().split(separator: " ").dropFirst(2).first.map(String.init) == handle, "same qdisc: \(state())")
        #expect(Self.sentBytes(after) >= Self.sentBytes(sent) && Self.sentBytes(sent) > 0, "counters kept: \(sent) → \(after)")
        #expect(q.egressRate("eg10") == 10_000_000 && q.ingressRate("in10") == 10_000_000)
    }

    static func sentBytes(_ json: String) -> Int {
        guard let data = json.data(using: .utf8), let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else { return 0 }
        return list.first?["bytes"] as? Int ?? 0
    }
}
