import Testing
import CalicoAPI
@testable import CalicoValidation

// Errors in upstream calicoctl 3.31's words (libcalico-go's validator and client checks):
// `error with field <GoName> = '<value>' (<reason>)`. Each row is a resource and the exact
// `FieldError.description` one of its errors must have.

struct UpstreamCase: Sendable, CustomTestStringConvertible {
    var label: String
    var yaml: String
    var expected: String
    var testDescription: String { label }
}

private func doc(_ kind: String, name: String = "x1", ns: String? = nil, labels: String? = nil, _ spec: String,
                 status: String? = nil) -> String {
    var yaml = "apiVersion: projectcalico.org/v3\nkind: \(kind)\nmetadata:\n  name: \"\(name)\"\n"
    if let ns { yaml += "  namespace: \(ns)\n" }
    if let labels { yaml += "  labels: \(labels)\n" }
    yaml += "spec: \(spec)\n"
    if let status { yaml += "status: \(status)\n" }
    return yaml
}

private func np(_ spec: String, name: String = "p1") -> String { doc("NetworkPolicy", name: name, ns: "ns1", spec) }
private func gnp(_ spec: String, name: String = "p1") -> String { doc("GlobalNetworkPolicy", name: name, spec) }
private func rule(_ r: String) -> String { np("{ingress: [\(r)]}") }
private func row(_ label: String, _ yaml: String, _ expected: String) -> UpstreamCase {
    UpstreamCase(label: label, yaml: yaml, expected: expected)
}
private func tagged(_ field: String, _ value: String, _ tag: String) -> String {
    "error with field \(field) = '\(value)' (Reason: failed to validate Field: \(field) because of Tag: \(tag) )"
}

