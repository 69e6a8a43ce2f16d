import Testing
@testable import CalicoValidation
import CalicoAPI

/// One table row: a resource in YAML and the field path of the error it must produce
/// (`nil` = the resource must validate cleanly).
struct KindCase: Sendable, CustomTestStringConvertible {
    var label: String
    var yaml: String
    var field: String?
    var testDescription: String { label }

    static func valid(_ label: String, _ yaml: String) -> KindCase { KindCase(label: label, yaml: yaml, field: nil) }
    static func invalid(_ label: String, _ yaml: String, at field: String) -> KindCase { KindCase(label: label, yaml: yaml, field: field) }
}

/// A resource of `kind` with a flow-style `spec` (and optional `status`).
private func resource(_ kind: String, name: String = "default", _ spec: String, status: String? = nil) -> String {
    var yaml = """
    apiVersion: projectcalico.org/v3
    kind: \(kind)
    metadata:
      name: \(name)
    spec: \(spec)

    """
    if let status { yaml += "status: \(status)\n" }
    return yaml
}

private func felix(_ spec: String) -> String { resource("FelixConfiguration", spec) }
private func bgpConfig(_ spec: String) -> String { resource("BGPConfiguration", spec) }
private func peer(_ spec: String) -> String { resource("BGPPeer", name: "peer-1", spec) }
private func filter(_ spec: String) -> String { resource("BGPFilter", name: "filter-1", spec) }
private func kcc(_ spec: String, status: String? = nil) -> String { resource("KubeControllersConfiguration", spec, status: status) }
private func node(_ spec: String, status: String? = nil) -> String { resource("Node", name: "node-1", spec, status: status) }

/// Decodes the case's resource, validates it and checks the outcome.
private func check(_ c: KindCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let items = try ResourceReader.read(c.yaml, source: "t.yaml")
    try #require(items.count == 1, sourceLocation: sourceLocation)
    let resource: any CalicoResource
    switch items[0].result {
    case .success(let r): resource = r
    case .failure(let failure):
        Issue.record("decode failed: \(failure)", sourceLocation: sourceLocation)
        return
    }
    let errors = Validator.validate(resource)
    if let field = c.field {
        #expect(!errors.isEmpty && errors.allSatisfy { $0.field == field }, "expected errors only at \(field), got \(errors)",
                sourceLocation: sourceLocation)
        #expect(errors.allSatisfy { !$0.reason.isEmpty }, sourceLocation: sourceLocation)
    } else {
        #expect(errors.isEmpty, "expected no errors, got \(errors)", sourceLocation: sourceLocation)
    }
}

@Suite struct OtherKindRulesTests {
    // MARK: BGPPeer (§10.2, edge cases 59-64)

