import CalicoAPI
import FelixCalc
import GoldmaneAPI
import Testing
@testable import FelixDataplane

/// Flow logs in Felix (pure parts): NFLOG prefixes in the rules, reading NFLOG messages,
/// traces from prefixes, the pending trace's user-space evaluation, aggregation into flows.
@Suite struct FlowLogTests {
    static var settings: FelixSettings {
        var s = FelixSettings()
        s.flowLogsGoldmaneServer = "127.0.0.1:7443"
        return s
    }

    static let allowWeb = PolicyID(tier: "default", name: "default.allow-web")
    static let staged = PolicyID(tier: "default", name: "staged:default.lockdown")

    static func endpoint() -> EndpointUpdate {
        EndpointUpdate(id: .workload(namespace: "prod", name: "node1-k8s-db-eth0"), interfaceName: "calidb", mac: nil, profileIDs: ["kns.prod"],
                               ipv4Nets: ["10.244.0.9/32"], ipv6Nets: [], tiers: [TierInfo(name: "default", ingressPolicies: [staged, allowWeb], egressPolicies: [], defaultAction: "Deny")])
    }

    @Test("Prefixes: upstream's forms, long ones shortened; rules log before their verdict, end of tier and no-profile drops log too, only with flow logs on")
    func prefixes() {
        #expect(FlowLogPrefix.policyRule(Self.allowWeb, index: 2, action: "allow", inbound: true) == "API2|default.allow-web")
        #expect(FlowLogPrefix.policyRule(PolicyID(tier: "sec", name: "demo/sec.np"), index: 0, action: "deny", inbound: false) == "DPE0|demo/sec.np")
        #expect(FlowLogPrefix.profileRule("kns.prod", index: 0, action: "next-tier", inbound: true) == "PRI0|kns.prod")
        #expect(FlowLogPrefix.endOfTier("default", inbound: true) == "DPI|default" && FlowLogPrefix.noProfile(inbound: false) == "DRE")
        let long = FlowLogPrefix.policyRule(PolicyID(tier: "default", name: "default." + String(repeating: "x", count: 80)), index: 0, action: "allow", inbound: true)!
        #expect(long.count < 63 && long.hasPrefix("API0|defau") && long.contains("_"))
        let rule = ParsedRule(action: "allow")
        let chains = PolicyRenderer(family: .v4, settings: Self.settings).chains(Self.allowWeb, ActivePolicy(
            namespace: nil, inbound: [rule], outbound: [], untracked: false, preDNAT: false, staged: false, originalSelector: ""))
        #expect(chains[0].rules.first?.contains("log prefix \"API0|default.allow-web\" group 1 meta mark set") == true, "\(chains[0].rules)")
        let plain = PolicyRenderer(family: .v4, settings: FelixSettings()).chains(Self.allowWeb, ActivePolicy(
            namespace: nil, inbound: [rule], outbound: [], untracked: false, preDNAT: false, staged: false, originalSelector: ""))
        #expect(!(plain[0].rules.first?.contains("log") ?? true))
        let tw = EndpointRenderer(settings: Self.settings, activePolicies: [Self.allowWeb: ActivePolicy(
            namespace: nil, inbound: [rule], outbound: [], untracked: false, preDNAT: false, staged: false, originalSelector: "")]).workload(Self.endpoint())[0]
        #expect(tw.rules.contains { $0.contains("log prefix \"DPI|default\" group 1") }, "\(tw.rules)")
        #expect(tw.rules.last?.hasPrefix("log prefix \"DRI\" group 1") == true)
    }

