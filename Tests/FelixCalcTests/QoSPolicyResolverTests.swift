import CalicoAPI
import Testing
@testable import FelixCalc

@Suite struct QoSPolicyResolverTests {
    func policy(_ name: String, order: Double?, selector: String = "app == 'voice'", _ set: (inout QoSPolicySpec) -> Void) -> QoSPolicy {
        var s = QoSPolicySpec(selector: selector, order: order)
        set(&s)
        return QoSPolicy(metadata: ObjectMeta(name: name), spec: s)
    }

    @Test("A policy's bandwidth gets a burst of 10 ms of traffic (at least one MTU); a packet rate a burst of 5; DSCP names become code points")
    func policyDefaults() {
        let q = QoSPolicyResolver.controls(of: policy("p", order: 1) {
            $0.egressBandwidth = "100M"; $0.ingressBandwidth = "100k"; $0.ingressPacketRate = 100; $0.dscp = .name("EF")
        }.spec)
        #expect(q.egressBandwidth == 100_000_000 && q.egressBurst == 1_000_000)
        #expect(q.ingressBandwidth == 100_000 && q.ingressBurst == 12_000, "one 1500-byte MTU at least")
        #expect(q.ingressPacketBurst == 5)
        #expect(q.dscp == .number(46))
    }

    @Test("Per field: the endpoint's annotation, then the matching policy of lowest order, the name breaking ties")
    func precedence() throws {
        let low = policy("b-low", order: 10) { $0.egressBandwidth = "10M"; $0.dscp = .name("AF21") }
        let tie = policy("a-tie", order: 10) { $0.egressBandwidth = "20M"; $0.ingressMaxConnections = 7 }
        let high = policy("high", order: 100) { $0.egressBandwidth = "30M"; $0.ingressPacketRate = 50 }
        let other = policy("other", order: 1, selector: "app == 'web'") { $0.egressBandwidth = "1M" }
        var own = QoSControls()
        own.dscp = .number(10)
        let e = try #require(QoSPolicyResolver.resolve(endpoint: own, labels: ["app": "voice"], policies: [high, low, other, tie]))
        #expect(e.controls.egressBandwidth == 20_000_000 && e.sources["egressBandwidth"] == .policy("a-tie"))
        #expect(e.controls.egressBurst == 200_000 && e.sources["egressBurst"] == .policy("a-tie"))
        #expect(e.controls.ingressMaxConnections == 7)
        #expect(e.controls.ingressPacketRate == 50 && e.sources["ingressPacketRate"] == .policy("high"))
        #expect(e.controls.dscp == .number(10) && e.sources["dscp"] == .endpoint, "the endpoint's own DSCP wins")
        #expect(QoSPolicyResolver.resolve(endpoint: nil, labels: ["app": "db"], policies: [high, low]) == nil, "nothing selects it, nothing set")
        let untied = try #require(QoSPolicyResolver.resolve(endpoint: nil, labels: ["app": "voice"], policies: [policy("none", order: nil) { $0.egressBandwidth = "5M" }, high]))
        #expect(untied.sources["egressBandwidth"] == .policy("high"), "no order sorts last")
    }

    @Test("A peak rate not above the bandwidth it ends up with is dropped with its minburst")
    func peakDependsOnBandwidth() throws {
        let p = policy("p", order: 1) { $0.ingressBandwidth = "10M"; $0.ingressPeakrate = "20M"; $0.ingressMinburst = "1500" }
        var own = QoSControls()
        own.ingressBandwidth = 50_000_000
        own.ingressBurst = 4_294_967_296
        let e = try #require(QoSPolicyResolver.resolve(endpoint: own, labels: ["app": "voice"], policies: [p]))
        #expect(e.controls.ingressBandwidth == 50_000_000 && e.controls.ingressPeakrate == nil && e.controls.ingressMinburst == nil)
        #expect(e.sources["ingressPeakrate"] == nil && e.sources["ingressBurst"] == .endpoint)
        let alone = try #require(QoSPolicyResolver.resolve(endpoint: nil, labels: ["app": "voice"], policies: [p]))
        #expect(alone.controls.ingressPeakrate == 20_000_000 && alone.controls.ingressMinburst == 1500)
    }
}
