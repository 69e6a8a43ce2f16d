import CalicoAPI
import Testing
@testable import FelixCalc

// A catalogue of small cluster states and the full output the calculation graph must give
// for them (felix-dataplane.md §1, api-and-validation.md §4.4, §5, §7, §8).

// MARK: - YAML builders

private func doc(_ parts: String...) -> String { parts.joined(separator: "\n---\n") }

/// A pod (k8s workload endpoint) with the labels the client sets, `kns.<ns>` (and
/// `ksa.<ns>.<sa>`) profiles by default.
private func pod(_ name: String, ns: String = "default", node: String = "node1", ip: String, labels: String = "",
                 sa: String? = nil, profiles: String? = nil, ports: String = "[]") -> String {
    let all = ["projectcalico.org/orchestrator: k8s"] + (labels.isEmpty ? [] : [labels])
    let profs = profiles ?? (sa.map { "[kns.\(ns), ksa.\(ns).\($0)]" } ?? "[kns.\(ns)]")
    let ips = ip.split(separator: ",").map { $0.contains(":") ? "\($0)/128" : "\($0)/32" }.joined(separator: ", ")
    return """
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata: {name: \(name), namespace: \(ns), labels: {\(all.joined(separator: ", "))}}
        spec: {node: \(node), orchestrator: k8s, pod: \(name), endpoint: eth0, interfaceName: cali\(name), ipNetworks: [\(ips)], profiles: \(profs), ports: \(ports)\(sa.map { ", serviceAccountName: \($0)" } ?? "")}
        """
}

private func hep(_ name: String, node: String = "node1", iface: String = "eth0", ips: String, labels: String = "", profiles: String = "[]",
                 ports: String = "[]") -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: HostEndpoint
    metadata: {name: \(name), labels: {\(labels)}}
    spec: {node: \(node), interfaceName: "\(iface)", expectedIPs: [\(ips)], profiles: \(profiles), ports: \(ports)}
    """
}

/// The `kns.<ns>` profile: allow all, namespace labels as `pcns.*`.
private func nsProf(_ ns: String, _ labels: String = "") -> String {
    let l = ["pcns.projectcalico.org/name: \(ns)"] + (labels.isEmpty ? [] : [labels])
    return """
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: kns.\(ns)}
        spec: {ingress: [{action: Allow}], egress: [{action: Allow}], labelsToApply: {\(l.joined(separator: ", "))}}
        """
}

/// The `ksa.<ns>.<sa>` profile: no rules, service-account labels as `pcsa.*`.
private func saProf(_ ns: String, _ sa: String, _ labels: String = "") -> String {
    let l = ["pcsa.projectcalico.org/name: \(sa)"] + (labels.isEmpty ? [] : [labels])
    return """
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: ksa.\(ns).\(sa)}
        spec: {labelsToApply: {\(l.joined(separator: ", "))}}
        """
}

private func gnp(_ name: String, _ spec: String, kind: String = "GlobalNetworkPolicy") -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: \(kind)
    metadata: {name: \(name)}
    spec: \(spec)
    """
}

private func np(_ name: String, ns: String = "default", _ spec: String, kind: String = "NetworkPolicy") -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: \(kind)
    metadata: {name: \(name), namespace: \(ns)}
    spec: \(spec)
    """
}

private func knp(_ name: String, ns: String = "default", _ spec: String, kind: String = "NetworkPolicy") -> String {
    """
    apiVersion: \(kind == "NetworkPolicy" ? "networking.k8s.io/v1" : "projectcalico.org/v3")
    kind: \(kind)
    metadata: {name: \(name), namespace: \(ns)}
    spec: \(spec)
    """
}

private func tier(_ name: String, order: Double, action: String = "Deny") -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: Tier
    metadata: {name: \(name)}
    spec: {order: \(order), defaultAction: \(action)}
    """
}

private func gns(_ name: String, labels: String, nets: String) -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkSet
    metadata: {name: \(name), labels: {\(labels)}}
    spec: {nets: [\(nets)]}
    """
}

private func netset(_ name: String, ns: String, labels: String, nets: String) -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: NetworkSet
    metadata: {name: \(name), namespace: \(ns), labels: {\(labels)}}
    spec: {nets: [\(nets)]}
    """
}

// MARK: - Output helpers

private func run(_ yaml: String, host: String = "node1", sourceLocation: SourceLocation = #_sourceLocation) throws -> (CalcGraph, [DataplaneUpdate]) {
    try graph(yaml, host: host, sourceLocation: sourceLocation)
}

private func put(_ g: CalcGraph, _ yaml: String) throws {
    for r in try resources(yaml) { g.apply(.put(r)) }
}

private func pid(_ name: String, _ tier: String = "default") -> PolicyID { PolicyID(tier: tier, name: name) }

/// The IP-set id of a selector in canonical form.
private func sid(_ canonical: String) -> String { "s:" + StableHash.hex(canonical) }
/// The IP-set id of a named port.
private func nid(_ canonical: String, _ proto: String, _ name: String) -> String { "n:" + StableHash.hex("\(canonical)|\(proto)|\(name)") }

private func ti(_ name: String, in ingress: [PolicyID] = [], out egress: [PolicyID] = [], _ action: String = "Deny") -> TierInfo {
    TierInfo(name: name, ingressPolicies: ingress, egressPolicies: egress, defaultAction: action)
}

private func podUpdate(_ name: String, ns: String = "default", ip: String, profiles: [String]? = nil, tiers: [TierInfo] = []) -> EndpointUpdate {
    let ips = ip.split(separator: ",").map(String.init)
    return EndpointUpdate(id: .workload(namespace: ns, name: name), interfaceName: "cali\(name)", mac: nil, profileIDs: profiles ?? ["kns.\(ns)"],
                          ipv4Nets: ips.filter { !$0.contains(":") }.map { "\($0)/32" }, ipv6Nets: ips.filter { $0.contains(":") }.map { "\($0)/128" },
                          tiers: tiers)
}

/// One short line per update, in output order.
private func tags(_ out: [DataplaneUpdate]) -> [String] {
    out.map { u in
        switch u {
        case .inSync: return "inSync"
        case .configUpdate: return "config"
        case let .ipSetUpdate(id, _, members): return "set \(id) \(members.joined(separator: ","))"
        case let .ipSetDelta(id, added, removed): return "delta \(id) +\(added.joined(separator: ",")) -\(removed.joined(separator: ","))"
        case .ipSetRemove(let id): return "set- \(id)"
        case .activePolicyUpdate(let id, _): return "pol \(id)"
        case .activePolicyRemove(let id): return "pol- \(id)"
        case .activeProfileUpdate(let name, _, _): return "prof \(name)"
        case .activeProfileRemove(let name): return "prof- \(name)"
        case .endpointUpdate(let e): return "ep \(e.id)"
        case .endpointRemove(let id): return "ep- \(id)"
        case .routeUpdate(let r): return "route \(r.dst)"
        case .routeRemove(let dst): return "route- \(dst)"
        case .hostMetadataUpdate(let h): return "host \(h.name)"
        case .hostMetadataRemove(let name): return "host- \(name)"
        case .ipPoolUpdate(let p): return "pool \(p.cidr)"
        case .ipPoolRemove(let cidr): return "pool- \(cidr)"
        case .vtepUpdate(let v): return "vtep \(v.node)"
        case .vtepRemove(let node): return "vtep- \(node)"
        }
    }
}

/// A rule's key fields on one line.
private func rd(_ r: ParsedRule) -> String {
    var f = [r.action]
    if let v = r.ipVersion { f.append("v\(v)") }
    if let p = r.protocol { f.append(p) }
    if let p = r.notProtocol { f.append("!\(p)") }
    func add(_ label: String, _ xs: [String]) { if !xs.isEmpty { f.append("\(label)=\(xs.joined(separator: ","))") } }
    add("srcNets", r.srcNets); add("!srcNets", r.notSrcNets); add("dstNets", r.dstNets); add("!dstNets", r.notDstNets)
    add("srcPorts", r.srcPorts); add("!srcPorts", r.notSrcPorts); add("dstPorts", r.dstPorts); add("!dstPorts", r.notDstPorts)
    add("srcNP", r.srcNamedPortIPSetIDs); add("!srcNP", r.notSrcNamedPortIPSetIDs)
    add("dstNP", r.dstNamedPortIPSetIDs); add("!dstNP", r.notDstNamedPortIPSetIDs)
    add("src", r.srcIPSetIDs); add("!src", r.notSrcIPSetIDs); add("dst", r.dstIPSetIDs); add("!dst", r.notDstIPSetIDs)
    if let t = r.icmpType { f.append("icmp=\(t)/\(r.icmpCode.map(String.init) ?? "*")") }
    if let t = r.notICMPType { f.append("!icmp=\(t)/\(r.notICMPCode.map(String.init) ?? "*")") }
    return f.joined(separator: " ")
}

