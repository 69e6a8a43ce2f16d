import CalicoAPI
import CalicoDatastore
import CalicoLab
import CalicoTestSupport
import CalicoNetlink
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Probes that must never succeed, run over and over in the background.
final class ForbiddenWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var stop = false
    private(set) var rounds = 0
    private(set) var leaks: [String] = []
    private var task: Task<Void, Never>?

    init(_ checker: ConnectivityChecker, _ cells: [ConnectivityExpectation]) {
        task = Task.detached { [self] in
            while !self.lock.withLock({ self.stop }) {
                if let results = try? checker.run(cells) {
                    let leaked = results.filter(\.actualReachable).map { "\($0.expectation.source.name) -> \($0.expectation.target) \($0.expectation.probe)" }
                    self.lock.withLock {
                        self.rounds += 1
                        self.leaks += leaked
                    }
                }
            }
        }
    }

    func finish() async -> (rounds: Int, leaks: [String]) {
        lock.withLock { stop = true }
        await task?.value
        return lock.withLock { (rounds, leaks) }
    }
}

extension LabTests {
    func nft(_ lab: SharedLab, _ args: [String]) throws -> String {
        let out = try lab.lab.exec("node1", ["nft"] + args)
        return out.stdout
    }

    /// Rule handles of one chain (unchanged handles = the chain was kept, not rewritten).
    func handles(_ lab: SharedLab, chain: String) throws -> [String] {
        try nft(lab, ["-a", "list", "chain", "ip", "calico", chain]).split(separator: "\n").compactMap { line in
            line.range(of: "# handle ").map { String(line[$0.upperBound...]) }
        }
    }

    @Test func felixRestartConvergesWithoutOpeningAHole() async throws {
        try RootGate.require("the lab: network namespaces, nftables")
        let lab = try await SharedLab.get()
        let dbPolicy = { (who: String) in gnp("restart-db", dbIngress + "  - action: Allow\n    source: {selector: app == '\(who)'}") }
        let old = gnp("restart-old", "  selector: app == 'client'\n  types: [Egress]\n  egress:\n  - action: Deny\n    destination: {nets: [203.0.113.0/24]}\n  - action: Allow")
        defer {
            lab.delete(dbPolicy("web"))
            lab.delete(old)
            if lab.lab.pod("late") != nil { Task { try? await lab.lab.removePod("late") } }
        }
        try lab.apply(dbPolicy("web"))
        try lab.apply(old)
        try lab.expectMatrix({ s, d, p in
            M.ingress("db") { s, _ in s == "web" }(s, d, p) && !(s == "client" && d == "ext")
        }, "before the restart")
        let webChain = "filter-cali-tw-\(lab.lab.pod("web")!.interfaceName)"
        let webHandles = try handles(lab, chain: webChain)
        #expect(!webHandles.isEmpty)

        // Traffic both the old and the new policy forbid, watched through the whole restart.
        let forbidden = ["other", "ext"].flatMap { src in
            ProbeKind.allCases.map { k in
                ConnectivityExpectation(source: ProbeSource(name: src, namespace: lab.namespace(of: src)), target: "db",
                                        probe: lab.probe(k, to: "db"), expectReachable: false)
            }
        }
        // Short probe timeouts: many rounds over the (brief) restart window.
        let watch = ForbiddenWatch(ConnectivityChecker(probeBinary: SharedLab.binDirectory + "/calico-probe", probeTimeoutMilliseconds: 100), forbidden)

        try lab.lab.stopFelix(signal: SIGKILL)
        try lab.apply(dbPolicy("client"))
        lab.delete(old)
        // A pod created while Felix is down: its interface is unknown to the dispatch maps,
        // so everything from and to it is dropped (fail closed).
        let late = try await lab.lab.addPod(name: "late", namespace: "demo", labels: ["app": "late"])
        let closed = try lab.checker.check([
            ConnectivityExpectation(source: ProbeSource(name: "late", namespace: late.netnsName), target: "web", probe: lab.probe(.tcp8080, to: "web"), expectReachable: false),
            ConnectivityExpectation(source: ProbeSource(name: "web", namespace: lab.namespace(of: "web")), target: "late", probe: .tcp(late.ip, 8080), expectReachable: false),
            ConnectivityExpectation(source: ProbeSource(name: "ext", namespace: lab.namespace(of: "ext")), target: "late", probe: .icmp(late.ip), expectReachable: false),
        ], timeout: 2)
        #expect(closed.matched, "a new pod's traffic must be dropped while Felix is down\n\(ConnectivityChecker.table(closed.results))")

        try lab.lab.startFelix()
        try await lab.lab.waitForFelix(timeout: .seconds(15))
        try lab.expectMatrix({ s, d, p in M.ingress("db") { s, _ in s == "client" }(s, d, p) }, "after the restart")
        let lateNow = try lab.checker.check([
            ConnectivityExpectation(source: ProbeSource(name: "web", namespace: lab.namespace(of: "web")), target: "late", probe: .tcp(late.ip, 8080), expectReachable: true),
        ], timeout: 10)
        #expect(lateNow.matched, "the late pod is reachable once Felix runs\n\(ConnectivityChecker.table(lateNow.results))")
        let result = await watch.finish()
        #expect(result.rounds > 3)
        #expect(result.leaks.isEmpty, "forbidden traffic passed during the restart: \(result.leaks)")
        // What was right was kept (same rule handles); the deleted policy's chains are gone.
        #expect(try handles(lab, chain: webChain) == webHandles)
        let ruleset = try nft(lab, ["list", "table", "ip", "calico"])
        #expect(!ruleset.contains("restart-old"))
        #expect(ruleset.contains("default.restart-db"))
        try await lab.lab.removePod("late")
    }

