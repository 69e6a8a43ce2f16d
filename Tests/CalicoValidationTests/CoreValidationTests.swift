import Testing
import CalicoAPI
@testable import CalicoValidation

// Cases derived from api-and-validation.md §1–§9, §13 and §15 (rows 1–58), not from the
// implementation. Validation is the offline `calicoctl validate` pipeline: strict decode,
// then field + struct validators, no defaulting and no datastore (tier existence, pool
// overlap and tier-prefixed names are client-only checks).

/// What a document must produce.
enum Expected: Sendable {
    /// Decodes and validates without errors.
    case valid
    /// Fails — at decode time or in validation — with an error at or under this field path.
    case invalid(String)
    /// Fails at decode time (unknown field, wrong type, unparsable number-or-string) at or under this path.
    case decodeError(String)
    /// Refused somewhere (YAML syntax, decode or validation).
    case rejected
}

struct ValidationCase: Sendable, CustomTestStringConvertible {
    let label: String
    let yaml: String
    let expected: Expected
    var testDescription: String { label }
}

/// What reading + validating a document produced.
enum Outcome: CustomStringConvertible {
    case syntax(String)
    case decode(path: String, reason: String)
    case checked([FieldError])

    var description: String {
        switch self {
        case .syntax(let m): return "syntax error: \(m)"
        case let .decode(path, reason): return "decode failure at '\(path)': \(reason)"
        case .checked(let errors): return errors.isEmpty ? "valid" : "validation errors: \(errors.map(\.description))"
        }
    }

    init(_ yaml: String) {
        let items: [ReadResource]
        do {
            items = try ResourceReader.read(yaml, source: "t.yaml")
        } catch {
            self = .syntax("\(error)")
            return
        }
        guard items.count == 1 else {
            self = .syntax("expected exactly one resource, read \(items.count)")
            return
        }
        switch items[0].result {
        case .success(let resource): self = .checked(Validator.validate(resource))
        case .failure(let failure): self = .decode(path: failure.error.path, reason: "\(failure)")
        }
    }
}

/// `field` is `path` or lies beneath it.
private func under(_ field: String, _ path: String) -> Bool {
    path.isEmpty || field == path || field.hasPrefix(path + ".") || field.hasPrefix(path + "[")
}

private func check(_ c: ValidationCase) {
    let outcome = Outcome(c.yaml)
    switch (c.expected, outcome) {
    case (.valid, .checked(let errors)):
        #expect(errors.isEmpty, "expected valid, got \(outcome)\n\(c.yaml)")
    case (.valid, _):
        Issue.record("expected valid, got \(outcome)\n\(c.yaml)")
    case (.invalid(let path), .checked(let errors)):
        #expect(errors.contains { under($0.field, path) }, "expected an error at '\(path)', got \(outcome)\n\(c.yaml)")
        #expect(errors.allSatisfy { !$0.reason.isEmpty })
    case (.invalid(let path), .decode(let at, _)), (.decodeError(let path), .decode(let at, _)):
        #expect(under(at, path), "expected a failure at '\(path)', got \(outcome)\n\(c.yaml)")
    case (.invalid(let path), .syntax), (.decodeError(let path), _):
        Issue.record("expected a decode failure at '\(path)', got \(outcome)\n\(c.yaml)")
    case (.rejected, .checked(let errors)):
        #expect(!errors.isEmpty, "expected rejection, got \(outcome)\n\(c.yaml)")
    case (.rejected, _):
        break
    }
}

// MARK: - Document builders

private func q(_ s: String) -> String { "\"\(s)\"" }

/// One resource document; `spec` and metadata parts are YAML flow text.
private func doc(_ kind: String, _ name: String?, ns: String? = nil, labels: String? = nil, annotations: String? = nil,
                 spec: String? = "{}", apiVersion: String = "projectcalico.org/v3") -> String {
    var meta: [String] = []
    if let name { meta.append("name: \(q(name))") }
    if let ns { meta.append("namespace: \(q(ns))") }
    if let labels { meta.append("labels: \(labels)") }
    if let annotations { meta.append("annotations: \(annotations)") }
    var out = "apiVersion: \(apiVersion)\nkind: \(kind)\nmetadata: {\(meta.joined(separator: ", "))}\n"
    if let spec { out += "spec: \(spec)\n" }
    return out
}

private func np(_ spec: String, name: String = "p1", ns: String? = nil) -> String { doc("NetworkPolicy", name, ns: ns, spec: spec) }
private func gnp(_ spec: String, name: String = "p1") -> String { doc("GlobalNetworkPolicy", name, spec: spec) }
private func snp(_ spec: String, name: String = "p1") -> String { doc("StagedNetworkPolicy", name, ns: "ns1", spec: spec) }
private func sgnp(_ spec: String, name: String = "p1") -> String { doc("StagedGlobalNetworkPolicy", name, spec: spec) }
private func sknp(_ spec: String, name: String = "p1") -> String { doc("StagedKubernetesNetworkPolicy", name, ns: "ns1", spec: spec) }
private func knp(_ spec: String, name: String = "p1") -> String {
    doc("NetworkPolicy", name, ns: "ns1", spec: spec, apiVersion: "networking.k8s.io/v1")
}
/// A NetworkPolicy with one ingress / egress rule.
private func npIn(_ rule: String) -> String { np("{ingress: [\(rule)]}") }
private func npOut(_ rule: String) -> String { np("{egress: [\(rule)]}") }
private func gnpIn(_ rule: String) -> String { gnp("{ingress: [\(rule)]}") }
private func gnpOut(_ rule: String) -> String { gnp("{egress: [\(rule)]}") }
private func gns(_ name: String?, labels: String? = nil, annotations: String? = nil, spec: String = #"{nets: ["10.0.0.0/8"]}"#) -> String {
    doc("GlobalNetworkSet", name, labels: labels, annotations: annotations, spec: spec)
}
private func tier(_ name: String, _ spec: String = "{}") -> String { doc("Tier", name, spec: spec) }
private func hep(_ spec: String, annotations: String? = nil, name: String = "hep1") -> String {
    doc("HostEndpoint", name, annotations: annotations, spec: spec)
}
/// A WorkloadEndpoint with a complete, valid spec plus `extra` fields.
private func wep(_ extra: String = "", annotations: String? = nil) -> String {
    let base = #"node: node1, orchestrator: k8s, pod: pod1, endpoint: eth0, interfaceName: cali0123456789a, ipNetworks: ["10.0.0.1/32"]"#
    return doc("WorkloadEndpoint", "node1-k8s-pod1-eth0", ns: "default", annotations: annotations,
               spec: "{\(base)\(extra.isEmpty ? "" : ", " + extra)}")
}
/// WEP annotations (§13 QoS keys use the `qos.projectcalico.org/` prefix).
private func qos(_ pairs: [(String, String)]) -> String {
    "{" + pairs.map { key, value in
        let k = key.contains("/") ? key : "qos.projectcalico.org/\(key)"
        return "\(q(k)): \(q(value))"
    }.joined(separator: ", ") + "}"
}
private func pool(_ spec: String) -> String { doc("IPPool", "pool1", spec: spec) }
private func profile(_ spec: String) -> String { doc("Profile", "prof1", spec: spec) }

private func ok(_ label: String, _ yaml: String) -> ValidationCase { ValidationCase(label: label, yaml: yaml, expected: .valid) }
private func bad(_ label: String, _ yaml: String, _ path: String) -> ValidationCase {
    ValidationCase(label: label, yaml: yaml, expected: .invalid(path))
}
private func undecodable(_ label: String, _ yaml: String, _ path: String) -> ValidationCase {
    ValidationCase(label: label, yaml: yaml, expected: .decodeError(path))
}
private func rejected(_ label: String, _ yaml: String) -> ValidationCase { ValidationCase(label: label, yaml: yaml, expected: .rejected) }

private let sub253 = [String(repeating: "a", count: 63), String(repeating: "b", count: 63), String(repeating: "c", count: 63),
                      String(repeating: "d", count: 61)].joined(separator: ".")
private let sub254 = sub253 + "d"
private let x253 = String(repeating: "x", count: 253)
private let x254 = String(repeating: "x", count: 254)
private let a63 = String(repeating: "a", count: 63)
private let a64 = String(repeating: "a", count: 64)

@Suite struct CoreValidationTests {
    // MARK: §1.1, §2.1 — names, namespaces, labels, annotations

