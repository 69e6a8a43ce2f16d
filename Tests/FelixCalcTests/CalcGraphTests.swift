import Foundation
import CalicoAPI
import Testing
@testable import FelixCalc

/// Builds resources from YAML documents.
func resources(_ yaml: String) throws -> [any CalicoResource] {
    try ResourceReader.read(yaml, source: "scenario.yaml").map { try $0.result.get() }
}

/// Builds the graph for a state — and, for every scenario, checks that the same state
/// reached in reverse order, shuffled with flushes in between, and with churn gives the same
/// final output (the replay harness runs over every scenario that uses this helper).
func graph(_ yaml: String, host: String = "node1", sourceLocation: SourceLocation = #_sourceLocation) throws -> (CalcGraph, [DataplaneUpdate]) {
    let rs = try resources(yaml)
    let g = CalcGraph(hostname: host)
    for r in rs { g.apply(.put(r)) }
    g.apply(.inSync)
    let out = g.flush()
    let expected = g.stateFingerprint()
    func replay(_ events: [CalcEvent], flushEvery: Int) -> String {
        let r = CalcGraph(hostname: host)
        for (i, e) in events.enumerated() {
            r.apply(e)
            if flushEvery > 0 && i % flushEvery == 0 { _ = r.flush() }
        }
        r.apply(.inSync)
        _ = r.flush()
        return r.stateFingerprint()
    }
    #expect(replay(rs.reversed().map { .put($0) }, flushEvery: 1) == expected, "replay: reverse order", sourceLocation: sourceLocation)
    // Seeded: REPLAY_SEED=<n> replays the shuffle a failure names.
    let seed = SplitMix64.seed(fromEnvironment: "REPLAY_SEED", environment: ProcessInfo.processInfo.environment)
    var rng = SplitMix64(seed: seed)
    var shuffled = rs.map { CalcEvent.put($0) }
    shuffled.shuffle(using: &rng)
    #expect(replay(shuffled, flushEvery: 2) == expected, "replay: shuffled (REPLAY_SEED=\(seed))", sourceLocation: sourceLocation)
    let churn: [CalcEvent] = rs.map { .put($0) }
        + rs.map { .delete(CalcKey(of: $0)) }
        + rs.reversed().map { .put($0) }
    #expect(replay(churn, flushEvery: 3) == expected, "replay: churn", sourceLocation: sourceLocation)
    return (g, out)
}

