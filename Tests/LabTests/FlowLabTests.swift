import CalicoLab
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The flow lab: two nodes (VXLAN), Goldmane and Whisker in the router namespace, every Felix
/// flushing flow logs every 3 s into 3 s buckets; pods `fa` (node1, demo, app=client) and `fb`
/// (node2, prod, app=server).
final class FlowLab: @unchecked Sendable {
    let lab: Lab
    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: FlowLab?

    static func get() async throws -> FlowLab {
        try RootGate.require("the flow LabTests (network namespaces, nftables, NFLOG)")
        if let s = lock.withLock({ shared }) { return s }
        let s = try await FlowLab()
        lock.withLock { shared = s }
        atexit { FlowLab.lock.withLock { FlowLab.shared }?.tearDown() }
        return s
    }

    private init() async throws {
        let dir = NSTemporaryDirectory() + "flowtests-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        var config = LabConfig(stateDirectory: dir, binDirectory: SharedLab.binDirectory, datastore: .embedded, prefix: "cfl-\(getpid())",
                               nodes: 2, encapsulation: .vxlan)
        config.flows = true
        config.flowFlushSeconds = 3
        config.goldmaneWindowSeconds = 3
        lab = try await Lab.up(config)
        do {
            try await lab.ensureNamespace("demo", labels: [:])
            try await lab.ensureNamespace("prod", labels: [:])
            _ = try await lab.addPod(name: "fa", namespace: "demo", labels: ["app": "client"], node: "node1")
            _ = try await lab.addPod(name: "fb", namespace: "prod", labels: ["app": "server"], node: "node2")
        } catch {
            tearDown()
            throw error
        }
    }

    func tearDown() { try? lab.down() }

    /// A TCP probe from `from` to `to`'s port; whether it connected.
    func tcp(_ from: String, _ to: String, _ port: Int) throws -> Bool {
        let out = try lab.exec(from, [SharedLab.binDirectory + "/calico-probe", "check", "--timeout-ms", "500", "tcp:\(lab.pod(to)!.ip):\(port)"])
        return out.stdout.contains(" ok ")
    }

    /// Whisker's flow list (`startTimeGte`, optional filters JSON), asked in the router namespace.
    func flows(since: Int = -120, filters: String? = nil) throws -> [[String: Any]] {
        var url = "http://127.0.0.1:\(LabAddresses.whiskerPort)/whisker-backend/flows?startTimeGte=\(since)"
        if let f = filters { url += "&filters=" + f.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        let out = try lab.exec("router", ["curl", "-s", "--max-time", "3", url])
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        return json?["items"] as? [[String: Any]] ?? []
    }

    static func hits(_ flow: [String: Any], _ which: String) -> [[String: Any]] {
        ((flow["policies"] as? [String: Any])?[which] as? [[String: Any]]) ?? []
    }
}

