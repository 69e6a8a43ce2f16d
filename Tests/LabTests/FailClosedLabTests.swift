import CalicoAPI
import CalicoDatastore
import CalicoLab
import CalicoTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension LabTests {
    /// Regressions of issue 10 (items 1-3), with real traffic: a policy written around
    /// calicoctl that Felix cannot use never lets forbidden traffic through — not as a new
    /// policy, not as an update, not across a Felix restart. A prober watches the whole time.
    @Test func policyFelixCannotUseFailsClosedAcrossRestart() async throws {
        try RootGate.require("the lab: network namespaces, nftables")
        let lab = try await SharedLab.get()
        let ds = try lab.lab.datastore()
        let kind = ResourceRegistry.kind(named: "globalnetworkpolicy")!
        let key = ResourcePaths.key(kind, namespace: nil, name: "default.fc-db")
        let goodPolicy = gnp("fc-db", dbIngress + "  - action: Allow\n    source: {selector: app == 'web'}")
        defer { lab.delete(goodPolicy) }
        /// Writes the stored JSON of the policy as another client could.
        func writeRaw(_ spec: [String: Any]) async throws {
            let object: [String: Any] = ["kind": "GlobalNetworkPolicy", "apiVersion": "projectcalico.org/v3",
                                         "metadata": ["name": "default.fc-db", "creationTimestamp": "2026-01-01T00:00:00Z"], "spec": spec]
            let data = Array(try JSONSerialization.data(withJSONObject: object))
            if let pair = try await ds.kv.get(key) {
                _ = try await ds.kv.update(key, value: data, expectedRevision: pair.modRevision)
            } else {
                _ = try await ds.kv.create(key, value: data)
            }
        }
        func waitReady(_ wanted: Bool) async throws -> Bool {
            for _ in 0..<100 {
                if lab.lab.felixReady() == wanted { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
        let dbSpec: [String: Any] = ["selector": "app == 'db'", "types": ["Ingress"]]
        func spec(_ ingress: [[String: Any]]) -> [String: Any] { dbSpec.merging(["ingress": ingress]) { $1 } }
        let onlyWeb: Reachability = M.ingress("db") { s, _ in s == "web" }
        let nobody: Reachability = M.ingress("db") { _, _ in false }

        // 1. New, and it does not translate (a Deny with an unknown protocol before an Allow
        //    of everything): no good version, so what it selects is dropped; not ready.
        try await writeRaw(spec([["action": "Deny", "protocol": "GRE-ish"], ["action": "Allow"]]))
        try lab.expectMatrix(nobody, "a new policy Felix cannot translate")
        #expect(try await waitReady(false), "Felix must not be ready while a policy is held")

        // From here on "other" may never reach db (before phase 1 nothing restricted it).
        let forbidden = ProbeKind.allCases.map { k in
            ConnectivityExpectation(source: ProbeSource(name: "other", namespace: lab.namespace(of: "other")), target: "db",
                                    probe: lab.probe(k, to: "db"), expectReachable: false)
        }
        let watch = ForbiddenWatch(ConnectivityChecker(probeBinary: SharedLab.binDirectory + "/calico-probe", probeTimeoutMilliseconds: 100), forbidden)

        // 2. A good version, then an update that does not translate (an impossible CIDR in
        //    a Deny): the good version stays in force.
        try lab.apply(goodPolicy)
        try lab.expectMatrix(onlyWeb, "the good version")
        #expect(try await waitReady(true), "ready with the good version")
        try await writeRaw(spec([["action": "Deny", "source": ["nets": ["10.0.0.0/33"]]], ["action": "Allow"]]))
        #expect(try await waitReady(false), "not ready while the update is held")
        try lab.expectMatrix(onlyWeb, "an update Felix cannot translate keeps the last good version")
        #expect(lab.felixLogTail().contains("spec.ingress[0].source.nets[0]"), "the log names the field: \(lab.felixLogTail())")

        // 3. A value that does not decode (an order written as the string ".nan", as the
        //    old encoder did): still the last good version while Felix runs...
        try await writeRaw(dbSpec.merging(["order": ".nan", "ingress": [["action": "Allow"]]]) { $1 })
        try lab.expectMatrix(onlyWeb, "an undecodable update keeps the last good version")
        // ...and after a restart (no good version known) the stand-in drops what it selects.
        try lab.lab.stopFelix(signal: SIGKILL)
        try lab.lab.startFelix()
        try await lab.lab.waitForFelix(timeout: .seconds(3))
        try lab.expectMatrix(nobody, "after a restart with an undecodable policy in the datastore")
        #expect(try await waitReady(false), "not ready after the restart while the policy is unusable")

        // Fixed through calicoctl: enforced as written, ready again.
        try lab.apply(goodPolicy)
        try lab.expectMatrix(onlyWeb, "after the fix")
        #expect(try await waitReady(true), "ready once the policy is usable")
        let result = await watch.finish()
        #expect(result.rounds > 3)
        #expect(result.leaks.isEmpty, "forbidden traffic passed \(result.leaks.count) times, first: \(result.leaks.prefix(8))")
    }
}