extension Array where Element == DataplaneUpdate {
    fileprivate var eps: [EndpointID: EndpointUpdate] {
        var d: [EndpointID: EndpointUpdate] = [:]
        for case .endpointUpdate(let e) in self { d[e.id] = e }
        return d
    }
    fileprivate var pols: [PolicyID: ActivePolicy] {
        var d: [PolicyID: ActivePolicy] = [:]
        for case let .activePolicyUpdate(id, p) in self { d[id] = p }
        return d
    }
    fileprivate var sets: [String: [String]] {
        var d: [String: [String]] = [:]
        for case let .ipSetUpdate(id, _, m) in self { d[id] = m }
        return d
    }
    fileprivate var profs: [String: [String]] {
        var d: [String: [String]] = [:]
        for case let .activeProfileUpdate(n, i, o) in self { d[n] = ["in: " + i.map(rd).joined(separator: "; "), "out: " + o.map(rd).joined(separator: "; ")] }
        return d
    }
    fileprivate func rules(_ id: PolicyID) -> [String] {
        guard let p = pols[id] else { return ["<no policy \(id)>"] }
        return ["in: " + p.inbound.map(rd).joined(separator: "; "), "out: " + p.outbound.map(rd).joined(separator: "; ")]
    }
}

private let allowAll = ["in: allow", "out: allow"]
private let denyAll = ["in: deny", "out: deny"]
private let allowIn = "{selector: all(), ingress: [{action: Allow}]}"

// MARK: - Scenarios (YAML shared with the replay harness)

enum Catalog {
    static let ordering = doc(nsProf("default"), pod("a", ip: "10.244.0.1", labels: "app: web"),
        gnp("b", "{order: 10, selector: all(), ingress: [{action: Allow}]}"),
        gnp("a", "{order: 10, selector: all(), ingress: [{action: Allow}]}"),
        gnp("c", "{order: 5, selector: all(), ingress: [{action: Allow}]}"),
        gnp("frac", "{order: 7.5, selector: all(), ingress: [{action: Allow}]}"),
        gnp("z", allowIn), gnp("y", allowIn))

    static let keyOrder = doc(nsProf("alpha"), pod("a", ns: "alpha", ip: "10.244.0.1"),
        np("z", ns: "alpha", "{order: 1, selector: all(), ingress: [{action: Allow}]}"),
        gnp("m", "{order: 1, selector: all(), ingress: [{action: Allow}]}"),
        np("b", ns: "alpha", allowIn))

    static let tiers = doc(nsProf("default"), pod("a", ip: "10.244.0.1", labels: "app: web"),
        tier("t-b", order: 50, action: "Pass"), tier("t-a", order: 50), tier("late", order: 2_000_000), tier("unused", order: 1),
        gnp("t-b.p", "{tier: t-b, selector: all(), ingress: [{action: Pass}]}"),
        gnp("t-a.p", "{tier: t-a, selector: all(), egress: [{action: Pass}]}"),
        gnp("late.p", "{tier: late, selector: all(), ingress: [{action: Deny}]}"),
        gnp("unused.p", "{tier: unused, selector: app == 'none', ingress: [{action: Deny}]}"),
        gnp("p", "{selector: app == 'web', ingress: [{action: Allow}]}"))