func wep(_ name: String, ns: String = "default", node: String = "node1", ip: String, labels: String = "{}",
         profiles: String = "[kns.default]", ports: String = "[]") -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: WorkloadEndpoint
    metadata: {name: \(name), namespace: \(ns), labels: \(labels)}
    spec: {node: \(node), orchestrator: k8s, pod: \(name), endpoint: eth0, interfaceName: cali\(name.prefix(8)), ipNetworks: [\(ip)/32], profiles: \(profiles), ports: \(ports)}
    """
}

let nsProfile = """
    apiVersion: projectcalico.org/v3
    kind: Profile
    metadata: {name: kns.default}
    spec: {ingress: [{action: Allow}], egress: [{action: Allow}], labelsToApply: {pcns.projectcalico.org/name: default, pcns.team: blue}}
    """

extension DataplaneUpdate {
    var endpoint: EndpointUpdate? {
        if case .endpointUpdate(let e) = self { return e }
        return nil
    }
    var policyID: PolicyID? {
        if case .activePolicyUpdate(let id, _) = self { return id }
        return nil
    }
    var policy: ActivePolicy? {
        if case .activePolicyUpdate(_, let p) = self { return p }
        return nil
    }
    var ipSet: (id: String, members: [String])? {
        if case let .ipSetUpdate(id, _, members) = self { return (id, members) }
        return nil
    }
}

@Suite struct CalcGraphScenarioTests {
    @Test func noPolicyMeansProfileOnly() throws {
        let (_, out) = try graph([nsProfile, wep("a", ip: "10.244.0.1")].joined(separator: "\n---\n"))
        let e = try #require(out.compactMap(\.endpoint).first)
        #expect(e.tiers.isEmpty && e.profileIDs == ["kns.default"] && e.ipv4Nets == ["10.244.0.1/32"])
        let profile = out.compactMap { u -> (String, [ParsedRule], [ParsedRule])? in
            if case let .activeProfileUpdate(n, i, o) = u { return (n, i, o) }
            return nil
        }.first
        #expect(profile?.0 == "kns.default" && profile?.1.map(\.action) == ["allow"] && profile?.2.map(\.action) == ["allow"])
        #expect(out.compactMap(\.policyID).isEmpty)
        #expect(out.last == .inSync)
    }

    @Test func policySelectingALocalEndpointIsActive() throws {
        let (_, out) = try graph([nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web}"), wep("b", ip: "10.244.0.2", labels: "{app: db}"), """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: web-in}
            spec: {selector: app == 'web', ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: nobody}
            spec: {selector: app == 'none', ingress: [{action: Deny}]}
            """].joined(separator: "\n---\n"))
        #expect(out.compactMap(\.policyID) == [PolicyID(tier: "default", name: "default.web-in")])
        let eps = Dictionary(uniqueKeysWithValues: out.compactMap(\.endpoint).map { ($0.id, $0) })
        let a = try #require(eps[.workload(namespace: "default", name: "a")])
        #expect(a.tiers == [TierInfo(name: "default", ingressPolicies: [PolicyID(tier: "default", name: "default.web-in")], egressPolicies: [], defaultAction: "Deny")])
        #expect(eps[.workload(namespace: "default", name: "b")]?.tiers.isEmpty == true)
        let rule = try #require(out.compactMap(\.policy).first?.inbound.first)
        #expect(rule.action == "allow" && rule.protocol == "tcp" && rule.dstPorts == ["80"])
    }

    @Test func remoteEndpointsAreNotProgrammedButFillIPSets() throws {
        let (_, out) = try graph([nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web}"),
                                  wep("r", node: "node2", ip: "10.244.1.7", labels: "{app: client}"), """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: from-clients}
            spec: {selector: app == 'web', ingress: [{action: Allow, source: {selector: app == 'client'}}]}
            """].joined(separator: "\n---\n"))
        #expect(out.compactMap(\.endpoint).map(\.id) == [.workload(namespace: "default", name: "a")])
        let set = try #require(out.compactMap(\.ipSet).first)
        #expect(set.members == ["10.244.1.7/32"])
        #expect(out.compactMap(\.policy).first?.inbound.first?.srcIPSetIDs == [set.id])
    }

    @Test func namespacedPolicyOnlyInItsNamespace() throws {
        let (_, out) = try graph([nsProfile, wep("a", ns: "shop", ip: "10.244.0.1", labels: "{app: web}", profiles: "[]"),
                                  wep("b", ns: "other", ip: "10.244.0.2", labels: "{app: web}", profiles: "[]"), """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: web, namespace: shop}
            spec: {selector: app == 'web', ingress: [{action: Allow, source: {selector: role == 'lb'}}]}
            """].joined(separator: "\n---\n"))
        let eps = Dictionary(uniqueKeysWithValues: out.compactMap(\.endpoint).map { ($0.id, $0) })
        #expect(eps[.workload(namespace: "shop", name: "a")]?.tiers.first?.ingressPolicies == [PolicyID(tier: "default", name: "shop/default.web")])
        #expect(eps[.workload(namespace: "other", name: "b")]?.tiers.isEmpty == true)
        // The rule's selector is scoped to the policy's namespace.
        let rule = try #require(out.compactMap(\.policy).first?.inbound.first)
        #expect(rule.originalSrcSelector == "(projectcalico.org/namespace == \"shop\" && role == \"lb\")")
    }

    @Test func tiersAndPolicyOrdering() throws {
        let (_, out) = try graph([nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web}"), """
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: security}
            spec: {order: 100, defaultAction: Pass}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: security.z}
            spec: {tier: security, order: 5, selector: all(), ingress: [{action: Pass}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: security.a}
            spec: {tier: security, order: 5, selector: all(), ingress: [{action: Pass}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: security.first}
            spec: {tier: security, order: 1, selector: all(), ingress: [{action: Pass}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: unordered}
            spec: {selector: all(), ingress: [{action: Allow}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: ordered}
            spec: {order: 10, selector: all(), ingress: [{action: Allow}]}
            """].joined(separator: "\n---\n"))
        let e = try #require(out.compactMap(\.endpoint).first)
        #expect(e.tiers.map(\.name) == ["security", "default"])
        #expect(e.tiers[0].defaultAction == "Pass")
        #expect(e.tiers[0].ingressPolicies.map(\.name) == ["security.first", "security.a", "security.z"])
        #expect(e.tiers[1].ingressPolicies.map(\.name) == ["default.ordered", "default.unordered"])
        #expect(out.compactMap(\.policy).allSatisfy { $0.inbound.allSatisfy { ["next-tier", "allow"].contains($0.action) } })
    }

    @Test func missingTierIsSkippedWithAReason() throws {
        let (g, out) = try graph([nsProfile, wep("a", ip: "10.244.0.1"), """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: ghost.p}
            spec: {tier: ghost, selector: all(), ingress: [{action: Deny}]}
            """].joined(separator: "\n---\n"))
        #expect(out.compactMap(\.policyID).isEmpty)
        #expect(g.skipped.values.contains { $0.contains("ghost.p") && $0.contains("tier ghost does not exist") })
    }

    @Test func stagedPoliciesAreKeptApart() throws {
        let (_, out) = try graph([nsProfile, wep("a", ip: "10.244.0.1"), """
            apiVersion: projectcalico.org/v3
            kind: StagedGlobalNetworkPolicy
            metadata: {name: preview}
            spec: {selector: all(), ingress: [{action: Deny}]}
            """].joined(separator: "\n---\n"))
        let p = try #require(out.compactMap(\.policy).first)
        #expect(p.staged)
        #expect(out.compactMap(\.policyID).first?.name == "staged:default.preview")
    }

    @Test func namedPortsAndNetworkSets() throws {
        let (_, out) = try graph([nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web}", ports: "[{name: http, protocol: TCP, port: 8080}]"),
                                  wep("r", node: "node2", ip: "10.244.1.9", labels: "{app: web}", ports: "[{name: http, protocol: TCP, port: 9090}]"), """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: {name: feed, labels: {feed: bad}}
            spec: {nets: [203.0.113.0/24, 203.0.113.7/32, 198.51.100.0/25]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: p}
            spec:
              selector: app == 'web'
              ingress:
              - {action: Deny, source: {selector: feed == 'bad'}}
              - {action: Allow, protocol: TCP, destination: {ports: [http]}}
            """].joined(separator: "\n---\n"))
        let sets = Dictionary(uniqueKeysWithValues: out.compactMap(\.ipSet).map { ($0.id, $0.members) })
        let rules = try #require(out.compactMap(\.policy).first?.inbound)
        #expect(sets[rules[0].srcIPSetIDs[0]] == ["198.51.100.0/25", "203.0.113.0/24"], "covered /32 left out")
        let named = try #require(rules[1].dstNamedPortIPSetIDs.first)
        #expect(named.hasPrefix("n:"))
        #expect(sets[named] == ["10.244.0.1,tcp:8080", "10.244.1.9,tcp:9090"])
    }

    @Test func namespaceSelectorUsesProfileLabels() throws {
        let (_, out) = try graph([nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web}"),
                                  wep("r", node: "node2", ip: "10.244.1.1", labels: "{app: client}"), """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: p}
            spec: {selector: app == 'web', ingress: [{action: Allow, source: {namespaceSelector: team == 'blue'}}]}
            """].joined(separator: "\n---\n"))
        #expect(out.compactMap(\.ipSet).first?.members == ["10.244.0.1/32", "10.244.1.1/32"])
    }

    @Test func missingProfileDeniesAll() throws {
        let (_, out) = try graph(wep("a", ip: "10.244.0.1", profiles: "[kns.nothere]"))
        guard case let .activeProfileUpdate(name, inbound, outbound)? = out.first(where: {
            if case .activeProfileUpdate = $0 { return true } else { return false }
        }) else {
            Issue.record("no profile update")
            return
        }
        #expect(name == "kns.nothere" && inbound.map(\.action) == ["deny"] && outbound.map(\.action) == ["deny"])
    }

    @Test func hostEndpointBuckets() throws {
        let (_, out) = try graph("""
            apiVersion: projectcalico.org/v3
            kind: HostEndpoint
            metadata: {name: n1-eth0, labels: {host: "yes"}}
            spec: {node: node1, interfaceName: eth0, expectedIPs: [198.51.100.11]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: pre}
            spec: {selector: has(host), preDNAT: true, applyOnForward: true, ingress: [{action: Deny}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: untracked}
            spec: {selector: has(host), doNotTrack: true, applyOnForward: true, ingress: [{action: Allow}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: fwd}
            spec: {selector: has(host), applyOnForward: true, ingress: [{action: Allow}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: normal}
            spec: {selector: has(host), ingress: [{action: Allow}]}
            """)
        let e = try #require(out.compactMap(\.endpoint).first)
        #expect(e.id == .host(name: "n1-eth0") && e.ipv4Nets == ["198.51.100.11/32"])
        #expect(e.preDNATTiers.first?.ingressPolicies.map(\.name) == ["default.pre"] && e.preDNATTiers.first?.defaultAction == "Pass")
        #expect(e.untrackedTiers.first?.ingressPolicies.map(\.name) == ["default.untracked"])
        #expect(e.tiers.first?.ingressPolicies.map(\.name) == ["default.fwd", "default.normal"])
        #expect(e.forwardTiers.first?.ingressPolicies.map(\.name) == ["default.fwd"])
    }

    @Test func labelChangeOnRemoteEndpointIsAnIPSetDelta() throws {
        let base = [nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web}"), """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: p}
            spec: {selector: app == 'web', ingress: [{action: Allow, source: {selector: app == 'client'}}]}
            """]
        let (g, first) = try graph(base.joined(separator: "\n---\n"))
        let setID = try #require(first.compactMap(\.ipSet).first?.id)
        g.apply(.put(try resources(wep("r", node: "node2", ip: "10.244.1.1", labels: "{app: client}"))[0]))
        #expect(g.flush() == [.ipSetDelta(id: setID, added: ["10.244.1.1/32"], removed: [])])
        g.apply(.put(try resources(wep("r", node: "node2", ip: "10.244.1.1", labels: "{app: other}"))[0]))
        #expect(g.flush() == [.ipSetDelta(id: setID, added: [], removed: ["10.244.1.1/32"])])
        g.apply(.delete(CalcKey(GlobalNetworkPolicy.self, name: "p")))
        let removal = g.flush()
        #expect(removal.contains(.activePolicyRemove(PolicyID(tier: "default", name: "default.p"))))
        #expect(removal.last == .ipSetRemove(id: setID), "IP sets are removed last")
        #expect(g.flush().isEmpty, "nothing changes, nothing is sent")
    }

    @Test func badSelectorFailsClosedAndTheRestKeepsWorking() throws {
        let g = CalcGraph(hostname: "node1")
        for r in try resources([nsProfile, wep("a", ip: "10.244.0.1", labels: "{app: web}"), """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: good}
            spec: {selector: app == 'web', ingress: [{action: Allow}]}
            """].joined(separator: "\n---\n")) { g.apply(.put(r)) }
        // A selector that no longer parses (e.g. written by a newer version).
        var bad = GlobalNetworkPolicy(metadata: ObjectMeta(name: "bad"))
        bad.spec.selector = "app === 'web'"
        g.apply(.put(bad))
        let out = g.flush()
        // The good policy works; the bad one stands in with no rules, selecting everything.
        #expect(out.compactMap(\.policyID).map(\.name).sorted() == ["default.bad", "default.good"])
        #expect(g.heldPolicies.values.contains { $0.contains("GlobalNetworkPolicy bad: spec.selector") })
    }
}

@Suite struct ConfigAndQoSTests {
    @Test("A QoSPolicy reaching the graph is no security policy: nothing translated, held or stood in for")
    func qosPolicyIsNoSecurityPolicy() throws {
        let g = CalcGraph(hostname: "node1")
        var q = QoSPolicy(metadata: ObjectMeta(name: "voice"), spec: QoSPolicySpec(selector: "all()", order: 1))
        q.spec.egressBandwidth = "10M"
        g.apply(.put(q))
        g.apply(.inSync)
        let out = g.flush()
        #expect(out.compactMap(\.policyID).isEmpty && g.heldPolicies.isEmpty)
        g.apply(.delete(CalcKey(of: q)))
        #expect(g.flush().compactMap(\.policyID).isEmpty && g.heldPolicies.isEmpty)
    }

    @Test func felixConfigurationNodeOverridesDefault() throws {
        let (g, out) = try graph("""
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: {name: default}
            spec: {logSeverityScreen: Info, nftablesMode: Enabled, failsafeInboundHostPorts: [{protocol: TCP, port: 22}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: {name: node.node1}
            spec: {logSeverityScreen: Debug}
            ---
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: {name: node.other}
            spec: {logSeverityScreen: Warning}
            """)
        guard case .configUpdate(let config)? = out.first else {
            Issue.record("config must come first: \(out)")
            return
        }
        #expect(config["logSeverityScreen"] == "Debug")
        #expect(config["nftablesMode"] == "Enabled")
        #expect(config["failsafeInboundHostPorts"] == "[{\"protocol\":\"TCP\",\"port\":22}]")
        g.apply(.delete(CalcKey(FelixConfiguration.self, name: "node.node1")))
        guard case .configUpdate(let after)? = g.flush().first else {
            Issue.record("a config change is sent")
            return
        }
        #expect(after["logSeverityScreen"] == "Info")
        #expect(g.flush().isEmpty)
    }

    @Test func qosAnnotationsBecomeControls() throws {
        let (_, out) = try graph("""
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata:
              name: a
              namespace: default
              annotations:
                kubernetes.io/ingress-bandwidth: 10M
                qos.projectcalico.org/ingressBandwidth: 20M
                qos.projectcalico.org/egressBandwidth: 5P
                qos.projectcalico.org/egressPeakrate: 1k
                qos.projectcalico.org/ingressPacketRate: 100
                qos.projectcalico.org/egressMinburst: 1M
                qos.projectcalico.org/dscp: AF21
                qos.projectcalico.org/egressMaxConnections: nonsense
            spec: {node: node1, interfaceName: calia, ipNetworks: [10.244.0.1/32]}
            """)
        let q = try #require(out.compactMap(\.endpoint).first?.qosControls)
        #expect(q.ingressBandwidth == 20_000_000, "Calico key overrides kubernetes.io")
        #expect(q.ingressBurst == 4_294_967_296, "default burst")
        #expect(q.egressBandwidth == 1_000_000_000_000_000, "clamped to 1P")
        #expect(q.egressPeakrate == nil && q.egressMinburst == nil, "peakrate below bandwidth dropped, minburst needs peakrate")
        #expect(q.ingressPacketRate == 100 && q.ingressPacketBurst == 5)
        #expect(q.egressMaxConnections == nil, "unparsable is unset")
        #expect(q.dscp == .number(18))
    }
}

@Suite struct RouteTests {
    @Test func blockAndBorrowedWorkloadRoutes() throws {
        let g = CalcGraph(hostname: "node1", computeRoutes: true)
        for r in try resources("""
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: p}
            spec: {cidr: 10.244.0.0/16, vxlanMode: Always, natOutgoing: true}
            ---
            apiVersion: projectcalico.org/v3
            kind: Node
            metadata: {name: node2}
            spec: {bgp: {ipv4Address: 198.51.100.12/24}}
            """ + "\n---\n" + [wep("a", ip: "10.244.0.5"), wep("r", node: "node2", ip: "10.244.0.9"), wep("s", node: "node2", ip: "10.244.1.3")].joined(separator: "\n---\n")) {
            g.apply(.put(r))
        }
        g.apply(.ipamBlock(cidr: "10.244.0.0/26", owner: "node1"))
        g.apply(.ipamBlock(cidr: "10.244.1.0/26", owner: "node2"))
        let routes = Dictionary(uniqueKeysWithValues: g.flush().compactMap { u -> (String, RouteUpdate)? in
            if case .routeUpdate(let r) = u { return (r.dst, r) }
            return nil
        })
        #expect(routes["10.244.0.0/16"]?.kind == .cidrInfo && routes["10.244.0.0/16"]?.poolType == "VXLAN" && routes["10.244.0.0/16"]?.natOutgoing == true)
        #expect(routes["10.244.0.0/26"]?.kind == .localWorkload && routes["10.244.0.0/26"]?.dstNodeName == "node1")
        #expect(routes["10.244.1.0/26"]?.kind == .remoteWorkload && routes["10.244.1.0/26"]?.dstNodeIP == "198.51.100.12")
        #expect(routes["10.244.0.5/32"]?.kind == .localWorkload && routes["10.244.0.5/32"]?.interfaceName == "calia")
        // node2's workload in node1's block is borrowed: a /32 to node2.
        #expect(routes["10.244.0.9/32"]?.kind == .remoteWorkload && routes["10.244.0.9/32"]?.borrowed == true)
        #expect(routes["10.244.0.9/32"]?.dstNodeIP == "198.51.100.12")
        #expect(routes["10.244.1.3/32"] == nil, "a workload in its own node's block needs no /32")
        g.apply(.ipamBlockRemove(cidr: "10.244.1.0/26"))
        #expect(g.flush().contains(.routeRemove(dst: "10.244.1.0/26")))
    }
}
