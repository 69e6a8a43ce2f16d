import CalicoAPI
import CalicoSelector
import Testing
@testable import FelixCalc

/// The calculation graph's nodes on their own (the graph's scenarios test them together).
@Suite("Calc graph nodes")
struct CalcNodeTests {
    static func record(_ name: String, node: String = "node1", ip: String, labels: [String: String] = [:], profiles: [String] = [],
                       ports: [EndpointRecord.NamedPort] = []) -> EndpointRecord {
        EndpointRecord(id: .workload(namespace: "default", name: name), node: node, interfaceName: "cali\(name)", mac: nil,
                       labels: labels, profileIDs: profiles, ipv4: ["\(ip)/32"], ipv6: [], ports: ports, qos: nil, isHost: false)
    }

    @Test func ipSetMembersAreReferenceCountedAndSentAsDeltas() throws {
        let compiler = SelectorCompiler()
        let calc = IPSetMemberCalculator(compiler: compiler)
        let spec = IPSetSpec.selector(try Selector.parse("app == 'web'"))
        let a = Self.record("a", ip: "10.65.0.1", labels: ["app": "web"])
        calc.setEndpoint(a.id, a, labels: compiler.interner.labels(a.labels))
        calc.setNetworkSet("ns1", nets: ["10.65.0.1/32", "192.0.2.0/24"], labels: compiler.interner.labels(["app": "web"]))
        var out = calc.flush(wanted: [spec])
        #expect(out.added == [.ipSetUpdate(id: spec.id, type: .net, members: ["10.65.0.1/32", "192.0.2.0/24"])])
        // The endpoint goes; the network set still holds the address: no delta.
        calc.setEndpoint(a.id, nil, labels: nil)
        out = calc.flush(wanted: nil)
        #expect(out.added.isEmpty && out.deltas.isEmpty)
        // Relabelled away: the members go.
        calc.setNetworkSet("ns1", nets: ["10.65.0.1/32", "192.0.2.0/24"], labels: compiler.interner.labels(["app": "db"]))
        out = calc.flush(wanted: nil)
        #expect(out.deltas == [.ipSetDelta(id: spec.id, added: [], removed: ["10.65.0.1/32", "192.0.2.0/24"])])
        // No longer wanted: removed.
        out = calc.flush(wanted: [])
        #expect(out.removed == [.ipSetRemove(id: spec.id)])
    }

    @Test func namedPortSetsHoldAddressProtocolAndPort() throws {
        let compiler = SelectorCompiler()
        let calc = IPSetMemberCalculator(compiler: compiler)
        let spec = IPSetSpec.namedPort(try Selector.parse("all()"), proto: "tcp", name: "http")
        let a = Self.record("a", ip: "10.65.0.1", ports: [("http", "tcp", 8080), ("dns", "udp", 53)])
        calc.setEndpoint(a.id, a, labels: compiler.interner.labels([:]))
        // Network sets offer no named ports.
        calc.setNetworkSet("ns1", nets: ["192.0.2.0/24"], labels: compiler.interner.labels([:]))
        let out = calc.flush(wanted: [spec])
        #expect(out.added == [.ipSetUpdate(id: spec.id, type: .ipAndPort, members: ["10.65.0.1,tcp:8080"])])
    }

    @Test func endpointsInheritTheLabelsOfTheirProfiles() {
        var records = EndpointRecords(hostname: "node1", interner: LabelInterner())
        let a = Self.record("a", ip: "10.65.0.1", labels: ["app": "web"], profiles: ["p1", "p2"])
        records.set(a.id, a)
        #expect(records.local == [a.id])
        #expect(records.setProfileLabels("p1", ["app": "ignored", "team": "blue"]) == [a.id])
        #expect(records.setProfileLabels("p2", ["team": "red"]) == [a.id])
        // Unchanged labels change nothing.
        #expect(records.setProfileLabels("p2", ["team": "red"]).isEmpty)
        let l = records.labels[a.id]!
        #expect(l == records.interner.labels(["app": "web", "team": "red"]))
        records.set(a.id, Self.record("a", node: "node2", ip: "10.65.0.1"))
        #expect(records.local.isEmpty)
    }