@Suite(.serialized) struct FlowLabTests {
    /// Polls Whisker until a flow satisfying `match` is listed (at most three flush intervals
    /// plus a bucket, as data leaves Goldmane with completed buckets).
    static func waitForFlow(_ f: FlowLab, seconds: Double = 15, _ match: ([String: Any]) -> Bool) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let hit = (try? f.flows())?.first(where: match) { return hit }
            usleep(500_000)
        }
        return nil
    }

    @Test("Allowed by one policy, denied at the end of its tier: both listed with the enforced trace (policy, tier, rule index, action, trigger)")
    func enforcedTraces() async throws {
        let f = try await FlowLab.get()
        try f.lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: server-8080}
            spec:
              selector: app == 'server'
              types: [Ingress]
              ingress: [{action: Allow, protocol: TCP, destination: {ports: [9090]}}, {action: Allow, protocol: TCP, destination: {ports: [8080]}}]
            """)
        defer { _ = try? f.lab.calicoctl(["delete", "globalnetworkpolicy", "server-8080"]) }
        #expect(pollUntil(10) { try f.tcp("fa", "fb", 8080) }, "8080 allowed")
        #expect(!(try f.tcp("fa", "fb", 7070)), "7070 denied")
        let allowed = Self.waitForFlow(f) { $0["dest_port"] as? Int == 8080 && $0["reporter"] as? String == "Dst" && $0["source_name"] as? String == "fa" }
        let a = try #require(allowed, "allowed flow listed: \(String(describing: try? f.flows()))\n\(f.lab.felixLogTails(lines: 5))")
        #expect(a["action"] as? String == "Allow" && a["dest_name"] as? String == "fb" && a["dest_namespace"] as? String == "prod" && a["source_namespace"] as? String == "demo")
        // Every hop is mutual TLS, as upstream deploys it: Felix presents its (Typha) client certificate.
        let goldmaneLog = (try? String(contentsOfFile: f.lab.stateDirectory + "/goldmane.log", encoding: .utf8)) ?? ""
        #expect(goldmaneLog.contains("(mTLS)") && f.lab.felixLogTails(lines: 2000).contains("(mTLS) every 3 s"), "\(goldmaneLog)")
        // Counters from conntrack: the handshake and the exchange both ways, not just the logged first packet.
        #expect((a["packets_in"] as? Int ?? 0) >= 2 && (a["packets_out"] as? Int ?? 0) >= 1 && (a["bytes_out"] as? Int ?? 0) > 0, "counters: \(a)")
        let hit = try #require(FlowLab.hits(a, "enforced").first)
        #expect(hit["kind"] as? String == "GlobalNetworkPolicy" && hit["name"] as? String == "server-8080" && hit["tier"] as? String == "default"
                && hit["rule_index"] as? Int == 1 && hit["action"] as? String == "Allow", "\(hit)")
        let denied = try #require(Self.waitForFlow(f) { $0["dest_port"] as? Int == 7070 && $0["reporter"] as? String == "Dst" }, "denied flow listed")
        #expect(denied["action"] as? String == "Deny")
        let eot = try #require(FlowLab.hits(denied, "enforced").first)
        #expect(eot["kind"] as? String == "EndOfTier" && eot["tier"] as? String == "default" && eot["rule_index"] as? Int == -1 && eot["action"] as? String == "Deny")
        #expect((eot["trigger"] as? [String: Any])?["name"] as? String == "server-8080", "end of tier triggered by the tier's policy: \(eot)")
        // The source side reports too (its profile allowed the egress).
        #expect(Self.waitForFlow(f) { $0["dest_port"] as? Int == 7070 && $0["reporter"] as? String == "Src" && $0["action"] as? String == "Allow" } != nil)
    }

    @Test("A staged policy that would deny: pending Deny while enforced stays Allow, and the traffic still flows; filters find it")
    func pendingTrace() async throws {
        let f = try await FlowLab.get()
        try f.lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: server-allow}
            spec:
              selector: app == 'server'
              types: [Ingress]
              ingress: [{action: Allow, protocol: TCP, destination: {ports: [9090]}}]
            ---
            apiVersion: projectcalico.org/v3
            kind: StagedGlobalNetworkPolicy
            metadata: {name: lockdown}
            spec:
              order: 1
              selector: app == 'server'
              types: [Ingress]
              ingress: [{action: Deny, protocol: TCP, source: {selector: app == 'client'}}]
            """)
        defer {
            _ = try? f.lab.calicoctl(["delete", "globalnetworkpolicy", "server-allow"])
            _ = try? f.lab.calicoctl(["delete", "stagedglobalnetworkpolicy", "lockdown"])
        }
        #expect(pollUntil(10) { try f.tcp("fa", "fb", 9090) }, "traffic still flows: staged policies are not enforced")
        let flow = try #require(Self.waitForFlow(f) { $0["dest_port"] as? Int == 9090 && $0["reporter"] as? String == "Dst" },
                                "flow listed: \(String(describing: try? f.flows()))")
        #expect(flow["action"] as? String == "Allow")
        #expect(FlowLab.hits(flow, "enforced").first?["name"] as? String == "server-allow")
        let pending = try #require(FlowLab.hits(flow, "pending").first)
        #expect(pending["kind"] as? String == "StagedGlobalNetworkPolicy" && pending["name"] as? String == "lockdown" && pending["action"] as? String == "Deny"
                && pending["rule_index"] as? Int == 0, "\(pending)")
        let byPending = try f.flows(filters: #"{"pending_actions":["Deny"],"dest_ports":[{"value":9090}]}"#)
        #expect(!byPending.isEmpty, "found by its pending action")
        let byPolicy = try f.flows(filters: #"{"policies":[{"kind":"StagedGlobalNetworkPolicy","name":{"value":"lockdown"}}]}"#)
        #expect(byPolicy.contains { $0["dest_port"] as? Int == 9090 }, "found by the staged policy's name")
    }

    @Test("Host endpoint flows: traffic to a node's host endpoint, allowed by one rule and denied at the end of its tier, is listed with the host endpoint and its trace")
    func hostEndpointFlows() async throws {
        let f = try await FlowLab.get()
        let node = f.lab.nodes[0]
        try f.lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: HostEndpoint
            metadata: {name: node1-eth0, labels: {role: flow-node}}
            spec: {node: node1, interfaceName: eth0, expectedIPs: [\(node.ip)], profiles: [projectcalico-default-allow]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: node-8080}
            spec:
              selector: role == 'flow-node'
              types: [Ingress]
              ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080]}}, {action: Allow, protocol: UDP}]
            """)
        defer {
            _ = try? f.lab.calicoctl(["delete", "globalnetworkpolicy", "node-8080"])
            _ = try? f.lab.calicoctl(["delete", "hostendpoint", "node1-eth0"])
        }
        func probe(_ port: Int) throws -> Bool {
            let out = try f.lab.exec("router", [SharedLab.binDirectory + "/calico-probe", "check", "--timeout-ms", "500", "tcp:\(node.ip):\(port)"])
            return out.stdout.contains(" ok ")
        }
        #expect(pollUntil(10) { try !probe(9090) }, "9090 on the host is denied by the host endpoint's policy")
        #expect(try probe(8080), "8080 on the host is allowed")
        let allowed = try #require(Self.waitForFlow(f) { $0["dest_name"] as? String == "node1-eth0" && $0["dest_port"] as? Int == 8080 },
                                   "host endpoint flow listed: \(String(describing: try? f.flows()))")
        #expect(allowed["action"] as? String == "Allow" && allowed["reporter"] as? String == "Dst" && allowed["dest_namespace"] as? String == "-")
        let hit = try #require(FlowLab.hits(allowed, "enforced").first)
        #expect(hit["name"] as? String == "node-8080" && hit["kind"] as? String == "GlobalNetworkPolicy" && hit["rule_index"] as? Int == 0, "\(hit)")
        let denied = try #require(Self.waitForFlow(f) { $0["dest_name"] as? String == "node1-eth0" && $0["dest_port"] as? Int == 9090 },
                                  "denied host endpoint flow listed")
        #expect(denied["action"] as? String == "Deny" && FlowLab.hits(denied, "enforced").first?["kind"] as? String == "EndOfTier", "\(denied)")
    }

    @Test("Goldmane down: Felix keeps enforcing and keeps the flows it could not send; once Goldmane is back they arrive")
    func goldmaneDown() async throws {
        let f = try await FlowLab.get()
        try f.lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: down-8080}
            spec:
              selector: app == 'server'
              types: [Ingress]
              ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080]}}]
            """)
        defer { _ = try? f.lab.calicoctl(["delete", "globalnetworkpolicy", "down-8080"]) }
        #expect(pollUntil(10) { try !f.tcp("fa", "fb", 9090) }, "the policy is in force")
        f.lab.stopGoldmane()
        var restarted = false
        defer { if !restarted { try? f.lab.startGoldmane(window: 3) } }
        #expect(try f.tcp("fa", "fb", 8080) && !f.tcp("fa", "fb", 9090), "enforcement does not depend on Goldmane")
        #expect(pollUntil(10) { f.lab.felixLogTails(lines: 200).contains("cannot reach Goldmane") }, "Felix says so and keeps the flows")
        try f.lab.startGoldmane(window: 3)
        restarted = true
        // The new Goldmane knows only what Felix kept and sends again: the connections made while it was down.
        let kept = Self.waitForFlow(f, seconds: 20) { $0["dest_port"] as? Int == 9090 && $0["action"] as? String == "Deny" && $0["reporter"] as? String == "Dst" }
        #expect(kept != nil, "the denied flow from while Goldmane was down arrives: \(String(describing: try? f.flows()))\n\(f.lab.felixLogTails(lines: 10))")
    }

    @Test("Whisker's UI in a real browser (headless Chromium): the live table shows the flows with their actions; the denied tab only denied ones; a pending verdict is flagged")
    func browser() async throws {
        let f = try await FlowLab.get()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            Issue.record("chromium is not installed (make deps installs it)")
            return
        }
        try f.lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: ui-allow}
            spec:
              selector: app == 'server'
              types: [Ingress]
              ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080]}}]
            ---
            apiVersion: projectcalico.org/v3
            kind: StagedGlobalNetworkPolicy
            metadata: {name: ui-lockdown}
            spec:
              order: 1
              selector: app == 'server'
              types: [Ingress]
              ingress: [{action: Deny}]
            """)
        defer {
            _ = try? f.lab.calicoctl(["delete", "globalnetworkpolicy", "ui-allow"])
            _ = try? f.lab.calicoctl(["delete", "stagedglobalnetworkpolicy", "ui-lockdown"])
        }
        #expect(pollUntil(10) { try f.tcp("fa", "fb", 8080) })
        _ = try f.tcp("fa", "fb", 9090)
        #expect(Self.waitForFlow(f) { $0["dest_port"] as? Int == 9090 && $0["action"] as? String == "Deny" } != nil, "flows reached Whisker")
        // A connection made before Felix had the staged policy is traced without it: connect
        // again until one with the pending Deny has reached Whisker.
        #expect(pollUntil(40, interval: 1) {
            _ = try f.tcp("fa", "fb", 8080)
            return Self.waitForFlow(f, seconds: 8) {
                $0["dest_port"] as? Int == 8080 && FlowLab.hits($0, "pending").last?["action"] as? String == "Deny"
            } != nil
        }, "a flow whose pending verdict is Deny reached Whisker")
        // The page, driven over the DevTools protocol: rows as rendered in the DOM after 6 s live.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/browser-eval.py").path
        let rowsJS = "Array.from(document.querySelectorAll('[data-testid=flow-row]')).map(r => [r.dataset.action, r.dataset.source, r.dataset.dest, r.dataset.pendingAction || ''])"
        func rows(_ query: String) throws -> [[String]] {
            let out = try f.lab.exec("router", ["python3", script, "http://127.0.0.1:\(LabAddresses.whiskerPort)/\(query)", rowsJS, "6"])
            guard let list = (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) as? [[String]] else {
                throw LabTestError(message: "browser: \(out.stdout.prefix(300)) \(out.stderr.suffix(300))")
            }
            return list
        }
        let all = try rows("")
        #expect(all.contains { $0[0] == "Allow" && $0[1] == "fa" && $0[2] == "fb" }, "an allowed fa → fb row: \(all)")
        #expect(all.contains { $0[0] == "Deny" }, "a denied row: \(all)")
        #expect(all.contains { $0[0] == "Allow" && $0[3] == "Deny" }, "a row whose pending verdict differs: \(all)")
        let denied = try rows("?tab=denied")
        #expect(!denied.isEmpty && denied.allSatisfy { $0[0] == "Deny" }, "the denied tab lists only denied flows: \(denied)")

        // Selenium (chromium-driver): rows arrive live, the Policy filter narrows them to ui-allow,
        // a flow opens with both traces; the screenshot is kept in the lab's state directory.
        _ = try f.tcp("fa", "fb", 8080)
        let selenium = script.replacingOccurrences(of: "browser-eval.py", with: "whisker-selenium.py")
        let shot = f.lab.stateDirectory + "/whisker-ui.png"
        let out = try f.lab.exec("router", ["python3", selenium, "http://127.0.0.1:\(LabAddresses.whiskerPort)/", "ui-allow", shot])
        let report = try #require((try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) as? [String: Any],
                                  "selenium: \(out.stdout.suffix(500)) \(out.stderr.suffix(1500))")
        #expect((report["rows_live"] as? Int ?? 0) > 0 && (report["rows_filtered"] as? Int ?? 0) > 0, "\(report)")
        #expect(report["all_rows_name_policy"] as? Bool == true, "after filtering by policy every row names it: \(report)")
        #expect((report["enforced"] as? String ?? "").contains("ui-allow"), "the enforced trace: \(report)")
        #expect((report["pending"] as? String ?? "").contains("ui-lockdown"), "the pending trace: \(report)")
        #expect(FileManager.default.fileExists(atPath: shot), "screenshot kept")
        let artefacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/test-artefacts")
        try? FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: artefacts.appendingPathComponent("whisker-ui.png"))
        try? FileManager.default.copyItem(atPath: shot, toPath: artefacts.appendingPathComponent("whisker-ui.png").path)
    }
}

