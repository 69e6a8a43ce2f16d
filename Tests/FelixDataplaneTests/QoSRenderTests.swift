import CalicoAPI
import FelixCalc
import Testing
@testable import FelixDataplane

/// The QoS parts of the dataplane, rendered (pure): nft limits in the workload chains, the DSCP
/// chain and set, and the tc commands for bandwidth.
@Suite struct QoSRenderTests {
    static func endpoint(_ name: String, ip: String, ip6: String? = nil, qos: QoSControls?) -> EndpointUpdate {
        var e = EndpointUpdate(id: .workload(namespace: "default", name: name), interfaceName: "cali\(name)", mac: nil, profileIDs: ["p"],
                               ipv4Nets: ["\(ip)/32"], ipv6Nets: ip6.map { ["\($0)/128"] } ?? [], tiers: [])
        e.qosControls = qos
        return e
    }

    @Test("Packet rate first in the chain (every packet), connection limit after the conntrack rules (new connections), per direction")
    func limitsInWorkloadChains() {
        var q = QoSControls()
        q.ingressPacketRate = 100
        q.ingressPacketBurst = 5
        q.egressMaxConnections = 3
        let chains = EndpointRenderer(settings: FelixSettings(), activePolicies: [:]).workload(Self.endpoint("a", ip: "10.244.0.5", qos: q))
        let tw = chains[0].rules, fw = chains[1].rules
        #expect(tw[0] == "limit rate over 100/second burst 5 packets drop")
        #expect(tw[1].hasPrefix("ct state established,related"))
        #expect(!tw.contains { $0.contains("ct count") })
        #expect(!fw.contains { $0.contains("limit rate") })
        let ct = fw.firstIndex { $0.hasPrefix("ct state invalid") }!
        #expect(fw[ct + 1] == "ct count over 3 reject with tcp reset")
        let plain = EndpointRenderer(settings: FelixSettings(), activePolicies: [:]).workload(Self.endpoint("a", ip: "10.244.0.5", qos: nil))
        #expect(!plain.flatMap(\.rules).contains { $0.contains("limit") || $0.contains("ct count") })
    }

    @Test("DSCP: addresses of endpoints with a value, sorted; hooked for traffic leaving the pools and this host; nothing without values")
    func dscpChain() {
        var ef = QoSControls()
        ef.dscp = .name("EF")
        var cs5 = QoSControls()
        cs5.dscp = .number(40)
        let eps = [Self.endpoint("b", ip: "10.244.0.10", ip6: "fd00:10:244::a", qos: ef), Self.endpoint("a", ip: "10.244.0.9", qos: cs5),
                   Self.endpoint("c", ip: "10.244.0.2", qos: nil)]
        let v4 = DSCPChains(family: .v4).render(eps)!
        #expect(v4.chain.rules == ["ip saddr 10.244.0.9 ip dscp set 40", "ip saddr 10.244.0.10 ip dscp set 46"])
        #expect(v4.set.members == ["10.244.0.9/32", "10.244.0.10/32"])
        #expect(v4.hook == "ip saddr @cali40dscp-src-net ip daddr != @cali40network-ip-pools fib daddr type != local jump mangle-cali-egress-dscp")
        let v6 = DSCPChains(family: .v6).render(eps)!
        #expect(v6.chain.rules == ["ip6 saddr fd00:10:244::a ip6 dscp set 46"])
        #expect(DSCPChains(family: .v4).render([Self.endpoint("c", ip: "10.244.0.2", qos: nil)]) == nil)
    }

    @Test("The DSCP hook is the first rule of mangle-cali-POSTROUTING, before anything else there")
    func dscpHookFirst() {
        var ef = QoSControls()
        ef.dscp = .number(46)
        let model = DataplaneModel(settings: FelixSettings())
        model.apply(.endpointUpdate(Self.endpoint("a", ip: "10.244.0.9", qos: ef)))
        let r = model.ruleset(.v4)
        #expect(r.chains["mangle-cali-POSTROUTING"]?.rules.first?.hasSuffix("jump mangle-cali-egress-dscp") == true)
        #expect(r.chains["mangle-cali-egress-dscp"] != nil && r.sets["cali40dscp-src-net"] != nil)
        model.apply(.endpointRemove(.workload(namespace: "default", name: "a")))
        #expect(model.ruleset(.v4).chains["mangle-cali-egress-dscp"] == nil)
    }

