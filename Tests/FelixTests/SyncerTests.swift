import CalicoAPI
import CalicoDatastore
import Foundation
import Synchronization
import Testing
import FelixCalc
@testable import Felix

/// The syncer against a real embedded store: list, in-sync, then live changes.
@Suite struct SyncerTests {
    @Test func listThenWatchDrivesTheGraph() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("syncer-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = Datastore(kv: try EmbeddedStore(path: dir + "/datastore.db"))
        for r in try resources([nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web, projectcalico.org/orchestrator: k8s}")].joined(separator: "\n---\n")) {
            _ = try await store.create(r)
        }
        final class Received: Sendable {
            let updates = Mutex<[DataplaneUpdate]>([])
        }
        let received = Received()
        let task = Task {
            let graph = CalcGraph(hostname: "node1", computeRoutes: true)
            try await Syncer(datastore: store).run(graph) { updates in received.updates.withLock { $0 += updates } }
        }
        func wait(until condition: ([DataplaneUpdate]) -> Bool) async throws {
            for _ in 0..<200 {
                if received.updates.withLock({ condition($0) }) { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("timed out; got \(received.updates.withLock { $0 })")
        }
        try await wait { $0.contains(.inSync) }
        // A policy written now reaches the graph through the watch.
        _ = try await store.create(try resources("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: web, namespace: default}
            spec: {selector: app == 'web', ingress: [{action: Allow}]}
            """)[0])
        let id = PolicyID(tier: "default", name: "default/default.web")
        try await wait { $0.contains { $0.policyID == id } }
        let npKind = ResourceRegistry.kind(named: "networkpolicy")!
        _ = try await store.delete(npKind, namespace: "default", name: "web")
        try await wait { $0.contains(.activePolicyRemove(id)) }
        // A Kubernetes NetworkPolicy's delete reaches the graph too (regression: it was taken
        // for a Calico NetworkPolicy of the same name).
        let knp = try resources("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: default}
            spec: {podSelector: {matchLabels: {app: web}}}
            """)[0]
        _ = try await store.create(knp)
        try await wait { $0.contains { $0.policyID?.name.contains("knp.") ?? false } }
        let knpID = received.updates.withLock { $0.compactMap(\.policyID).first { $0.name.contains("knp.") }! }
        _ = try await store.delete(ResourceRegistry.kind(of: knp)!, namespace: "default", name: "web")
        try await wait { $0.contains(.activePolicyRemove(knpID)) }
        // IPAM blocks arrive through the same watch and become routes.
        _ = try await store.kv.create("/calico/ipam/v2/assignment/ipv4/block/10.244.0.0-26",
                                      value: Array("{\"cidr\":\"10.244.0.0/26\",\"affinity\":\"host:node2\",\"allocations\":[],\"unallocated\":[],\"attributes\":[]}".utf8))
        try await wait { $0.contains { if case .routeUpdate(let r) = $0 { return r.dst == "10.244.0.0/26" && r.dstNodeName == "node2" } else { return false } } }
        _ = try await store.kv.delete("/calico/ipam/v2/assignment/ipv4/block/10.244.0.0-26", expectedRevision: nil)
        try await wait { $0.contains(.routeRemove(dst: "10.244.0.0/26")) }
        task.cancel()
    }
}
