import CalicoLab
import Testing

/// One step of a scenario: manifests applied (and deleted) and the matrix that must then hold.
struct Phase: Sendable {
    var apply: [String] = []
    var delete: [String] = []
    var expect: Reachability
    /// Extra cells (source, target, probe builder, expected) beyond the standard matrix.
    var extra: @Sendable (SharedLab) -> [(String, String, Probe, Bool)] = { _ in [] }
}

/// A policy scenario: phases in order; everything applied is deleted afterwards.
struct Scenario: Sendable, CustomTestStringConvertible {
    var name: String
    var phases: [Phase]
    var testDescription: String { name }

    init(_ name: String, _ manifests: String..., expect: @escaping Reachability, extra: @escaping @Sendable (SharedLab) -> [(String, String, Probe, Bool)] = { _ in [] }) {
        self.name = name
        phases = [Phase(apply: manifests, expect: expect, extra: extra)]
    }

    init(_ name: String, phases: [Phase]) {
        self.name = name
        self.phases = phases
    }
}

/// Helpers for matrices.
enum M {
    static let pods: Set<String> = ["web", "db", "client", "other"]
    /// Only `dst`'s ingress is restricted: `allow` decides for sources other than the node
    /// (the host always reaches its local workloads, as upstream).
    static func ingress(_ dst: String, _ allow: @escaping @Sendable (String, ProbeKind) -> Bool) -> Reachability {
        { s, d, p in d != dst || s == "node" || allow(s, p) }
    }
    /// Only `src`'s egress is restricted.
    static func egress(_ src: String, _ allow: @escaping @Sendable (String, ProbeKind) -> Bool) -> Reachability {
        { s, d, p in s != src || allow(d, p) }
    }
    static func ssh(_ lab: SharedLab, _ open: Bool) -> [(String, String, Probe, Bool)] {
        [("ext", "node", .tcp(lab.lab.nodeIP, 22), open)]
    }
}

func gnp(_ name: String, _ body: String, tier: String? = nil) -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: \(name)}
    spec:
    \(tier.map { "  tier: \($0)\n" } ?? "")\(body)
    """
}

func np(_ name: String, _ ns: String, _ body: String) -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: \(name), namespace: \(ns)}
    spec:
    \(body)
    """
}

let hostEndpoint = """
    apiVersion: projectcalico.org/v3
    kind: HostEndpoint
    metadata: {name: node1-eth0, labels: {role: node-eth0}}
    spec: {node: node1, interfaceName: eth0, expectedIPs: [198.51.100.1], profiles: [projectcalico-default-allow]}
    """

let dbIngress = "  selector: app == 'db'\n  types: [Ingress]\n  ingress:\n"