    static let builtinTiers = doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
        gnp("adminnetworkpolicy.p", "{tier: adminnetworkpolicy, selector: all(), ingress: [{action: Pass}]}"),
        gnp("baselineadminnetworkpolicy.q", "{tier: baselineadminnetworkpolicy, selector: all(), ingress: [{action: Allow}]}"),
        gnp("p", allowIn))

    static let types = doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
        gnp("in-only", "{selector: all(), ingress: [{action: Allow}]}"),
        gnp("out-only", "{selector: all(), egress: [{action: Deny}]}"),
        gnp("both", "{selector: all(), ingress: [{action: Allow}], egress: [{action: Deny}]}"),
        gnp("none", "{selector: all()}"),
        gnp("egress-typed", "{selector: all(), types: [Egress], ingress: [{action: Allow}], egress: [{action: Log}]}"),
        gnp("both-empty", "{selector: all(), types: [Ingress, Egress]}"))

    static let namespacedRules = doc(nsProf("shop"), nsProf("other"),
        pod("a", ns: "shop", ip: "10.244.0.1", labels: "app: web"),
        pod("lb1", ns: "shop", node: "node2", ip: "10.244.1.1", labels: "role: lb"),
        pod("lb2", ns: "other", node: "node2", ip: "10.244.1.2", labels: "role: lb"),
        pod("bad", ns: "shop", node: "node2", ip: "10.244.1.3", labels: "role: bad"),
        np("web", ns: "shop", """
            {selector: app == 'web', ingress: [{action: Allow, source: {selector: role == 'lb'}}, {action: Allow, source: {nets: [10.0.0.0/8]}},
              {action: Deny, source: {notSelector: role == 'bad'}}, {action: Allow, protocol: TCP, destination: {ports: [443]}}]}
            """))

    static let nsSelectorInNP = doc(nsProf("shop", "pcns.team: red"), nsProf("other", "pcns.team: blue"),
        pod("a", ns: "shop", ip: "10.244.0.1", labels: "app: web"),
        pod("lb1", ns: "shop", node: "node2", ip: "10.244.1.1", labels: "role: lb"),
        pod("lb2", ns: "other", node: "node2", ip: "10.244.1.2", labels: "role: lb"),
        np("web", ns: "shop", "{selector: app == 'web', ingress: [{action: Allow, source: {namespaceSelector: team == 'blue', selector: role == 'lb'}}]}"))

    static let specialNamespaceSelectors = doc(nsProf("shop"),
        pod("a", ns: "shop", ip: "10.244.0.1", labels: "app: web"),
        pod("r", ns: "shop", node: "node2", ip: "10.244.1.1"),
        hep("n2-eth0", node: "node2", ips: "198.51.100.2"),
        gns("g", labels: "kind: ext", nets: "192.0.2.0/24"),
        netset("n", ns: "shop", labels: "kind: ext", nets: "203.0.113.0/24"),
        gnp("p", """
            {selector: app == 'web', ingress: [{action: Allow, source: {namespaceSelector: global()}}, {action: Allow, source: {namespaceSelector: all()}},
              {action: Deny, source: {namespaceSelector: projectcalico.org/name == 'shop'}}]}
            """))

    static let policyNamespaceSelector = doc(nsProf("shop", "pcns.team: red"), nsProf("other", "pcns.team: blue"),
        pod("a", ns: "shop", ip: "10.244.0.1"), pod("b", ns: "other", ip: "10.244.0.2"),
        gnp("p", "{selector: all(), namespaceSelector: team == 'blue', ingress: [{action: Allow}]}"))

    static let serviceAccounts = doc(nsProf("default"), saProf("default", "admin-sa", "pcsa.role: admin"), saProf("default", "plain"),
        pod("a", ip: "10.244.0.1", sa: "admin-sa"), pod("b", ip: "10.244.0.2", sa: "plain"),
        pod("r1", node: "node2", ip: "10.244.1.1", sa: "admin-sa"), pod("r2", node: "node2", ip: "10.244.1.2", sa: "plain"),
        np("admins", "{serviceAccountSelector: role == 'admin', selector: all(), ingress: [{action: Allow, source: {serviceAccounts: {names: [plain, admin-sa]}}}]}"),
        gnp("by-label", "{selector: all(), egress: [{action: Allow, destination: {serviceAccounts: {selector: role == 'admin'}}}]}"))

    static let networkSets = doc(nsProf("shop"), nsProf("other"),
        pod("a", ns: "shop", ip: "10.244.0.1"), pod("b", ns: "other", ip: "10.244.0.2"),
        netset("ext", ns: "shop", labels: "kind: ext", nets: "192.0.2.0/24"),
        gns("gext", labels: "kind: ext", nets: "198.51.100.0/24"),
        np("to-ext", ns: "shop", "{selector: all(), egress: [{action: Allow, destination: {selector: kind == 'ext'}}]}"),
        np("to-ext", ns: "other", "{selector: all(), egress: [{action: Allow, destination: {selector: kind == 'ext'}}]}"),
        gnp("g-to-ext", "{selector: all(), egress: [{action: Deny, destination: {selector: kind == 'ext'}}]}"))

    static let normalisedNets = doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
        gns("g", labels: "kind: ext", nets: "10.1.2.3/16, 2001:db8::1/64, 192.0.2.5"),
        gnp("p", "{selector: all(), egress: [{action: Allow, destination: {selector: kind == 'ext'}}]}"))

    static let coverage = doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
        gns("wide", labels: "zone: a", nets: "10.0.0.0/8"),
        gns("narrow", labels: "zone: b", nets: "10.1.0.0/16, 172.16.0.0/12"),
        pod("r", node: "node2", ip: "10.244.1.1", labels: "zone: c"),
        gnp("p", "{selector: all(), egress: [{action: Allow, destination: {selector: has(zone)}}]}"))

    static let zeroCIDR = doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
        gns("any", labels: "kind: any", nets: "0.0.0.0/0, '::/0'"),
        gns("some", labels: "kind: any", nets: "192.0.2.0/24"),
        gnp("p", "{selector: all(), egress: [{action: Allow, destination: {selector: kind == 'any'}}]}"))

    static let namedPorts = doc(nsProf("default"),
        pod("a", ip: "10.244.0.1", labels: "app: dns", ports: "[{name: dns, protocol: UDP, port: 53}, {name: dns, protocol: TCP, port: 5353}]"),
        pod("b", node: "node2", ip: "10.244.1.2", labels: "app: dns", ports: "[{name: dns, protocol: UDP, port: 1053}]"),
        hep("n1-eth0", ips: "198.51.100.1", labels: "host: \"yes\"", ports: "[{name: dns, protocol: UDP, port: 10053}]"),
        gnp("p", "{selector: app == 'dns', ingress: [{action: Allow, protocol: UDP, destination: {ports: [dns]}}, {action: Allow, protocol: TCP, destination: {ports: [dns]}}]}"))

    static let namedPortsWithSelectors = doc(nsProf("default"),
        pod("a", ip: "10.244.0.1", labels: "app: web", ports: "[{name: http, protocol: TCP, port: 8080}, {name: client, protocol: TCP, port: 4000}, {name: assoc, protocol: SCTP, port: 3868}]"),
        pod("c", node: "node2", ip: "10.244.1.3", labels: "role: cli", ports: "[{name: client, protocol: TCP, port: 4001}]"),
        gnp("p", """
            {selector: app == 'web', ingress: [{action: Allow, protocol: TCP, destination: {selector: app == 'web', ports: [http, 443, '8000:8080']}},
              {action: Allow, protocol: TCP, source: {selector: role == 'cli', ports: [client]}},
              {action: Allow, protocol: SCTP, destination: {ports: [assoc]}},
              {action: Allow, source: {selector: role == 'cli'}}]}
            """))

    static let negations = doc(nsProf("default"), pod("a", ip: "10.244.0.1", ports: "[{name: metrics, protocol: TCP, port: 9100}]"),
        pod("x", node: "node2", ip: "10.244.1.9", labels: "role: bad"),
        gnp("p", """
            {selector: all(), ingress: [{action: Deny, source: {nets: [10.0.0.0/8], notNets: [10.1.0.0/16], notSelector: role == 'bad'}, destination: {notNets: [192.0.2.0/24]}},
              {action: Allow, protocol: TCP, source: {notPorts: [1024]}, destination: {notPorts: [80, '8000:8080', metrics]}}]}
            """))

    static let icmp = doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
        gnp("p", """
            {selector: all(), ingress: [{action: Allow, protocol: ICMP, icmp: {type: 8, code: 0}}, {action: Deny, protocol: ICMP, notICMP: {type: 3}},
              {action: Allow, ipVersion: 6, protocol: ICMPv6, icmp: {type: 128}}, {action: Log}, {action: Pass, notProtocol: UDP}, {action: Deny, protocol: 17}]}
            """))

    static let hostEndpoint = doc(
        hep("n1-eth0", ips: "198.51.100.1, 2001:db8::1", labels: "role: gw"),
        hep("n2-eth0", node: "node2", ips: "198.51.100.2", labels: "role: gw"),
        gnp("p", "{selector: role == 'gw', ingress: [{action: Allow}], egress: [{action: Allow}]}"))

    static let hostBuckets = doc(hep("n1-eth0", ips: "198.51.100.1", labels: "host: \"yes\""), tier("sec", order: 10),
        gnp("sec.untracked", "{tier: sec, selector: has(host), doNotTrack: true, applyOnForward: true, ingress: [{action: Allow}], egress: [{action: Allow}]}"),
        gnp("sec.fwd", "{tier: sec, selector: has(host), applyOnForward: true, ingress: [{action: Allow}]}"),
        gnp("pre", "{selector: has(host), preDNAT: true, applyOnForward: true, ingress: [{action: Deny}]}"),
        gnp("normal", "{selector: has(host), egress: [{action: Allow}]}"))

    static let allInterfaces = doc(
        hep("n1-all", iface: "*", ips: "198.51.100.1", labels: "host: \"yes\"", profiles: "[host-prof, gone]"),
        """
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: host-prof}
        spec: {ingress: [{action: Allow, protocol: TCP, destination: {ports: [22]}}], egress: [{action: Allow}]}
        """)

    static let profileLabels = doc(
        """
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: kns.default}
        spec: {ingress: [{action: Allow}], egress: [{action: Allow}], labelsToApply: {pcns.projectcalico.org/name: default, app: from-profile}}
        """,
        saProf("default", "sa1", "pcsa.role: mon"),
        pod("a", ip: "10.244.0.1", labels: "app: own"), pod("b", ip: "10.244.0.2", sa: "sa1"),
        gnp("inherited", "{selector: app == 'from-profile', ingress: [{action: Allow}]}"),
        gnp("own", "{selector: app == 'own', ingress: [{action: Allow}]}"),
        gnp("both-profiles", "{selector: pcsa.role == 'mon' && app == 'from-profile', ingress: [{action: Allow}]}"))

    static let profileRules = doc(
        """
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: mon}
        spec: {ingress: [{action: Allow, source: {selector: role == 'mon'}}], egress: [{action: Deny, destination: {nets: [192.0.2.0/24]}}]}
        """,
        pod("a", ip: "10.244.0.1", profiles: "[mon]"), pod("m", node: "node2", ip: "10.244.1.1", labels: "role: mon", profiles: "[mon]"))

    static let kubernetes = doc(nsProf("shop"),
        pod("a", ns: "shop", ip: "10.244.0.1", labels: "app: web"), pod("b", ns: "shop", ip: "10.244.0.2", labels: "app: db"),
        pod("lb", ns: "shop", node: "node2", ip: "10.244.1.1", labels: "role: lb"),
        knp("allow-web", ns: "shop", """
            {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress],
             ingress: [{from: [{podSelector: {matchLabels: {role: lb}}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{protocol: TCP, port: 80}]}]}
            """),
        np("early", ns: "shop", "{order: 100, selector: all(), ingress: [{action: Pass}]}"),
        gnp("late", allowIn))

    static let kubernetesPeers = doc(nsProf("shop", "pcns.team: red"), nsProf("other", "pcns.team: blue"),
        pod("a", ns: "shop", ip: "10.244.0.1"),
        pod("lb", ns: "other", node: "node2", ip: "10.244.1.1", labels: "role: lb"),
        pod("x", ns: "shop", node: "node2", ip: "10.244.1.2", labels: "role: lb"),
        knp("peers", ns: "shop", """
            {podSelector: {}, policyTypes: [Ingress, Egress],
             ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}, podSelector: {matchLabels: {role: lb}}}, {namespaceSelector: {}}]}],
             egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{protocol: UDP, port: 53}]}]}
            """),
        knp("deny-all", ns: "shop", "{podSelector: {}, policyTypes: [Ingress]}"))

    static let staged = doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
        np("s1", "{selector: all(), ingress: [{action: Deny}]}", kind: "StagedNetworkPolicy"),
        gnp("s2", "{selector: all(), egress: [{action: Deny}]}", kind: "StagedGlobalNetworkPolicy"),
        knp("s3", "{podSelector: {}, policyTypes: [Ingress]}", kind: "StagedKubernetesNetworkPolicy"),
        gnp("real", allowIn),
        np("d1", "{stagedAction: Delete}", kind: "StagedNetworkPolicy"),
        gnp("d2", "{stagedAction: Delete}", kind: "StagedGlobalNetworkPolicy"),
        knp("d3", "{stagedAction: Delete}", kind: "StagedKubernetesNetworkPolicy"))

    static let duplicateNames = doc(nsProf("default"), nsProf("other"),
        pod("a", ip: "10.244.0.1"), pod("b", ns: "other", ip: "10.244.0.2"),
        np("p", allowIn), np("p", ns: "other", allowIn), gnp("p", allowIn),
        np("p", allowIn, kind: "StagedNetworkPolicy"), gnp("p", allowIn, kind: "StagedGlobalNetworkPolicy"),
        knp("p", "{podSelector: {}, policyTypes: [Ingress]}"))

    static let sharing = doc(nsProf("default"), pod("a", ip: "10.244.0.1"), pod("lb", node: "node2", ip: "10.244.1.1", labels: "role: lb"),
        gnp("p1", "{selector: all(), ingress: [{action: Allow, source: {selector: role == 'lb'}}]}"),
        gnp("p2", "{selector: all(), ingress: [{action: Deny, source: {selector: \"role=='lb'\"}}], egress: [{action: Allow, destination: {selector: role == 'lb'}}]}"))

    static let lifecycle = doc(nsProf("default"),
        pod("a", ip: "10.244.0.1", labels: "app: web"), pod("b", ip: "10.244.0.2", labels: "app: web"),
        pod("r", node: "node2", ip: "10.244.1.1", labels: "app: client"),
        gnp("web", "{selector: app == 'web', ingress: [{action: Allow, source: {selector: app == 'client'}}]}"))

    static let kubernetesPorts = doc(nsProf("default"),
        pod("a", ip: "10.244.0.1,fd00::1", labels: "app: web", ports: "[{name: http, protocol: TCP, port: 8080}]"),
        knp("ports", """
            {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress],
             ingress: [{ports: [{port: http}, {protocol: TCP, port: 8000, endPort: 8080}, {protocol: UDP, port: 53}]}]}
            """),
        knp("ports", "{podSelector: {}, policyTypes: [Egress]}", kind: "StagedKubernetesNetworkPolicy"))

    static let hostAndNamespaced = doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
        hep("n1-eth0", ips: "198.51.100.1", labels: "app: web"),
        np("all-in-ns", allowIn), gnp("all", "{selector: all(), egress: [{action: Allow}]}"))

    /// The scenarios the replay harness also runs.
    static let replayable: [String] = [
        ordering, keyOrder, tiers, builtinTiers, types, namespacedRules, nsSelectorInNP, specialNamespaceSelectors,
        policyNamespaceSelector, serviceAccounts, networkSets, normalisedNets, coverage, zeroCIDR, namedPorts,
        namedPortsWithSelectors, negations, icmp, hostEndpoint, hostBuckets, allInterfaces, profileLabels, profileRules,
        kubernetes, kubernetesPeers, staged, duplicateNames, sharing, lifecycle, kubernetesPorts, hostAndNamespaced,
    ]
}