    @Test func configIsDefaultOverlaidByThisNodesObject() throws {
        var merge = ConfigMerge(hostname: "node1")
        for r in try resources("""
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: {name: default}
            spec: {logSeverityScreen: Info, reportingInterval: 30s}
            ---
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: {name: node.node1}
            spec: {logSeverityScreen: Debug}
            ---
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: {name: node.node2}
            spec: {reportingInterval: 5s}
            """) { merge.put(r as! FelixConfiguration) }
        #expect(merge.resolved == ["logSeverityScreen": "Debug", "reportingInterval": "30s"])
        merge.delete(name: "node.node1")
        #expect(merge.resolved == ["logSeverityScreen": "Info", "reportingInterval": "30s"])
    }

    @Test func routesAreSentOnlyWhenTheirInputsChange() throws {
        var routes = RouteCalculator(hostname: "node1")
        routes.setBlock("10.65.1.0/26", owner: "node2")
        routes.setNode("node2", HostInfo(name: "node2", ipv4: IPNet("198.51.100.12/24")))
        let first = routes.flush()
        #expect(first.contains { if case .routeUpdate(let r) = $0 { r.dst == "10.65.1.0/26" && r.dstNodeIP == "198.51.100.12" } else { false } })
        // Same owner again: nothing to send.
        routes.setBlock("10.65.1.0/26", owner: "node2")
        #expect(routes.flush().isEmpty)
        routes.removeBlock("10.65.1.0/26")
        #expect(routes.flush() == [.routeRemove(dst: "10.65.1.0/26")])
    }

    @Test func theSequencerOrdersAFlushAsUpstreamDoes() {
        var seq = EventSequencer()
        let id = PolicyID(tier: "default", name: "p")
        let ep = EndpointID.workload(namespace: "default", name: "a")
        let policy = ActivePolicy(namespace: nil, inbound: [], outbound: [], untracked: false, preDNAT: false, staged: false, originalSelector: "all()")
        let endpoint = EndpointUpdate(id: ep, interfaceName: "calia", mac: nil, profileIDs: ["prof"], ipv4Nets: [], ipv6Nets: [], tiers: [], qosControls: nil)
        var rules = ActiveRules()
        rules.policies[id] = policy
        rules.profiles["prof"] = ActiveProfile(inbound: [], outbound: [])
        rules.endpoints[ep] = endpoint
        let first = seq.sequence(.init(config: ["a": "1"], ipSets: ([.ipSetUpdate(id: "s:1", type: .net, members: [])], [.ipSetDelta(id: "s:2", added: ["x"], removed: [])], [.ipSetRemove(id: "s:3")]),
                                       rules: rules, cluster: [.routeRemove(dst: "10.65.0.0/26")], inSync: true))
        #expect(first == [.configUpdate(["a": "1"]), .ipSetUpdate(id: "s:1", type: .net, members: []), .ipSetDelta(id: "s:2", added: ["x"], removed: []),
                          .activePolicyUpdate(id, policy), .activeProfileUpdate(name: "prof", inbound: [], outbound: []), .endpointUpdate(endpoint),
                          .ipSetRemove(id: "s:3"), .routeRemove(dst: "10.65.0.0/26"), .inSync])
        // Nothing changed: nothing sent (in sync only once).
        #expect(seq.sequence(.init(config: ["a": "1"], ipSets: ([], [], []), rules: rules, cluster: [], inSync: true)).isEmpty)
        // Everything gone: endpoints, then profiles, then policies, then IP sets.
        let last = seq.sequence(.init(config: ["a": "1"], ipSets: ([], [], [.ipSetRemove(id: "s:1")]), rules: ActiveRules(), cluster: [], inSync: true))
        #expect(last == [.endpointRemove(ep), .activeProfileRemove(name: "prof"), .activePolicyRemove(id), .ipSetRemove(id: "s:1")])
    }
}