    @Test func ruleTheKernelRefusesFailsOnlyThatPolicy() async throws {
        try RootGate.require("the lab: network namespaces, nftables")
        let lab = try await SharedLab.get()
        let good = gnp("bad-input", dbIngress + "  - action: Allow\n    source: {selector: app == 'web'}")
        let other = gnp("bad-input-other", "  selector: app == 'client'\n  types: [Egress]\n  egress:\n  - action: Deny\n    destination: {nets: [203.0.113.0/24]}\n  - action: Allow")
        defer {
            lab.delete(good)
            lab.delete(other)
        }
        try lab.apply(good)
        try lab.expectMatrix(M.ingress("db") { s, _ in s == "web" }, "the good version")

        // Values written behind calicoctl's back (as another datastore client could).
        let ds = try lab.lab.datastore()
        let kind = ResourceRegistry.kind(named: "globalnetworkpolicy")!
        let key = ResourcePaths.key(kind, namespace: nil, name: "default.bad-input")
        func writeRaw(_ ingress: [[String: Any]]) async throws {
            let pair = try #require(try await ds.kv.get(key))
            var object = try JSONSerialization.jsonObject(with: Data(pair.value)) as! [String: Any]
            var spec = object["spec"] as! [String: Any]
            spec["ingress"] = ingress
            object["spec"] = spec
            _ = try await ds.kv.update(key, value: Array(try JSONSerialization.data(withJSONObject: object)), expectedRevision: pair.modRevision)
        }
        func log() -> String { (try? String(contentsOfFile: lab.lab.stateDirectory + "/felix.log", encoding: .utf8)) ?? "" }
        let expected: Reachability = { s, d, p in M.ingress("db") { s, _ in s == "web" }(s, d, p) && !(s == "client" && d == "ext") }

        // 1. A value that no longer decodes (port range 5000:4000): ignored with a warning,
        //    the last good version stays, later changes still apply.
        try await writeRaw([["action": "Allow", "protocol": "TCP", "destination": ["ports": ["5000:4000"]]]])
        try lab.apply(other)
        try lab.expectMatrix(expected, "with an undecodable policy in the datastore")
        #expect(log().contains("cannot use the change of /calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.bad-input"),
                "log: \(lab.felixLogTail())")
        lab.delete(other)
        try lab.expectMatrix(M.ingress("db") { s, _ in s == "web" }, "the other policy deleted")

