import Foundation
import CalicoAPI
import Testing
@testable import FelixCalc

/// The same state reached in different orders, with churn, or squashed gives the same
/// output: the graph depends on state, not on history.
@Suite struct ReplayTests {
    static let scenarios: [String] = [
        [nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web}"), wep("b", ip: "10.244.0.2", labels: "{app: db}"),
         wep("r", node: "node2", ip: "10.244.1.7", labels: "{app: client}", ports: "[{name: http, protocol: TCP, port: 80}]"), """
         apiVersion: projectcalico.org/v3
         kind: Tier
         metadata: {name: security}
         spec: {order: 100}
         ---
         apiVersion: projectcalico.org/v3
         kind: GlobalNetworkPolicy
         metadata: {name: security.x}
         spec: {tier: security, selector: all(), ingress: [{action: Pass}], egress: [{action: Pass}]}
         ---
         apiVersion: projectcalico.org/v3
         kind: GlobalNetworkPolicy
         metadata: {name: web}
         spec: {selector: app == 'web', ingress: [{action: Allow, source: {selector: app == 'client'}}, {action: Allow, protocol: TCP, destination: {ports: [http]}}]}
         ---
         apiVersion: projectcalico.org/v3
         kind: NetworkPolicy
         metadata: {name: db, namespace: default}
         spec: {selector: app == 'db', ingress: [{action: Allow, source: {selector: app == 'web'}}]}
         ---
         apiVersion: projectcalico.org/v3
         kind: GlobalNetworkSet
         metadata: {name: feed, labels: {feed: bad}}
         spec: {nets: [203.0.113.0/24, 203.0.113.7/32]}
         ---
         apiVersion: projectcalico.org/v3
         kind: GlobalNetworkPolicy
         metadata: {name: block}
         spec: {order: 1, selector: all(), egress: [{action: Deny, destination: {selector: feed == 'bad'}}]}
         """].joined(separator: "\n---\n"),
        """
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata: {name: n1-eth0, labels: {host: "yes"}}
        spec: {node: node1, interfaceName: eth0, expectedIPs: [198.51.100.11]}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: pre}
        spec: {selector: has(host), preDNAT: true, applyOnForward: true, ingress: [{action: Deny, source: {nets: [203.0.113.0/24]}}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedGlobalNetworkPolicy
        metadata: {name: preview}
        spec: {selector: has(host), ingress: [{action: Deny}]}
        """,
    ] + Catalog.replayable

    static func finalState(_ events: [CalcEvent], flushEvery: Int) -> String {
        let g = CalcGraph(hostname: "node1")
        for (i, e) in events.enumerated() {
            g.apply(e)
            if flushEvery > 0 && i % flushEvery == 0 { _ = g.flush() }
        }
        g.apply(.inSync)
        _ = g.flush()
        return g.stateFingerprint()
    }

    @Test(arguments: 0..<scenarios.count)
    func orderDoesNotMatter(_ index: Int) throws {
        let rs = try resources(Self.scenarios[index])
        let squashed = Self.finalState(rs.map { .put($0) }, flushEvery: 0)
        #expect(!squashed.isEmpty)
        #expect(Self.finalState(rs.reversed().map { .put($0) }, flushEvery: 1) == squashed, "reverse order")
        // Seeded shuffles: REPLAY_SEED=<n> replays the run a failure names.
        let seed = SplitMix64.seed(fromEnvironment: "REPLAY_SEED", environment: ProcessInfo.processInfo.environment)
        var rng = SplitMix64(seed: seed)
        for round in 0..<5 {
            var shuffled = rs.map { CalcEvent.put($0) }
            shuffled.shuffle(using: &rng)
            #expect(Self.finalState(shuffled, flushEvery: round + 1) == squashed, "shuffle \(round) (REPLAY_SEED=\(seed))")
        }
        // Churn: everything deleted and re-added in between.
        var churn: [CalcEvent] = rs.map { .put($0) }
        churn += rs.map { .delete(CalcKey(of: $0)) }
        churn += rs.reversed().map { .put($0) }
        #expect(Self.finalState(churn, flushEvery: 2) == squashed, "churn")
    }
}