    @Test("NFLOG messages parse into prefix, group, addresses and ports")
    func parseNflog() {
        // nlmsghdr (len, type ULOG<<8|PACKET, flags, seq, pid) + nfgenmsg (AF_INET, v0, group 1) + PREFIX + PAYLOAD.
        let prefix = Array("API0|default.allow-web".utf8) + [0]
        let ip: [UInt8] = [0x45, 0, 0, 60, 0, 0, 0, 0, 64, 6, 0, 0, 10, 244, 1, 5, 10, 244, 0, 9, 0x9c, 0x40, 0x1f, 0x90]
        func attr(_ type: UInt16, _ v: [UInt8]) -> [UInt8] {
            let len = 4 + v.count
            return [UInt8(len & 0xff), UInt8(len >> 8), UInt8(type), 0] + v + Array(repeating: 0, count: (4 - len % 4) % 4)
        }
        let body = [2, 0, 0, 1] + attr(10, prefix) + attr(9, ip)
        let total = 16 + body.count
        let msg: [UInt8] = [UInt8(total), 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + body
        let events = NflogReader.parse(msg + msg)
        #expect(events.count == 2)
        #expect(events.first == VerdictEvent(group: 1, prefix: "API0|default.allow-web", source: "10.244.1.5", destination: "10.244.0.9",
                                             proto: 6, sourcePort: 40000, destinationPort: 8080, length: 60))
    }

    @Test("Traces from prefixes: policy and profile hits with rule indexes, end of tier triggered by the tier's last enforced policy")
    func traces() {
        let policies = [Self.allowWeb.name: Self.allowWeb]
        let hits = FlowTrace.hits(["PPI0|default.allow-web", "ARI1|kns.prod"], endpoint: Self.endpoint(), inbound: true, policies: policies)
        #expect(hits.map(\.kind) == [.globalNetworkPolicy, .profile] && hits.map(\.policyIndex) == [0, 1] && hits[1].ruleIndex == 1 && hits[0].action == .pass)
        let eot = FlowTrace.hits(["DPI|default"], endpoint: Self.endpoint(), inbound: true, policies: policies, staged: [Self.staged])
        #expect(eot.first?.kind == .endOfTier && eot.first?.ruleIndex == -1 && eot.first?.trigger.name == "allow-web", "staged policies never trigger")
        #expect(FlowTrace.policy(PolicyID(tier: "default", name: "demo/staged:knp.default.k")).kind == .stagedKubernetesNetworkPolicy)
        #expect(FlowTrace.policy(PolicyID(tier: "sec", name: "demo/sec.np")).kind == .calicoNetworkPolicy)
    }

    @Test("Pending trace: staged policies evaluated as enforced, in order; pass to the next tier; end-of-tier default; profiles; implicit deny")
    func pending() {
        var deny = ParsedRule(action: "deny")
        deny.srcIPSetIDs = ["s:clients"]
        var allow = ParsedRule(action: "allow")
        allow.protocol = "tcp"
        allow.dstPorts = ["8080"]
        let p = PendingTrace(policies: [
            Self.staged: ActivePolicy(namespace: nil, inbound: [deny], outbound: [], untracked: false, preDNAT: false, staged: true, originalSelector: ""),
            Self.allowWeb: ActivePolicy(namespace: nil, inbound: [allow], outbound: [], untracked: false, preDNAT: false, staged: false, originalSelector: ""),
        ], profiles: ["kns.prod": (inbound: [ParsedRule(action: "allow")], outbound: [])], ipSets: ["s:clients": ["10.244.1.0/24"]])
        let fromClient = p.evaluate(FlowTuple(source: "10.244.1.5", destination: "10.244.0.9", proto: 6, sourcePort: 40000, destinationPort: 8080),
                                    endpoint: Self.endpoint(), inbound: true)
        #expect(fromClient.map(\.name) == ["lockdown"] && fromClient[0].kind == .stagedGlobalNetworkPolicy && fromClient[0].action == .deny)
        let other = p.evaluate(FlowTuple(source: "10.244.2.5", destination: "10.244.0.9", proto: 6, sourcePort: 40000, destinationPort: 8080),
                               endpoint: Self.endpoint(), inbound: true)
        #expect(other.map(\.name) == ["allow-web"] && other[0].action == .allow && other[0].policyIndex == 0)
        let wrongPort = p.evaluate(FlowTuple(source: "10.244.2.5", destination: "10.244.0.9", proto: 6, sourcePort: 40000, destinationPort: 9090),
                                   endpoint: Self.endpoint(), inbound: true)
        #expect(wrongPort.first?.kind == .endOfTier && wrongPort.first?.action == .deny && wrongPort.first?.trigger.name == "lockdown")
        var noTiers = Self.endpoint()
        noTiers.tiers = []
        #expect(p.evaluate(FlowTuple(source: "10.244.2.5", destination: "10.244.0.9", proto: 17, sourcePort: 1, destinationPort: 53),
                           endpoint: noTiers, inbound: true).map(\.kind) == [.profile])
        noTiers.profileIDs = []
        let implicit = p.evaluate(FlowTuple(source: "10.244.2.5", destination: "10.244.0.9", proto: 17, sourcePort: 1, destinationPort: 53),
                                  endpoint: noTiers, inbound: true)
        #expect(implicit.count == 1 && implicit[0].action == .deny && implicit[0].ruleIndex == -1)
    }

    @Test("Pending trace with ICMP rules: the logged packet's type and code decide (icmp and notICMP); NFLOG gives them")
    func pendingICMP() {
        var echo = ParsedRule(action: "allow")
        echo.protocol = "icmp"
        echo.icmpType = 8
        echo.icmpCode = 0
        var notUnreachable = ParsedRule(action: "deny")
        notUnreachable.protocol = "icmp"
        notUnreachable.notICMPType = 3
        let p = PendingTrace(policies: [
            Self.allowWeb: ActivePolicy(namespace: nil, inbound: [echo, notUnreachable], outbound: [], untracked: false, preDNAT: false,
                                        staged: false, originalSelector: ""),
        ], profiles: [:], ipSets: [:])
        func verdict(_ type: Int, _ code: Int) -> (Goldmane_Action, Int64)? {
            let hits = p.evaluate(FlowTuple(source: "10.244.1.5", destination: "10.244.0.9", proto: 1, sourcePort: 0, destinationPort: 0,
                                            icmpType: type, icmpCode: code), endpoint: Self.endpoint(), inbound: true)
            return hits.first { $0.name == "allow-web" }.map { ($0.action, $0.ruleIndex) }
        }
        #expect(verdict(8, 0)! == (.allow, 0), "echo request matches the icmp rule")
        #expect(verdict(8, 1)! == (.deny, 1), "another code does not; the notICMP rule does")
        #expect(verdict(3, 1) == nil, "unreachable is excluded by notICMP type 3: no rule of allow-web matches")
        // NFLOG: an IPv4 ICMP echo request carries its type and code.
        let ip: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 244, 1, 5, 10, 244, 0, 9, 8, 0, 0, 0]
        let e = NflogReader.packet(ip)
        #expect(e?.icmpType == 8 && e?.icmpCode == 0 && e?.proto == 1)
    }

    @Test("The collector names both ends, reports from the local side, counts a packet once across its prefixes and aggregates per key")
    func collect() {
        let c = FlowLogCollector(now: 1000)
        c.evaluatePending = false
        c.onUpdate(.endpointUpdate(Self.endpoint()))
        c.onUpdate(.activePolicyUpdate(Self.allowWeb, ActivePolicy(namespace: nil, inbound: [], outbound: [], untracked: false, preDNAT: false, staged: false, originalSelector: "")))
        c.directory = { ip in
            switch ip {
            case "10.244.1.5": return (.workload(namespace: "demo", name: "node2-k8s-web-eth0"), "web", ["app": "web"])
            case "10.244.0.9": return (.workload(namespace: "prod", name: "node1-k8s-db-eth0"), "db", ["app": "db", "projectcalico.org/namespace": "prod"])
            default: return nil
            }
        }
        for port in [40000, 40001] {
            for prefix in ["PPI0|default.allow-web", "ARI0|kns.prod"] {
                c.record(VerdictEvent(group: 1, prefix: prefix, source: "10.244.1.5", destination: "10.244.0.9", proto: 6, sourcePort: port, destinationPort: 8080, length: 60))
            }
        }
        c.record(VerdictEvent(group: 1, prefix: "XYZ|not-ours", source: "10.244.1.6", destination: "10.244.0.9", proto: 6, sourcePort: 1, destinationPort: 2, length: 60))
        c.record(VerdictEvent(group: 1, prefix: "DPI|default", source: "8.8.8.8", destination: "10.244.0.9", proto: 17, sourcePort: 53, destinationPort: 5353, length: 80))
        let flows = c.flush(now: 1015)
        #expect(flows.count == 2)
        let web = flows.first { $0.key.sourceName == "web" }
        #expect(web?.key.sourceNamespace == "demo" && web?.key.destName == "db" && web?.key.destNamespace == "prod" && web?.key.reporter == .dst)
        #expect(web?.numConnectionsStarted == 2 && web?.packetsIn == 2 && web?.bytesIn == 120 && web?.key.action == .allow)
        #expect(web?.sourceLabels == ["app=web"] && web?.destLabels == ["app=db"] && web?.startTime == 1000 && web?.endTime == 1015)
        let outside = flows.first { $0.key.sourceName == "pub" }
        #expect(outside?.key.sourceType == .network && outside?.key.action == .deny && outside?.key.proto == "udp")
        #expect(c.unknownPrefixes == 1, "an unknown prefix makes no flow and is counted")
        #expect(c.flush(now: 1030).isEmpty, "a flush starts a new interval")
    }

    @Test("Conntrack counters: parsed per original tuple; a connection's packets and bytes are their growth per interval, split by direction; kept live while conntrack has it")
    func conntrack() {
        let text = """
            tcp      6 431999 ESTABLISHED src=10.244.1.5 dst=10.244.0.9 sport=40000 dport=8080 packets=5 bytes=400 src=10.244.0.9 dst=10.244.1.5 sport=8080 dport=40000 packets=4 bytes=900 [ASSURED] mark=0 use=1
            udp      17 29 src=10.244.1.5 dst=10.244.0.10 sport=5000 dport=53 packets=1 bytes=60 src=10.244.0.10 dst=10.244.1.5 sport=53 dport=5000 packets=1 bytes=120 mark=0 use=1
            """
        let table = ConntrackCounters.parse(text)
        let tcp = ConntrackTuple(source: "10.244.1.5", destination: "10.244.0.9", proto: 6, sourcePort: 40000, destinationPort: 8080)
        #expect(table[tcp] == ConntrackEntry(originalPackets: 5, originalBytes: 400, replyPackets: 4, replyBytes: 900, state: "ESTABLISHED"))
        #expect(table.count == 2)

        final class Table: @unchecked Sendable { var entries: [ConntrackTuple: ConntrackEntry] = [:] }
        let current = Table()
        current.entries = table
        let c = FlowLogCollector(now: 1000)
        c.evaluatePending = false
        c.onUpdate(.endpointUpdate(Self.endpoint()))
        c.conntrack = { current.entries }
        c.record(VerdictEvent(group: 1, prefix: "ARI0|kns.prod", source: "10.244.1.5", destination: "10.244.0.9", proto: 6, sourcePort: 40000, destinationPort: 8080, length: 60))
        let first = c.flush(now: 1015)
        #expect(first.count == 1 && first[0].packetsIn == 5 && first[0].bytesIn == 400 && first[0].packetsOut == 4 && first[0].bytesOut == 900)
        #expect(first[0].numConnectionsStarted == 1 && first[0].numConnectionsLive == 1)
        current.entries[tcp] = ConntrackEntry(originalPackets: 8, originalBytes: 700, replyPackets: 6, replyBytes: 1300, state: "ESTABLISHED")
        let second = c.flush(now: 1030)
        #expect(second.count == 1 && second[0].packetsIn == 3 && second[0].bytesIn == 300 && second[0].packetsOut == 2 && second[0].numConnectionsStarted == 0
                && second[0].numConnectionsLive == 1, "the next interval reports the growth of a live connection")
        current.entries[tcp] = ConntrackEntry(originalPackets: 9, originalBytes: 760, replyPackets: 7, replyBytes: 1360, state: "TIME_WAIT")
        let third = c.flush(now: 1045)
        #expect(third.count == 1 && third[0].numConnectionsCompleted == 1 && third[0].numConnectionsLive == 0)
        #expect(c.flush(now: 1060).isEmpty, "gone once completed")
    }
}

