import CalicoAPI
import FelixCalc
import Testing
@testable import FelixDataplane

/// `NftablesDataplane.apply()` against the in-memory nftables: no root, no kernel. What
/// only the kernel can prove (packets) stays in LabTests.
@Suite struct DataplaneApplyTests {
    static let base = """
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: kns.default}
        spec: {ingress: [{action: Allow}], egress: [{action: Allow}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata: {name: a, namespace: default, labels: {app: web}}
        spec: {node: node1, orchestrator: k8s, pod: a, endpoint: eth0, interfaceName: calia, ipNetworks: [10.244.0.1/32], profiles: [kns.default]}
        ---
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata: {name: b, namespace: default, labels: {app: db}}
        spec: {node: node1, orchestrator: k8s, pod: b, endpoint: eth0, interfaceName: calib, ipNetworks: [10.244.0.2/32], profiles: [kns.default]}
        """

    static func policy(_ name: String, selector: String, port: Int) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: default.\(name)}
        spec: {selector: "\(selector)", ingress: [{action: Allow, protocol: TCP, source: {selector: app == 'web'}, destination: {ports: [\(port)]}}]}
        """
    }

    /// A graph and a dataplane over the in-memory nftables, fed and applied once.
    final class Rig {
        let graph = CalcGraph(hostname: "node1")
        let nft = MemoryNftables()
        let dataplane: NftablesDataplane

        init(_ yaml: String) throws {
            dataplane = NftablesDataplane(backend: nft, settings: FelixSettings())
            try put(yaml)
            graph.apply(.inSync)
        }

        func put(_ yaml: String) throws {
            for item in try ResourceReader.read(yaml, source: "t.yaml") { graph.apply(.put(try item.result.get())) }
        }

        @discardableResult
        func apply() throws -> ApplyOutcome {
            dataplane.onUpdates(graph.flush())
            return try dataplane.apply()
        }
    }

    let dbChain = ChainNames.policy(PolicyID(tier: "default", name: "default.db"), inbound: true, layer: .filter)

    @Test func firstApplyCreatesTheTableAndASecondDoesNothing() throws {
        let rig = try Rig(Self.base + "\n---\n" + Self.policy("db", selector: "app == 'db'", port: 5432))
        let first = try rig.apply()
        #expect(first.commands > 0 && first.resynced)
        #expect(rig.nft.tableExists(.v4))
        #expect(rig.nft.rules(.v4, chain: "filter-cali-tw-calib")?.contains { $0.body.contains("jump \(dbChain)") } == true)
        #expect(rig.nft.rules(.v4, chain: dbChain)?.contains { $0.body.contains("th dport 5432") } == true)
        #expect(rig.dataplane.isReady)
        #expect(try rig.apply().commands == 0, "nothing changed, nothing written")
    }

    @Test func aRuleChangeRewritesOnlyThatPolicysChain() throws {
        let rig = try Rig(Self.base + "\n---\n" + Self.policy("db", selector: "app == 'db'", port: 5432))
        try rig.apply()
        let endpointHandles = rig.nft.rules(.v4, chain: "filter-cali-tw-calib")!.map(\.handle)
        try rig.put(Self.policy("db", selector: "app == 'db'", port: 6432))
        try rig.apply()
        let last = try #require(rig.nft.transactions.last)
        #expect(Set(last.compactMap { $0.split(separator: " ").dropFirst(4).first.map(String.init) }) == [dbChain], "\(last)")
        #expect(rig.nft.rules(.v4, chain: dbChain)?.contains { $0.body.contains("th dport 6432") } == true)
        #expect(rig.nft.rules(.v4, chain: "filter-cali-tw-calib")!.map(\.handle) == endpointHandles, "the endpoint chain is kept")
    }

    @Test func aRuleTheKernelRefusesQuarantinesOnlyItsPolicy() throws {
        let rig = try Rig(Self.base + "\n---\n" + Self.policy("db", selector: "app == 'db'", port: 5432)
                          + "\n---\n" + Self.policy("web", selector: "app == 'web'", port: 80))
        try rig.apply()
        rig.nft.refuseRules { $0.contains("th dport 4242") ? "Operation not supported" : nil }
        // One transaction with a refused change (db) and a good one (web).
        try rig.put(Self.policy("db", selector: "app == 'db'", port: 4242))
        try rig.put(Self.policy("web", selector: "app == 'web'", port: 8080))
        try rig.apply()
        #expect(rig.dataplane.quarantinedPolicies == [PolicyID(tier: "default", name: "default.db")])
        #expect(!rig.dataplane.isReady)
        // db keeps its last good version; web's change is applied.
        #expect(rig.nft.rules(.v4, chain: dbChain)?.contains { $0.body.contains("th dport 5432") } == true)
        let webChain = ChainNames.policy(PolicyID(tier: "default", name: "default.web"), inbound: true, layer: .filter)
        #expect(rig.nft.rules(.v4, chain: webChain)?.contains { $0.body.contains("th dport 8080") } == true)
    }

    @Test func aTableRemovedBehindItsBackIsRestoredOnResync() throws {
        let rig = try Rig(Self.base + "\n---\n" + Self.policy("db", selector: "app == 'db'", port: 5432))
        try rig.apply()
        rig.nft.deleteTable(.v4)
        #expect(try rig.apply().commands == 0, "without a resync the dataplane trusts what it wrote")
        rig.dataplane.requestResync()
        let outcome = try rig.apply()
        #expect(outcome.resynced && outcome.commands > 0)
        #expect(rig.nft.rules(.v4, chain: dbChain)?.contains { $0.body.contains("th dport 5432") } == true)
        #expect(rig.nft.rules(.v4, chain: "filter-cali-tw-calib") != nil)
    }
}