    static let bgpPeerCases: [KindCase] = [
        // 59
        .valid("59 peerIP IPv4 with port", peer(#"{peerIP: "192.168.1.1:500", asNumber: 64512}"#)),
        .valid("59 peerIP IPv6 with port", peer(#"{peerIP: "[9000::]:500", asNumber: 64512}"#)),
        .valid("peerIP plain IPv4", peer(#"{peerIP: 10.0.0.1, asNumber: 64512, node: node-1}"#)),
        .valid("peerIP plain IPv6", peer(#"{peerIP: "9000::1", asNumber: "1.10"}"#)),
        // 60
        .invalid("60 peerIP port 0", peer(#"{peerIP: "192.168.0.0:0"}"#), at: "spec.peerIP"),
        .invalid("60 peerIP port 65536", peer(#"{peerIP: "192.168.0.0:65536"}"#), at: "spec.peerIP"),
        .invalid("60 peerIP IPv4 empty port", peer(#"{peerIP: "192.168.0.0:"}"#), at: "spec.peerIP"),
        .invalid("60 peerIP IPv6 empty port", peer(#"{peerIP: "[9000::]:"}"#), at: "spec.peerIP"),
        .invalid("60 peerIP port only", peer(#"{peerIP: ":8552"}"#), at: "spec.peerIP"),
        .invalid("60 peerIP empty brackets", peer(#"{peerIP: "[]:8552"}"#), at: "spec.peerIP"),
        .invalid("60 peerIP bad octet", peer(#"{peerIP: "192.168.0.330:170"}"#), at: "spec.peerIP"),
        // 61
        .invalid("61 node and nodeSelector", peer(#"{node: node-1, nodeSelector: "rack == 'a'", peerIP: 10.0.0.1}"#), at: "spec.node"),
        .invalid("61 peerIP and peerSelector", peer(#"{peerIP: 10.0.0.1, peerSelector: "has(rr)"}"#), at: "spec.peerIP"),
        .invalid("61 asNumber and peerSelector", peer(#"{asNumber: 64512, peerSelector: "has(rr)"}"#), at: "spec.asNumber"),
        .valid("peerSelector with nodeSelector", peer(#"{nodeSelector: all(), peerSelector: "has(rr)"}"#)),
        // 62
        .invalid("62 localWorkloadSelector without asNumber", peer(#"{localWorkloadSelector: "app == 'bgp'"}"#), at: "spec.asNumber"),
        .valid("localWorkloadSelector with asNumber", peer(#"{localWorkloadSelector: "app == 'bgp'", asNumber: 65001}"#)),
        .invalid("localWorkloadSelector with peerIP", peer(#"{localWorkloadSelector: "app == 'bgp'", asNumber: 65001, peerIP: 10.0.0.1}"#),
                 at: "spec.peerIP"),
        // 63
        .invalid("63 reachableBy without peerIP", peer(#"{reachableBy: 10.0.0.254, asNumber: 64512}"#), at: "spec.reachableBy"),
        .invalid("63 reachableBy v6 with v4 peer", peer(#"{peerIP: 10.0.0.1, reachableBy: "2001:db8::1", asNumber: 64512}"#),
                 at: "spec.reachableBy"),
        .invalid("63 reachableBy v6 with v4 peer and port", peer(#"{peerIP: "10.0.0.1:179", reachableBy: "2001:db8::1", asNumber: 64512}"#),
                 at: "spec.reachableBy"),
        .valid("reachableBy same family", peer(#"{peerIP: "[2001:db8::2]:179", reachableBy: "2001:db8::1", asNumber: 64512}"#)),
        // 64
        .invalid("64 keepOriginalNextHop with nextHopMode", peer(#"{peerIP: 10.0.0.1, keepOriginalNextHop: true, nextHopMode: Auto}"#),
                 at: "spec.keepOriginalNextHop"),
        .valid("nextHopMode Keep", peer(#"{peerIP: 10.0.0.1, nextHopMode: Keep, asNumber: 64512}"#)),
        .invalid("nextHopMode unknown", peer(#"{peerIP: 10.0.0.1, nextHopMode: keep}"#), at: "spec.nextHopMode"),
        .invalid("ttlSecurity 256", peer(#"{peerIP: 10.0.0.1, ttlSecurity: 256}"#), at: "spec.ttlSecurity"),
        .valid("ttlSecurity 255 and other fields", peer("""
            {peerIP: 10.0.0.1, asNumber: 64512, ttlSecurity: 255, maxRestartTime: 2m, sourceAddress: None,
             reversePeering: Manual, filters: [filter-1, export.v4], numAllowedLocalASNumbers: 2, localASNumber: 65000}
            """)),
        .invalid("filter name not a subdomain", peer(#"{peerIP: 10.0.0.1, filters: [Bad_Filter]}"#), at: "spec.filters[0]"),
        .invalid("maxRestartTime not a duration", peer(#"{peerIP: 10.0.0.1, maxRestartTime: soon}"#), at: "spec.maxRestartTime"),
        .invalid("sourceAddress unknown", peer(#"{peerIP: 10.0.0.1, sourceAddress: NodeIP}"#), at: "spec.sourceAddress"),
        .invalid("nodeSelector unparsable", peer(#"{peerIP: 10.0.0.1, nodeSelector: "rack =="}"#), at: "spec.nodeSelector"),
    ]

    @Test(arguments: bgpPeerCases) func bgpPeer(_ c: KindCase) throws { try check(c) }

    // MARK: BGPConfiguration (§10.1, edge case 65)

    static let bgpConfigurationCases: [KindCase] = [
        .valid("full BGPConfiguration", bgpConfig("""
            {logSeverityScreen: Info, nodeToNodeMeshEnabled: true, asNumber: 64512, listenPort: 179, bindMode: NodeIP,
             serviceClusterIPs: [{cidr: 10.96.0.0/12}], serviceExternalIPs: [{cidr: 104.244.42.129}],
             serviceLoadBalancerIPs: [{cidr: "fd00:1::/112"}], serviceLoadBalancerAggregation: Disabled,
             ignoredInterfaces: ["kube-ipvs*", "dummy0"], localWorkloadPeeringIPV4: 169.254.0.179,
             localWorkloadPeeringIPV6: "fe80::179", nodeMeshMaxRestartTime: 120s,
             communities: [{name: bgp-large-community, value: "63400:300:100"}],
             prefixAdvertisements: [{cidr: 172.218.4.0/26, communities: [bgp-large-community, "63400:120"]}]}
            """)),
        // 65
        .invalid("65 communities without prefixAdvertisements", bgpConfig(#"{communities: [{name: c1, value: "100:200"}]}"#),
                 at: "spec.communities"),
        .invalid("65 community value 65536:999999", bgpConfig("""
            {communities: [{name: c1, value: "65536:999999"}], prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: [c1]}]}
            """), at: "spec.communities[0].value"),
        .invalid("65 advertised 100:1147483647", bgpConfig(#"{prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: ["100:1147483647"]}]}"#),
                 at: "spec.prefixAdvertisements[0].communities[0]"),
        .invalid("65 advertised undefined name", bgpConfig("""
            {communities: [{name: c1, value: "100:200"}], prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: [c1, c2]}]}
            """), at: "spec.prefixAdvertisements[0].communities[1]"),
        .valid("65 advertised 100:5964:1147483647", bgpConfig(#"{prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: ["100:5964:1147483647"]}]}"#)),
        .invalid("community without name", bgpConfig(#"{communities: [{value: "100:200"}], prefixAdvertisements: [{cidr: 10.0.0.0/8}]}"#),
                 at: "spec.communities[0].name"),
        .invalid("prefix advertisement without cidr", bgpConfig(#"{prefixAdvertisements: [{communities: ["100:200"]}]}"#),
                 at: "spec.prefixAdvertisements[0].cidr"),
        .invalid("prefix advertisement bad cidr", bgpConfig(#"{prefixAdvertisements: [{cidr: 10.0.0.0/33}]}"#),
                 at: "spec.prefixAdvertisements[0].cidr"),
        .invalid("listenPort 0", bgpConfig("{listenPort: 0}"), at: "spec.listenPort"),
        .invalid("logSeverityScreen lower case", bgpConfig("{logSeverityScreen: info}"), at: "spec.logSeverityScreen"),
        .invalid("service cluster IPs host bits", bgpConfig("{serviceClusterIPs: [{cidr: 10.96.0.1/12}]}"), at: "spec.serviceClusterIPs[0].cidr"),
        .invalid("ignoredInterfaces star", bgpConfig(#"{ignoredInterfaces: ["*"]}"#), at: "spec.ignoredInterfaces[0]"),
        .invalid("bindMode unknown", bgpConfig("{bindMode: All}"), at: "spec.bindMode"),
        .invalid("localWorkloadPeeringIPV4 given IPv6", bgpConfig(#"{localWorkloadPeeringIPV4: "fd00::1"}"#), at: "spec.localWorkloadPeeringIPV4"),
        .invalid("mesh restart time with mesh disabled", bgpConfig("{nodeToNodeMeshEnabled: false, nodeMeshMaxRestartTime: 120s}"),
                 at: "spec.nodeMeshMaxRestartTime"),
        .invalid("mesh password with mesh disabled",
                 bgpConfig("{nodeToNodeMeshEnabled: false, nodeMeshPassword: {secretKeyRef: {name: bgp, key: pw}}}"),
                 at: "spec.nodeMeshPassword"),
    ]

    @Test(arguments: bgpConfigurationCases) func bgpConfiguration(_ c: KindCase) throws { try check(c) }

    // MARK: BGPFilter (§10.3, edge case 66)

    static let bgpFilterCases: [KindCase] = [
        .valid("full BGPFilter", filter("""
            {exportV4: [{action: Accept, matchOperator: In, cidr: 77.0.0.0/16, prefixLength: {min: 16, max: 24}, source: RemotePeers}],
             importV4: [{action: Reject, interface: "eth*"}],
             exportV6: [{action: Reject, matchOperator: NotEqual, cidr: "9000::/64"}],
             importV6: [{action: Accept, matchOperator: Equal, cidr: "9000::/64", prefixLength: {max: 128}}]}
            """)),
        .valid("66 rule with only an action", filter("{exportV4: [{action: Accept}]}")),
        .invalid("66 cidr without matchOperator", filter("{exportV4: [{action: Accept, cidr: 10.0.0.0/8}]}"), at: "spec.exportV4[0].matchOperator"),
        .invalid("66 matchOperator without cidr", filter("{importV6: [{action: Accept, matchOperator: In}]}"), at: "spec.importV6[0].cidr"),
        .invalid("66 prefixLength without cidr", filter("{importV4: [{action: Accept, prefixLength: {min: 24}}]}"),
                 at: "spec.importV4[0].prefixLength"),
        .invalid("66 no action", filter(#"{exportV6: [{matchOperator: In, cidr: "9000::/64"}]}"#), at: "spec.exportV6[0].action"),
        .invalid("IPv6 cidr in a V4 rule", filter(#"{exportV4: [{action: Accept, matchOperator: In, cidr: "9000::/64"}]}"#),
                 at: "spec.exportV4[0].cidr"),
        .invalid("prefixLength over 32", filter("{importV4: [{action: Accept, matchOperator: In, cidr: 10.0.0.0/8, prefixLength: {max: 33}}]}"),
                 at: "spec.importV4[0].prefixLength.max"),
        .invalid("unknown source", filter("{exportV4: [{action: Accept, source: LocalPeers}]}"), at: "spec.exportV4[0].source"),
        .invalid("unknown action", filter("{exportV4: [{action: accept}]}"), at: "spec.exportV4[0].action"),
        .invalid("unknown matchOperator", filter("{exportV4: [{action: Accept, matchOperator: Contains, cidr: 10.0.0.0/8}]}"),
                 at: "spec.exportV4[0].matchOperator"),
        .invalid("interface too long", filter("{exportV4: [{action: Accept, interface: abcdefghijklmnop}]}"), at: "spec.exportV4[0].interface"),
    ]

    @Test(arguments: bgpFilterCases) func bgpFilter(_ c: KindCase) throws { try check(c) }

    // MARK: FelixConfiguration (§11, edge cases 67-68)

    static let felixCases: [KindCase] = [
        .valid("full FelixConfiguration", felix("""
            {ipv6Support: false, logSeverityScreen: Info, logSeverityFile: Debug, logSeveritySys: Warning, logPrefix: "calico-drop %t: x/y",
             logActionRateLimit: 10/second, logActionRateLimitBurst: 20, iptablesBackend: NFT, chainInsertMode: Append,
             defaultEndpointToHostAction: Return, iptablesFilterAllowAction: Return, iptablesFilterDenyAction: Reject,
             nftablesMode: Auto, nftablesFilterDenyAction: Reject, routeRefreshInterval: 0s, reportingInterval: 1m30s,
             featureDetectOverride: "ChecksumOffloadBroken=true,IPIPDeviceIsL3=,MASQFullyRandom=false", featureGates: "BPFConnectTimeLB=enabled",
             openstackRegion: region-one, healthTimeoutOverrides: [{name: InternalDataplaneMainLoop, timeout: 30s}],
             prometheusMetricsHost: "0.0.0.0", failsafeInboundHostPorts: [{protocol: TCP, port: 22}, {protocol: UDP, port: 68, net: 10.0.0.0/8}],
             kubeNodePortRanges: ["30000:32767", 40000], natPortRange: "32768:65000", natOutgoingAddress: 192.168.1.1,
             natOutgoingExclusions: IPPoolsAndHostIPs, deviceRouteSourceAddressIPv6: "fd00::1", externalNodesList: [10.0.0.1, 10.1.0.0/16],
             iptablesNATOutgoingInterfaceFilter: "docker+", bpfForceTrackPacketsFromIfaces: ["docker+"], bpfLogFilters: {all: "tcp", eth0: "port 80"},
             bpfConntrackTimeouts: {tcpFinsSeen: Auto, tcpEstablished: 1h}, bpfDataIfacePattern: "^(eth|ens).*", bpfPSNATPorts: "20000:29999",
             bpfExtToServiceConnmark: 4294967295, bpfExcludeCIDRsFromNAT: ["10.0.0.1/8"], routeTableRanges: [{min: 1, max: 250}, {min: 1000, max: 2000}],
             wireguardListeningPort: 51820, wireguardRoutingRulePriority: 32765, wireguardInterfaceName: wireguard.cali,
             goMaxProcs: -1, bpfExportBufferSizeMB: 1, bpfMapSizeConntrackCleanupQueue: 1, bpfAttachType: TC, programClusterRoutes: Enabled}
            """)),
        // 67
        .invalid("67 kubeNodePortRanges with 8 entries",
                 felix("{kubeNodePortRanges: [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]}"), at: "spec.kubeNodePortRanges"),
        .valid("kubeNodePortRanges with 7 entries", felix("{kubeNodePortRanges: [1000, 2000, 3000, 4000, 5000, 6000, \"7000:7100\"]}")),
        .invalid("67 kubeNodePortRanges named port", felix("{kubeNodePortRanges: [30000, http]}"), at: "spec.kubeNodePortRanges[1]"),
        // 68
        .invalid("68 routeTableRange {1,253}", felix("{routeTableRange: {min: 1, max: 253}}"), at: "spec.routeTableRange.max"),
        .invalid("68 routeTableRanges {1,0x10000}", felix("{routeTableRanges: [{min: 1, max: 0x10000}]}"), at: "spec.routeTableRanges"),
        .invalid("68 routeTableRange and routeTableRanges", felix("{routeTableRange: {min: 1, max: 250}, routeTableRanges: [{min: 1, max: 250}]}"),
                 at: "spec.routeTableRanges"),
        .valid("routeTableRange {1,250}", felix("{routeTableRange: {min: 1, max: 250}}")),
        .invalid("routeTableRanges min 0", felix("{routeTableRanges: [{min: 0, max: 10}]}"), at: "spec.routeTableRanges[0].min"),
        .invalid("routeTableRanges max below min", felix("{routeTableRanges: [{min: 100, max: 10}]}"), at: "spec.routeTableRanges[0].max"),
        .invalid("iptablesBackend wrong case", felix("{iptablesBackend: nft}"), at: "spec.iptablesBackend"),
        .valid("nftablesMode Auto", felix("{nftablesMode: Auto}")),
        .invalid("nftablesMode lower case", felix("{nftablesMode: enabled}"), at: "spec.nftablesMode"),
        // As upstream's validator on etcd: chainInsertMode, bpfMapSizeConntrackScaling and
        // bpfEnforceRPF are not checked; routeSource only has to compile as a regex.
        .valid("chainInsertMode lower case", felix("{chainInsertMode: append}")),
        .valid("chainInsertMode unknown (unchecked upstream)", felix("{chainInsertMode: Prepend}")),
        .valid("bpfEnforceRPF lower case", felix("{bpfEnforceRPF: strict, bpfMapSizeConntrackScaling: doubleiffull}")),
        .valid("routeSource lower case", felix("{routeSource: workloadips}")),
        .invalid("routeSource not a regex", felix("{routeSource: \"(\"}"), at: "spec.routeSource"),
        .invalid("logPrefix bad character", felix("{logPrefix: \"calico!drop\"}"), at: "spec.logPrefix"),
        .invalid("logActionRateLimit zero", felix("{logActionRateLimit: 0/second}"), at: "spec.logActionRateLimit"),
        .invalid("logActionRateLimit too large", felix("{logActionRateLimit: 10000/minute}"), at: "spec.logActionRateLimit"),
        .invalid("logActionRateLimit bad unit", felix("{logActionRateLimit: 5/week}"), at: "spec.logActionRateLimit"),
        .invalid("logActionRateLimitBurst over 9999", felix("{logActionRateLimitBurst: 10000}"), at: "spec.logActionRateLimitBurst"),
        .invalid("logSeverityScreen Warn", felix("{logSeverityScreen: Warn}"), at: "spec.logSeverityScreen"),
        .invalid("duration with words", felix("{reportingTTL: 10 seconds}"), at: "spec.reportingTTL"),
        .invalid("natOutgoingAddress IPv6", felix(#"{natOutgoingAddress: "fd00::1"}"#), at: "spec.natOutgoingAddress"),
        .invalid("deviceRouteSourceAddressIPv6 IPv4", felix("{deviceRouteSourceAddressIPv6: 10.0.0.1}"), at: "spec.deviceRouteSourceAddressIPv6"),
        .invalid("externalNodesList IPv6", felix(#"{externalNodesList: [10.0.0.0/8, "fd00::/64"]}"#), at: "spec.externalNodesList[1]"),
        .invalid("prometheusMetricsHost bad", felix("{prometheusMetricsHost: \"bad host!\"}"), at: "spec.prometheusMetricsHost"),
        .invalid("healthTimeoutOverrides bad name", felix("{healthTimeoutOverrides: [{name: a/b, timeout: 10s}]}"),
                 at: "spec.healthTimeoutOverrides[0].name"),
        .invalid("healthTimeoutOverrides negative timeout", felix("{healthTimeoutOverrides: [{name: Calc Graph, timeout: -5s}]}"),
                 at: "spec.healthTimeoutOverrides[0].timeout"),
        .invalid("failsafe port lower-case protocol", felix("""
            {failsafeInboundHostPorts: [{protocol: TCP, port: 22}, {protocol: UDP, port: 68}, {protocol: tcp, port: 179}]}
            """), at: "spec.failsafeInboundHostPorts[2].protocol"),
        .invalid("failsafe port out of range", felix("{failsafeOutboundHostPorts: [{protocol: UDP, port: 70000}]}"),
                 at: "spec.failsafeOutboundHostPorts[0].port"),
        .invalid("featureDetectOverride value", felix("{featureDetectOverride: \"ChecksumOffloadBroken=maybe\"}"), at: "spec.featureDetectOverride"),
        .invalid("featureGates not key=value", felix("{featureGates: \"BPFConnectTimeLB\"}"), at: "spec.featureGates"),
        .invalid("bpfConntrackTimeouts bad value", felix("{bpfConntrackTimeouts: {udpTimeout: forever}}"), at: "spec.bpfConntrackTimeouts.udpTimeout"),
        .invalid("wireguardRoutingRulePriority too high", felix("{wireguardRoutingRulePriority: 32766}"), at: "spec.wireguardRoutingRulePriority"),
        .invalid("wireguardInterfaceName too long", felix("{wireguardInterfaceName: wireguard.calico0}"), at: "spec.wireguardInterfaceName"),
        .invalid("wireguardListeningPortV6 zero", felix("{wireguardListeningPortV6: 0}"), at: "spec.wireguardListeningPortV6"),
        .invalid("bpfForceTrackPacketsFromIfaces too long", felix(#"{bpfForceTrackPacketsFromIfaces: ["docker+", "averyverylongiface"]}"#),
                 at: "spec.bpfForceTrackPacketsFromIfaces[1]"),
        .invalid("mtuIfacePattern bad regexp", felix("{mtuIfacePattern: \"(eth\"}"), at: "spec.mtuIfacePattern"),
        .invalid("goMaxProcs below -1", felix("{goMaxProcs: -2}"), at: "spec.goMaxProcs"),
        .invalid("bpfLogFilters bad key", felix(#"{bpfLogFilters: {"eth0/bad": "tcp"}}"#), at: "spec.bpfLogFilters.eth0/bad"),
        .invalid("bpfExportBufferSizeMB zero", felix("{bpfExportBufferSizeMB: 0}"), at: "spec.bpfExportBufferSizeMB"),
        .invalid("bpfKubeProxyHealthzPort zero", felix("{bpfKubeProxyHealthzPort: 0}"), at: "spec.bpfKubeProxyHealthzPort"),
        .invalid("natPortRange zero", felix("{natPortRange: 0}"), at: "spec.natPortRange"),
        .invalid("openstackRegion upper case", felix("{openstackRegion: RegionOne}"), at: "spec.openstackRegion"),
        .invalid("bpfConnectTimeLoadBalancing unknown", felix("{bpfConnectTimeLoadBalancing: UDP}"), at: "spec.bpfConnectTimeLoadBalancing"),
        .invalid("debugPort out of range", felix("{debugPort: 65536}"), at: "spec.debugPort"),
    ]

    @Test(arguments: felixCases) func felixConfiguration(_ c: KindCase) throws { try check(c) }

    // MARK: KubeControllersConfiguration (§12.1)

    static let kubeControllersCases: [KindCase] = [
        .valid("full KubeControllersConfiguration", kcc("""
            {logSeverityScreen: Info, healthChecks: Enabled, etcdV3CompactionPeriod: 10m, prometheusMetricsPort: 9094, debugProfilePort: 0,
             controllers: {node: {reconcilerPeriod: 5m, syncLabels: Enabled, leakGracePeriod: 15m,
                                  hostEndpoint: {autoCreate: Enabled, createDefaultHostEndpoint: Disabled,
                                                 templates: [{generateName: custom-host-eps, interfaceCIDRs: [1.2.3.4/16], interfacePattern: "^eth.*",
                                                              labels: {team: net}, nodeSelector: "has(my-label)"}]}},
                           policy: {reconcilerPeriod: 5m}, workloadEndpoint: {reconcilerPeriod: 5m},
                           serviceAccount: {reconcilerPeriod: 5m}, namespace: {reconcilerPeriod: 5m},
                           loadBalancer: {assignIPs: RequestedServicesOnly}}}
            """, status: "{runningConfig: {logSeverityScreen: Info, controllers: {}}, environmentVars: {ENABLED_CONTROLLERS: node}}")),
        .invalid("logSeverityScreen lower case", kcc("{logSeverityScreen: debug}"), at: "spec.logSeverityScreen"),
        .invalid("healthChecks unknown", kcc("{healthChecks: On}"), at: "spec.healthChecks"),
        .invalid("etcdV3CompactionPeriod not a duration", kcc("{etcdV3CompactionPeriod: ten}"), at: "spec.etcdV3CompactionPeriod"),
        .invalid("prometheusMetricsPort out of range", kcc("{prometheusMetricsPort: 70000}"), at: "spec.prometheusMetricsPort"),
        .invalid("syncLabels unknown", kcc("{controllers: {node: {syncLabels: Yes}}}"), at: "spec.controllers.node.syncLabels"),
        .invalid("policy reconcilerPeriod", kcc("{controllers: {policy: {reconcilerPeriod: 5 minutes}}}"),
                 at: "spec.controllers.policy.reconcilerPeriod"),
        .invalid("assignIPs unknown", kcc("{controllers: {loadBalancer: {assignIPs: Everything}}}"), at: "spec.controllers.loadBalancer.assignIPs"),
        .invalid("template duplicate generateName", kcc("""
            {controllers: {node: {hostEndpoint: {autoCreate: Enabled, templates: [{generateName: eps, interfacePattern: eth0},
                                                                                   {generateName: eps, interfacePattern: eth1}]}}}}
            """), at: "spec.controllers.node.hostEndpoint.templates[1].generateName"),
        .invalid("template without generateName", kcc("{controllers: {node: {hostEndpoint: {templates: [{interfacePattern: eth0}]}}}}"),
                 at: "spec.controllers.node.hostEndpoint.templates[0].generateName"),
        .invalid("template bad interfaceCIDRs", kcc("{controllers: {node: {hostEndpoint: {templates: [{generateName: a, interfaceCIDRs: [10.0.0.0/40]}]}}}}"),
                 at: "spec.controllers.node.hostEndpoint.templates[0].interfaceCIDRs[0]"),
        .invalid("template bad nodeSelector", kcc(#"{controllers: {node: {hostEndpoint: {templates: [{generateName: a, nodeSelector: "a =="}]}}}}"#),
                 at: "spec.controllers.node.hostEndpoint.templates[0].nodeSelector"),
        .invalid("template bad label", kcc(#"{controllers: {node: {hostEndpoint: {templates: [{generateName: a, labels: {"bad key!": x}}]}}}}"#),
                 at: "spec.controllers.node.hostEndpoint.templates[0].labels.bad key!"),
        .invalid("runningConfig bad log level", kcc("{}", status: "{runningConfig: {logSeverityScreen: Verbose}}"),
                 at: "status.runningConfig.logSeverityScreen"),
    ]

    @Test(arguments: kubeControllersCases) func kubeControllersConfiguration(_ c: KindCase) throws { try check(c) }

    // MARK: Node (§12.2) and ClusterInformation (§12.3)

    static let nodeCases: [KindCase] = [
        .valid("full Node", node("""
            {bgp: {asNumber: 64512, ipv4Address: 10.0.0.5/24, ipv6Address: "fd00::5/64", ipv4IPIPTunnelAddr: 192.168.0.1,
                   routeReflectorClusterID: 224.0.0.1},
             ipv4VXLANTunnelAddr: 192.168.0.2, vxlanTunnelMACAddr: "66:cf:23:df:22:07", ipv6VXLANTunnelAddr: "fd00:1::2",
             vxlanTunnelMACAddrV6: "66:cf:23:df:22:08", orchRefs: [{nodeName: node-1, orchestrator: k8s}],
             wireguard: {interfaceIPv4Address: 192.168.0.3, interfaceIPv6Address: "fd00:2::3"},
             addresses: [{address: 10.0.0.5, type: InternalIP}, {address: 10.0.0.0/24, type: CalicoNodeIP}],
             interfaces: [{name: eth0, addresses: [10.0.0.5]}]}
            """, status: "{wireguardPublicKey: \"jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=\", podCIDRs: [10.244.0.0/24]}")),
        .valid("Node with only an IPv6 BGP address", node(#"{bgp: {ipv6Address: "fd00::5/64"}}"#)),
        .invalid("empty bgp", node("{bgp: {}}"), at: "spec.bgp"),
        .invalid("bgp ipv4Address given IPv6", node(#"{bgp: {ipv4Address: "fd00::5/64"}}"#), at: "spec.bgp.ipv4Address"),
        .invalid("routeReflectorClusterID not an address", node("{bgp: {ipv4Address: 10.0.0.5/24, routeReflectorClusterID: cluster-1}}"),
                 at: "spec.bgp.routeReflectorClusterID"),
        .invalid("vxlanTunnelMACAddr bad", node("{vxlanTunnelMACAddr: \"66:cf:23:df:22\"}"), at: "spec.vxlanTunnelMACAddr"),
        .invalid("ipv4VXLANTunnelAddr given IPv6", node(#"{ipv4VXLANTunnelAddr: "fd00::1"}"#), at: "spec.ipv4VXLANTunnelAddr"),
        .invalid("address type unknown", node("{addresses: [{address: 10.0.0.5, type: PublicIP}]}"), at: "spec.addresses[0].type"),
        .invalid("wireguard interface IPv6 given IPv4", node("{wireguard: {interfaceIPv6Address: 10.0.0.1}}"),
                 at: "spec.wireguard.interfaceIPv6Address"),
        .invalid("wireguard public key too short", node("{}", status: "{wireguardPublicKey: \"jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXg==\"}"),
                 at: "status.wireguardPublicKey"),
        .invalid("wireguard public key not base64", node("{}", status: "{wireguardPublicKeyV6: \"not a key\"}"), at: "status.wireguardPublicKeyV6"),
        .valid("ClusterInformation", resource("ClusterInformation", """
            {clusterGUID: 2ac4dc1e6e7b4c1fbeb2c3c4a9c8a1f0, clusterType: "k8s,bgp,kubeadm", calicoVersion: v3.31.7,
             datastoreReady: true, variant: Calico}
            """)),
    ]

    @Test(arguments: nodeCases) func nodeAndClusterInformation(_ c: KindCase) throws { try check(c) }

    // MARK: QoSPolicy (swift-calico's kind)

    static func qos(_ spec: String) -> String { resource("QoSPolicy", name: "voice", spec) }

    static let qosPolicyCases: [KindCase] = [
        .valid("bandwidths, bursts, peak rate, DSCP name", qos("{selector: app == 'voice', order: 10, ingressBandwidth: 10M, ingressBurst: 1Mi, ingressPeakrate: 20M, ingressMinburst: 1500, egressBandwidth: 100M, dscp: EF}")),
        .valid("packet rate with burst, connections, DSCP number", qos("{selector: all(), ingressPacketRate: 100, ingressPacketBurst: 5, egressMaxConnections: 3, dscp: 46}")),
        .invalid("no selector", qos("{ingressBandwidth: 10M}"), at: "spec.selector"),
        .invalid("selector does not parse", qos("{selector: 'app ==', ingressBandwidth: 10M}"), at: "spec.selector"),
        .invalid("no control", qos("{selector: all()}"), at: "spec"),
        .invalid("bandwidth not a quantity", qos("{selector: all(), egressBandwidth: fast}"), at: "spec.egressBandwidth"),
        .invalid("bandwidth below 1k", qos("{selector: all(), egressBandwidth: 10}"), at: "spec.egressBandwidth"),
        .invalid("burst without bandwidth", qos("{selector: all(), ingressBurst: 1M}"), at: "spec.ingressBurst"),
        .invalid("peak rate not above the bandwidth", qos("{selector: all(), ingressBandwidth: 10M, ingressPeakrate: 10M}"), at: "spec.ingressPeakrate"),
        .invalid("minburst without peak rate", qos("{selector: all(), ingressBandwidth: 10M, ingressMinburst: 1500}"), at: "spec.ingressMinburst"),
        .invalid("packet rate over 10k", qos("{selector: all(), egressPacketRate: 20000}"), at: "spec.egressPacketRate"),
        .invalid("packet burst without rate", qos("{selector: all(), egressPacketBurst: 5}"), at: "spec.egressPacketBurst"),
        .invalid("connections zero", qos("{selector: all(), ingressMaxConnections: 0}"), at: "spec.ingressMaxConnections"),
        .invalid("DSCP 64", qos("{selector: all(), dscp: 64}"), at: "spec.dscp"),
        .invalid("DSCP unknown name", qos("{selector: all(), dscp: AF99}"), at: "spec.dscp"),
    ]

    @Test(arguments: qosPolicyCases) func qosPolicy(_ c: KindCase) throws { try check(c) }

    // MARK: Helpers

    @Test func communityValues() {
        #expect(BGPRules.isCommunity("65535:65535"))
        #expect(BGPRules.isCommunity("4294967295:0:4294967295"))
        #expect(!BGPRules.isCommunity("65536:1"))
        #expect(!BGPRules.isCommunity("1:2:4294967296"))
        #expect(!BGPRules.isCommunity("1:"))
        #expect(!BGPRules.isCommunity("1:2:3:4"))
    }

    @Test func ipPortParsing() {
        #expect(BGPRules.ipOfIPPort("10.0.0.1:179")?.description == "10.0.0.1")
        #expect(BGPRules.ipOfIPPort("[fd00::1]:179")?.description == "fd00::1")
        #expect(BGPRules.ipOfIPPort("fd00::1:179")?.description == "fd00::1:179")
        #expect(BGPRules.ipOfIPPort("[fd00::1]") == nil)
        #expect(BGPRules.ipOfIPPort("10.0.0.1:x") == nil)
    }
}