// MARK: - Tests

@Suite struct ScenarioCatalogTests {
    // MARK: Ordering

    @Test func policiesSortByOrderThenName() throws {
        let (_, out) = try run(Catalog.ordering)
        let order = ["default.c", "default.frac", "default.a", "default.b", "default.y", "default.z"].map { pid($0) }
        #expect(out.eps == [.workload(namespace: "default", name: "a"): podUpdate("a", ip: "10.244.0.1", tiers: [ti("default", in: order)])])
        #expect(tags(out) == order.sorted().map { "pol \($0)" } + ["prof kns.default", "ep wep:default/a", "inSync"])
        #expect(out.pols.values.allSatisfy { $0.inbound.map(rd) == ["allow"] && $0.outbound.isEmpty && !$0.staged && $0.namespace == nil })
    }

    @Test func equalOrdersTieOnTheBackendKeyBytes() throws {
        let (_, out) = try run(Catalog.keyOrder)
        // "alpha/default.z" < "default.m" byte-wise; unordered last.
        #expect(out.eps[.workload(namespace: "alpha", name: "a")]?.tiers == [ti("default", in: [pid("alpha/default.z"), pid("default.m"), pid("alpha/default.b")])])
        #expect(out.pols[pid("alpha/default.z")]?.namespace == "alpha" && out.pols[pid("default.m")]?.namespace == nil)
    }