@Suite("Cluster routes and VTEPs")
struct ClusterCalcTests {
    static func node(_ name: String, _ ip: String, tunnel: String? = nil, mac: String? = nil) -> HostInfo {
        HostInfo(name: name, ipv4: IPNet(ip), vxlanTunnelIPv4: tunnel, vxlanMACv4: mac)
    }

    @Test func vtepsUseTheNodesMACOrOneDerivedFromItsName() {
        let (vteps, problems) = VXLANResolver.vteps([Self.node("node1", "198.51.100.11/24", tunnel: "10.244.0.0"),
                                                     Self.node("node2", "198.51.100.12/24", tunnel: "10.244.1.0", mac: "66:AA:00:00:00:02"),
                                                     Self.node("node3", "192.0.2.13/24")])
        #expect(problems.isEmpty)
        #expect(vteps["node2"] == VTEP(node: "node2", parentIPv4: "198.51.100.12", tunnelIPv4: "10.244.1.0", macV4: "66:aa:00:00:00:02"))
        // Derived: 0x66 and the first five bytes of SHA-1("node1"), the same on every node.
        let derived = VXLANResolver.derivedMAC("node1")
        #expect(vteps["node1"]?.macV4 == derived && derived.hasPrefix("66:") && derived.count == 17)
        #expect(vteps["node3"] == nil)
    }

    @Test func aClashingMACTakesTheTunnelFromBothNodes() {
        let (vteps, problems) = VXLANResolver.vteps([Self.node("a", "198.51.100.11/24", tunnel: "10.244.0.0", mac: "66:00:00:00:00:01"),
                                                     Self.node("b", "198.51.100.12/24", tunnel: "10.244.1.0", mac: "66:00:00:00:00:01")])
        #expect(vteps.isEmpty)
        #expect(problems["b"]?.contains("also claimed by a") == true)
    }

    @Test func routesKnowTheSubnetPoolModeAndProblems() throws {
        var calc = RouteCalculator(hostname: "node1")
        let pools = try resources("""
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: a}
            spec: {cidr: 10.244.0.0/16, vxlanMode: CrossSubnet, natOutgoing: true}
            ---
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: b}
            spec: {cidr: 10.244.128.0/17}
            """)
        for p in pools { calc.setPool(p.name, (p as! IPPool)) }
        calc.setNode("node1", Self.node("node1", "198.51.100.11/24"))
        calc.setNode("node2", Self.node("node2", "198.51.100.12/24"))
        calc.setNode("node3", Self.node("node3", "192.0.2.13/24"))
        calc.setBlock("10.244.1.0/26", owner: "node2")
        calc.setBlock("10.244.2.0/26", owner: "node3")
        calc.setBlock("10.244.3.0/26", owner: "ghost")
        let out = calc.flush()
        var routes: [String: RouteUpdate] = [:]
        for case .routeUpdate(let r) in out { routes[r.dst] = r }
        #expect(routes["10.244.1.0/26"]?.sameSubnet == true && routes["10.244.1.0/26"]?.vxlanMode == "CrossSubnet")
        #expect(routes["10.244.2.0/26"]?.sameSubnet == false && routes["10.244.2.0/26"]?.dstNodeIP == "192.0.2.13")
        #expect(out.contains(.ipPoolUpdate(IPPoolInfo(cidr: "10.244.0.0/16", natOutgoing: true, vxlanMode: "CrossSubnet", ipipMode: "Never", workloads: true))))
        #expect(out.contains(.hostMetadataUpdate(HostMetadata(name: "node3", ipv4: "192.0.2.13/24", ipv6: nil))))
        #expect(calc.problems["IPPool b"]?.contains("overlaps IPPool a") == true)
        #expect(calc.problems["IPAMBlock 10.244.3.0/26"]?.contains("node ghost, which does not exist") == true)
        calc.setNode("node3", nil)
        #expect(calc.flush().contains(.hostMetadataRemove(name: "node3")))
    }
}
