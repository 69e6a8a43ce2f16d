import CalicoAPI
import Testing
@testable import FelixCalc

/// QoSPolicies and endpoint annotations resolved by the graph into each local endpoint's QoS.
@Suite struct QoSGraphTests {
    static let gold = """
        apiVersion: projectcalico.org/v3
        kind: QoSPolicy
        metadata: {name: gold}
        spec: {selector: tier == 'gold', order: 10, ingressBandwidth: 10M, egressBandwidth: 20M, egressPacketRate: 100, dscp: EF}
        """
    static let silver = """
        apiVersion: projectcalico.org/v3
        kind: QoSPolicy
        metadata: {name: silver}
        spec: {selector: all(), order: 20, ingressBandwidth: 1M, ingressMaxConnections: 3}
        """

    static func annotated(_ name: String, labels: String, annotations: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata: {name: \(name), namespace: default, labels: \(labels), annotations: \(annotations)}
        spec: {node: node1, orchestrator: k8s, pod: \(name), endpoint: eth0, interfaceName: cali\(name), ipNetworks: [10.244.0.9/32], profiles: [kns.default]}
        """
    }

    @Test("Per field: the endpoint's annotation, else the matching QoSPolicy with the lowest order; sources kept; --dump shows both")
    func precedenceAndSources() throws {
        let (g, out) = try graph([nsProfile, Self.gold, Self.silver, wep("a", ip: "10.244.0.5", labels: "{tier: gold}"),
                                  Self.annotated("b", labels: "{tier: gold}", annotations: "{qos.projectcalico.org/ingressBandwidth: 5M}"),
                                  wep("c", node: "node2", ip: "10.244.0.7", labels: "{tier: gold}")].joined(separator: "\n---\n"))
        let eps = Dictionary(uniqueKeysWithValues: out.compactMap(\.endpoint).map { ($0.id.description, $0) })
        #expect(eps.count == 2, "only local endpoints: \(eps.keys.sorted())")
        let a = try #require(eps["wep:default/a"])
        #expect(a.qosControls?.ingressBandwidth == 10_000_000 && a.qosSources["ingressBandwidth"] == .policy("gold"))
        #expect(a.qosControls?.egressBandwidth == 20_000_000 && a.qosControls?.egressBurst == 200_000, "policy burst: 10 ms of the rate")
        #expect(a.qosControls?.egressPacketRate == 100 && a.qosControls?.egressPacketBurst == 5)
        #expect(a.qosControls?.ingressMaxConnections == 3 && a.qosSources["ingressMaxConnections"] == .policy("silver"), "a field gold does not set comes from silver")
        #expect(a.qosControls?.dscp == .number(46))
        let b = try #require(eps["wep:default/b"])
        #expect(b.qosControls?.ingressBandwidth == 5_000_000 && b.qosSources["ingressBandwidth"] == .endpoint, "the annotation wins")
        #expect(b.qosControls?.ingressBurst == 4_294_967_296 && b.qosSources["ingressBurst"] == .endpoint, "with the annotations' burst")
        #expect(b.qosControls?.egressBandwidth == 20_000_000 && b.qosSources["egressBandwidth"] == .policy("gold"))
        let dump = CalcDump.render(out, skipped: [:])
        #expect(dump.contains("ingressBandwidth=10000000 (QoSPolicy gold)"), "\(dump)")
        #expect(dump.contains("ingressBandwidth=5000000 (endpoint)"), "\(dump)")
        #expect(dump.contains("dscp=46 (QoSPolicy gold)"), "\(dump)")
        _ = g
    }

    @Test("A QoSPolicy applies to endpoints as their labels come, and stops when the label goes or the policy is deleted")
    func followsLabelsAndDeletion() throws {
        let g = CalcGraph(hostname: "node1")
        for r in try resources([nsProfile, Self.gold, wep("a", ip: "10.244.0.5")].joined(separator: "\n---\n")) { g.apply(.put(r)) }
        g.apply(.inSync)
        #expect(g.flush().compactMap(\.endpoint).first?.qosControls == nil, "no label, no QoS")
        for r in try resources(wep("a", ip: "10.244.0.5", labels: "{tier: gold}")) { g.apply(.put(r)) }
        #expect(g.flush().compactMap(\.endpoint).first?.qosControls?.ingressBandwidth == 10_000_000, "label added")
        for r in try resources(wep("a", ip: "10.244.0.5")) { g.apply(.put(r)) }
        let removed = g.flush().compactMap(\.endpoint)
        #expect(removed.count == 1 && removed[0].qosControls == nil && removed[0].qosSources.isEmpty, "label removed")
        for r in try resources(wep("a", ip: "10.244.0.5", labels: "{tier: gold}")) { g.apply(.put(r)) }
        _ = g.flush()
        g.apply(.delete(CalcKey(QoSPolicy.self, name: "gold")))
        #expect(g.flush().compactMap(\.endpoint).first?.qosControls == nil, "policy deleted")
    }
}