/// The catalogue: each scenario's manifests and the reachability they must produce between
/// the four pods, the node and the outside host, over TCP 8080, TCP 9090, UDP 5353 and ICMP.
let policyCatalogue: [Scenario] = [
    Scenario("no policy: the namespace profile allows everything", expect: SharedLab.everything),
    Scenario("default deny: a policy with no rules selecting db", np("deny-all", "prod", "  selector: app == 'db'\n  types: [Ingress]"),
             expect: M.ingress("db") { _, _ in false }),
    Scenario("egress default deny for client", gnp("client-egress", "  selector: app == 'client'\n  types: [Egress]"),
             expect: M.egress("client") { _, _ in false }),
    Scenario("ingress allowed from a selector only", gnp("db-from-web", dbIngress + "  - action: Allow\n    source: {selector: app == 'web'}"),
             expect: M.ingress("db") { s, _ in s == "web" }),
    Scenario("egress allowed to a selector only", gnp("client-to-db", "  selector: app == 'client'\n  types: [Egress]\n  egress:\n  - action: Allow\n    destination: {selector: app == 'db'}"),
             expect: M.egress("client") { d, _ in d == "db" }),
    Scenario("destination port", gnp("db-8080", dbIngress + "  - action: Allow\n    protocol: TCP\n    destination: {ports: [8080]}"),
             expect: M.ingress("db") { _, p in p == .tcp8080 }),
    Scenario("destination port range", gnp("db-range", dbIngress + "  - action: Allow\n    protocol: TCP\n    destination: {ports: ['9000:9100']}"),
             expect: M.ingress("db") { _, p in p == .tcp9090 }),
    Scenario("named port", gnp("db-named", dbIngress + "  - action: Allow\n    protocol: TCP\n    destination: {ports: [http]}"),
             expect: M.ingress("db") { _, p in p == .tcp8080 }),
    Scenario("protocol UDP", gnp("db-udp", dbIngress + "  - action: Allow\n    protocol: UDP"),
             expect: M.ingress("db") { _, p in p == .udp5353 }),
    Scenario("notProtocol TCP", gnp("db-not-tcp", dbIngress + "  - action: Allow\n    notProtocol: TCP"),
             expect: M.ingress("db") { _, p in p == .udp5353 || p == .icmp }),
    Scenario("ICMP type 8 (echo request)", gnp("db-ping", dbIngress + "  - action: Allow\n    protocol: ICMP\n    icmp: {type: 8}"),
             expect: M.ingress("db") { _, p in p == .icmp }),
    Scenario("ICMP type and code that pings do not carry", gnp("db-icmp-code", dbIngress + "  - action: Allow\n    protocol: ICMP\n    icmp: {type: 8, code: 5}"),
             expect: M.ingress("db") { _, _ in false }),
    Scenario("notICMP type 8", gnp("db-not-ping", dbIngress + "  - action: Allow\n    protocol: ICMP\n    notICMP: {type: 8}"),
             expect: M.ingress("db") { _, _ in false }),
    Scenario("source nets", gnp("db-nets", dbIngress + "  - action: Allow\n    source: {nets: ['{{web}}/32']}"),
             expect: M.ingress("db") { s, _ in s == "web" }),
    Scenario("source notNets", gnp("db-not-nets", dbIngress + "  - action: Allow\n    source: {notNets: ['{{web}}/32']}"),
             expect: M.ingress("db") { s, _ in s != "web" }),
    Scenario("egress to destination nets (the outside)", gnp("client-out", "  selector: app == 'client'\n  types: [Egress]\n  egress:\n  - action: Allow\n    destination: {nets: [203.0.113.0/24]}"),
             expect: M.egress("client") { d, _ in d == "ext" }),
    Scenario("source notSelector", gnp("db-not-web", dbIngress + "  - action: Allow\n    source: {notSelector: app == 'web'}"),
             expect: M.ingress("db") { s, _ in s != "web" }),
    Scenario("selector set expression", gnp("db-in", dbIngress + "  - action: Allow\n    source: {selector: \"app in {'web', 'client'}\"}"),
             expect: M.ingress("db") { s, _ in s == "web" || s == "client" }),
    Scenario("namespaceSelector", gnp("db-from-demo", dbIngress + "  - action: Allow\n    source: {namespaceSelector: team == 'demo'}"),
             expect: M.ingress("db") { s, _ in s == "web" || s == "client" }),
    Scenario("a namespaced policy's selectors stay in its namespace", np("db-same-ns", "prod", dbIngress + "  - action: Allow\n    source: {selector: all()}"),
             expect: M.ingress("db") { s, _ in s == "other" }),
    Scenario("serviceAccounts by name", gnp("db-sa-name", dbIngress + "  - action: Allow\n    source: {serviceAccounts: {names: [web-sa]}}"),
             expect: M.ingress("db") { s, _ in s == "web" }),
    Scenario("serviceAccounts by selector", gnp("db-sa-sel", dbIngress + "  - action: Allow\n    source: {serviceAccounts: {selector: tier == 'front'}}"),
             expect: M.ingress("db") { s, _ in s == "web" || s == "client" }),
    Scenario("serviceAccountSelector picks the endpoints a policy applies to",
             gnp("back-deny", "  serviceAccountSelector: tier == 'back'\n  types: [Ingress]"),
             expect: M.ingress("db") { _, _ in false }),
    Scenario("NetworkSet (namespaced) as a source",
             "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: trusted, namespace: prod, labels: {role: trusted}}\nspec: {nets: ['{{client}}/32']}",
             np("db-trusted", "prod", dbIngress + "  - action: Allow\n    source: {selector: role == 'trusted'}"),
             expect: M.ingress("db") { s, _ in s == "client" }),
    Scenario("GlobalNetworkSet as a source",
             "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: outside, labels: {zone: outside}}\nspec: {nets: [203.0.113.0/24]}",
             gnp("db-outside", dbIngress + "  - action: Allow\n    source: {selector: zone == 'outside'}"),
             expect: M.ingress("db") { s, _ in s == "ext" }),
    Scenario("namespaceSelector global() matches only non-namespaced sets",
             "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: outside, labels: {zone: outside}}\nspec: {nets: [203.0.113.0/24]}",
             gnp("db-global", dbIngress + "  - action: Allow\n    source: {selector: all(), namespaceSelector: global()}"),
             expect: M.ingress("db") { s, _ in s == "ext" }),
    Scenario("tiers: Pass hands over to the next tier",
             "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}",
             gnp("security.pass-web", dbIngress + "  - action: Pass\n    source: {selector: app == 'web'}\n  - action: Deny", tier: "security"),
             gnp("allow-db", dbIngress + "  - action: Allow"),
             expect: M.ingress("db") { s, _ in s == "web" }),
    Scenario("tiers: end of tier drops what no policy allowed",
             "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}",
             gnp("security.only-client", dbIngress + "  - action: Allow\n    source: {selector: app == 'client'}", tier: "security"),
             gnp("allow-db", dbIngress + "  - action: Allow"),
             expect: M.ingress("db") { s, _ in s == "client" }),
    Scenario("tiers: defaultAction Pass lets the next tier decide",
             "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: relaxed}\nspec: {order: 100, defaultAction: Pass}",
             gnp("relaxed.web", dbIngress + "  - action: Allow\n    source: {selector: app == 'web'}", tier: "relaxed"),
             gnp("db-no-client", dbIngress + "  - action: Deny\n    source: {selector: app == 'client'}\n  - action: Allow"),
             expect: M.ingress("db") { s, _ in s != "client" }),
    Scenario("order: the lower order wins",
             gnp("deny-web", "  order: 20\n" + dbIngress + "  - action: Deny\n    source: {selector: app == 'web'}"),
             gnp("allow-web", "  order: 10\n" + dbIngress + "  - action: Allow\n    source: {selector: app == 'web'}"),
             gnp("deny-rest", "  order: 30\n" + dbIngress + "  - action: Deny"),
             expect: M.ingress("db") { s, _ in s == "web" }),
    Scenario("order ties are broken by name",
             gnp("a-deny-web", "  order: 10\n" + dbIngress + "  - action: Deny\n    source: {selector: app == 'web'}"),
             gnp("b-allow-all", "  order: 10\n" + dbIngress + "  - action: Allow"),
             expect: M.ingress("db") { s, _ in s != "web" }),
    Scenario("Kubernetes NetworkPolicy podSelector",
             "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-from-other, namespace: prod}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: other}}",
             expect: M.ingress("db") { s, _ in s == "other" }),
    Scenario("Kubernetes NetworkPolicy ipBlock with except",
             "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-ipblock, namespace: prod}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.244.0.0/16, except: ['{{web}}/32']}",
             expect: M.ingress("db") { s, _ in s == "client" || s == "other" }),
    Scenario("Kubernetes NetworkPolicy namespaceSelector and port",
             "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-from-demo, namespace: prod}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: demo}}\n    ports:\n    - {protocol: TCP, port: 9090}",
             expect: M.ingress("db") { s, p in (s == "web" || s == "client") && p == .tcp9090 }),
    Scenario("staged policies have no effect",
             "apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: staged-deny}\nspec:\n  selector: app == 'db'\n  ingress:\n  - action: Deny",
             "apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: staged-deny, namespace: demo}\nspec:\n  selector: all()\n  types: [Ingress, Egress]",
             expect: SharedLab.everything),
    Scenario("Log action then allow", gnp("db-log", dbIngress + "  - action: Log\n  - action: Allow\n    source: {selector: app == 'web'}"),
             expect: M.ingress("db") { s, _ in s == "web" }),
    Scenario("egress deny to the outside for every pod, allow the rest",
             gnp("no-outside", "  selector: has(app)\n  types: [Egress]\n  egress:\n  - action: Deny\n    destination: {nets: [203.0.113.0/24]}\n  - action: Allow"),
             expect: { s, d, _ in !(M.pods.contains(s) && d == "ext") }),
    Scenario("a policy update takes effect", phases: [
        Phase(apply: [gnp("db-policy", dbIngress + "  - action: Allow\n    source: {selector: app == 'web'}")], expect: M.ingress("db") { s, _ in s == "web" }),
        Phase(apply: [gnp("db-policy", dbIngress + "  - action: Allow\n    source: {selector: app == 'client'}")], expect: M.ingress("db") { s, _ in s == "client" }),
    ]),
    Scenario("a policy delete restores access", phases: [
        Phase(apply: [gnp("db-deny", dbIngress + "  - action: Deny")], expect: M.ingress("db") { _, _ in false }),
        Phase(delete: [gnp("db-deny", dbIngress + "  - action: Deny")], expect: SharedLab.everything),
    ]),
    Scenario("host endpoint without policy or profile: only failsafe ports reach the host",
             hostEndpoint.replacingOccurrences(of: ", profiles: [projectcalico-default-allow]", with: ""),
             expect: { s, d, _ in !(s == "ext" && d == "node") && !(s == "node" && d == "ext") },
             extra: { M.ssh($0, true) }),
    Scenario("host endpoint with a normal policy; failsafe SSH stays open", hostEndpoint,
             gnp("host-8080", "  selector: role == 'node-eth0'\n  types: [Ingress]\n  ingress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: [8080]}"),
             expect: { s, d, p in !(s == "ext" && d == "node") || p == .tcp8080 },
             extra: { M.ssh($0, true) }),
    Scenario("host endpoint preDNAT policy blocks the outside before routing; failsafe SSH stays open", hostEndpoint,
             gnp("host-predant", "  selector: role == 'node-eth0'\n  preDNAT: true\n  applyOnForward: true\n  types: [Ingress]\n  ingress:\n  - action: Deny\n    source: {nets: [203.0.113.0/24]}"),
             expect: { s, _, _ in s != "ext" },
             extra: { M.ssh($0, true) }),
    // Untracked policy works before conntrack: the replies of connections to the outside are
    // dropped too (upstream needs a symmetric untracked policy for them).
    Scenario("host endpoint doNotTrack policy drops the outside before conntrack, replies included; failsafe SSH stays open", hostEndpoint,
             gnp("host-untracked", "  selector: role == 'node-eth0'\n  doNotTrack: true\n  applyOnForward: true\n  types: [Ingress]\n  ingress:\n  - action: Deny\n    source: {nets: [203.0.113.0/24]}"),
             expect: { s, d, _ in s != "ext" && d != "ext" },
             extra: { M.ssh($0, true) }),
    Scenario("host endpoint applyOnForward policy polices forwarded traffic", hostEndpoint,
             gnp("host-forward", "  selector: role == 'node-eth0'\n  applyOnForward: true\n  types: [Ingress]\n  ingress:\n  - action: Deny\n    source: {nets: [203.0.113.0/24]}\n    destination: {nets: [10.244.0.0/16]}\n  - action: Allow"),
             expect: { s, d, _ in !(s == "ext" && M.pods.contains(d)) }),
]