    static let metadataCases: [ValidationCase] = [
        ok("GNS simple name", gns("my-set")),
        ok("GNS dotted name", gns("my.set.example")),
        ok("GNS 253-char subdomain name", gns(sub253)),
        bad("GNS 254-char name", gns(sub254), "metadata.name"),
        bad("GNS without name", gns(nil), "metadata.name"),
        bad("GNS empty name", gns(""), "metadata.name"),
        bad("GNS upper-case name", gns("Test"), "metadata.name"),
        bad("GNS name test$set", gns("test$set"), "metadata.name"),
        bad("GNS name with leading dash", gns("-abc"), "metadata.name"),
        bad("GNS name with trailing dash", gns("abc-"), "metadata.name"),
        bad("GNS name with empty dot segment", gns("a..b"), "metadata.name"),
        bad("GNS name with underscore", gns("a_b"), "metadata.name"),
        bad("namespace on a cluster-scoped kind", doc("GlobalNetworkSet", "s", ns: "default", spec: "{}"), "metadata.namespace"),
        ok("NetworkSet with namespace", doc("NetworkSet", "s", ns: "ns1", spec: #"{nets: ["10.0.0.0/8"]}"#)),
        ok("NetworkSet without namespace (defaults to default)", doc("NetworkSet", "s", spec: #"{nets: ["10.0.0.0/8"]}"#)),
        bad("NetworkSet with an invalid namespace", doc("NetworkSet", "s", ns: "Bad_NS", spec: "{}"), "metadata.namespace"),
        ok("JSON document", #"{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet", "metadata": {"name": "s", "labels": {"a": "b"}}, "spec": {"nets": ["10.0.0.0/8"]}}"#),
        bad("label key with upper-case prefix", gns("s", labels: #"{"ProjectCalico.org/label": "x"}"#), "metadata.labels"),
        ok("label key with upper-case name part", gns("s", labels: #"{"projectcalico.org/Label": "x"}"#)),
        ok("empty label value", gns("s", labels: #"{app: ""}"#)),
        ok("63-char label value", gns("s", labels: "{app: \(a63)}")),
        bad("64-char label value", gns("s", labels: "{app: \(a64)}"), "metadata.labels"),
        bad("label value with leading dash", gns("s", labels: #"{app: "-bad"}"#), "metadata.labels"),
        bad("label value with a space", gns("s", labels: #"{app: "has space"}"#), "metadata.labels"),
        bad("label value with a slash", gns("s", labels: #"{app: "a/b"}"#), "metadata.labels"),
        ok("label value with . _ -", gns("s", labels: #"{app: "A.b_c-D"}"#)),
        ok("63-char label name part", gns("s", labels: "{\(a63): x}")),
        bad("64-char label name part", gns("s", labels: "{\(a64): x}"), "metadata.labels"),
        bad("label key with two slashes", gns("s", labels: #"{"a/b/c": x}"#), "metadata.labels"),
        bad("label key with empty prefix", gns("s", labels: #"{"/name": x}"#), "metadata.labels"),
        bad("label key with empty name", gns("s", labels: #"{"example.com/": x}"#), "metadata.labels"),
        bad("label key prefix not a subdomain", gns("s", labels: #"{"ex_ample.com/name": x}"#), "metadata.labels"),
        ok("label key name with _ . -", gns("s", labels: #"{"my_key.with-dots": x}"#)),
        ok("annotation key with upper case (checked lower-cased)", gns("s", annotations: #"{"Example.COM/Some-Key": "v"}"#)),
        bad("annotation key with a space", gns("s", annotations: #"{"bad key": "v"}"#), "metadata.annotations"),
        ok("annotation value is free text", gns("s", annotations: #"{note: "hello, world! {} # 'x'"}"#)),
        ok("annotations total exactly 262144 bytes", gns("s", annotations: "{key: \(String(repeating: "x", count: 262_141))}")),
        bad("annotations total 262145 bytes", gns("s", annotations: "{key: \(String(repeating: "x", count: 262_142))}"),
            "metadata.annotations"),
        ok("annotations summed over keys, 262144 bytes", gns("s", annotations:
            "{a: \(String(repeating: "x", count: 131_071)), b: \(String(repeating: "y", count: 131_071))}")),
        bad("annotations summed over keys, 262146 bytes", gns("s", annotations:
            "{a: \(String(repeating: "x", count: 131_072)), b: \(String(repeating: "y", count: 131_072))}"), "metadata.annotations"),
    ]

    @Test(arguments: metadataCases) func metadata(_ c: ValidationCase) { check(c) }

    // MARK: §1.1, §4.3 — policy names and tiers

    static let policyNameCases: [ValidationCase] = [
        ok("NP name thing", np("{}", name: "thing")),
        ok("NP name th.ing", np("{}", name: "th.ing")),
        ok("NP name knp.default.thing", np("{}", name: "knp.default.thing")),
        ok("NP name knp.default with subdomain", np("{}", name: "knp.default.a.b.c")),
        ok("NP name ossg.default with subdomain", np("{}", name: "ossg.default.foo.bar")),
        ok("NP name of 253 x", np("{}", name: x253)),
        bad("NP name t.h.i.ng", np("{}", name: "t.h.i.ng"), "metadata.name"),
        bad("NP name tHiNg", np("{}", name: "tHiNg"), "metadata.name"),
        bad("NP name of 254 x", np("{}", name: x254), "metadata.name"),
        bad("NP name knp.default.Bad", np("{}", name: "knp.default.Bad"), "metadata.name"),
        bad("NP name with trailing dot", np("{}", name: "foo."), "metadata.name"),
        bad("NP name with leading dot", np("{}", name: ".foo"), "metadata.name"),
        bad("NP name with underscore", np("{}", name: "th_ing"), "metadata.name"),
        bad("NP without name", doc("NetworkPolicy", nil, spec: "{}"), "metadata.name"),
        ok("GNP name thing", gnp("{}", name: "thing")),
        ok("GNP name th.ing", gnp("{}", name: "th.ing")),
        bad("GNP name knp.default.thing", gnp("{}", name: "knp.default.thing"), "metadata.name"),
        bad("GNP name t.h.i.ng", gnp("{}", name: "t.h.i.ng"), "metadata.name"),
        bad("GNP name t~!s.h.i.ng", gnp("{}", name: "t~!s.h.i.ng"), "metadata.name"),
        bad("GNP name ossg.default.x", gnp("{}", name: "ossg.default.x"), "metadata.name"),
        bad("GNP with a namespace", doc("GlobalNetworkPolicy", "p1", ns: "default", spec: "{}"), "metadata.namespace"),
        ok("SNP name eng.thing", snp("{tier: eng}", name: "eng.thing")),
        bad("SGNP name t.h.i.ng", sgnp("{}", name: "t.h.i.ng"), "metadata.name"),
        ok("SKNP name is a subdomain", sknp("{}", name: "a.b.c")),
        bad("SKNP upper-case name", sknp("{}", name: "Bad"), "metadata.name"),
        // Client-only checks do not apply offline.
        ok("NP th.ing with empty tier (prefix rule is client-only)", np("{}", name: "th.ing")),
        ok("NP eng.foo in tier other (prefix rule is client-only)", np("{tier: other}", name: "eng.foo")),
        ok("NP in a tier that does not exist", np("{tier: nonexistent}")),
        // Tiers
        ok("Tier fo-o", tier("fo-o")),
        ok("Tier with 63-char name", tier(a63)),
        bad("Tier fo.o", tier("fo.o"), "metadata.name"),
        bad("Tier with 64-char name", tier(a64), "metadata.name"),
        bad("Tier upper-case name", tier("Foo"), "metadata.name"),
        bad("Tier default with order 10", tier("default", "{order: 10}"), "spec.order"),
        ok("Tier default with order 1e6", tier("default", "{order: 1000000}")),
        ok("Tier default without order (no defaulting offline)", tier("default")),
        ok("Tier adminnetworkpolicy order 1000", tier("adminnetworkpolicy", "{order: 1000}")),
        bad("Tier adminnetworkpolicy order 999", tier("adminnetworkpolicy", "{order: 999}"), "spec.order"),
        bad("Tier adminnetworkpolicy order 1e6", tier("adminnetworkpolicy", "{order: 1000000}"), "spec.order"),
        ok("Tier baselineadminnetworkpolicy order 1e7", tier("baselineadminnetworkpolicy", "{order: 10000000}")),
        bad("Tier baselineadminnetworkpolicy order 1000", tier("baselineadminnetworkpolicy", "{order: 1000}"), "spec.order"),
        ok("Tier eng order 100 Pass", tier("eng", "{order: 100, defaultAction: Pass}")),
        ok("Tier eng defaultAction Deny", tier("eng", "{defaultAction: Deny}")),
        bad("Tier defaultAction Allow", tier("eng", "{defaultAction: Allow}"), "spec.defaultAction"),
        undecodable("Tier unknown spec field", tier("eng", "{foo: 1}"), "spec.foo"),
        undecodable("Tier order not a number", tier("eng", "{order: abc}"), "spec.order"),
        bad("Tier with a namespace", doc("Tier", "eng", ns: "default", spec: "{}"), "metadata.namespace"),
    ]

    @Test(arguments: policyNameCases) func policyNames(_ c: ValidationCase) { check(c) }

    // MARK: §3, §5 — rules: action, protocol, ports, ICMP, ipVersion

    static let ruleCases: [ValidationCase] = [
        ok("rule Allow", npIn("{action: Allow}")),
        ok("rule Deny", npIn("{action: Deny}")),
        ok("rule Log", npIn("{action: Log}")),
        ok("rule Pass", npIn("{action: Pass}")),
        bad("rule without action", npIn("{}"), "spec.ingress[0].action"),
        bad("rule without action (protocol only)", npIn("{protocol: TCP}"), "spec.ingress[0].action"),
        bad("rule action allowfoo", npIn("{action: allowfoo}"), "spec.ingress[0].action"),
        bad("rule action allow (case)", npIn("{action: allow}"), "spec.ingress[0].action"),
        bad("second rule invalid", np("{ingress: [{action: Allow}, {action: Nope}]}"), "spec.ingress[1].action"),
        ok("protocol UDPLite", npIn("{action: Allow, protocol: UDPLite}")),
        ok("protocol ICMPv6", npIn("{action: Allow, protocol: ICMPv6}")),
        ok("protocol 1", npIn("{action: Allow, protocol: 1}")),
        ok("protocol 255", npIn("{action: Allow, protocol: 255}")),
        ok("protocol \"255\"", npIn(#"{action: Allow, protocol: "255"}"#)),
        ok("protocol SCTP", npIn("{action: Allow, protocol: SCTP}")),
        bad("protocol 0", npIn("{action: Allow, protocol: 0}"), "spec.ingress[0].protocol"),
        bad("protocol \"0\"", npIn(#"{action: Allow, protocol: "0"}"#), "spec.ingress[0].protocol"),
        bad("protocol \"256\"", npIn(#"{action: Allow, protocol: "256"}"#), "spec.ingress[0].protocol"),
        bad("protocol 256", npIn("{action: Allow, protocol: 256}"), "spec.ingress[0].protocol"),
        bad("protocol tcpfoo", npIn("{action: Allow, protocol: tcpfoo}"), "spec.ingress[0].protocol"),
        bad("protocol tcp (lower case)", npIn("{action: Allow, protocol: tcp}"), "spec.ingress[0].protocol"),
        bad("protocol Icmp (case)", npIn("{action: Allow, protocol: Icmp}"), "spec.ingress[0].protocol"),
        ok("notProtocol UDP", npIn("{action: Allow, notProtocol: UDP}")),
        bad("notProtocol 256", npIn("{action: Allow, notProtocol: 256}"), "spec.ingress[0].notProtocol"),
        bad("notProtocol udp", npIn("{action: Allow, notProtocol: udp}"), "spec.ingress[0].notProtocol"),
        // ports need a protocol with ports
        ok("protocol 6 + source ports", npIn("{action: Allow, protocol: 6, source: {ports: [1]}}")),
        ok("protocol \"6\" + destination ports", npIn(#"{action: Allow, protocol: "6", destination: {ports: [80]}}"#)),
        ok("protocol 17 + ports", npIn("{action: Allow, protocol: 17, destination: {ports: [53]}}")),
        ok("protocol 132 + ports", npIn("{action: Allow, protocol: 132, destination: {ports: [9]}}")),
        ok("SCTP + ports", npIn("{action: Allow, protocol: SCTP, destination: {ports: [9]}}")),
        ok("UDP + port range", npIn(#"{action: Allow, protocol: UDP, destination: {ports: ["1000:2000"]}}"#)),
        ok("TCP + named, range and single ports", npIn(#"{action: Allow, protocol: TCP, destination: {ports: [http, "8080:8081", 443]}}"#)),
        ok("TCP + full port range 1:65535", npIn(#"{action: Allow, protocol: TCP, destination: {ports: ["1:65535"]}}"#)),
        ok("TCP + port 65535", npIn("{action: Allow, protocol: TCP, destination: {ports: [65535]}}")),
        ok("TCP + numeric port as string", npIn(#"{action: Allow, protocol: TCP, destination: {ports: ["8080"]}}"#)),
        ok("TCP + source notPorts", npIn("{action: Allow, protocol: TCP, source: {notPorts: [22]}}")),
        bad("destination ports without protocol", npIn("{action: Allow, destination: {ports: [1]}}"), "spec.ingress[0]"),
        bad("source notPorts without protocol", npIn("{action: Allow, source: {notPorts: [1]}}"), "spec.ingress[0]"),
        bad("notProtocol TCP does not allow ports", npIn("{action: Allow, notProtocol: TCP, destination: {ports: [80]}}"),
            "spec.ingress[0]"),
        bad("UDPLite + ports", npIn("{action: Allow, protocol: UDPLite, destination: {ports: [80]}}"), "spec.ingress[0]"),
        bad("ICMP + ports", npIn("{action: Allow, protocol: ICMP, destination: {ports: [80]}}"), "spec.ingress[0]"),
        bad("protocol 1 + ports", npIn("{action: Allow, protocol: 1, destination: {ports: [80]}}"), "spec.ingress[0]"),
        bad("TCP + notPorts [0]", npIn("{action: Allow, protocol: TCP, destination: {notPorts: [0]}}"),
            "spec.ingress[0].destination.notPorts[0]"),
        bad("TCP + ports [0]", npIn("{action: Allow, protocol: TCP, destination: {ports: [0]}}"),
            "spec.ingress[0].destination.ports[0]"),
        bad("TCP + port range starting at 0", npIn(#"{action: Allow, protocol: TCP, source: {ports: ["0:10"]}}"#),
            "spec.ingress[0].source.ports[0]"),
        bad("protocol unknown + named port", npIn("{action: Allow, protocol: unknown, destination: {ports: [http]}}"),
            "spec.ingress[0]"),
        undecodable("port range 5:3", npIn(#"{action: Allow, protocol: TCP, destination: {ports: ["5:3"]}}"#),
                    "spec.ingress[0].destination.ports[0]"),
        undecodable("port 65536", npIn("{action: Allow, protocol: TCP, destination: {ports: [65536]}}"),
                    "spec.ingress[0].destination.ports[0]"),
        undecodable("port range to 65536", npIn(#"{action: Allow, protocol: TCP, destination: {ports: ["1:65536"]}}"#),
                    "spec.ingress[0].destination.ports[0]"),
        undecodable("port range a:b", npIn(#"{action: Allow, protocol: TCP, destination: {ports: ["a:b"]}}"#),
                    "spec.ingress[0].destination.ports[0]"),
        undecodable("port name with a space", npIn(#"{action: Allow, protocol: TCP, destination: {ports: ["with space"]}}"#),
                    "spec.ingress[0].destination.ports[0]"),
        undecodable("port -1", npIn("{action: Allow, protocol: TCP, destination: {ports: [-1]}}"),
                    "spec.ingress[0].destination.ports[0]"),
        undecodable("port range with three parts", npIn(#"{action: Allow, protocol: TCP, source: {ports: ["1:2:3"]}}"#),
                    "spec.ingress[0].source.ports[0]"),
        ok("named port http-alt", npIn("{action: Allow, protocol: TCP, destination: {ports: [http-alt]}}")),
        bad("named port HTTP (upper case)", npIn("{action: Allow, protocol: TCP, destination: {ports: [HTTP]}}"),
            "spec.ingress[0].destination.ports[0]"),
        bad("named port foo_bar", npIn("{action: Allow, protocol: TCP, destination: {ports: [foo_bar]}}"),
            "spec.ingress[0].destination.ports[0]"),
        bad("named port a--b", npIn("{action: Allow, protocol: TCP, destination: {ports: [a--b]}}"),
            "spec.ingress[0].destination.ports[0]"),
        bad("named port -http", npIn(#"{action: Allow, protocol: TCP, destination: {ports: ["-http"]}}"#),
            "spec.ingress[0].destination.ports[0]"),
        bad("named port of 16 chars", npIn("{action: Allow, protocol: TCP, destination: {ports: [abcdefghijklmnop]}}"),
            "spec.ingress[0].destination.ports[0]"),
        // ICMP
        ok("ICMP type 8 code 0", npIn("{action: Allow, protocol: ICMP, icmp: {type: 8, code: 0}}")),
        ok("ICMPv6 type 128", npIn("{action: Allow, protocol: ICMPv6, icmp: {type: 128}}")),
        ok("ICMP type 254 code 255", npIn("{action: Allow, protocol: ICMP, icmp: {type: 254, code: 255}}")),
        bad("ICMP code without type", npIn("{action: Allow, protocol: ICMP, icmp: {code: 0}}"), "spec.ingress[0].icmp"),
        bad("ICMP type 255", npIn("{action: Allow, protocol: ICMP, icmp: {type: 255}}"), "spec.ingress[0].icmp"),
        bad("ICMP type 128 code 256", npIn("{action: Allow, protocol: ICMPv6, icmp: {type: 128, code: 256}}"),
            "spec.ingress[0].icmp"),
        bad("icmp without protocol", npIn("{action: Allow, icmp: {type: 8}}"), "spec.ingress[0]"),
        bad("icmp with numeric protocol 1", npIn("{action: Allow, protocol: 1, icmp: {type: 8}}"), "spec.ingress[0]"),
        bad("icmp with numeric protocol 58", npIn("{action: Allow, protocol: 58, icmp: {type: 128}}"), "spec.ingress[0]"),
        bad("icmp with TCP", npIn("{action: Allow, protocol: TCP, icmp: {type: 8}}"), "spec.ingress[0]"),
        ok("notICMP without protocol", npIn("{action: Allow, notICMP: {type: 8}}")),
        bad("notICMP type 255", npIn("{action: Allow, notICMP: {type: 255}}"), "spec.ingress[0].notICMP"),
        bad("notICMP code without type", npIn("{action: Allow, notICMP: {code: 1}}"), "spec.ingress[0].notICMP"),
        undecodable("icmp unknown field", npIn("{action: Allow, protocol: ICMP, icmp: {type: 8, bogus: 1}}"),
                    "spec.ingress[0].icmp.bogus"),
        undecodable("icmp type not a number", npIn("{action: Allow, protocol: ICMP, icmp: {type: x}}"),
                    "spec.ingress[0].icmp.type"),
        // ipVersion
        ok("ICMP + ipVersion 4", npIn("{action: Allow, protocol: ICMP, ipVersion: 4}")),
        ok("ICMPv6 + ipVersion 6", npIn("{action: Allow, protocol: ICMPv6, ipVersion: 6}")),
        bad("ICMPv6 + ipVersion 4", npIn("{action: Allow, protocol: ICMPv6, ipVersion: 4}"), "spec.ingress[0]"),
        bad("ICMP + ipVersion 6", npIn("{action: Allow, protocol: ICMP, ipVersion: 6}"), "spec.ingress[0]"),
        bad("notProtocol ICMPv6 + ipVersion 4", npIn("{action: Allow, notProtocol: ICMPv6, ipVersion: 4}"), "spec.ingress[0]"),
        bad("notProtocol ICMP + ipVersion 6", npIn("{action: Allow, notProtocol: ICMP, ipVersion: 6}"), "spec.ingress[0]"),
        bad("ipVersion 5", npIn("{action: Allow, ipVersion: 5}"), "spec.ingress[0].ipVersion"),
        undecodable("ipVersion not a number", npIn("{action: Allow, ipVersion: four}"), "spec.ingress[0].ipVersion"),
        // metadata, strict decoding
        ok("rule annotations", npIn(#"{action: Allow, metadata: {annotations: {"Owner/Team": "net", note: "free text"}}}"#)),
        bad("rule annotation key with a space", npIn(#"{action: Allow, metadata: {annotations: {"bad key": "x"}}}"#),
            "spec.ingress[0].metadata"),
        ok("rule annotations total 262144 bytes", npIn("{action: Allow, metadata: {annotations: {key: \(String(repeating: "x", count: 262_141))}}}")),
        bad("rule annotations total 262145 bytes", npIn("{action: Allow, metadata: {annotations: {key: \(String(repeating: "x", count: 262_142))}}}"),
            "spec.ingress[0].metadata"),
        bad("protocol 1.5", npIn("{action: Allow, protocol: 1.5}"), "spec.ingress[0].protocol"),
        bad("protocol true", npIn("{action: Allow, protocol: true}"), "spec.ingress[0].protocol"),
        undecodable("port 80.5", npIn("{action: Allow, protocol: TCP, destination: {ports: [80.5]}}"), "spec.ingress[0].destination.ports[0]"),
        undecodable("unknown rule field", npIn("{action: Allow, bogus: 1}"), "spec.ingress[0].bogus"),
        undecodable("unknown entity field", npIn("{action: Allow, source: {bogus: 1}}"), "spec.ingress[0].source.bogus"),
        undecodable("nets not a list", npIn(#"{action: Allow, source: {nets: "10.0.0.0/8"}}"#), "spec.ingress[0].source.nets"),
    ]

    @Test(arguments: ruleCases) func rules(_ c: ValidationCase) { check(c) }

    // MARK: §5 — entity rules: nets, selectors, service accounts, services, HTTP

    static let entityCases: [ValidationCase] = [
        bad("src nets v4 + dst nets v6", npIn(#"{action: Allow, source: {nets: ["10.0.0.0/8"]}, destination: {nets: ["fd00::/8"]}}"#),
            "spec.ingress[0]"),
        bad("src nets v4 + src notNets v6", npIn(#"{action: Allow, source: {nets: ["10.0.0.0/8"], notNets: ["fd00::/8"]}}"#),
            "spec.ingress[0]"),
        ok("v6 nets + v6 notNets", npIn(#"{action: Allow, source: {nets: ["fd00::/8"]}, destination: {notNets: ["fd00:1::/32"]}}"#)),
        bad("ipVersion 6 + v4 net", npIn(#"{action: Allow, ipVersion: 6, source: {nets: ["1.2.3.4/32"]}}"#), "spec.ingress[0]"),
        bad("ipVersion 4 + v6 notNet", npIn(#"{action: Allow, ipVersion: 4, destination: {notNets: ["fd00::/8"]}}"#), "spec.ingress[0]"),
        ok("ipVersion 4 + v4 nets", npIn(#"{action: Allow, ipVersion: 4, source: {nets: ["10.0.0.0/8"]}}"#)),
        ok("ipVersion 6 + v6 notNets", npIn(#"{action: Allow, ipVersion: 6, source: {notNets: ["fd00::/8"]}}"#)),
        bad("dst notNets 0.0.0.0/0", npIn(#"{action: Allow, destination: {notNets: ["0.0.0.0/0"]}}"#),
            "spec.ingress[0].destination.notNets[0]"),
        bad("src notNets ::0/0", npIn(#"{action: Allow, source: {notNets: ["::0/0"]}}"#), "spec.ingress[0].source.notNets[0]"),
        bad("src notNets 0:0:0::/0", npIn(#"{action: Allow, source: {notNets: ["0:0:0::/0"]}}"#), "spec.ingress[0].source.notNets[0]"),
        bad("src notNets ::/0", npIn(#"{action: Allow, source: {notNets: ["::/0"]}}"#), "spec.ingress[0].source.notNets[0]"),
        ok("notNets 0.0.0.0/1", npIn(#"{action: Allow, source: {notNets: ["0.0.0.0/1"]}}"#)),
        ok("notNets ::/1", npIn(#"{action: Allow, source: {notNets: ["::/1"]}}"#)),
        ok("nets 0.0.0.0/0", npIn(#"{action: Allow, source: {nets: ["0.0.0.0/0"]}}"#)),
        ok("nets ::/0", npIn(#"{action: Allow, destination: {nets: ["::/0"]}}"#)),
        bad("nets bare IP", npIn(#"{action: Allow, source: {nets: ["10.0.0.1"]}}"#), "spec.ingress[0].source.nets[0]"),
        bad("notNets bare IP", npIn(#"{action: Allow, source: {notNets: ["10.0.0.1"]}}"#), "spec.ingress[0].source.notNets[0]"),
        bad("nets with host bits", npIn(#"{action: Allow, source: {nets: ["10.0.0.1/8"]}}"#), "spec.ingress[0].source.nets[0]"),
        bad("v6 nets with host bits", npIn(#"{action: Allow, destination: {nets: ["fd00::1/64"]}}"#),
            "spec.ingress[0].destination.nets[0]"),
        bad("nets /33", npIn(#"{action: Allow, source: {nets: ["10.0.0.0/33"]}}"#), "spec.ingress[0].source.nets[0]"),
        bad("nets not an address", npIn(#"{action: Allow, source: {nets: ["foo"]}}"#), "spec.ingress[0].source.nets[0]"),
        bad("second net invalid", npIn(#"{action: Allow, source: {nets: ["10.0.0.0/8", "10.1.0.0/33"]}}"#),
            "spec.ingress[0].source.nets[1]"),
        // selectors
        ok("entity selectors", npIn(#"{action: Allow, source: {selector: 'role == "db" && tier in {"a", "b"}', notSelector: 'has(x)'}}"#)),
        bad("entity selector '  global()  '", npIn("{action: Allow, source: {selector: '  global()  '}}"),
            "spec.ingress[0].source.selector"),
        bad("entity notSelector global()", npIn("{action: Allow, destination: {notSelector: 'global()'}}"),
            "spec.ingress[0].destination.notSelector"),
        bad("entity selector with global() inside", npIn("{action: Allow, source: {selector: 'has(a) || global()'}}"),
            "spec.ingress[0].source.selector"),
        ok("namespaceSelector '  global()  '", npIn("{action: Allow, source: {namespaceSelector: '  global()  '}}")),
        ok("namespaceSelector global()", npIn("{action: Allow, destination: {namespaceSelector: 'global()'}}")),
        ok("namespaceSelector all()", npIn("{action: Allow, source: {namespaceSelector: 'all()'}}")),
        bad("namespaceSelector ' global() && all()'", npIn("{action: Allow, source: {namespaceSelector: ' global() && all()'}}"),
            "spec.ingress[0].source.namespaceSelector"),
        bad("namespaceSelector 'global()||all()'", npIn("{action: Allow, source: {namespaceSelector: 'global()||all()'}}"),
            "spec.ingress[0].source.namespaceSelector"),
        bad("namespaceSelector '!global()'", npIn("{action: Allow, source: {namespaceSelector: '!global()'}}"),
            "spec.ingress[0].source.namespaceSelector"),
        bad("entity selector 'thing=hello &'", npIn("{action: Allow, source: {selector: 'thing=hello &'}}"),
            "spec.ingress[0].source.selector"),
        bad("entity selector 'has(a'", npIn("{action: Allow, destination: {selector: 'has(a'}}"),
            "spec.ingress[0].destination.selector"),
        bad("namespaceSelector 'a =='", npIn("{action: Allow, source: {namespaceSelector: 'a =='}}"),
            "spec.ingress[0].source.namespaceSelector"),
        // service accounts
        ok("serviceAccounts names + selector", npIn(#"{action: Allow, source: {serviceAccounts: {names: [sa1, sa-2], selector: 'role == "x"'}}}"#)),
        bad("serviceAccounts bad name", npIn("{action: Allow, source: {serviceAccounts: {names: [Bad_Name]}}}"),
            "spec.ingress[0].source.serviceAccounts"),
        bad("serviceAccounts selector global()", npIn("{action: Allow, source: {serviceAccounts: {selector: 'global()'}}}"),
            "spec.ingress[0].source.serviceAccounts"),
        bad("serviceAccounts selector syntax", npIn("{action: Allow, destination: {serviceAccounts: {selector: 'a b'}}}"),
            "spec.ingress[0].destination.serviceAccounts"),
        // services
        ok("NP egress dst services without namespace", npOut("{action: Allow, destination: {services: {name: svc}}}")),
        ok("NP egress dst services with namespace", npOut("{action: Allow, destination: {services: {name: svc, namespace: ns1}}}")),
        ok("NP egress dst services + source ports", npOut("{action: Allow, protocol: TCP, source: {ports: [1234]}, destination: {services: {name: svc}}}")),
        ok("NP ingress src services + destination ports", npIn("{action: Allow, protocol: TCP, source: {services: {name: svc, namespace: ns1}}, destination: {ports: [80]}}")),
        bad("NP egress src services", npOut("{action: Allow, source: {services: {name: svc}}}"), "spec.egress[0].source.services"),
        bad("NP ingress dst services", npIn("{action: Allow, destination: {services: {name: svc}}}"), "spec.ingress[0].destination.services"),
        bad("services + serviceAccounts", npOut("{action: Allow, destination: {services: {name: svc}, serviceAccounts: {names: [sa]}}}"),
            "spec.egress[0].destination"),
        bad("services + selector", npOut("{action: Allow, destination: {services: {name: svc}, selector: 'has(a)'}}"),
            "spec.egress[0].destination"),
        bad("services + notSelector", npOut("{action: Allow, destination: {services: {name: svc}, notSelector: 'has(a)'}}"),
            "spec.egress[0].destination"),
        bad("services + namespaceSelector", npOut("{action: Allow, destination: {services: {name: svc}, namespaceSelector: 'all()'}}"),
            "spec.egress[0].destination"),
        bad("services + nets", npOut(#"{action: Allow, destination: {services: {name: svc}, nets: ["10.0.0.0/8"]}}"#),
            "spec.egress[0].destination"),
        bad("services + notNets", npOut(#"{action: Allow, destination: {services: {name: svc}, notNets: ["10.0.0.0/8"]}}"#),
            "spec.egress[0].destination"),
        bad("ingress src services + src selector", npIn("{action: Allow, source: {services: {name: svc}, selector: 'has(a)'}}"),
            "spec.ingress[0].source"),
        bad("egress dst services + ports", npOut("{action: Allow, protocol: TCP, destination: {services: {name: svc}, ports: [80]}}"),
            "spec.egress[0].destination"),
        bad("egress dst services + notPorts", npOut("{action: Allow, protocol: TCP, destination: {services: {name: svc}, notPorts: [80]}}"),
            "spec.egress[0].destination"),
        bad("services without name", npOut("{action: Allow, destination: {services: {namespace: ns1}}}"),
            "spec.egress[0].destination.services"),
        bad("services with invalid name", npOut("{action: Allow, destination: {services: {name: Bad_Svc}}}"),
            "spec.egress[0].destination.services"),
        bad("services with invalid namespace", npOut("{action: Allow, destination: {services: {name: svc, namespace: Bad_NS}}}"),
            "spec.egress[0].destination.services"),
        bad("GNP ingress src services without namespace", gnpIn("{action: Allow, source: {services: {name: svc}}}"),
            "spec.ingress[0].source.services"),
        ok("GNP ingress src services with namespace", gnpIn("{action: Allow, source: {services: {name: svc, namespace: ns1}}}")),
        bad("GNP egress dst services without namespace", gnpOut("{action: Allow, destination: {services: {name: svc}}}"),
            "spec.egress[0].destination.services"),
        ok("GNP egress dst services with namespace", gnpOut("{action: Allow, destination: {services: {name: svc, namespace: ns1}}}")),
        // HTTP
        ok("HTTP GET on Allow without protocol", npIn("{action: Allow, http: {methods: [GET]}}")),
        ok("HTTP GET on Allow with TCP", npIn("{action: Allow, protocol: TCP, http: {methods: [GET]}}")),
        ok("HTTP paths exact and prefix", npIn(#"{action: Allow, http: {methods: [GET, POST], paths: [{exact: "/foo"}, {prefix: "/bar"}]}}"#)),
        bad("HTTP on Deny", npIn("{action: Deny, http: {methods: [GET]}}"), "spec.ingress[0]"),
        bad("HTTP on Pass", npIn("{action: Pass, http: {methods: [GET]}}"), "spec.ingress[0]"),
        bad("HTTP with UDP", npIn("{action: Allow, protocol: UDP, http: {methods: [GET]}}"), "spec.ingress[0]"),
        bad("HTTP with numeric protocol 6", npIn("{action: Allow, protocol: 6, http: {methods: [GET]}}"), "spec.ingress[0]"),
        bad("HTTP path with exact and prefix", npIn(#"{action: Allow, http: {paths: [{exact: "/foo", prefix: "/bar"}]}}"#),
            "spec.ingress[0].http"),
        bad("HTTP path /fo?o", npIn(#"{action: Allow, http: {paths: [{exact: "/fo?o"}]}}"#), "spec.ingress[0].http"),
        bad("HTTP path '/fo o'", npIn(#"{action: Allow, http: {paths: [{prefix: "/fo o"}]}}"#), "spec.ingress[0].http"),
        bad("HTTP path /f#oo", npIn(#"{action: Allow, http: {paths: [{exact: "/f#oo"}]}}"#), "spec.ingress[0].http"),
        bad("HTTP path {}", npIn("{action: Allow, http: {paths: [{}]}}"), "spec.ingress[0].http"),
        bad("HTTP path without leading slash", npIn(#"{action: Allow, http: {paths: [{prefix: "foo"}]}}"#), "spec.ingress[0].http"),
        bad("HTTP methods [GET, GET, Foo]", npIn("{action: Allow, http: {methods: [GET, GET, Foo]}}"), "spec.ingress[0].http"),
        ok("HTTP methods are not otherwise checked", npIn("{action: Allow, http: {methods: [FOO, get]}}")),
        ok("GNP rule namespaceSelector global()", gnpIn("{action: Allow, source: {namespaceSelector: 'global()'}}")),
        bad("GNP egress rule with HTTP", gnpOut("{action: Allow, http: {methods: [GET]}}"), "spec.egress[0]"),
        bad("NP egress rule with HTTP", npOut("{action: Allow, http: {methods: [GET]}}"), "spec.egress[0]"),
    ]

    @Test(arguments: entityCases) func entityRules(_ c: ValidationCase) { check(c) }

    // MARK: §4 — policy-level rules and staged kinds

    static let policyCases: [ValidationCase] = [
        ok("NP types [Ingress, Egress]", np("{types: [Ingress, Egress]}")),
        ok("NP types [Egress] with egress rules", np("{types: [Egress], egress: [{action: Allow}]}")),
        ok("NP types [Ingress] and no rules", np("{types: [Ingress]}")),
        ok("NP with every field", np(#"{tier: default, order: 100.5, selector: 'app == "web"', serviceAccountSelector: 'role == "x"', types: [Ingress], ingress: [{action: Allow}], performanceHints: [AssumeNeededOnEveryNode]}"#, ns: "ns1")),
        bad("NP types [Egress, Egress]", np("{types: [Egress, Egress]}"), "spec.types"),
        bad("NP types [ingress]", np("{types: [ingress]}"), "spec.types[0]"),
        bad("NP types [Foo]", np("{types: [Foo]}"), "spec.types[0]"),
        ok("NP empty selector", np("{selector: ''}")),
        bad("NP selector global()", np("{selector: 'global()'}"), "spec.selector"),
        bad("NP selector syntax error", np("{selector: 'a b'}"), "spec.selector"),
        bad("NP serviceAccountSelector global()", np("{serviceAccountSelector: 'global()'}"), "spec.serviceAccountSelector"),
        bad("GNP selector global()", gnp("{selector: 'global()'}"), "spec.selector"),
        bad("GNP serviceAccountSelector global()", gnp("{serviceAccountSelector: 'global()'}"), "spec.serviceAccountSelector"),
        bad("GNP namespaceSelector global()", gnp("{namespaceSelector: 'global()'}"), "spec.namespaceSelector"),
        bad("GNP namespaceSelector syntax error", gnp("{namespaceSelector: 'has('}"), "spec.namespaceSelector"),
        ok("GNP namespaceSelector has(x)", gnp("{namespaceSelector: 'has(x)', selector: 'all()'}")),
        bad("GNP preDNAT + doNotTrack + applyOnForward", gnp("{preDNAT: true, doNotTrack: true, applyOnForward: true}"), "spec"),
        bad("GNP preDNAT without applyOnForward", gnp("{preDNAT: true}"), "spec"),
        bad("GNP doNotTrack without applyOnForward", gnp("{doNotTrack: true}"), "spec"),
        bad("GNP preDNAT with egress rules", gnp("{preDNAT: true, applyOnForward: true, egress: [{action: Allow}]}"), "spec"),
        bad("GNP preDNAT with Egress type", gnp("{preDNAT: true, applyOnForward: true, types: [Ingress, Egress]}"), "spec"),
        ok("GNP preDNAT ingress policy", gnp("{preDNAT: true, applyOnForward: true, types: [Ingress], ingress: [{action: Allow}]}")),
        ok("GNP doNotTrack both directions", gnp("{doNotTrack: true, applyOnForward: true, ingress: [{action: Allow}], egress: [{action: Deny}]}")),
        ok("GNP applyOnForward alone", gnp("{applyOnForward: true}")),
        ok("GNP preDNAT false + doNotTrack false", gnp("{preDNAT: false, doNotTrack: false}")),
        undecodable("NP with preDNAT", np("{preDNAT: true}"), "spec.preDNAT"),
        undecodable("NP with namespaceSelector", np("{namespaceSelector: 'all()'}"), "spec.namespaceSelector"),
        undecodable("NP with applyOnForward", np("{applyOnForward: true}"), "spec.applyOnForward"),
        ok("performanceHints AssumeNeededOnEveryNode", gnp("{performanceHints: [AssumeNeededOnEveryNode]}")),
        bad("performanceHints Foo", np("{performanceHints: [Foo]}"), "spec.performanceHints"),
        bad("performanceHints repeated", np("{performanceHints: [AssumeNeededOnEveryNode, AssumeNeededOnEveryNode]}"),
            "spec.performanceHints"),
        ok("order 0", np("{order: 0}")),
        ok("negative order", gnp("{order: -5}")),
        undecodable("order not a number", np("{order: abc}"), "spec.order"),
        bad("tier not a name", np("{tier: Bad_Tier}"), "spec.tier"),
        undecodable("unknown spec field", np("{foo: 1}"), "spec.foo"),
        undecodable("spec is a list", np("[]"), "spec"),
        rejected("duplicated spec field", "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p1}\nspec:\n  selector: all()\n  selector: has(a)\n"),
        undecodable("unknown top-level field", np("{}") + "status: {}\n", "status"),
        // staged
        ok("SGNP Delete + tier eng, name eng.thing", sgnp("{stagedAction: Delete, tier: eng}", name: "eng.thing")),
        bad("SGNP Delete + selector", sgnp("{stagedAction: Delete, tier: eng, selector: 'has(a)'}", name: "eng.thing"), "spec.selector"),
        bad("SGNP Delete + ingress rules", sgnp("{stagedAction: Delete, ingress: [{action: Allow}]}"), "spec.ingress"),
        bad("SGNP Delete + order", sgnp("{stagedAction: Delete, order: 10}"), "spec.order"),
        bad("SGNP Delete + doNotTrack", sgnp("{stagedAction: Delete, doNotTrack: true}"), "spec.doNotTrack"),
        bad("SGNP Delete + namespaceSelector", sgnp("{stagedAction: Delete, namespaceSelector: 'has(a)'}"), "spec.namespaceSelector"),
        ok("SNP Delete alone", snp("{stagedAction: Delete}")),
        ok("SNP Delete + tier", snp("{stagedAction: Delete, tier: eng}", name: "eng.foo")),
        bad("SNP Delete + egress", snp("{stagedAction: Delete, egress: [{action: Allow}]}"), "spec.egress"),
        bad("SNP Delete + types", snp("{stagedAction: Delete, types: [Ingress]}"), "spec.types"),
        bad("SNP Delete + serviceAccountSelector", snp("{stagedAction: Delete, serviceAccountSelector: 'has(a)'}"), "spec.serviceAccountSelector"),
        ok("SNP Learn with rules", snp("{stagedAction: Learn, ingress: [{action: Allow}]}")),
        ok("SNP Ignore", snp("{stagedAction: Ignore, selector: 'has(a)'}")),
        ok("SNP Set with rules", snp("{stagedAction: Set, types: [Ingress], ingress: [{action: Deny}]}")),
        ok("SNP without stagedAction", snp("{ingress: [{action: Allow}]}")),
        bad("SNP stagedAction Foo", snp("{stagedAction: Foo}"), "spec.stagedAction"),
        bad("SNP Set gets rule validation", snp("{stagedAction: Set, ingress: [{action: Allow, protocol: tcp}]}"), "spec.ingress[0].protocol"),
        bad("SNP gets policy validation (egress src services)", snp("{egress: [{action: Allow, source: {services: {name: s}}}]}"),
            "spec.egress[0].source.services"),
        bad("SGNP Set preDNAT without applyOnForward", sgnp("{stagedAction: Set, preDNAT: true}"), "spec"),
        bad("SGNP selector global()", sgnp("{selector: 'global()'}"), "spec.selector"),
        undecodable("SNP with namespaceSelector", snp("{namespaceSelector: 'all()'}"), "spec.namespaceSelector"),
        ok("SKNP Delete alone", sknp("{stagedAction: Delete}")),
        bad("SKNP Delete + podSelector", sknp("{stagedAction: Delete, podSelector: {matchLabels: {app: web}}}"), "spec.podSelector"),
        bad("SKNP Delete + ingress", sknp("{stagedAction: Delete, ingress: [{}]}"), "spec.ingress"),
        bad("SKNP Delete + policyTypes", sknp("{stagedAction: Delete, policyTypes: [Ingress]}"), "spec.policyTypes"),
        ok("SKNP Set", sknp("{stagedAction: Set, podSelector: {matchLabels: {app: web}}, ingress: [{from: [{podSelector: {}}], ports: [{port: 80}]}]}")),
        ok("SKNP without stagedAction", sknp("{podSelector: {}, policyTypes: [Ingress, Egress]}")),
    ]

    @Test(arguments: policyCases) func policies(_ c: ValidationCase) { check(c) }

    // MARK: §8 — network sets, host and workload endpoints, profiles

    static let endpointCases: [ValidationCase] = [
        ok("GNS nets of both families, IPs and CIDRs", gns("s", spec: #"{nets: ["10.0.0.1", "11.0.0.0/8", "dead:beef::", "dead:beef::/96"]}"#)),
        ok("NetworkSet nets of both families, IPs and CIDRs",
           doc("NetworkSet", "s", ns: "ns1", spec: #"{nets: ["10.0.0.1", "11.0.0.0/8", "dead:beef::", "dead:beef::/96"]}"#)),
        ok("GNS net with host bits", gns("s", spec: #"{nets: ["10.0.0.1/8"]}"#)),
        ok("GNS without nets", gns("s", spec: "{}")),
        bad("GNS net 10.0.0.256", gns("s", spec: #"{nets: ["10.0.0.256"]}"#), "spec.nets[0]"),
        bad("GNS net foo", gns("s", spec: #"{nets: ["10.0.0.0/8", "foo"]}"#), "spec.nets[1]"),
        bad("NetworkSet net /33", doc("NetworkSet", "s", spec: #"{nets: ["10.0.0.0/33"]}"#), "spec.nets[0]"),
        bad("GNS label projectcalico.org/namespace", gns("s", labels: #"{"projectcalico.org/namespace": "ns1"}"#), "metadata.labels"),
        bad("NetworkSet label projectcalico.org/namespace",
            doc("NetworkSet", "s", labels: #"{"projectcalico.org/namespace": "ns1"}"#, spec: "{}"), "metadata.labels"),
        bad("NetworkSet name test$set", doc("NetworkSet", "test$set", spec: "{}"), "metadata.name"),
        undecodable("GNS unknown spec field", gns("s", spec: "{cidrs: []}"), "spec.cidrs"),
        // HostEndpoint
        bad("HEP {}", hep("{}"), "spec"),
        bad("HEP with empty interface and no expectedIPs", hep(#"{node: n1, interfaceName: "", expectedIPs: []}"#), "spec"),
        ok("HEP interface * + node", hep(#"{node: n1, interfaceName: "*"}"#)),
        bad("HEP without node", hep(#"{interfaceName: "*"}"#), "spec.node"),
        ok("HEP expectedIPs only", hep(#"{node: n1, expectedIPs: ["10.0.0.1", "fd00::1"]}"#)),
        ok("HEP interface + expectedIPs + profiles + ports", hep(#"{node: n1, interfaceName: eth0, expectedIPs: ["10.0.0.1"], profiles: [prof-1, kns.default], ports: [{name: http, protocol: TCP, port: 80}]}"#)),
        bad("HEP expectedIPs CIDR", hep(#"{node: n1, expectedIPs: ["10.0.0.0/24"]}"#), "spec.expectedIPs[0]"),
        bad("HEP expectedIPs foo", hep(#"{node: n1, expectedIPs: ["foo"]}"#), "spec.expectedIPs[0]"),
        bad("HEP 16-char interface name", hep("{node: n1, interfaceName: abcdefghijklmnop}"), "spec.interfaceName"),
        bad("HEP interface name with a space", hep(#"{node: n1, interfaceName: "eth 0"}"#), "spec.interfaceName"),
        ok("HEP interface name eth0.100", hep("{node: n1, interfaceName: eth0.100}")),
        bad("HEP port without name", hep(#"{node: n1, interfaceName: "*", ports: [{protocol: TCP, port: 80}]}"#), "spec.ports[0]"),
        ok("HEP duplicate port names", hep(#"{node: n1, interfaceName: "*", ports: [{name: dns, protocol: TCP, port: 53}, {name: dns, protocol: UDP, port: 53}]}"#)),
        ok("HEP port protocol 6", hep(#"{node: n1, interfaceName: "*", ports: [{name: web, protocol: 6, port: 80}]}"#)),
        bad("HEP port protocol UDPLite", hep(#"{node: n1, interfaceName: "*", ports: [{name: web, protocol: UDPLite, port: 80}]}"#), "spec.ports[0]"),
        bad("HEP port 0", hep(#"{node: n1, interfaceName: "*", ports: [{name: web, protocol: TCP, port: 0}]}"#), "spec.ports[0]"),
        bad("HEP port name HTTP", hep(#"{node: n1, interfaceName: "*", ports: [{name: HTTP, protocol: TCP, port: 80}]}"#), "spec.ports[0]"),
        undecodable("HEP port number quoted", hep(#"{node: n1, interfaceName: "*", ports: [{name: web, protocol: TCP, port: "80"}]}"#),
                    "spec.ports[0].port"),
        bad("HEP profile not a name", hep(#"{node: n1, interfaceName: "*", profiles: [Bad_Profile]}"#), "spec.profiles[0]"),
        bad("HEP node not a name", hep(#"{node: Node1, interfaceName: "*"}"#), "spec.node"),
        bad("HEP with a namespace", doc("HostEndpoint", "h", ns: "default", spec: #"{node: n1, interfaceName: "*"}"#), "metadata.namespace"),
        ok("HEP DSCP annotation AF11", hep(#"{node: n1, interfaceName: "*"}"#, annotations: qos([("dscp", "AF11")]))),
        ok("HEP DSCP annotation 46", hep(#"{node: n1, interfaceName: "*"}"#, annotations: qos([("dscp", "46")]))),
        ok("HEP DSCP annotation 64 (accepted; Felix ignores it)", hep(#"{node: n1, interfaceName: "*"}"#, annotations: qos([("dscp", "64")]))),
        ok("HEP DSCP annotation CS7 (accepted; Felix ignores it)", hep(#"{node: n1, interfaceName: "*"}"#, annotations: qos([("dscp", "CS7")]))),
        // WorkloadEndpoint
        ok("WEP baseline", wep()),
        ok("WEP dual-stack ipNetworks", doc("WorkloadEndpoint", "node1-k8s-pod1-eth0", ns: "default",
                                             spec: #"{node: node1, orchestrator: k8s, pod: pod1, endpoint: eth0, interfaceName: cali0, ipNetworks: ["10.0.0.1/32", "fd00::1/128"]}"#)),
        ok("WEP bare-IP ipNetworks", doc("WorkloadEndpoint", "node1-k8s-pod1-eth0", ns: "default",
                                          spec: #"{node: node1, interfaceName: cali0, ipNetworks: ["10.0.0.1"]}"#)),
        bad("WEP ipNetworks /26", doc("WorkloadEndpoint", "w", ns: "default", spec: #"{interfaceName: cali0, ipNetworks: ["1.2.3.0/26"]}"#),
            "spec.ipNetworks[0]"),
        bad("WEP ipNetworks foo", doc("WorkloadEndpoint", "w", ns: "default", spec: #"{interfaceName: cali0, ipNetworks: ["foo"]}"#),
            "spec.ipNetworks[0]"),
        ok("WEP ipNAT inside ipNetworks", wep(#"ipNATs: [{internalIP: "10.0.0.1", externalIP: "172.16.0.1"}]"#)),
        bad("WEP ipNAT internal IP not in ipNetworks", wep(#"ipNATs: [{internalIP: "10.0.0.2", externalIP: "172.16.0.1"}]"#), "spec.ipNATs[0]"),
        bad("WEP ipNAT v4 to v6", wep(#"ipNATs: [{internalIP: "10.0.0.1", externalIP: "fd00::1"}]"#), "spec.ipNATs[0]"),
        bad("WEP without interfaceName", doc("WorkloadEndpoint", "w", ns: "default", spec: #"{node: node1, ipNetworks: ["10.0.0.1/32"]}"#),
            "spec.interfaceName"),
        bad("WEP 16-char interfaceName", doc("WorkloadEndpoint", "w", ns: "default", spec: "{node: node1, interfaceName: abcdefghijklmnop}"),
            "spec.interfaceName"),
        ok("WEP mac", wep(#"mac: "ee:ee:ee:ee:ee:ee""#)),
        bad("WEP bad mac", wep(#"mac: "zz:zz""#), "spec.mac"),
        ok("WEP mixed-case containerID", wep("containerID: abc-DEF123")),
        bad("WEP containerID with a dot", wep("containerID: a.b"), "spec.containerID"),
        bad("WEP containerID with leading dash", wep(#"containerID: "-abc""#), "spec.containerID"),
        ok("WEP named port", wep("ports: [{name: http, protocol: TCP, port: 80}]")),
        bad("WEP unnamed port without hostPort", wep("ports: [{protocol: TCP, port: 80}]"), "spec.ports[0]"),
        ok("WEP unnamed port with hostPort", wep(#"ports: [{protocol: TCP, port: 80, hostPort: 8080, hostIP: "10.1.0.1"}]"#)),
        bad("WEP port 0", wep("ports: [{name: http, protocol: TCP, port: 0}]"), "spec.ports[0]"),
        bad("WEP port protocol UDPLite", wep("ports: [{name: http, protocol: UDPLite, port: 80}]"), "spec.ports[0]"),
        ok("WEP serviceAccountName", wep("serviceAccountName: default")),
        bad("WEP serviceAccountName not a name", wep("serviceAccountName: Bad_SA"), "spec.serviceAccountName"),
        bad("WEP node not a name", doc("WorkloadEndpoint", "w", ns: "default", spec: "{node: Bad_Node, interfaceName: cali0}"), "spec.node"),
        ok("WEP allowSpoofedSourcePrefixes", wep(#"allowSpoofedSourcePrefixes: ["10.0.0.0/8", "fd00::/8"]"#)),
        bad("WEP allowSpoofedSourcePrefixes foo", wep(#"allowSpoofedSourcePrefixes: ["foo"]"#), "spec.allowSpoofedSourcePrefixes[0]"),
        ok("WEP gateways", wep(#"ipv4Gateway: "10.0.0.254", ipv6Gateway: "fd00::1""#)),
        bad("WEP ipv4Gateway is v6", wep(#"ipv4Gateway: "fe80::1""#), "spec.ipv4Gateway"),
        bad("WEP ipv6Gateway is v4", wep(#"ipv6Gateway: "10.0.0.1""#), "spec.ipv6Gateway"),
        ok("WEP profiles", wep("profiles: [kns.default, ksa.default.default]")),
        bad("WEP profile not a name", wep("profiles: [Bad]"), "spec.profiles[0]"),
        ok("WEP qosControls", wep("qosControls: {ingressBandwidth: 10000000, egressBandwidth: 1000000, dscp: AF21}")),
        ok("WEP qosControls numeric DSCP", wep("qosControls: {dscp: 46}")),
        bad("WEP qosControls DSCP 64", wep("qosControls: {dscp: 64}"), "spec.qosControls.dscp"),
        bad("WEP qosControls DSCP Bogus", wep("qosControls: {dscp: Bogus}"), "spec.qosControls.dscp"),
        undecodable("WEP unknown spec field", wep("bogus: 1"), "spec.bogus"),
        // Profile
        ok("Profile with rules and labelsToApply", profile("{ingress: [{action: Allow}], egress: [{action: Allow}], labelsToApply: {role: db}}")),
        bad("Profile rule action allowfoo", profile("{ingress: [{action: allowfoo}]}"), "spec.ingress[0].action"),
        bad("Profile rule without action", profile("{egress: [{protocol: TCP}]}"), "spec.egress[0].action"),
        bad("Profile labelsToApply bad key", profile(#"{labelsToApply: {"Bad Key": x}}"#), "spec.labelsToApply"),
        bad("Profile labelsToApply long value", profile("{labelsToApply: {role: \(a64)}}"), "spec.labelsToApply"),
        ok("Profile egress src services (no policy-level checks)", profile("{egress: [{action: Allow, source: {services: {name: svc}}}]}")),
        ok("Profile ingress dst services (no policy-level checks)", profile("{ingress: [{action: Allow, destination: {services: {name: svc}}}]}")),
        ok("Profile egress HTTP (no policy-level checks)", profile("{egress: [{action: Allow, http: {methods: [GET]}}]}")),
        bad("Profile dst services + dst ports (rule-level)", profile("{egress: [{action: Allow, protocol: TCP, destination: {services: {name: svc}, ports: [80]}}]}"),
            "spec.egress[0].destination"),
        bad("Profile name not a subdomain", doc("Profile", "Bad", spec: "{}"), "metadata.name"),
        bad("Profile with a namespace", doc("Profile", "p", ns: "default", spec: "{}"), "metadata.namespace"),
    ]

    @Test(arguments: endpointCases) func endpoints(_ c: ValidationCase) { check(c) }

    // MARK: §13 — QoS annotations (units, ranges, dependencies)

    static let qosCases: [ValidationCase] = [
        ok("ingressBandwidth 10M", wep(annotations: qos([("ingressBandwidth", "10M")]))),
        ok("egressBandwidth 1k (minimum)", wep(annotations: qos([("egressBandwidth", "1k")]))),
        ok("ingressBandwidth 1P (maximum)", wep(annotations: qos([("ingressBandwidth", "1P")]))),
        ok("ingressBandwidth 1Gi", wep(annotations: qos([("ingressBandwidth", "1Gi")]))),
        ok("ingressBandwidth 1Ki", wep(annotations: qos([("ingressBandwidth", "1Ki")]))),
        ok("ingressBandwidth 999 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "999")]))),
        ok("egressBandwidth 2P (accepted; Felix clamps or ignores it)", wep(annotations: qos([("egressBandwidth", "2P")]))),
        ok("ingressBandwidth abc (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "abc")]))),
        ok("ingressBandwidth 1m (milli) (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "1m")]))),
        ok("ingressBurst 4Gi with bandwidth", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressBurst", "4Gi")]))),
        ok("ingressBurst at maximum", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressBurst", "34359738360")]))),
        ok("ingressBurst 32Gi above maximum (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressBurst", "32Gi")]))),
        ok("ingressBurst 999 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressBurst", "999")]))),
        ok("ingressBurst without bandwidth (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBurst", "4Gi")]))),
        ok("egressBurst with only ingressBandwidth (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "10M"), ("egressBurst", "4Gi")]))),
        ok("ingressPeakrate above bandwidth", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressPeakrate", "20M")]))),
        ok("ingressPeakrate equal to bandwidth (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressPeakrate", "10M")]))),
        ok("ingressPeakrate below bandwidth (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressPeakrate", "5M")]))),
        ok("ingressPeakrate without bandwidth (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressPeakrate", "20M")]))),
        ok("egressPeakrate 1.01k over 1k", wep(annotations: qos([("egressBandwidth", "1k"), ("egressPeakrate", "1.01k")]))),
        ok("egressPeakrate 1.02P above maximum (accepted; Felix clamps or ignores it)", wep(annotations: qos([("egressBandwidth", "1P"), ("egressPeakrate", "1.02P")]))),
        ok("ingressMinburst with peakrate", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressPeakrate", "20M"), ("ingressMinburst", "1M")]))),
        ok("ingressMinburst 1k minimum", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressPeakrate", "20M"), ("ingressMinburst", "1k")]))),
        ok("ingressMinburst 101M (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressPeakrate", "20M"), ("ingressMinburst", "101M")]))),
        ok("ingressMinburst 999 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressPeakrate", "20M"), ("ingressMinburst", "999")]))),
        ok("ingressMinburst without peakrate (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressBandwidth", "10M"), ("ingressMinburst", "1M")]))),
        ok("ingressPacketRate 100", wep(annotations: qos([("ingressPacketRate", "100")]))),
        ok("egressPacketRate 10k", wep(annotations: qos([("egressPacketRate", "10k")]))),
        ok("ingressPacketRate 10001 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressPacketRate", "10001")]))),
        ok("ingressPacketRate 0 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressPacketRate", "0")]))),
        ok("ingressPacketBurst with packet rate", wep(annotations: qos([("ingressPacketRate", "100"), ("ingressPacketBurst", "10")]))),
        ok("ingressPacketBurst without packet rate (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressPacketBurst", "10")]))),
        ok("egressPacketBurst 10001 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("egressPacketRate", "100"), ("egressPacketBurst", "10001")]))),
        ok("ingressMaxConnections at maximum", wep(annotations: qos([("ingressMaxConnections", "4294967295")]))),
        ok("egressMaxConnections above maximum (accepted; Felix clamps or ignores it)", wep(annotations: qos([("egressMaxConnections", "4294967296")]))),
        ok("ingressMaxConnections 0 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("ingressMaxConnections", "0")]))),
        ok("dscp AF43", wep(annotations: qos([("dscp", "AF43")]))),
        ok("dscp af11 (case-insensitive)", wep(annotations: qos([("dscp", "af11")]))),
        ok("dscp EF", wep(annotations: qos([("dscp", "EF")]))),
        ok("dscp CS6", wep(annotations: qos([("dscp", "CS6")]))),
        ok("dscp DF", wep(annotations: qos([("dscp", "DF")]))),
        ok("dscp 0", wep(annotations: qos([("dscp", "0")]))),
        ok("dscp 63", wep(annotations: qos([("dscp", "63")]))),
        ok("dscp 64 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("dscp", "64")]))),
        ok("dscp CS7 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("dscp", "CS7")]))),
        ok("dscp AF44 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("dscp", "AF44")]))),
        ok("dscp AF51 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("dscp", "AF51")]))),
        ok("kubernetes.io/ingress-bandwidth 10M", wep(annotations: qos([("kubernetes.io/ingress-bandwidth", "10M")]))),
        ok("kubernetes.io/egress-bandwidth 500 (accepted; Felix clamps or ignores it)", wep(annotations: qos([("kubernetes.io/egress-bandwidth", "500")]))),
        ok("ingressBurst with kubernetes.io bandwidth", wep(annotations: qos([("kubernetes.io/ingress-bandwidth", "10M"), ("ingressBurst", "4Gi")]))),
        bad("unknown key under qos.projectcalico.org/", wep(annotations: qos([("ingresBandwidth", "10M")])), "metadata.annotations"),
        ok("all QoS keys together", wep(annotations: qos([
            ("ingressBandwidth", "10M"), ("ingressBurst", "4Gi"), ("ingressPeakrate", "20M"), ("ingressMinburst", "1500"),
            ("egressBandwidth", "1G"), ("egressBurst", "1Gi"), ("egressPeakrate", "2G"), ("egressMinburst", "100M"),
            ("ingressPacketRate", "1k"), ("ingressPacketBurst", "5"), ("egressPacketRate", "10"), ("egressPacketBurst", "10k"),
            ("ingressMaxConnections", "100"), ("egressMaxConnections", "1"), ("dscp", "CS0"),
        ]))),
    ]

    @Test(arguments: qosCases) func qosAnnotations(_ c: ValidationCase) { check(c) }

    // MARK: §9 — IPAM kinds

    static let ipamCases: [ValidationCase] = [
        ok("IPPool /16", pool(#"{cidr: "10.0.0.0/16"}"#)),
        ok("IPPool /26", pool(#"{cidr: "10.0.0.0/26"}"#)),
        ok("IPPool /10", pool(#"{cidr: "10.0.0.0/10"}"#)),
        bad("IPPool /27 (smaller than a block)", pool(#"{cidr: "10.0.0.0/27"}"#), "spec"),
        ok("IPPool /27 disabled", pool(#"{cidr: "10.0.0.0/27", disabled: true}"#)),
        ok("IPPool /16 blockSize 24", pool(#"{cidr: "10.0.0.0/16", blockSize: 24}"#)),
        bad("IPPool /24 blockSize 20", pool(#"{cidr: "10.0.0.0/24", blockSize: 20}"#), "spec"),
        ok("IPv6 pool /64 ipipMode Never", pool(#"{cidr: "fd00::/64", ipipMode: Never}"#)),
        ok("IPv6 pool /122 ipipMode Never", pool(#"{cidr: "fd00::/122", ipipMode: Never}"#)),
        ok("IPv6 pool /120 blockSize 124", pool(#"{cidr: "fd00::/120", blockSize: 124, ipipMode: Never}"#)),
        bad("IPv6 pool /128", pool(#"{cidr: "fd00::/128", ipipMode: Never}"#), "spec"),
        ok("IPv6 pool /128 disabled", pool(#"{cidr: "fd00::/128", ipipMode: Never, disabled: true}"#)),
        bad("IPv6 pool without ipipMode (no defaulting offline)", pool(#"{cidr: "fd00::/64"}"#), "spec.ipipMode"),
        bad("IPv6 pool ipipMode Always", pool(#"{cidr: "fd00::/64", ipipMode: Always}"#), "spec.ipipMode"),
        bad("IPv6 pool ipipMode CrossSubnet", pool(#"{cidr: "fd00::/64", ipipMode: CrossSubnet}"#), "spec.ipipMode"),
        ok("IPv6 pool with VXLAN", pool(#"{cidr: "fd00::/64", ipipMode: Never, vxlanMode: Always}"#)),
        bad("IPPool 1.2.3.4/33", pool(#"{cidr: "1.2.3.4/33"}"#), "spec.cidr"),
        bad("IPPool 169.254.5.0/24", pool(#"{cidr: "169.254.5.0/24"}"#), "spec.cidr"),
        bad("IPPool containing link-local", pool(#"{cidr: "169.0.0.0/8"}"#), "spec.cidr"),
        bad("IPPool fe80::/120", pool(#"{cidr: "fe80::/120", ipipMode: Never}"#), "spec.cidr"),
        bad("IPPool with host bits", pool(#"{cidr: "10.0.0.1/16"}"#), "spec.cidr"),
        bad("IPPool without cidr", pool("{natOutgoing: true}"), "spec.cidr"),
        bad("IPPool cidr foo", pool("{cidr: foo}"), "spec.cidr"),
        bad("IPIP Always + VXLAN Always", pool(#"{cidr: "10.0.0.0/16", ipipMode: Always, vxlanMode: Always}"#), "spec"),
        bad("IPIP CrossSubnet + VXLAN Always", pool(#"{cidr: "10.0.0.0/16", ipipMode: CrossSubnet, vxlanMode: Always}"#), "spec"),
        bad("IPIP CrossSubnet + VXLAN CrossSubnet", pool(#"{cidr: "10.0.0.0/16", ipipMode: CrossSubnet, vxlanMode: CrossSubnet}"#), "spec"),
        ok("IPIP Always + VXLAN Never", pool(#"{cidr: "10.0.0.0/16", ipipMode: Always, vxlanMode: Never}"#)),
        ok("VXLAN CrossSubnet", pool(#"{cidr: "10.0.0.0/16", vxlanMode: CrossSubnet}"#)),
        bad("ipipMode always (case)", pool(#"{cidr: "10.0.0.0/16", ipipMode: always}"#), "spec.ipipMode"),
        bad("vxlanMode Sometimes", pool(#"{cidr: "10.0.0.0/16", vxlanMode: Sometimes}"#), "spec.vxlanMode"),
        bad("allowedUses [LoadBalancer, Tunnel]", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer, Tunnel], nodeSelector: all()}"#),
            "spec.allowedUses"),
        bad("allowedUses [Garbage]", pool(#"{cidr: "10.0.0.0/16", allowedUses: [Garbage]}"#), "spec.allowedUses"),
        ok("allowedUses [Workload, Tunnel]", pool(#"{cidr: "10.0.0.0/16", allowedUses: [Workload, Tunnel]}"#)),
        ok("allowedUses [Workload]", pool(#"{cidr: "10.0.0.0/16", allowedUses: [Workload]}"#)),
        ok("LoadBalancer pool with nodeSelector all()", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer], nodeSelector: all()}"#)),
        ok("LoadBalancer pool with modes Never", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer], nodeSelector: all(), ipipMode: Never, vxlanMode: Never}"#)),
        bad("LoadBalancer pool without nodeSelector (no defaulting offline)", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer]}"#),
            "spec.nodeSelector"),
        bad("LoadBalancer pool + disableBGPExport", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer], nodeSelector: all(), disableBGPExport: true}"#),
            "spec"),
        bad("LoadBalancer pool + VXLAN", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer], nodeSelector: all(), vxlanMode: Always}"#), "spec"),
        bad("LoadBalancer pool + IPIP", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer], nodeSelector: all(), ipipMode: Always}"#), "spec"),
        bad("LoadBalancer pool + nodeSelector !all()", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer], nodeSelector: "!all()"}"#),
            "spec.nodeSelector"),
        bad("LoadBalancer pool + nodeSelector has(x)", pool(#"{cidr: "10.0.0.0/16", allowedUses: [LoadBalancer], nodeSelector: "has(x)"}"#),
            "spec.nodeSelector"),
        bad("Tunnel pool + namespaceSelector", pool(#"{cidr: "10.0.0.0/16", allowedUses: [Tunnel], namespaceSelector: "has(x)"}"#),
            "spec.namespaceSelector"),
        bad("Workload+Tunnel pool + namespaceSelector", pool(#"{cidr: "10.0.0.0/16", allowedUses: [Workload, Tunnel], namespaceSelector: "has(x)"}"#),
            "spec.namespaceSelector"),
        ok("Workload pool + namespaceSelector", pool(#"{cidr: "10.0.0.0/16", allowedUses: [Workload], namespaceSelector: "has(x)"}"#)),
        bad("nodeSelector global()", pool(#"{cidr: "10.0.0.0/16", nodeSelector: "global()"}"#), "spec.nodeSelector"),
        bad("namespaceSelector global()", pool(#"{cidr: "10.0.0.0/16", namespaceSelector: "global()"}"#), "spec.namespaceSelector"),
        ok("namespaceSelector environment contains \"prod\"", pool(#"{cidr: "10.0.0.0/16", namespaceSelector: 'environment contains "prod"'}"#)),
        bad("nodeSelector syntax error", pool(#"{cidr: "10.0.0.0/16", nodeSelector: "has(x"}"#), "spec.nodeSelector"),
        ok("nodeSelector on a label", pool(#"{cidr: "10.0.0.0/16", nodeSelector: 'kubernetes.io/os == "linux"'}"#)),
        ok("assignmentMode Manual", pool(#"{cidr: "10.0.0.0/16", assignmentMode: Manual}"#)),
        ok("assignmentMode Automatic", pool(#"{cidr: "10.0.0.0/16", assignmentMode: Automatic}"#)),
        bad("assignmentMode Foo", pool(#"{cidr: "10.0.0.0/16", assignmentMode: Foo}"#), "spec.assignmentMode"),
        ok("natOutgoing + disableBGPExport", pool(#"{cidr: "10.0.0.0/16", natOutgoing: true, disableBGPExport: true}"#)),
        bad("legacy ipip field", pool(#"{cidr: "10.0.0.0/16", ipip: {enabled: true}}"#), "spec.ipip"),
        bad("legacy nat-outgoing true", pool(#"{cidr: "10.0.0.0/16", nat-outgoing: true}"#), "spec.nat-outgoing"),
        ok("legacy nat-outgoing false", pool(#"{cidr: "10.0.0.0/16", nat-outgoing: false}"#)),
        bad("IPPool with a namespace", doc("IPPool", "p", ns: "default", spec: #"{cidr: "10.0.0.0/16"}"#), "metadata.namespace"),
        bad("IPPool name not a subdomain", doc("IPPool", "Pool_1", spec: #"{cidr: "10.0.0.0/16"}"#), "metadata.name"),
        undecodable("IPPool unknown field", pool(#"{cidr: "10.0.0.0/16", foo: 1}"#), "spec.foo"),
        undecodable("IPPool blockSize not a number", pool(#"{cidr: "10.0.0.0/16", blockSize: x}"#), "spec.blockSize"),
        undecodable("IPPool natOutgoing not a bool", pool(#"{cidr: "10.0.0.0/16", natOutgoing: "yes"}"#), "spec.natOutgoing"),
        // IPReservation
        ok("IPReservation IPs and CIDRs of both families", doc("IPReservation", "r", spec: #"{reservedCIDRs: ["10.0.0.0/24", "10.0.0.1", "fd00::/64"]}"#)),
        ok("IPReservation CIDR with host bits", doc("IPReservation", "r", spec: #"{reservedCIDRs: ["10.0.0.1/24"]}"#)),
        bad("IPReservation foo", doc("IPReservation", "r", spec: #"{reservedCIDRs: ["foo"]}"#), "spec.reservedCIDRs[0]"),
        bad("IPReservation /33", doc("IPReservation", "r", spec: #"{reservedCIDRs: ["10.0.0.0/8", "10.0.0.0/33"]}"#), "spec.reservedCIDRs[1]"),
        bad("IPReservation /129", doc("IPReservation", "r", spec: #"{reservedCIDRs: ["fd00::/129"]}"#), "spec.reservedCIDRs[0]"),
        undecodable("IPReservation unknown field", doc("IPReservation", "r", spec: "{cidrs: []}"), "spec.cidrs"),
        // IPAMConfiguration
        ok("IPAMConfiguration strictAffinity, unlimited blocks", doc("IPAMConfiguration", "default", spec: "{strictAffinity: true, maxBlocksPerHost: 0}")),
        ok("IPAMConfiguration maxBlocksPerHost 10", doc("IPAMConfiguration", "default", spec: "{maxBlocksPerHost: 10}")),
        bad("IPAMConfiguration maxBlocksPerHost -1", doc("IPAMConfiguration", "default", spec: "{maxBlocksPerHost: -1}"), "spec.maxBlocksPerHost"),
        undecodable("IPAMConfiguration maxBlocksPerHost x", doc("IPAMConfiguration", "default", spec: "{maxBlocksPerHost: x}"), "spec.maxBlocksPerHost"),
        undecodable("IPAMConfiguration maxBlocksPerHost beyond int32", doc("IPAMConfiguration", "default", spec: "{maxBlocksPerHost: 4294967296}"),
                    "spec.maxBlocksPerHost"),
        undecodable("IPAMConfiguration strictAffinity quoted", doc("IPAMConfiguration", "default", spec: #"{strictAffinity: "true"}"#),
                    "spec.strictAffinity"),
        undecodable("IPAMConfiguration unknown field", doc("IPAMConfiguration", "default", spec: "{foo: 1}"), "spec.foo"),
    ]

    @Test(arguments: ipamCases) func ipam(_ c: ValidationCase) { check(c) }

    // MARK: §7 — Kubernetes NetworkPolicy (networking.k8s.io/v1)

    static let kubernetesCases: [ValidationCase] = [
        ok("K8s NP full", knp(#"{podSelector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [a, b]}, {key: x, operator: DoesNotExist}]}, ingress: [{from: [{podSelector: {matchLabels: {role: fe}}, namespaceSelector: {}}], ports: [{port: 80}, {protocol: UDP, port: 53}]}], egress: [{to: [{ipBlock: {cidr: "10.0.0.0/8", except: ["10.1.0.0/16"]}}]}], policyTypes: [Ingress, Egress]}"#)),
        ok("K8s NP named test.policy with empty podSelector", knp("{podSelector: {}}", name: "test.policy")),
        ok("K8s NP port range", knp("{podSelector: {}, ingress: [{ports: [{protocol: TCP, port: 80, endPort: 90}]}]}")),
        ok("K8s NP named port", knp("{podSelector: {}, ingress: [{ports: [{port: http}]}]}")),
        ok("K8s NP SCTP port", knp("{podSelector: {}, egress: [{ports: [{protocol: SCTP, port: 9}]}], policyTypes: [Egress]}")),
        ok("K8s NP empty rules", knp("{podSelector: {}, ingress: [{}], egress: [{}]}")),
        bad("K8s NP upper-case name", knp("{podSelector: {}}", name: "Bad"), "metadata.name"),
        bad("K8s NP port protocol ICMP", knp("{podSelector: {}, ingress: [{ports: [{protocol: ICMP, port: 80}]}]}"), "spec.ingress[0].ports[0]"),
        bad("K8s NP endPort below port", knp("{podSelector: {}, ingress: [{ports: [{port: 80, endPort: 70}]}]}"), "spec.ingress[0].ports[0]"),
        bad("K8s NP endPort without port", knp("{podSelector: {}, ingress: [{ports: [{endPort: 70}]}]}"), "spec.ingress[0].ports[0]"),
        bad("K8s NP port 0", knp("{podSelector: {}, egress: [{ports: [{port: 0}]}]}"), "spec.egress[0].ports[0]"),
        bad("K8s NP matchExpressions operator Foo", knp("{podSelector: {matchExpressions: [{key: a, operator: Foo}]}}"), "spec.podSelector"),
        bad("K8s NP matchExpressions In without values", knp("{podSelector: {matchExpressions: [{key: a, operator: In}]}}"), "spec.podSelector"),
        bad("K8s NP matchExpressions Exists with values", knp("{podSelector: {matchExpressions: [{key: a, operator: Exists, values: [x]}]}}"),
            "spec.podSelector"),
        bad("K8s NP podSelector bad label key", knp(#"{podSelector: {matchLabels: {"Bad Key": x}}}"#), "spec.podSelector"),
        bad("K8s NP empty peer", knp("{podSelector: {}, ingress: [{from: [{}]}]}"), "spec.ingress[0].from[0]"),
        bad("K8s NP ipBlock + podSelector", knp(#"{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: "10.0.0.0/8"}, podSelector: {}}]}]}"#),
            "spec.ingress[0].from[0]"),
        bad("K8s NP ipBlock except outside cidr", knp(#"{podSelector: {}, egress: [{to: [{ipBlock: {cidr: "10.0.0.0/8", except: ["11.0.0.0/16"]}}]}]}"#),
            "spec.egress[0].to[0]"),
        undecodable("K8s NP unknown spec field", knp("{podSelector: {}, foo: 1}"), "spec.foo"),
        undecodable("K8s NP ipBlock without cidr", knp("{podSelector: {}, egress: [{to: [{ipBlock: {except: []}}]}]}"), "spec.egress[0].to[0].ipBlock"),
    ]

    @Test(arguments: kubernetesCases) func kubernetesPolicies(_ c: ValidationCase) { check(c) }

    @Test func caseCount() {
        let total = Self.metadataCases.count + Self.policyNameCases.count + Self.ruleCases.count + Self.entityCases.count
            + Self.policyCases.count + Self.endpointCases.count + Self.qosCases.count + Self.ipamCases.count + Self.kubernetesCases.count
        #expect(total >= 160)
    }
}