    @Test("TBF: rate and burst as tc takes them, peak rate with minburst (a full frame by default), a handle that names the parameters")
    func tbfParameters() throws {
        var q = QoSControls()
        q.ingressBandwidth = 10_000_000
        q.ingressBurst = 4_294_967_296
        q.egressBandwidth = 100_000_000
        q.egressBurst = 1_000_000
        q.egressPeakrate = 200_000_000
        let ingress = try #require(TBFParams.of(q, ingress: true, mtu: 1440))
        #expect(ingress.replace(dev: "calia") == ["qdisc", "replace", "dev", "calia", "root", "handle", ingress.handle + ":", "tbf",
                                                  "rate", "10000000bit", "burst", "536870912b", "latency", "25ms"])
        let egress = try #require(TBFParams.of(q, ingress: false, mtu: 1440))
        #expect(egress.minburst == 1454, "MTU plus the Ethernet header")
        #expect(Array(egress.replace(dev: "x").suffix(4)) == ["peakrate", "200000000bit", "minburst", "1454b"])
        #expect(ingress.handle != egress.handle && ingress.handle != "ffff" && ingress.handle != "0")
        #expect(TBFParams.of(QoSControls(), ingress: true, mtu: 1500) == nil)
        #expect(BandwidthPlan.ifbName("cali12345678901").count == 15 && BandwidthPlan.ifbName("calia").hasPrefix("bwcali"))
    }

    @Test("Bandwidth plan: nothing when the kernel matches; replace, IFB and redirect when not; removal of what is no longer wanted")
    func bandwidthPlan() {
        let p = TBFParams(rate: 10_000_000, burst: 80_000, peakrate: nil, minburst: nil)
        let plan = BandwidthPlan(interface: "calia", ingress: p, egress: p)
        var empty = TCState()
        empty.mtus = ["calia": 1440]
        let redirect: [String] = ["filter", "replace", "dev", "calia", "parent", "ffff:", "protocol", "all", "prio", "1", "u32",
                                  "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", plan.ifb]
        let expected: [BandwidthPlan.Step] = [
            .tc(p.replace(dev: "calia")), .ip(["link", "add", plan.ifb, "mtu", "1440", "type", "ifb"]), .ip(["link", "set", "dev", plan.ifb, "up"]),
            .tc(p.replace(dev: plan.ifb)), .tc(["qdisc", "add", "dev", "calia", "handle", "ffff:", "ingress"]), .tc(redirect),
        ]
        #expect(plan.steps(empty) == expected)
        var done = TCState()
        done.mtus = ["calia": 1440, plan.ifb: 1440]
        done.up = ["calia", plan.ifb]
        let tbf = TCState.Qdisc(kind: "tbf", handle: p.handle, root: true, rate: 1_250_000)
        done.qdiscs = ["calia": [tbf, .init(kind: "ingress", handle: "ffff", root: false, rate: nil)], plan.ifb: [tbf]]
        done.redirects = ["calia": plan.ifb]
        #expect(plan.steps(done).isEmpty)
        var other = done
        other.qdiscs["calia"]![0].handle = "8001"
        #expect(plan.steps(other) == [.tc(p.replace(dev: "calia"))], "a bucket that is not ours is replaced")
        let none = BandwidthPlan(interface: "calia", ingress: nil, egress: nil)
        #expect(none.steps(done) == [.tc(["qdisc", "del", "dev", "calia", "root"]), .tc(["qdisc", "del", "dev", "calia", "ingress"]),
                                     .ip(["link", "del", plan.ifb])])
    }

    @Test("tc's JSON read back: qdiscs by device with handle and rate, and the mirred redirect target")
    func parseTC() {
        let q = TCState.qdiscs(json: #"[{"kind":"tbf","handle":"1a2b:","dev":"calia","root":true,"refcnt":3,"options":{"rate":1250000,"burst":12500,"lat":25000}},{"kind":"ingress","handle":"ffff:","dev":"calia","parent":"ffff:fff1","options":{}}]"#)
        #expect(q["calia"] == [.init(kind: "tbf", handle: "1a2b", root: true, rate: 1_250_000), .init(kind: "ingress", handle: "ffff", root: false, rate: nil)])
        let f = #"[{"parent":"ffff:","protocol":"all","pref":1,"kind":"u32","chain":0},{"parent":"ffff:","protocol":"all","pref":1,"kind":"u32","chain":0,"options":{"fh":"800::800","actions":[{"order":1,"kind":"mirred","mirred_action":"redirect","direction":"egress","to_dev":"bwcali0123","control_action":{"type":"stolen"}}]}}]"#
        #expect(TCState.redirect(json: f) == "bwcali0123")
    }
}