    @Test func tiersSortByOrderThenNameWithTheirDefaultActions() throws {
        let (_, out) = try run(Catalog.tiers)
        #expect(out.eps[.workload(namespace: "default", name: "a")]?.tiers == [
            ti("t-a", out: [pid("t-a.p", "t-a")]), ti("t-b", in: [pid("t-b.p", "t-b")], "Pass"),
            ti("default", in: [pid("default.p")]), ti("late", in: [pid("late.p", "late")]),
        ])
        #expect(Set(out.pols.keys) == [pid("t-a.p", "t-a"), pid("t-b.p", "t-b"), pid("default.p"), pid("late.p", "late")], "unused.p selects nothing")
        #expect(out.rules(pid("t-b.p", "t-b")) == ["in: next-tier", "out: "])
        #expect(out.rules(pid("t-a.p", "t-a")) == ["in: ", "out: next-tier"])
    }

    @Test func builtinAdminTiersNeedNoTierResource() throws {
        let (g, out) = try run(Catalog.builtinTiers)
        #expect(out.eps[.workload(namespace: "default", name: "a")]?.tiers == [
            ti("adminnetworkpolicy", in: [pid("adminnetworkpolicy.p", "adminnetworkpolicy")], "Pass"),
            ti("default", in: [pid("default.p")]),
            ti("baselineadminnetworkpolicy", in: [pid("baselineadminnetworkpolicy.q", "baselineadminnetworkpolicy")], "Pass"),
        ])
        #expect(g.skipped.isEmpty)
    }

    @Test func reorderingResendsOnlyTheEndpoint() throws {
        let (g, _) = try run(Catalog.ordering)
        try put(g, gnp("z", "{order: 1, selector: all(), ingress: [{action: Allow}]}"))
        let out = g.flush()
        #expect(tags(out) == ["ep wep:default/a"])
        #expect(out.eps.first?.value.tiers == [ti("default", in: ["default.z", "default.c", "default.frac", "default.a", "default.b", "default.y"].map { pid($0) })])
        try put(g, gnp("z", "{order: 1, selector: all(), ingress: [{action: Allow}]}"))
        #expect(g.flush().isEmpty, "same state, no output")
    }

    @Test func deletingATierDropsItsPoliciesUntilItIsBack() throws {
        let (g, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1"), tier("sec", order: 1),
                                   gnp("sec.p", "{tier: sec, selector: all(), ingress: [{action: Pass}]}")))
        #expect(out.eps.first?.value.tiers == [ti("sec", in: [pid("sec.p", "sec")])])
        g.apply(.delete(CalcKey(Tier.self, name: "sec")))
        var next = g.flush()
        #expect(tags(next) == ["ep wep:default/a", "pol- sec/sec.p"])
        #expect(next.eps.first?.value.tiers == [])
        #expect(g.skipped.values.contains { $0.contains("sec.p") && $0.contains("tier sec does not exist") })
        try put(g, tier("sec", order: 1))
        next = g.flush()
        #expect(tags(next) == ["pol sec/sec.p", "ep wep:default/a"])
        #expect(g.skipped.isEmpty)
    }

    // MARK: Types

    @Test func typesDefaultFromTheRulesPresent() throws {
        let (_, out) = try run(Catalog.types)
        #expect(out.eps.first?.value.tiers == [ti("default",
            in: ["default.both", "default.both-empty", "default.in-only", "default.none"].map { pid($0) },
            out: ["default.both", "default.both-empty", "default.egress-typed", "default.out-only"].map { pid($0) })])
        #expect(out.rules(pid("default.in-only")) == ["in: allow", "out: "])
        #expect(out.rules(pid("default.out-only")) == ["in: ", "out: deny"])
        #expect(out.rules(pid("default.both")) == ["in: allow", "out: deny"])
        #expect(out.rules(pid("default.none")) == ["in: ", "out: "])
        #expect(out.rules(pid("default.egress-typed")) == ["in: ", "out: log"], "explicit types drop the other direction's rules")
        #expect(out.rules(pid("default.both-empty")) == ["in: ", "out: "])
    }

    // MARK: Namespaces, service accounts

    @Test func namespacedPolicyScopesItsRuleSelectors() throws {
        let (_, out) = try run(Catalog.namespacedRules)
        let lb = sid(#"(projectcalico.org/namespace == "shop" && role == "lb")"#)
        let shop = sid(#"projectcalico.org/namespace == "shop""#)
        let bad = sid(#"role == "bad""#)
        #expect(out.rules(pid("shop/default.web")) == [
            "in: allow src=\(lb); allow srcNets=10.0.0.0/8; deny src=\(shop) !src=\(bad); allow tcp dstPorts=443", "out: ",
        ])
        #expect(out.sets == [lb: ["10.244.1.1/32"], shop: ["10.244.0.1/32", "10.244.1.1/32", "10.244.1.3/32"], bad: ["10.244.1.3/32"]])
        #expect(out.pols[pid("shop/default.web")]?.namespace == "shop")
        #expect(out.eps == [.workload(namespace: "shop", name: "a"): podUpdate("a", ns: "shop", ip: "10.244.0.1", tiers: [ti("default", in: [pid("shop/default.web")])])])
        #expect(Set(out.profs.keys) == ["kns.shop"])
    }

    @Test func namespaceSelectorLiftsTheNamespaceRestriction() throws {
        let (_, out) = try run(Catalog.nsSelectorInNP)
        let id = sid(#"(pcns.team == "blue" && role == "lb")"#)
        #expect(out.rules(pid("shop/default.web")) == ["in: allow src=\(id)", "out: "])
        #expect(out.sets == [id: ["10.244.1.2/32"]])
    }

    @Test func globalAndAllNamespaceSelectors() throws {
        let (_, out) = try run(Catalog.specialNamespaceSelectors)
        let global = sid("!has(projectcalico.org/namespace)")
        let all = sid("has(projectcalico.org/namespace)")
        let shop = sid(#"projectcalico.org/namespace == "shop""#)
        #expect(out.rules(pid("default.p")) == ["in: allow src=\(global); allow src=\(all); deny src=\(shop)", "out: "])
        #expect(out.sets[global] == ["192.0.2.0/24", "198.51.100.2/32"], "host endpoints and global network sets")
        #expect(out.sets[all] == ["10.244.0.1/32", "10.244.1.1/32", "203.0.113.0/24"], "workloads and namespaced network sets")
        #expect(out.sets[shop] == ["10.244.0.1/32", "10.244.1.1/32", "203.0.113.0/24"], "projectcalico.org/name is the namespace")
        #expect(out.sets.count == 3)
    }

    @Test func policyLevelNamespaceSelector() throws {
        let (_, out) = try run(Catalog.policyNamespaceSelector)
        #expect(out.eps == [
            .workload(namespace: "shop", name: "a"): podUpdate("a", ns: "shop", ip: "10.244.0.1"),
            .workload(namespace: "other", name: "b"): podUpdate("b", ns: "other", ip: "10.244.0.2", tiers: [ti("default", in: [pid("default.p")])]),
        ])
        #expect(out.pols[pid("default.p")]?.originalSelector == "all()")
    }

    @Test func serviceAccountSelectorsAndNames() throws {
        let (_, out) = try run(Catalog.serviceAccounts)
        let names = sid(#"(projectcalico.org/namespace == "default" && projectcalico.org/serviceaccount in {"admin-sa", "plain"})"#)
        let byLabel = sid(#"pcsa.role == "admin""#)
        #expect(out.eps == [
            .workload(namespace: "default", name: "a"): podUpdate("a", ip: "10.244.0.1", profiles: ["kns.default", "ksa.default.admin-sa"],
                                                                 tiers: [ti("default", in: [pid("default/default.admins")], out: [pid("default.by-label")])]),
            .workload(namespace: "default", name: "b"): podUpdate("b", ip: "10.244.0.2", profiles: ["kns.default", "ksa.default.plain"],
                                                                 tiers: [ti("default", out: [pid("default.by-label")])]),
        ])
        #expect(out.rules(pid("default/default.admins")) == ["in: allow src=\(names)", "out: "])
        #expect(out.rules(pid("default.by-label")) == ["in: ", "out: allow dst=\(byLabel)"])
        #expect(out.sets == [names: ["10.244.0.1/32", "10.244.0.2/32", "10.244.1.1/32", "10.244.1.2/32"], byLabel: ["10.244.0.1/32", "10.244.1.1/32"]])
        #expect(out.profs == ["kns.default": allowAll, "ksa.default.admin-sa": ["in: ", "out: "], "ksa.default.plain": ["in: ", "out: "]])
    }

    // MARK: Network sets and CIDRs

    @Test func namespacedNetworkSetsOnlyMatchInTheirNamespace() throws {
        let (_, out) = try run(Catalog.networkSets)
        let shop = sid(#"(projectcalico.org/namespace == "shop" && kind == "ext")"#)
        let other = sid(#"(projectcalico.org/namespace == "other" && kind == "ext")"#)
        let global = sid(#"kind == "ext""#)
        #expect(out.sets == [shop: ["192.0.2.0/24"], other: [], global: ["192.0.2.0/24", "198.51.100.0/24"]])
        #expect(out.rules(pid("shop/default.to-ext")) == ["in: ", "out: allow dst=\(shop)"])
        #expect(out.rules(pid("other/default.to-ext")) == ["in: ", "out: allow dst=\(other)"])
        #expect(out.rules(pid("default.g-to-ext")) == ["in: ", "out: deny dst=\(global)"])
        #expect(out.eps[.workload(namespace: "other", name: "b")]?.tiers == [ti("default", out: [pid("default.g-to-ext"), pid("other/default.to-ext")])])
    }

    @Test func networkSetCIDRsAreNormalised() throws {
        let (_, out) = try run(Catalog.normalisedNets)
        #expect(out.sets == [sid(#"kind == "ext""#): ["10.1.0.0/16", "192.0.2.5/32", "2001:db8::/64"]])
    }

    @Test func coveredCIDRsAreWithheldAndReEmitted() throws {
        let (g, out) = try run(Catalog.coverage)
        let id = sid("has(zone)")
        #expect(out.sets == [id: ["10.0.0.0/8", "172.16.0.0/12"]])
        g.apply(.delete(CalcKey(GlobalNetworkSet.self, name: "wide")))
        #expect(g.flush() == [.ipSetDelta(id: id, added: ["10.1.0.0/16", "10.244.1.1/32"], removed: ["10.0.0.0/8"])])
        try put(g, gns("wide", labels: "zone: a", nets: "10.0.0.0/8"))
        #expect(g.flush() == [.ipSetDelta(id: id, added: ["10.0.0.0/8"], removed: ["10.1.0.0/16", "10.244.1.1/32"])])
        // A covered member going away while still covered changes nothing.
        g.apply(.delete(CalcKey(WorkloadEndpoint.self, namespace: "default", name: "r")))
        #expect(g.flush().isEmpty)
    }

    @Test func sameCIDRFromTwoSourcesIsOneMember() throws {
        let (g, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
                                   gns("one", labels: "feed: bad", nets: "203.0.113.0/24"), gns("two", labels: "feed: bad", nets: "203.0.113.0/24, 198.51.100.7"),
                                   gnp("p", "{selector: all(), egress: [{action: Deny, destination: {selector: feed == 'bad'}}]}")))
        let id = sid(#"feed == "bad""#)
        #expect(out.sets == [id: ["198.51.100.7/32", "203.0.113.0/24"]])
        g.apply(.delete(CalcKey(GlobalNetworkSet.self, name: "one")))
        #expect(g.flush().isEmpty, "still contributed by the other set")
        g.apply(.delete(CalcKey(GlobalNetworkSet.self, name: "two")))
        #expect(g.flush() == [.ipSetDelta(id: id, added: [], removed: ["198.51.100.7/32", "203.0.113.0/24"])])
    }

    @Test func zeroCIDRsAreSplitIntoHalves() throws {
        let (_, out) = try run(Catalog.zeroCIDR)
        #expect(out.sets == [sid(#"kind == "any""#): ["0.0.0.0/1", "128.0.0.0/1", "8000::/1", "::/1"]])
    }

    @Test func ipv6EndpointAddresses() throws {
        let (_, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1,fd00::1", labels: "app: web"),
                                   pod("r", node: "node2", ip: "fd00::2", labels: "app: web"),
                                   gnp("p", "{selector: app == 'web', ingress: [{action: Allow, source: {selector: app == 'web'}}]}")))
        #expect(out.eps == [.workload(namespace: "default", name: "a"): podUpdate("a", ip: "10.244.0.1,fd00::1", tiers: [ti("default", in: [pid("default.p")])])])
        #expect(out.sets == [sid(#"app == "web""#): ["10.244.0.1/32", "fd00::1/128", "fd00::2/128"]])
    }

    // MARK: Named ports, negations, ICMP

    @Test func namedPortsPerProtocol() throws {
        let (_, out) = try run(Catalog.namedPorts)
        let udp = nid("all()", "udp", "dns"), tcp = nid("all()", "tcp", "dns")
        #expect(out.rules(pid("default.p")) == ["in: allow udp dstNP=\(udp); allow tcp dstNP=\(tcp)", "out: "])
        #expect(out.sets == [udp: ["10.244.0.1,udp:53", "10.244.1.2,udp:1053", "198.51.100.1,udp:10053"], tcp: ["10.244.0.1,tcp:5353"]])
        #expect(out.compactMap { u -> IPSetType? in if case let .ipSetUpdate(_, t, _) = u { return t } else { return nil } } == [.ipAndPort, .ipAndPort])
    }

    @Test func namedPortsCarryTheirSelector() throws {
        let (_, out) = try run(Catalog.namedPortsWithSelectors)
        let http = nid(#"app == "web""#, "tcp", "http")
        let client = nid(#"role == "cli""#, "tcp", "client")
        let assoc = nid("all()", "sctp", "assoc")
        let cli = sid(#"role == "cli""#)
        #expect(out.rules(pid("default.p")) == [
            "in: allow tcp dstPorts=443,8000:8080 dstNP=\(http); allow tcp srcNP=\(client); allow sctp dstNP=\(assoc); allow src=\(cli)", "out: ",
        ])
        #expect(out.sets == [http: ["10.244.0.1,tcp:8080"], client: ["10.244.1.3,tcp:4001"], assoc: ["10.244.0.1,sctp:3868"], cli: ["10.244.1.3/32"]])
    }

    @Test func notNetsNotSelectorNotPorts() throws {
        let (_, out) = try run(Catalog.negations)
        let bad = sid(#"role == "bad""#)
        let metrics = nid("all()", "tcp", "metrics")
        #expect(out.rules(pid("default.p")) == [
            "in: deny srcNets=10.0.0.0/8 !srcNets=10.1.0.0/16 !dstNets=192.0.2.0/24 !src=\(bad); allow tcp !srcPorts=1024 !dstPorts=80,8000:8080 !dstNP=\(metrics)",
            "out: ",
        ])
        #expect(out.sets == [bad: ["10.244.1.9/32"], metrics: ["10.244.0.1,tcp:9100"]], "a notSelector alone adds no positive selector set")
    }

    @Test func icmpProtocolsAndActions() throws {
        let (_, out) = try run(Catalog.icmp)
        #expect(out.rules(pid("default.p")) == [
            "in: allow icmp icmp=8/0; deny icmp !icmp=3/*; allow v6 icmpv6 icmp=128/*; log; next-tier !udp; deny 17", "out: ",
        ])
        #expect(out.sets.isEmpty)
    }

    // MARK: Host endpoints

    @Test func hostEndpointWithNormalPolicy() throws {
        let (_, out) = try run(Catalog.hostEndpoint)
        let expected = EndpointUpdate(id: .host(name: "n1-eth0"), interfaceName: "eth0", mac: nil, profileIDs: [], ipv4Nets: ["198.51.100.1/32"],
                                      ipv6Nets: ["2001:db8::1/128"], tiers: [ti("default", in: [pid("default.p")], out: [pid("default.p")])])
        #expect(out.eps == [.host(name: "n1-eth0"): expected])
        #expect(tags(out) == ["pol default/default.p", "ep hep:n1-eth0", "inSync"])
        #expect(out.pols[pid("default.p")].map { !$0.untracked && !$0.preDNAT } == true)
    }

    @Test func hostEndpointBucketsAcrossTiers() throws {
        let (_, out) = try run(Catalog.hostBuckets)
        let e = try #require(out.eps[.host(name: "n1-eth0")])
        let untracked = pid("sec.untracked", "sec"), fwd = pid("sec.fwd", "sec")
        #expect(e.untrackedTiers == [ti("sec", in: [untracked], out: [untracked], "Pass")])
        #expect(e.preDNATTiers == [ti("default", in: [pid("default.pre")], "Pass")])
        #expect(e.tiers == [ti("sec", in: [fwd]), ti("default", out: [pid("default.normal")])])
        #expect(e.forwardTiers == [ti("sec", in: [fwd])])
        #expect(out.pols[untracked].map { $0.untracked && !$0.preDNAT } == true)
        #expect(out.pols[pid("default.pre")].map { !$0.untracked && $0.preDNAT } == true)
        #expect(out.pols.count == 4)
    }

    @Test func untrackedPolicyIsNotInAWorkloadsTiers() throws {
        let (_, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
                                   gnp("raw", "{selector: all(), doNotTrack: true, applyOnForward: true, ingress: [{action: Allow}]}")))
        #expect(out.eps == [.workload(namespace: "default", name: "a"): podUpdate("a", ip: "10.244.0.1")])
    }

    @Test func allInterfacesHostEndpointWithProfiles() throws {
        let (_, out) = try run(Catalog.allInterfaces)
        #expect(out.eps == [.host(name: "n1-all"): EndpointUpdate(id: .host(name: "n1-all"), interfaceName: "*", mac: nil, profileIDs: ["host-prof", "gone"],
                                                                   ipv4Nets: ["198.51.100.1/32"], ipv6Nets: [], tiers: [])])
        #expect(out.profs == ["host-prof": ["in: allow tcp dstPorts=22", "out: allow"], "gone": denyAll])
        #expect(tags(out) == ["prof gone", "prof host-prof", "ep hep:n1-all", "inSync"])
    }

    // MARK: Profiles

    @Test func profileLabelsAreInheritedAndOwnLabelsWin() throws {
        let (_, out) = try run(Catalog.profileLabels)
        #expect(out.eps == [
            .workload(namespace: "default", name: "a"): podUpdate("a", ip: "10.244.0.1", tiers: [ti("default", in: [pid("default.own")])]),
            .workload(namespace: "default", name: "b"): podUpdate("b", ip: "10.244.0.2", profiles: ["kns.default", "ksa.default.sa1"],
                                                                 tiers: [ti("default", in: [pid("default.both-profiles"), pid("default.inherited")])]),
        ])
    }

    @Test func missingProfileFailsClosedUntilItExists() throws {
        let (g, out) = try run(doc(pod("a", ip: "10.244.0.1", profiles: "[kns.late]")))
        #expect(out.profs == ["kns.late": denyAll])
        try put(g, nsProf("late"))
        var next = g.flush()
        #expect(tags(next) == ["prof kns.late"] && next.profs == ["kns.late": allowAll])
        g.apply(.delete(CalcKey(Profile.self, name: "kns.late")))
        next = g.flush()
        #expect(tags(next) == ["prof kns.late"] && next.profs == ["kns.late": denyAll])
    }

    @Test func unusedProfileIsRemovedAfterItsEndpoint() throws {
        let (g, out) = try run(doc(nsProf("default"), nsProf("other"), pod("a", ip: "10.244.0.1"), pod("b", ns: "other", ip: "10.244.0.2")))
        #expect(out.profs == ["kns.default": allowAll, "kns.other": allowAll])
        g.apply(.delete(CalcKey(WorkloadEndpoint.self, namespace: "other", name: "b")))
        #expect(tags(g.flush()) == ["ep- wep:other/b", "prof- kns.other"])
        // A profile nobody uses is not sent.
        try put(g, nsProf("third"))
        #expect(g.flush().isEmpty)
    }

    @Test func profileRulesUseIPSets() throws {
        let (_, out) = try run(Catalog.profileRules)
        let mon = sid(#"role == "mon""#)
        #expect(out.profs == ["mon": ["in: allow src=\(mon)", "out: deny dstNets=192.0.2.0/24"]])
        #expect(out.sets == [mon: ["10.244.1.1/32"]])
        #expect(tags(out) == ["set \(mon) 10.244.1.1/32", "prof mon", "ep wep:default/a", "inSync"])
    }

    @Test func namespaceLabelChangeIsOnlyAnIPSetDelta() throws {
        let (g, out) = try run(doc(nsProf("default"), nsProf("other", "pcns.team: red"), pod("a", ip: "10.244.0.1"),
                                   pod("r", ns: "other", node: "node2", ip: "10.244.1.1"),
                                   gnp("p", "{selector: all(), ingress: [{action: Allow, source: {namespaceSelector: team == 'blue'}}]}")))
        let id = sid(#"pcns.team == "blue""#)
        #expect(out.sets == [id: []])
        try put(g, nsProf("other", "pcns.team: blue"))
        #expect(g.flush() == [.ipSetDelta(id: id, added: ["10.244.1.1/32"], removed: [])])
    }

    // MARK: Kubernetes NetworkPolicy

    @Test func kubernetesPolicyIsConvertedAndOrdered() throws {
        let (_, out) = try run(Catalog.kubernetes)
        let k = pid("shop/knp.default.allow-web")
        #expect(out.eps[.workload(namespace: "shop", name: "a")]?.tiers == [ti("default", in: [pid("shop/default.early"), k, pid("default.late")])])
        #expect(out.eps[.workload(namespace: "shop", name: "b")]?.tiers == [ti("default", in: [pid("shop/default.early"), pid("default.late")])])
        let lb = sid(#"(projectcalico.org/namespace == "shop" && (projectcalico.org/orchestrator == "k8s" && role == "lb"))"#)
        #expect(out.rules(k) == ["in: allow tcp dstPorts=80 src=\(lb); allow tcp srcNets=10.0.0.0/8 !srcNets=10.1.0.0/16 dstPorts=80", "out: "])
        #expect(out.sets == [lb: ["10.244.1.1/32"]])
        #expect(out.pols[k].map { $0.namespace == "shop" && !$0.staged } == true)
    }

    @Test func kubernetesPeersAndDefaultDeny() throws {
        let (_, out) = try run(Catalog.kubernetesPeers)
        let blueLB = sid(#"(pcns.team == "blue" && (projectcalico.org/orchestrator == "k8s" && role == "lb"))"#)
        let anyNS = sid(#"(has(projectcalico.org/namespace) && projectcalico.org/orchestrator == "k8s")"#)
        let peers = pid("shop/knp.default.peers"), deny = pid("shop/knp.default.deny-all")
        #expect(out.eps[.workload(namespace: "shop", name: "a")]?.tiers == [ti("default", in: [deny, peers], out: [peers])])
        #expect(out.rules(peers) == ["in: allow src=\(blueLB); allow src=\(anyNS)", "out: allow udp dstNets=0.0.0.0/0 dstPorts=53"])
        #expect(out.rules(deny) == ["in: ", "out: "])
        #expect(out.sets == [blueLB: ["10.244.1.1/32"], anyNS: ["10.244.0.1/32", "10.244.1.1/32", "10.244.1.2/32"]])
    }

    @Test func kubernetesPolicyIsDeletedByItsOwnKind() throws {
        let (g, _) = try run(Catalog.kubernetes)
        g.apply(.delete(CalcKey(NetworkPolicy.self, namespace: "shop", name: "allow-web")))
        #expect(g.flush().isEmpty, "a Calico NetworkPolicy of that name does not exist")
        g.apply(.delete(CalcKey(KubernetesNetworkPolicy.self, namespace: "shop", name: "allow-web")))
        let lb = sid(#"(projectcalico.org/namespace == "shop" && (projectcalico.org/orchestrator == "k8s" && role == "lb"))"#)
        #expect(tags(g.flush()) == ["ep wep:shop/a", "pol- default/shop/knp.default.allow-web", "set- \(lb)"])
    }

    // MARK: Staged policies

    @Test func stagedKindsAreSentMarkedAndDeleteIsNot() throws {
        let (_, out) = try run(Catalog.staged)
        let s1 = pid("default/staged:default.s1"), s2 = pid("staged:default.s2"), s3 = pid("default/staged:knp.default.s3"), real = pid("default.real")
        #expect(out.eps.first?.value.tiers == [ti("default", in: [s3, real, s1], out: [s2])])
        #expect(Set(out.pols.keys) == [s1, s2, s3, real])
        #expect(out.pols[s1]?.staged == true && out.pols[s2]?.staged == true && out.pols[s3]?.staged == true && out.pols[real]?.staged == false)
        #expect(out.rules(s1) == ["in: deny", "out: "] && out.rules(s3) == ["in: ", "out: "] && out.rules(s2) == ["in: ", "out: deny"])
    }

    @Test func stagedPolicyTurnedIntoDeleteIsRemoved() throws {
        let (g, _) = try run(Catalog.staged)
        try put(g, gnp("s2", "{stagedAction: Delete}", kind: "StagedGlobalNetworkPolicy"))
        #expect(tags(g.flush()) == ["ep wep:default/a", "pol- default/staged:default.s2"])
    }

    @Test func duplicateNamesAcrossKindsGetDistinctIDs() throws {
        let (_, out) = try run(Catalog.duplicateNames)
        #expect(out.eps[.workload(namespace: "default", name: "a")]?.tiers == [ti("default", in: [
            pid("default/knp.default.p"), pid("default.p"), pid("default/default.p"), pid("default/staged:default.p"), pid("staged:default.p"),
        ])])
        #expect(out.eps[.workload(namespace: "other", name: "b")]?.tiers == [ti("default", in: [
            pid("default.p"), pid("other/default.p"), pid("staged:default.p"),
        ])])
        #expect(out.pols.count == 6)
    }

    // MARK: IP-set sharing and lifecycles

    @Test func identicalSelectorsShareOneIPSet() throws {
        let (g, out) = try run(Catalog.sharing)
        let lb = sid(#"role == "lb""#)
        #expect(out.sets == [lb: ["10.244.1.1/32"]])
        #expect(out.filter { if case .ipSetUpdate = $0 { return true } else { return false } }.count == 1)
        #expect(out.rules(pid("default.p1")) == ["in: allow src=\(lb)", "out: "])
        #expect(out.rules(pid("default.p2")) == ["in: deny src=\(lb)", "out: allow dst=\(lb)"])
        g.apply(.delete(CalcKey(GlobalNetworkPolicy.self, name: "p1")))
        #expect(tags(g.flush()) == ["ep wep:default/a", "pol- default/default.p1"], "the set is still used by p2")
        g.apply(.delete(CalcKey(GlobalNetworkPolicy.self, name: "p2")))
        #expect(tags(g.flush()) == ["ep wep:default/a", "pol- default/default.p2", "set- \(lb)"])
    }

    @Test func newIPSetsComeBeforeDeltas() throws {
        let (g, _) = try run(Catalog.sharing)
        let lb = sid(#"role == "lb""#)
        try put(g, pod("lb2", node: "node2", ip: "10.244.1.2", labels: "role: lb"))
        for i in 0..<8 {
            try put(g, gnp("q\(i)", "{selector: all(), ingress: [{action: Allow, source: {selector: k == 'v\(i)'}}]}"))
        }
        let t = tags(g.flush())
        let firstDelta = try #require(t.firstIndex(of: "delta \(lb) +10.244.1.2/32 -"))
        #expect(t[..<firstDelta].count == 8 && t[..<firstDelta].allSatisfy { $0.hasPrefix("set s:") })
        #expect(t[(firstDelta + 1)...].allSatisfy { !$0.hasPrefix("set ") })
        #expect(t.last == "ep wep:default/a")
    }

    @Test func policyGoesInactiveWithItsLastLocalEndpoint() throws {
        let (g, out) = try run(Catalog.lifecycle)
        let client = sid(#"app == "client""#)
        #expect(tags(out) == ["set \(client) 10.244.1.1/32", "pol default/default.web", "prof kns.default", "ep wep:default/a", "ep wep:default/b", "inSync"])
        g.apply(.delete(CalcKey(WorkloadEndpoint.self, namespace: "default", name: "a")))
        #expect(tags(g.flush()) == ["ep- wep:default/a"])
        g.apply(.delete(CalcKey(WorkloadEndpoint.self, namespace: "default", name: "b")))
        #expect(tags(g.flush()) == ["ep- wep:default/b", "prof- kns.default", "pol- default/default.web", "set- \(client)"])
    }

    @Test func remoteEndpointRemovalIsOnlyADelta() throws {
        let (g, _) = try run(Catalog.lifecycle)
        g.apply(.delete(CalcKey(WorkloadEndpoint.self, namespace: "default", name: "r")))
        #expect(g.flush() == [.ipSetDelta(id: sid(#"app == "client""#), added: [], removed: ["10.244.1.1/32"])])
    }

    @Test func endpointMovingToAnotherNodeStaysInIPSets() throws {
        let (g, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1", labels: "app: web"), pod("b", ip: "10.244.0.2", labels: "app: db"),
                                   gnp("web", "{selector: app == 'web', ingress: [{action: Allow}]}"),
                                   gnp("db", "{selector: app == 'db', ingress: [{action: Allow, source: {selector: app == 'web'}}]}")))
        let web = sid(#"app == "web""#)
        #expect(out.sets == [web: ["10.244.0.1/32"]])
        try put(g, pod("a", node: "node2", ip: "10.244.0.1", labels: "app: web"))
        #expect(tags(g.flush()) == ["ep- wep:default/a", "pol- default/default.web"])
    }

    @Test func labelChangeDeactivatesAPolicy() throws {
        let (g, _) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1", labels: "app: web"),
                                 gnp("web", "{selector: app == 'web', ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]}")))
        try put(g, pod("a", ip: "10.244.0.1", labels: "app: other"))
        let out = g.flush()
        #expect(tags(out) == ["ep wep:default/a", "pol- default/default.web"])
        #expect(out.eps.first?.value == podUpdate("a", ip: "10.244.0.1"))
    }

    @Test func assumeNeededOnEveryNodeIsActiveWithoutEndpoints() throws {
        let (_, out) = try run(doc(gnp("p", "{selector: app == 'none', performanceHints: [AssumeNeededOnEveryNode], ingress: [{action: Allow, source: {selector: app == 'x'}}]}")))
        let x = sid(#"app == "x""#)
        #expect(tags(out) == ["set \(x) ", "pol default/default.p", "inSync"])
    }

    // MARK: Skipped input

    @Test func missingTierSkipsUntilTheTierAppears() throws {
        let (g, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1"),
                                   gnp("ghost.p", "{tier: ghost, selector: all(), ingress: [{action: Deny}]}"), gnp("p", allowIn)))
        #expect(Set(out.pols.keys) == [pid("default.p")])
        #expect(g.skipped == ["GlobalNetworkPolicy//ghost.p": "policy ghost.p skipped: tier ghost does not exist"])
        try put(g, tier("ghost", order: 5))
        #expect(tags(g.flush()) == ["pol ghost/ghost.p", "ep wep:default/a"])
        #expect(g.skipped.isEmpty)
    }

    /// Regression (fail open): a policy whose rule selector does not parse was dropped and
    /// the endpoint fell through to its profile (allow). Now it stands in with no rules:
    /// what it selects is dropped at the end of its tier, and it is held (not ready).
    @Test func badRuleSelectorFailsClosedUntilFixed() throws {
        let (g, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1"), """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: bad, namespace: default}
            spec:
              selector: all()
              ingress:
              - action: Allow
                source:
                  selector: "app === 'x'"
            """))
        let standIn = try #require(out.pols[pid("default/default.bad")])
        #expect(standIn.inbound.isEmpty && standIn.outbound.isEmpty)
        #expect(out.eps.first?.value.tiers == [ti("default", in: [pid("default/default.bad")])])
        #expect(g.heldPolicies.count == 1 && g.heldPolicies.values.allSatisfy { $0.contains("spec.ingress[0].source.selector") })
        try put(g, np("bad", allowIn))
        #expect(tags(g.flush()) == ["pol default/default/default.bad"])
        #expect(g.heldPolicies.isEmpty && g.skipped.isEmpty)
    }

    /// A namespaceSelector that does not parse is taken at its widest: the stand-in selects
    /// every endpoint (and drops their traffic at the end of the tier).
    @Test func badNamespaceSelectorFailsClosed() throws {
        let (g, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1"), """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: bad}
            spec:
              selector: all()
              namespaceSelector: "team =="
              ingress: [{action: Allow}]
            """))
        #expect(out.pols[pid("default.bad")]?.inbound == [])
        #expect(out.eps.first?.value.tiers == [ti("default", in: [pid("default.bad")])])
        #expect(g.heldPolicies.values.contains { $0.hasPrefix("GlobalNetworkPolicy bad: spec.namespaceSelector") })
    }

    // MARK: Incremental changes

    @Test func tierDefaultActionChangeResendsOnlyTheEndpoint() throws {
        let (g, _) = try run(Catalog.tiers)
        try put(g, tier("t-a", order: 50, action: "Pass"))
        let out = g.flush()
        #expect(tags(out) == ["ep wep:default/a"])
        #expect(out.eps.first?.value.tiers.prefix(2).map(\.defaultAction) == ["Pass", "Pass"])
        try put(g, tier("t-a", order: 60, action: "Pass"))
        #expect(g.flush().eps.first?.value.tiers.map(\.name) == ["t-b", "t-a", "default", "late"])
    }

    @Test func ruleChangeResendsOnlyThePolicyAndSwapsSets() throws {
        let (g, _) = try run(Catalog.lifecycle)
        try put(g, gnp("web", "{selector: app == 'web', ingress: [{action: Allow, source: {selector: app == 'x'}}]}"))
        let out = g.flush()
        #expect(tags(out) == ["set \(sid(#"app == "x""#)) ", "pol default/default.web", "set- \(sid(#"app == "client""#))"])
        #expect(out.rules(pid("default.web")) == ["in: allow src=\(sid(#"app == "x""#))", "out: "])
    }

    @Test func selectorChangeMovesAPolicyBetweenEndpoints() throws {
        let (g, _) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1", labels: "app: web"), pod("b", ip: "10.244.0.2", labels: "app: db"),
                                 gnp("p", "{selector: app == 'web', ingress: [{action: Allow}]}")))
        try put(g, gnp("p", "{selector: app == 'db', ingress: [{action: Allow}]}"))
        let out = g.flush()
        #expect(tags(out) == ["pol default/default.p", "ep wep:default/a", "ep wep:default/b"])
        #expect(out.eps == [
            .workload(namespace: "default", name: "a"): podUpdate("a", ip: "10.244.0.1"),
            .workload(namespace: "default", name: "b"): podUpdate("b", ip: "10.244.0.2", tiers: [ti("default", in: [pid("default.p")])]),
        ])
        #expect(out.pols[pid("default.p")]?.originalSelector == "app == 'db'")
    }

    @Test func deleteAndReAddWithinOneFlushIsSilent() throws {
        let (g, _) = try run(Catalog.lifecycle)
        g.apply(.delete(CalcKey(WorkloadEndpoint.self, namespace: "default", name: "a")))
        g.apply(.delete(CalcKey(WorkloadEndpoint.self, namespace: "default", name: "r")))
        g.apply(.delete(CalcKey(GlobalNetworkPolicy.self, name: "web")))
        try put(g, Catalog.lifecycle)
        #expect(g.flush().isEmpty)
        g.apply(.delete(CalcKey(GlobalNetworkPolicy.self, name: "does-not-exist")))
        g.apply(.delete(CalcKey(WorkloadEndpoint.self, namespace: "nowhere", name: "x")))
        #expect(g.flush().isEmpty)
    }

    @Test func networkSetLabelChangeIsADelta() throws {
        let (g, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1"), gns("g", labels: "feed: good", nets: "192.0.2.0/24"),
                                   gnp("p", "{selector: all(), egress: [{action: Deny, destination: {selector: feed == 'bad'}}]}")))
        let id = sid(#"feed == "bad""#)
        #expect(out.sets == [id: []])
        try put(g, gns("g", labels: "feed: bad", nets: "192.0.2.0/24"))
        #expect(g.flush() == [.ipSetDelta(id: id, added: ["192.0.2.0/24"], removed: [])])
        try put(g, gns("g", labels: "feed: bad", nets: "192.0.2.0/25, 203.0.113.9"))
        #expect(g.flush() == [.ipSetDelta(id: id, added: ["192.0.2.0/25", "203.0.113.9/32"], removed: ["192.0.2.0/24"])])
    }

    @Test func kubernetesPortsNamedRangesAndProtocols() throws {
        let (_, out) = try run(Catalog.kubernetesPorts)
        let http = nid("all()", "tcp", "http")
        let k = pid("default/knp.default.ports"), staged = pid("default/staged:knp.default.ports")
        #expect(out.rules(k) == ["in: allow tcp dstPorts=8000:8080 dstNP=\(http); allow udp dstPorts=53", "out: "])
        #expect(out.sets == [http: ["10.244.0.1,tcp:8080", "fd00::1,tcp:8080"]])
        #expect(out.eps[.workload(namespace: "default", name: "a")]?.tiers == [ti("default", in: [k], out: [staged])])
        #expect(out.pols[staged]?.staged == true && out.rules(staged) == ["in: ", "out: "])
    }

    @Test func namespacedPoliciesNeverSelectHostEndpoints() throws {
        let (_, out) = try run(Catalog.hostAndNamespaced)
        #expect(out.eps[.host(name: "n1-eth0")]?.tiers == [ti("default", out: [pid("default.all")])])
        #expect(out.eps[.workload(namespace: "default", name: "a")]?.tiers == [ti("default", in: [pid("default/default.all-in-ns")], out: [pid("default.all")])])
        #expect(out.pols[pid("default/default.all-in-ns")]?.originalSelector == "all()")
    }

    @Test func endpointProfileOrderIsKept() throws {
        let (_, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1", profiles: "[zz-extra, kns.default]")))
        #expect(out.eps == [.workload(namespace: "default", name: "a"): podUpdate("a", ip: "10.244.0.1", profiles: ["zz-extra", "kns.default"])])
        #expect(out.profs == ["kns.default": allowAll, "zz-extra": denyAll])
        #expect(tags(out) == ["prof kns.default", "prof zz-extra", "ep wep:default/a", "inSync"])
    }

    @Test func remoteEndpointsAndHostsFillSetsOnly() throws {
        let (_, out) = try run(doc(nsProf("default"), pod("a", ip: "10.244.0.1", labels: "app: web"),
                                   pod("r", node: "node2", ip: "10.244.1.1", labels: "app: web"),
                                   hep("n2-eth0", node: "node2", ips: "198.51.100.2", labels: "app: web"),
                                   gnp("p", "{selector: app == 'web', ingress: [{action: Allow, source: {selector: app == 'web'}}]}")))
        #expect(Set(out.eps.keys) == [.workload(namespace: "default", name: "a")])
        #expect(out.sets == [sid(#"app == "web""#): ["10.244.0.1/32", "10.244.1.1/32", "198.51.100.2/32"]])
    }
}