private let upstreamCases: [UpstreamCase] = [
    // The issue's examples.
    row("struct tag: nets", rule(#"{action: Allow, source: {nets: ["10.0.0.0/33"]}}"#), tagged("Nets[0]", "10.0.0.0/33", "net")),
    row("pool too small", doc("IPPool", #"{cidr: 10.0.250.0/32}"#),
        "error with field IPPool.Spec.CIDR = '10.0.250.0/32' (IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.)"),
    row("bad peerIP", doc("BGPPeer", #"{peerIP: badpeerIP}"#), tagged("PeerIP", "badpeerIP", "IP:port")),
    row("port 0", rule(#"{action: Allow, protocol: TCP, destination: {ports: [0]}}"#),
        "error with field Port = '0' (port range invalid, port number must be between 1 and 65535)"),
    row("HEP interface", doc("HostEndpoint", #"{node: n1, interfaceName: "bad/iface"}"#), tagged("InterfaceName", "bad/iface", "interface")),
    row("HEP node", doc("HostEndpoint", #"{node: "Bad_Node", interfaceName: eth0}"#), tagged("Node", "Bad_Node", "name")),
    row("rule action", rule("{action: Accept}"), tagged("Action", "Accept", "action")),

    // Metadata.
    row("name", doc("GlobalNetworkSet", name: "Bad_Name", "{}"),
        #"error with field Metadata.Name = 'Bad_Name' (name must consist of lower case alphanumeric characters, '-' or '.' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*))"#),
    row("policy name", np("{}", name: "a.b.c"),
        "error with field Metadata.Name = 'a.b.c' (name must consist of lower case alphanumeric characters or '-' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?))"),
    row("tier name too long", doc("Tier", name: String(repeating: "t", count: 70), "{}"),
        "error with field Metadata.Name = '\(String(repeating: "t", count: 70))' (name is too long by 7 bytes)"),
    row("label key", doc("GlobalNetworkSet", labels: #"{"a/b/c": x}"#, "{}"),
        "error with field Metadata.Labels (label) = 'a/b/c' (a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName'))"),
    row("label value", doc("GlobalNetworkSet", labels: #"{a: "-x"}"#, "{}"),
        "error with field Metadata.Labels (value) = '-x' (a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'))"),
    row("reserved label", doc("NetworkSet", ns: "ns1", labels: #"{"projectcalico.org/namespace": x}"#, "{}"),
        "error with field Metadata.Labels (label) = 'projectcalico.org/namespace' (projectcalico.org/namespace is not a valid label name)"),

    // Policies.
    row("types repeated", np("{types: [Ingress, Ingress]}"),
        "error with field NetworkPolicySpec.Types = '[Ingress Ingress]' ('Ingress' type specified more than once)"),
    row("global() in selector", gnp(#"{selector: "global()"}"#),
        "error with field GlobalNetworkPolicySpec.Selector = 'global()' (global() can only be used in an EntityRule namespaceSelector)"),
    row("selector syntax", np(#"{selector: "a ==="}"#), tagged("Selector", "a ===", "selector")),
    row("egress http", np("{egress: [{action: Allow, http: {methods: [GET]}}]}"),
        "error with field HTTP = '{[GET] []}' (not allowed in egress rule)"),
    row("GNP egress http", gnp("{egress: [{action: Allow, http: {methods: [GET]}}]}"),
        "error with field HTTP = '{[GET] []}' (not allowed in egress rules)"),
    row("egress source services", np("{egress: [{action: Allow, source: {services: {name: s1}}}]}"),
        "error with field Services = '{s1 }' (not allowed in egress rule source)"),
    row("ingress destination services", np("{ingress: [{action: Allow, destination: {services: {name: s1}}}]}"),
        "error with field Services = '{s1 }' (not allowed in ingress rule destination)"),
    row("GNP services namespace", gnp("{ingress: [{action: Allow, source: {services: {name: s1}}}]}"),
        "error with field Namespace = '' (must specify a namespace)"),
    row("preDNAT+doNotTrack", gnp("{preDNAT: true, doNotTrack: true, applyOnForward: true}"),
        "error with field PolicySpec.PreDNAT = 'true' (PreDNAT and DoNotTrack cannot both be true, for a given PolicySpec)"),
    row("applyOnForward", gnp("{doNotTrack: true}"),
        "error with field PolicySpec.ApplyOnForward = 'false' (ApplyOnForward must be true if either PreDNAT or DoNotTrack is true, for a given PolicySpec)"),
    row("preDNAT Egress type", gnp("{preDNAT: true, applyOnForward: true, types: [Ingress, Egress]}"),
        "error with field PolicySpec.Types = '[Ingress Egress]' (PreDNAT PolicySpec cannot have 'egress' Type)"),
    row("performance hint", np("{performanceHints: [Fast]}"), tagged("PerformanceHints[0]", "Fast", "oneof")),
    row("staged delete", doc("StagedNetworkPolicy", ns: "ns1", "{stagedAction: Delete, selector: all()}"),
        "error with field StagedNetworkPolicySpec = '' (Spec fields, except Tier, should all be zero-value if stagedAction is Delete)"),
    row("tier order", doc("Tier", name: "default", "{order: 5}"), "error with field TierSpec.Order = '5' (default tier order must be 1e+06)"),

    // Rules.
    row("ipVersion", rule("{action: Allow, ipVersion: 5}"), tagged("IPVersion", "5", "ipVersion")),
    row("protocol name", rule("{action: Allow, protocol: tcp}"), "error with field Protocol = 'tcp' (protocol name invalid)"),
    row("protocol number", rule("{action: Allow, protocol: 0}"), "error with field Protocol = '0' (protocol number invalid)"),
    row("ports need protocol", rule("{action: Allow, destination: {ports: [80, 443]}}"),
        "error with field Destination.Ports = '[80 443]' (rules that specify ports must set protocol to TCP or UDP or SCTP)"),
    row("icmp type", rule("{action: Allow, protocol: ICMP, icmp: {type: 255}}"), tagged("Type", "255", "lte")),
    row("icmp code without type", rule("{action: Allow, protocol: ICMP, icmp: {code: 1}}"),
        "error with field Code = '1' (ICMP code specified without an ICMP type)"),
    row("ICMP with ipVersion 6", rule("{action: Allow, protocol: ICMP, ipVersion: 6}"),
        "error with field IPVersion = '<nil>' (must set ipversion to '4' with protocol icmp)"),
    row("mixed families", rule(#"{action: Allow, source: {nets: ["10.0.0.0/8"]}, destination: {nets: ["fd00::/64"]}}"#),
        "error with field Destination.Nets = '[fd00::/64]' (rule contains both IPv4 and IPv6 CIDRs)"),
    row("ipVersion mismatch", rule(#"{action: Allow, ipVersion: 6, destination: {nets: ["10.0.0.0/8"]}}"#),
        "error with field Destination.Nets = '[]' (rule IP version doesn't match CIDR version)"),
    row("bare IP in nets", rule(#"{action: Allow, source: {notNets: ["10.0.0.1"]}}"#),
        "error with field Source.NotNets = '10.0.0.1' (invalid CIDR)"),
    row("host bits", rule(#"{action: Allow, source: {nets: ["10.0.0.1/8"]}}"#), tagged("Nets[0]", "10.0.0.1/8", "net")),
    row("named port", rule(#"{action: Allow, protocol: TCP, destination: {ports: ["Bad-"]}}"#),
        "error with field PortName = 'Bad-' (Reason: failed to validate Field: PortName because of Tag: portName )"),
    row("selector global", rule(#"{action: Allow, source: {selector: "global()"}}"#),
        "error with field Selector field = 'global()' (global() can only be used in an EntityRule namespaceSelector)"),
    row("namespaceSelector global combined", rule(#"{action: Allow, source: {namespaceSelector: "global() && a == 'b'"}}"#),
        "error with field NamespaceSelector field = 'global() && a == 'b'' (global() cannot be combined with other selectors)"),
    row("services without name", rule("{action: Allow, source: {services: {namespace: ns2}}}"),
        "error with field Services field = '{ ns2}' (must specify a service name)"),
    row("services with nets", rule(#"{action: Allow, source: {services: {name: s1}, nets: ["10.0.0.0/8"]}}"#),
        "error with field Services field = '{s1 }' (cannot specify Nets/NotNets and Services on the same rule)"),
    row("services with ports", np("{egress: [{action: Allow, protocol: TCP, destination: {services: {name: s1}, ports: [80]}}]}"),
        "error with field Destination.Ports = '[80]' (cannot specify ports with a service selector)"),
    row("http on Deny", rule("{action: Deny, http: {methods: [GET]}}"), "error with field HTTP = '{[GET] []}' (only valid for Allow rules)"),
    row("http protocol", rule("{action: Allow, protocol: UDP, http: {methods: [GET]}}"),
        "error with field Protocol = 'UDP' (rules that specify HTTP fields must set protocol to TCP or empty)"),
    row("http methods", rule("{action: Allow, http: {methods: [GET, GET]}}"),
        "error with field Methods = '[GET GET]' (Invalid methods (duplicates): [GET GET])"),
    row("http path", rule("{action: Allow, http: {paths: [{exact: foo}]}}"),
        "error with field Paths = '[{foo }]' (Invalid path foo. (must start with `/` and not contain `?` or `#`)"),
    row("rule annotations", rule(#"{action: Allow, metadata: {annotations: {"/x": y}}}"#),
        "error with field Metadata.Annotations (key) = '/x' (prefix part must be non-empty)"),

    // Endpoints and sets.
    row("HEP no node", doc("HostEndpoint", "{interfaceName: eth0}"), "error with field InterfaceName = '' (no node has been specified)"),
    row("HEP nothing", doc("HostEndpoint", "{node: n1}"),
        "error with field InterfaceName = '' (no interface or expected IPs have been specified)"),
    row("HEP expectedIPs", doc("HostEndpoint", "{node: n1, expectedIPs: [nope]}"), tagged("ExpectedIPs[0]", "nope", "ip")),
    row("HEP port protocol", doc("HostEndpoint", "{node: n1, interfaceName: eth0, ports: [{name: web, protocol: ICMP, port: 80}]}"),
        "error with field EndpointPort.Protocol = 'ICMP' (EndpointPort protocol does not support ports.)"),
    row("HEP port 0", doc("HostEndpoint", "{node: n1, interfaceName: eth0, ports: [{name: web, protocol: TCP, port: 0}]}"),
        tagged("Port", "0", "gt")),
    row("WEP mac", doc("WorkloadEndpoint", ns: "ns1", "{interfaceName: cali1, mac: zz}"), tagged("MAC", "zz", "mac")),
    row("WEP networks", doc("WorkloadEndpoint", ns: "ns1", #"{interfaceName: cali1, ipNetworks: ["10.0.0.0/24"]}"#),
        "error with field IPNetworks = '[10.0.0.0/24]' (IP network contains multiple addresses)"),
    row("WEP port name", doc("WorkloadEndpoint", ns: "ns1", "{interfaceName: cali1, ports: [{protocol: TCP, port: 80}]}"),
        "error with field WorkloadEndpointPort.Name = '' (WorkloadEndpointPort name must not be empty if no HostPort is specified)"),
    row("WEP NAT outside", doc("WorkloadEndpoint", ns: "ns1",
                               #"{interfaceName: cali1, ipNetworks: ["10.0.0.1/32"], ipNATs: [{internalIP: 10.0.0.2, externalIP: 1.2.3.4}]}"#),
        "error with field IPNATs = '[{10.0.0.2 1.2.3.4}]' (NAT is not in the endpoint networks)"),
    row("profile labelsToApply", doc("Profile", #"{labelsToApply: {"a b": c}}"#),
        "error with field LabelsToApply = 'map[a b:c]' (Reason: failed to validate Field: LabelsToApply because of Tag: labels )"),
    row("network set nets", doc("GlobalNetworkSet", #"{nets: ["10.0.0.300/8"]}"#), tagged("Nets[0]", "10.0.0.300/8", "cidr")),

    // IPAM.
    row("pool CIDR required", doc("IPPool", "{}"), "error with field IPPool.Spec.CIDR (IPPool CIDR must be specified)"),
    row("pool not masked", doc("IPPool", "{cidr: 10.0.0.1/24}"),
        "error with field IPPool.Spec.CIDR = '10.0.0.0/24' (IPPool CIDR is not strictly masked)"),
    row("pool link local", doc("IPPool", "{cidr: 169.254.0.0/24}"),
        "error with field IPPool.Spec.CIDR = '169.254.0.0/24' (IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16)"),
    row("pool block size", doc("IPPool", "{cidr: 10.0.0.0/16, blockSize: 33}"),
        "error with field IPPool.Spec.BlockSize = '33' (IPv4 block size must be between 20 and 32)"),
    row("pool modes", doc("IPPool", "{cidr: 10.0.0.0/16, ipipMode: Always, vxlanMode: Always}"),
        "error with field IPPool.Spec.VXLANMode = 'Always' (Cannot enable both VXLAN and IPIP on the same IPPool)"),
    row("pool ipipMode", doc("IPPool", "{cidr: 10.0.0.0/16, ipipMode: always}"), tagged("IPIPMode", "always", "ipIpMode")),
    row("pool LB nodeSelector", doc("IPPool", "{cidr: 10.0.0.0/16, allowedUses: [LoadBalancer]}"),
        "error with field IPpool.NodeSelector = '10.0.0.0/16' (IP Pool with AllowedUse LoadBalancer must have node selector set to all())"),
    row("pool unknown use", doc("IPPool", "{cidr: 10.0.0.0/16, allowedUses: [Foo]}"),
        "error with field IPpool.AllowedUses = '[Foo]' (unknown use: Foo)"),
    row("reservation", doc("IPReservation", "{reservedCIDRs: [nope]}"), tagged("ReservedCIDRs", "[nope]", "cidrs")),
    row("IPAM config", doc("IPAMConfiguration", name: "default", "{maxBlocksPerHost: -1}"),
        "error with field MaxBlocksPerHost = '-1' (must be greater than or equal to 0)"),

    // BGP.
    row("BGP config logSeverity", doc("BGPConfiguration", name: "default", "{logSeverityScreen: info}"),
        tagged("LogSeverityScreen", "info", "logLevel")),
    row("BGP community value", doc("BGPConfiguration", name: "default",
                                   "{communities: [{name: c1, value: \"70000:1\"}], prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: [c1]}]}"),
        "error with field Spec.Communities[].Value = '70000:1' (invalid community value, expected 16 bit value)"),
    row("BGP communities unused", doc("BGPConfiguration", name: "default", "{communities: [{name: c1, value: \"1:1\"}]}"),
        "error with field Spec.Communities[] = '[{c1 1:1}]' (communities are defined but not used in Spec.PrefixAdvertisement[].)"),
    row("BGP prefix community", doc("BGPConfiguration", name: "default", "{prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: [nope]}]}"),
        "error with field Spec.PrefixAdvertisement[].Communities[] = 'nope' (community used is invalid or not defined.)"),
    row("BGP cluster IPs", doc("BGPConfiguration", name: "default", "{serviceClusterIPs: [{cidr: 10.0.0.1/8}]}"),
        tagged("CIDR", "10.0.0.1/8", "net")),
    row("peer node+selector", doc("BGPPeer", "{node: n1, nodeSelector: all()}"),
        "error with field Node = 'n1' (Node field must be empty when NodeSelector is specified)"),
    row("peer AS with selector", doc("BGPPeer", "{peerSelector: all(), asNumber: 64512}"),
        "error with field ASNumber = '64512' (ASNumber field must be empty when PeerSelector is specified)"),
    row("peer reachableBy", doc("BGPPeer", "{reachableBy: 10.0.0.1}"),
        "error with field ReachableBy = '10.0.0.1' (ReachablyBy field must be empty when PeerIP is empty)"),
    row("peer sourceAddress", doc("BGPPeer", "{sourceAddress: Foo}"), tagged("SourceAddress", "Foo", "sourceAddress")),
    row("filter cidr", doc("BGPFilter", "{exportV4: [{action: Accept, cidr: fd00::/64, matchOperator: In}]}"),
        tagged("CIDR", "fd00::/64", "netv4")),
    row("filter operator", doc("BGPFilter", "{importV4: [{action: Accept, cidr: 10.0.0.0/8}]}"),
        "error with field CIDR = '10.0.0.0/8' (MatchOperator cannot be empty when CIDR is not)"),
    row("filter action", doc("BGPFilter", "{importV6: [{action: Allow}]}"), tagged("Action", "Allow", "filterAction")),

    // FelixConfiguration.
    row("felix backend", doc("FelixConfiguration", name: "default", "{iptablesBackend: nft}"), tagged("IptablesBackend", "nft", "iptablesBackend")),
    row("felix enum", doc("FelixConfiguration", name: "default", "{awsSrcDstCheck: disable}"), tagged("AWSSrcDstCheck", "disable", "oneof")),
    row("felix CRD-only enum: our words", doc("FelixConfiguration", name: "default", "{bpfAttachType: tc}"),
        "error with field spec.bpfAttachType = 'tc' (must be TC or TCX (case-sensitive))"),
    row("felix route rule priority", doc("FelixConfiguration", name: "default", "{wireguardRoutingRulePriority: 40000}"),
        tagged("WireguardRoutingRulePriority", "40000", "lt")),
    row("felix DSR opt-out", doc("FelixConfiguration", name: "default", "{bpfDSROptoutCIDRs: [10.0.0.0/8, nope]}"),
        tagged("BPFDSROptoutCIDRs", "[10.0.0.0/8 nope]", "cidrs")),
    row("WEP hostIP", doc("WorkloadEndpoint", ns: "ns1", "{interfaceName: cali1, ports: [{name: web, protocol: TCP, port: 80, hostIP: nope}]}"),
        tagged("HostIP", "nope", "net")),
    row("KCC template CIDRs", doc("KubeControllersConfiguration", name: "default",
                                  "{controllers: {node: {hostEndpoint: {templates: [{generateName: t1, interfaceCIDRs: [nope]}]}}}}"),
        tagged("InterfaceCIDRs", "[nope]", "cidrs")),
    row("no counterpart: our words", rule(#"{action: Allow, source: {notNets: ["0.0.0.0/0"]}}"#),
        "error with field spec.ingress[0].source.notNets[0] = '0.0.0.0/0' (notNets must not match all addresses)"),
    row("felix NAT address", doc("FelixConfiguration", name: "default", "{natOutgoingAddress: \"fd00::1\"}"),
        "error with field NATOutgoingAddress = 'fd00::1' (is not a valid IPv4 address)"),
    row("felix region", doc("FelixConfiguration", name: "default", "{openstackRegion: Bad}"),
        "error with field OpenstackRegion = 'Bad' (must be a valid DNS label)"),
    row("felix node ports", doc("FelixConfiguration", name: "default", "{kubeNodePortRanges: [http]}"),
        "error with field KubeNodePortRanges = '[http]' (node port ranges should not contain named ports)"),
    row("felix failsafe", doc("FelixConfiguration", name: "default", "{failsafeInboundHostPorts: [{protocol: tcp, port: 22}]}"),
        "error with field ProtoPort.Protocol = 'tcp' (protocol must be 'TCP' or 'UDP' or 'SCTP'.)"),
    row("felix route table range", doc("FelixConfiguration", name: "default", "{routeTableRange: {min: 0, max: 10}}"),
        "error with field RouteTableRange = '{0 10}' (must be a range of route table indices within 1..250)"),
    row("felix health override", doc("FelixConfiguration", name: "default", "{healthTimeoutOverrides: [{name: \"a!\", timeout: 30s}]}"),
        "error with field HealthTimeoutOverride.Name = '{a! 30s}' (name should match regex ^[a-zA-Z0-9_ -]+$)"),
    row("felix external nodes", doc("FelixConfiguration", name: "default", "{externalNodesList: [\"fd00::/64\"]}"),
        "error with field ExternalNodesCIDRList = 'fd00::/64' (has invalid IPv6 CIDR)"),
    row("felix wireguard port", doc("FelixConfiguration", name: "default", "{wireguardListeningPort: 0}"),
        tagged("WireguardListeningPort", "0", "gt")),

    // KubeControllersConfiguration and Node.
    row("KCC log level", doc("KubeControllersConfiguration", name: "default", "{logSeverityScreen: Verbose}"),
        tagged("LogSeverityScreen", "Verbose", "logLevel")),
    row("KCC assignIPs", doc("KubeControllersConfiguration", name: "default", "{controllers: {loadBalancer: {assignIPs: Some}}}"),
        tagged("AssignIPs", "Some", "assignIPs")),
    row("node ipv4Address", doc("Node", name: "n1", "{bgp: {ipv4Address: \"fd00::1/64\"}}"), tagged("IPv4Address", "fd00::1/64", "cidrv4")),
    row("node wireguard key", doc("Node", name: "n1", "{}", status: "{wireguardPublicKey: nope}"),
        tagged("WireguardPublicKey", "nope", "wireguardPublicKey")),
]

@Suite struct UpstreamMessagesTests {
    @Test(arguments: upstreamCases)
    func upstreamWords(_ c: UpstreamCase) throws {
        let items = try ResourceReader.read(c.yaml, source: "t.yaml")
        try #require(items.count == 1)
        let resource = try items[0].result.get()
        let errors = Validator.validate(resource)
        #expect(errors.map(\.description).contains(c.expected), "got \(errors.map(\.description))")
    }

    @Test func detailKeepsOurTerms() {
        let e = FieldError(field: "spec.cidr", value: "x", reason: "ours", upstreamField: "IPPool.Spec.CIDR", upstreamReason: "theirs")
        #expect(e.detail == "spec.cidr = 'x' (ours)")
        #expect(e.upstreamDetail == "IPPool.Spec.CIDR = 'x' (theirs)")
        #expect(e.description == "error with field IPPool.Spec.CIDR = 'x' (theirs)")
    }

    @Test func goFloats() {
        #expect(Upstream.float(1_000_000) == "1e+06")
        #expect(Upstream.float(10_000_000) == "1e+07")
        #expect(Upstream.float(1000) == "1000")
        #expect(Upstream.float(123456) == "123456")
        #expect(Upstream.float(1_234_567) == "1.234567e+06")
        #expect(Upstream.float(0.5) == "0.5")
        #expect(Upstream.float(0.00001) == "1e-05")
        #expect(Upstream.float(-2.5) == "-2.5")
    }

    @Test func portParseErrors() {
        func message(_ text: String) -> String? {
            do { _ = try Port(parsing: text); return nil } catch { return error.message }
        }
        #expect(message("1:65536") == "invalid maximum port number in range (1:65536)")
        #expect(message("65536:1") == "invalid minimum port number in range (65536:1)")
        #expect(message("65535:1") == "minimum port number (65535) is greater than maximum port number (1) in port range")
        #expect(message("70000") == "invalid port format (70000)")
        #expect(message("a:b:c") == "invalid name for named port (a:b:c)")
        #expect(message("bad port") == "invalid name for named port (bad port)")
    }
}