        // 2. A value the kernel refuses (ICMP type 300): only that policy fails; it keeps its
        //    last good version; Felix is not ready; other changes still apply.
        try await writeRaw([["action": "Allow", "protocol": "ICMP", "icmp": ["type": 300]]])
        try lab.apply(other)
        try lab.expectMatrix(expected, "with a policy the kernel refuses")
        var notReady = false
        for _ in 0..<50 where !notReady {
            notReady = !lab.lab.felixReady()
            if !notReady { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(notReady, "Felix must report not-ready while a policy is refused")
        #expect(log().contains("policy default/default.bad-input inbound rule 0 refused by the kernel"), "log: \(lab.felixLogTail())")

        // Fixed: applied and ready again.
        try lab.apply(gnp("bad-input", dbIngress + "  - action: Allow\n    source: {selector: app == 'client'}"))
        try lab.expectMatrix({ s, d, p in M.ingress("db") { s, _ in s == "client" }(s, d, p) && !(s == "client" && d == "ext") }, "after the fix")
        var ready = false
        for _ in 0..<100 where !ready {
            ready = lab.lab.felixReady()
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "Felix is ready again once the policy is fixed")
    }
}

extension LabTests {
    /// A FelixConfiguration change in force restarts Felix (re-exec), which then programs
    /// the new value; metrics are served while it runs.
    @Test func felixConfigurationChangeRestartsFelix() async throws {
        try RootGate.require("the lab: network namespaces, nftables")
        let lab = try await SharedLab.get()
        let got = try lab.lab.calicoctl(["get", "felixconfiguration", "default", "-o", "yaml"])
        try #require(got.status == 0, "\(got.stderr)")
        // Without the resource version, so the restore below is not refused as stale.
        let original = got.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("resourceVersion:") }.joined(separator: "\n")
        defer {
            lab.delete(hostEndpoint)
            let restored = try? lab.lab.calicoctl(["replace", "-f", "-"], input: original)
            #expect(restored?.status == 0, "restoring FelixConfiguration default: \(restored?.stdout ?? "")\(restored?.stderr ?? "")")
        }
        // A host endpoint without policy: only failsafe ports reach the host.
        try lab.apply(hostEndpoint.replacingOccurrences(of: ", profiles: [projectcalico-default-allow]", with: ""))
        let ssh = { (open: Bool, web: Bool) -> [ConnectivityExpectation] in
            let ext = ProbeSource(name: "ext", namespace: lab.namespace(of: "ext"))
            return [ConnectivityExpectation(source: ext, target: "node", probe: .tcp(lab.lab.nodeIP, 22), expectReachable: open),
                    ConnectivityExpectation(source: ext, target: "node", probe: .tcp(lab.lab.nodeIP, 8080), expectReachable: web)]
        }
        var r = try lab.checker.check(ssh(true, false))
        #expect(r.matched, "\(ConnectivityChecker.table(r.results))")
        let log = { (try? String(contentsOfFile: lab.lab.stateDirectory + "/felix.log", encoding: .utf8)) ?? "" }
        let startsBefore = log().components(separatedBy: "felix: starting on node").count
        // Failsafe inbound ports from the datastore: only TCP 8080 now.
        var changed = original
        changed = changed.replacingOccurrences(of: "spec:\n", with: "spec:\n  failsafeInboundHostPorts:\n  - {protocol: TCP, port: 8080}\n")
        let applied = try lab.lab.calicoctl(["replace", "-f", "-"], input: changed)
        try #require(applied.status == 0, "\(applied.stdout)\(applied.stderr)\n\(changed)")
        r = try lab.checker.check(ssh(false, true), timeout: 20)
        #expect(r.matched, "\(ConnectivityChecker.table(r.results))\n\(lab.felixLogTail())")
        #expect(log().contains("configuration changed: restarting"))
        #expect(log().components(separatedBy: "felix: starting on node").count == startsBefore + 1)
        // The re-executed process keeps its name (it showed as `exe` in ps).
        let pid = try #require(lab.lab.felixPID)
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        #expect(comm.trimmingCharacters(in: .whitespacesAndNewlines) == "calico-node", "comm after the re-exec: \(comm)")
        // Metrics (enabled for the lab through FELIX_PROMETHEUSMETRICSENABLED).
        let metrics = try lab.lab.exec("node1", ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9091; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3"])
        #expect(metrics.stdout.contains("felix_int_dataplane_apply_time_seconds_bucket"), "\(metrics.stdout)\(metrics.stderr)")
        #expect(metrics.stdout.contains("felix_active_local_endpoints"))
    }
}

extension LabTests {
    /// Someone removes Calico's table behind Felix's back: the periodic refresh (3 s in the
    /// lab tests) reads the kernel and puts it back.
    @Test func tableRemovedBehindFelixIsRestored() async throws {
        try RootGate.require("the lab: network namespaces, nftables")
        let lab = try await SharedLab.get()
        let policy = gnp("refresh-db", dbIngress + "  - action: Allow\n    source: {selector: app == 'web'}")
        defer { lab.delete(policy) }
        try lab.apply(policy)
        try lab.expectMatrix(M.ingress("db") { s, _ in s == "web" }, "the policy in force")
        let out = try lab.lab.exec("node1", ["nft", "delete", "table", "ip", "calico"])
        #expect(out.status == 0, "\(out.stderr)")
        // Without the table everything passes; after the refresh the policy holds again.
        try lab.expectMatrix(M.ingress("db") { s, _ in s == "web" }, "after the refresh")
        #expect(try nft(lab, ["list", "table", "ip", "calico"]).contains("default.refresh-db"))
    }
}
