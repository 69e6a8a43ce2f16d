import CalicoAPI
import Foundation
import Testing
@testable import CalicoCtlCore

private func resources(_ yaml: String) throws -> [any CalicoResource] {
    try ResourceReader.read(yaml, source: "t.yaml").map { try $0.result.get() }
}

private func kind(_ name: String) -> ResourceKind { ResourceRegistry.kind(named: name)! }

private func table(_ yaml: String, _ kindName: String, wide: Bool = false, showNamespace: Bool = false,
                   globalAS: String = "64512") throws -> String {
    TablePrinter.render(try resources(yaml), kind: kind(kindName), wide: wide, showNamespace: showNamespace, globalASNumber: globalAS)
}

/// Table rows without the padding after the last column, for compact expectations.
private func trimmed(_ s: String) -> [String] {
    s.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        var l = Substring(line)
        while l.last == " " { l = l.dropLast() }
        return String(l)
    }
}

private let pools = """
    apiVersion: projectcalico.org/v3
    kind: IPPool
    metadata: {name: pool1}
    spec: {cidr: 10.0.0.0/16, nodeSelector: all(), natOutgoing: true, ipipMode: Always, assignmentMode: Automatic}
    ---
    apiVersion: projectcalico.org/v3
    kind: IPPool
    metadata: {name: pool-two}
    spec: {cidr: 192.168.0.0/24, vxlanMode: CrossSubnet, disabled: true}
    """

private let policies = """
    - apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: default.p1}
      spec: {tier: default, order: 100, selector: app == 'web'}
    - apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: security.p2}
      spec: {tier: security, order: 1.5, selector: all()}
    - apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: default.p3}
      spec: {tier: default, order: 1000000}
    - apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata: {name: p4}
      spec: {}
    """

private let weps = """
    - apiVersion: projectcalico.org/v3
      kind: WorkloadEndpoint
      metadata: {name: node1-k8s-web--1-eth0, namespace: prod}
      spec:
        orchestrator: k8s
        node: node1
        pod: web-1
        endpoint: eth0
        interfaceName: cali1234
        ipNetworks: [10.0.0.5/32, fd00::5/128]
        profiles: [kns.prod, ksa.prod.default]
        ipNATs: [{internalIP: 10.0.0.5, externalIP: 172.16.0.5}]
    - apiVersion: projectcalico.org/v3
      kind: WorkloadEndpoint
      metadata: {name: host-openstack-vm-eth0, namespace: default}
      spec: {orchestrator: openstack, workload: vm, node: host, endpoint: eth0, interfaceName: tap0}
    """

@Suite struct TableOutputTests {
    @Test func ipPoolPsIsExact() throws {
        let out = try table(pools, "ippool")
        #expect(out == """
            NAME       CIDR             SELECTOR   
            pool1      10.0.0.0/16      all()      
            pool-two   192.168.0.0/24              
            
            
            """)
    }

    @Test func ipPoolWideIsExact() throws {
        let out = try table(pools, "ippools", wide: true)
        #expect(out == """
            NAME       CIDR             NAT     IPIPMODE   VXLANMODE     DISABLED   DISABLEBGPEXPORT   SELECTOR   ASSIGNMENTMODE   
            pool1      10.0.0.0/16      true    Always     Never         false      false              all()      Automatic        
            pool-two   192.168.0.0/24   false   Never      CrossSubnet   true       false                         <nil>            
            
            
            """)
    }

    @Test func bgpPeerNodeColumnFallsBackToSelectorThenGlobal() throws {
        let yaml = """
            - {apiVersion: projectcalico.org/v3, kind: BGPPeer, metadata: {name: a}, spec: {node: n1, peerIP: 10.0.0.1, asNumber: 64513}}
            - {apiVersion: projectcalico.org/v3, kind: BGPPeer, metadata: {name: b}, spec: {nodeSelector: rack == 'r1', peerIP: 10.0.0.2, asNumber: 65000}}
            - {apiVersion: projectcalico.org/v3, kind: BGPPeer, metadata: {name: c}, spec: {peerSelector: all()}}
            """
        let out = try table(yaml, "bgppeer")
        #expect(out == """
            NAME   PEERIP     NODE           ASN     
            a      10.0.0.1   n1             64513   
            b      10.0.0.2   rack == 'r1'   65000   
            c                 (global)       0       
            
            
            """)
        #expect(try table(yaml, "bp", wide: true) == out)
    }

    @Test func bgpConfigurationDashesWhenUnset() throws {
        let out = try table("""
            - {apiVersion: projectcalico.org/v3, kind: BGPConfiguration, metadata: {name: default}, spec: {logSeverityScreen: Info, nodeToNodeMeshEnabled: false, asNumber: 63400}}
            - {apiVersion: projectcalico.org/v3, kind: BGPConfiguration, metadata: {name: node.n1}, spec: {}}
            """, "bgpconfig")
        #expect(trimmed(out) == [
            "NAME      LOGSEVERITY   MESHENABLED   ASNUMBER",
            "default   Info          false         63400",
            "node.n1                 -             -",
            "", "",
        ])
    }

    @Test func nodeWideShowsInheritedAS() throws {
        let yaml = """
            - {apiVersion: projectcalico.org/v3, kind: Node, metadata: {name: n1}, spec: {bgp: {ipv4Address: 10.0.0.1/24, asNumber: 65001}}}
            - {apiVersion: projectcalico.org/v3, kind: Node, metadata: {name: n2}, spec: {bgp: {ipv4Address: 10.0.0.2/24, ipv6Address: "fd00::2/64"}}}
            - {apiVersion: projectcalico.org/v3, kind: Node, metadata: {name: n3}, spec: {}}
            """
        #expect(trimmed(try table(yaml, "nodes", wide: true)) == [
            "NAME   ASN       IPV4          IPV6",
            "n1     65001     10.0.0.1/24",
            "n2     (64512)   10.0.0.2/24   fd00::2/64",
            "n3",
            "", "",
        ])
        #expect(try table(yaml, "node", wide: true, globalAS: "63000").contains("n2     (63000)   10.0.0.2/24"))
        #expect(trimmed(try table(yaml, "no")) == ["NAME", "n1", "n2", "n3", "", ""])
    }

    @Test func workloadEndpointsWithNamespaceColumn() throws {
        let out = try table(weps, "wep", showNamespace: true)
        #expect(out == """
            NAMESPACE   WORKLOAD   NODE    NETWORKS                  INTERFACE   
            prod        web-1      node1   10.0.0.5/32,fd00::5/128   cali1234    
            default     vm         host                              tap0        
            
            
            """)
        #expect(trimmed(try table(weps, "workloadendpoints", wide: true)) == [
            "NAME                     WORKLOAD   NODE    NETWORKS                  INTERFACE   PROFILES                    NATS",
            "node1-k8s-web--1-eth0    web-1      node1   10.0.0.5/32,fd00::5/128   cali1234    kns.prod,ksa.prod.default   {10.0.0.5 172.16.0.5}",
            "host-openstack-vm-eth0   vm         host                              tap0",
            "", "",
        ])
        // Without -n/-A there is no NAMESPACE column; a cluster-scoped kind never gets one.
        #expect(try table(weps, "wep").hasPrefix("WORKLOAD   NODE"))
        #expect(try table(pools, "ippool", showNamespace: true).hasPrefix("NAME       CIDR"))
    }

    @Test func policiesPsAndWide() throws {
        #expect(trimmed(try table(policies, "gnp")) == [
            "NAME          TIER",
            "default.p1    default",
            "security.p2   security",
            "default.p3    default",
            "p4",
            "", "",
        ])
        #expect(trimmed(try table(policies, "globalnetworkpolicies", wide: true)) == [
            "NAME          TIER       ORDER   SELECTOR",
            "default.p1    default    100     app == 'web'",
            "security.p2   security   1.5     all()",
            "default.p3    default    1e+06",
            "p4                       <nil>",
            "", "",
        ])
    }

    @Test func namespacedPolicyAndNetworkSet() throws {
        let np = """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: default.allow, namespace: dev}
            spec: {tier: default, order: 10, selector: role == 'db'}
            """
        #expect(trimmed(try table(np, "np", wide: true, showNamespace: true)) == [
            "NAMESPACE   NAME            TIER      ORDER   SELECTOR",
            "dev         default.allow   default   10      role == 'db'",
            "", "",
        ])
        let nets = (1...10).map { "10.\($0).0.0/16" }
        let ns = """
            apiVersion: projectcalico.org/v3
            kind: NetworkSet
            metadata: {name: many, namespace: dev}
            spec: {nets: [\(nets.joined(separator: ", "))]}
            """
        let out = trimmed(try table(ns, "netsets", wide: true))
        let expectedNets = String(nets.joined(separator: ",").prefix(77)) + "..."
        #expect(expectedNets.count == 80)
        #expect(out[1] == "many   " + expectedNets)
        #expect(out[0] == "NAME   NETS")
    }

    @Test func globalNetworkSetAndReservationTruncateAt80() throws {
        let short = ["1.2.3.0/24", "5.6.7.0/24"]
        let yaml = """
            - {apiVersion: projectcalico.org/v3, kind: GlobalNetworkSet, metadata: {name: s}, spec: {nets: [\(short.joined(separator: ","))]}}
            """
        #expect(trimmed(try table(yaml, "globalnetworksets", wide: true)) == ["NAME   NETS", "s      1.2.3.0/24,5.6.7.0/24", "", ""])
        #expect(trimmed(try table(yaml, "gnetset")) == ["NAME", "s", "", ""])
        let cidrs = (0..<8).map { "192.168.\($0).0/24" }
        let res = """
            {apiVersion: projectcalico.org/v3, kind: IPReservation, metadata: {name: r}, spec: {reservedCIDRs: [\(cidrs.joined(separator: ","))]}}
            """
        let row = trimmed(try table(res, "ipreservation", wide: true))[1]
        #expect(row.hasSuffix("..."))
        #expect(row == "r      " + String(cidrs.joined(separator: ",").prefix(77)) + "...")
        #expect(TablePrinter.joinAndTruncate(["a", "b"], ",", 3) == "a,b")
        #expect(TablePrinter.joinAndTruncate(["ab", "cd"], ",", 4) == "a...")
    }

    @Test func hostEndpointsTiersAndOthers() throws {
        let hep = """
            {apiVersion: projectcalico.org/v3, kind: HostEndpoint, metadata: {name: h1}, spec: {node: n1, interfaceName: eth0, expectedIPs: [10.0.0.1, 10.0.0.2], profiles: [p1, p2]}}
            """
        #expect(trimmed(try table(hep, "hep")) == ["NAME   NODE", "h1     n1", "", ""])
        #expect(trimmed(try table(hep, "hostendpoint", wide: true)) == [
            "NAME   NODE   INTERFACE   IPS                 PROFILES",
            "h1     n1     eth0        10.0.0.1,10.0.0.2   p1,p2",
            "", "",
        ])
        let tiers = """
            - {apiVersion: projectcalico.org/v3, kind: Tier, metadata: {name: security}, spec: {order: 50}}
            - {apiVersion: projectcalico.org/v3, kind: Tier, metadata: {name: default}, spec: {}}
            """
        #expect(trimmed(try table(tiers, "tiers")) == ["NAME       ORDER", "security   50", "default    <nil>", "", ""])
        let ci = """
            {apiVersion: projectcalico.org/v3, kind: ClusterInformation, metadata: {name: default}, spec: {clusterGUID: abc, clusterType: "k8s,bgp", calicoVersion: v3.31.0, datastoreReady: true}}
            """
        #expect(trimmed(try table(ci, "clusterinfo")) == [
            "NAME      CLUSTERGUID   CLUSTERTYPE   CALICOVERSION   DATASTOREREADY",
            "default   abc           k8s,bgp       v3.31.0         true",
            "", "",
        ])
        let profile = """
            {apiVersion: projectcalico.org/v3, kind: Profile, metadata: {name: kns.prod}, spec: {labelsToApply: {b: "2", a: "1"}}}
            """
        #expect(trimmed(try table(profile, "profile", wide: true)) == ["NAME       LABELS", "kns.prod   a=1,b=2", "", ""])
        let felix = "{apiVersion: projectcalico.org/v3, kind: FelixConfiguration, metadata: {name: default}, spec: {}}"
        #expect(try table(felix, "felixconfig", wide: true) == "NAME      \ndefault   \n\n")
        let filter = """
            {apiVersion: projectcalico.org/v3, kind: BGPFilter, metadata: {name: f}, spec: {exportV4: [{cidr: 10.0.0.0/8, matchOperator: In, action: Accept}]}}
            """
        #expect(trimmed(try table(filter, "bgpfilter")) == [
            "NAME   NUMEXPORTV4   NUMIMPORTV4   NUMEXPORTV6   NUMIMPORTV6",
            "f      1             0             0             0",
            "", "",
        ])
        let sknp = """
            {apiVersion: projectcalico.org/v3, kind: StagedKubernetesNetworkPolicy, metadata: {name: k, namespace: ns1}, spec: {podSelector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [b, a]}]}}}
            """
        #expect(trimmed(try table(sknp, "sknp", wide: true, showNamespace: true)) == [
            "NAMESPACE   NAME   PODSELECTOR",
            "ns1         k      app=web,tier in (a,b)",
            "", "",
        ])
    }

    @Test func emptyListPrintsHeaderOnly() throws {
        #expect(TablePrinter.render([], kind: kind("ippool"), wide: false, showNamespace: false) == "NAME   CIDR   SELECTOR   \n\n")
    }

    @Test func tabWriterMinimumWidthAndPadding() {
        #expect(TabWriter.format([["a", "bb"], ["ccc", ""]]) == "a     bb   \nccc        \n")
        #expect(TabWriter.format([["x", "y"]]) == "x    y    \n")
    }

    @Test func columnsPerKind() {
        #expect(TablePrinter.columns(kind: kind("ippool"), wide: false) == ["NAME", "CIDR", "SELECTOR"])
        #expect(TablePrinter.columns(kind: kind("wep"), wide: false) == ["WORKLOAD", "NODE", "NETWORKS", "INTERFACE"])
        #expect(TablePrinter.columns(kind: kind("kubecontrollersconfig"), wide: true) == ["NAME"])
        #expect(TablePrinter.columns(kind: kind("sgnp"), wide: true) == ["NAME", "TIER", "ORDER", "SELECTOR"])
        #expect(TablePrinter.columns(kind: kind("bgpconfig"), wide: true) == ["NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"])
    }

    @Test func cellLookup() throws {
        let r = try resources(weps)[0]
        #expect(TablePrinter.cell(r, column: "ORCHESTRATOR", globalASNumber: "1") == "k8s")
        #expect(TablePrinter.cell(r, column: "namespace", globalASNumber: "1") == "prod")
        #expect(TablePrinter.cell(r, column: "CIDR", globalASNumber: "1") == nil)
        let pool = try resources(pools)[0]
        #expect(TablePrinter.cell(pool, column: "NAMESPACE", globalASNumber: "1") == nil)
    }

    @Test func goFloatFormatting() {
        #expect(GoFormat.float(100) == "100")
        #expect(GoFormat.float(1.5) == "1.5")
        #expect(GoFormat.float(100000) == "100000")
        #expect(GoFormat.float(1_000_000) == "1e+06")
        #expect(GoFormat.float(1234567.5) == "1.2345675e+06")
        #expect(GoFormat.float(0.0001) == "0.0001")
        #expect(GoFormat.float(0.00001) == "1e-05")
        #expect(GoFormat.float(-2.25) == "-2.25")
        #expect(GoFormat.float(0) == "0")
    }
}

@Suite struct CustomColumnsOutputTests {
    @Test func selectedHeadingsCaseInsensitive() throws {
        let out = try CustomColumns.render(try resources(pools), kind: kind("ippool"), columns: ["name", "Nat", "CIDR"], globalASNumber: "64512")
        #expect(out == """
            NAME       NAT     CIDR             
            pool1      true    10.0.0.0/16      
            pool-two   false   192.168.0.0/24   
            
            
            """)
    }

    @Test func extraHeadingsForWorkloadEndpoints() throws {
        let out = try CustomColumns.render(try resources(weps), kind: kind("wep"), columns: ["NAMESPACE", "NAME", "ORCHESTRATOR"], globalASNumber: "1")
        #expect(trimmed(out) == [
            "NAMESPACE   NAME                     ORCHESTRATOR",
            "prod        node1-k8s-web--1-eth0    k8s",
            "default     host-openstack-vm-eth0   openstack",
            "", "",
        ])
    }

    @Test func nodeASNUsesGlobalAS() throws {
        let node = "{apiVersion: projectcalico.org/v3, kind: Node, metadata: {name: n2}, spec: {bgp: {ipv4Address: 10.0.0.2/24}}}"
        let out = try CustomColumns.render(try resources(node), kind: kind("node"), columns: ["NAME", "ASN"], globalASNumber: "65100")
        #expect(trimmed(out) == ["NAME   ASN", "n2     (65100)", "", ""])
    }

    @Test func unknownHeadingIsAnError() throws {
        #expect {
            try CustomColumns.render(try resources(pools), kind: kind("ippool"), columns: ["NAME", "foo"], globalASNumber: "1")
        } throws: { error in
            "\(error)" == "unknown heading FOO, valid values are: NAME, CIDR, NAT, IPIPMODE, VXLANMODE, DISABLED, DISABLEBGPEXPORT, SELECTOR, ASSIGNMENTMODE"
        }
        // NAMESPACE only for namespaced kinds; ORCHESTRATOR only for workload endpoints.
        #expect(throws: CustomColumns.UnknownHeading.self) {
            try CustomColumns.render([], kind: kind("ippool"), columns: ["NAMESPACE"], globalASNumber: "1")
        }
        #expect(throws: CustomColumns.UnknownHeading.self) {
            try CustomColumns.render([], kind: kind("netset"), columns: ["ORCHESTRATOR"], globalASNumber: "1")
        }
        #expect {
            try CustomColumns.render([], kind: kind("networkset"), columns: ["X"], globalASNumber: "1")
        } throws: { error in
            "\(error)" == "unknown heading X, valid values are: NAME, NETS, NAMESPACE"
        }
        #expect {
            try CustomColumns.render([], kind: kind("wep"), columns: ["X"], globalASNumber: "1")
        } throws: { error in
            "\(error)" == "unknown heading X, valid values are: NAME, WORKLOAD, NODE, NETWORKS, INTERFACE, PROFILES, NATS, ORCHESTRATOR, NAMESPACE"
        }
    }
}

@Suite struct GoTemplateOutputTests {
    static let data: Value = {
        let rs = try! resources(pools + "\n---\n" + """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: {name: gs, labels: {app: web, tier: front}}
            spec: {nets: [1.2.3.0/24, 5.6.7.0/24, 9.9.9.0/24]}
            """)
        return .sequence(try! rs.map(ResourceWriter.value(of:)), mark: nil)
    }()

    func render(_ t: String, _ data: Value = GoTemplateOutputTests.data, asn: String = "64512") throws -> String {
        try GoTemplate.render(t, data: data, globalASNumber: asn)
    }

    @Test func rangeOverObjects() throws {
        #expect(try render(#"{{range .}}{{.metadata.name}}{{"\n"}}{{end}}"#) == "pool1\npool-two\ngs\n")
    }

    @Test func goStructFieldNamesWork() throws {
        #expect(try render(#"{{range .}}{{.ObjectMeta.Name}}:{{.Spec.CIDR}};{{end}}"#) == "pool1:10.0.0.0/16;pool-two:192.168.0.0/24;gs:<no value>;")
        #expect(try render(#"{{range .}}{{.Name}}/{{.Kind}} {{end}}"#) == "pool1/IPPool pool-two/IPPool gs/GlobalNetworkSet ")
    }

    @Test func missingFieldPrintsNoValue() throws {
        #expect(try render("{{(index . 0).spec.nope}}|{{(index . 0).spec.nope.deeper}}") == "<no value>|<no value>")
    }

    @Test func ifElseAndElseIf() throws {
        let t = #"{{range .}}{{if .spec.natOutgoing}}nat{{else if .spec.disabled}}off{{else}}-{{end}} {{end}}"#
        #expect(try render(t) == "nat off - ")
        #expect(try render(#"{{if not .}}empty{{else}}full{{end}}"#) == "full")
        #expect(try render(#"{{if not .}}empty{{else}}full{{end}}"#, .sequence([], mark: nil)) == "empty")
    }

    @Test func withAndElse() throws {
        #expect(try render(#"{{with index . 0}}{{.spec.cidr}}{{end}}"#) == "10.0.0.0/16")
        #expect(try render(#"{{with (index . 1).spec.nodeSelector}}{{.}}{{else}}none{{end}}"#) == "none")
        let chained = #"{{range .}}{{with .spec.nodeSelector}}sel={{.}}{{else with .spec.nets}}nets={{len .}}{{else}}none{{end}};{{end}}"#
        #expect(try render(chained) == "sel=all();none;nets=3;")
        #expect(try render(#"{{if $p := index . 0}}{{$p.metadata.name}}{{end}}"#) == "pool1")
    }

    @Test func lenAndIndex() throws {
        #expect(try render("{{len .}}") == "3")
        #expect(try render("{{len (index . 2).spec.nets}} {{index (index . 2).spec.nets 1}}") == "3 5.6.7.0/24")
        #expect(try render(#"{{index (index . 2).metadata.labels "tier"}}"#) == "front")
        #expect(try render("{{. | len}}") == "3")
    }

    @Test func joinAndJoinAndTruncate() throws {
        #expect(try render(#"{{join (index . 2).spec.nets ","}}"#) == "1.2.3.0/24,5.6.7.0/24,9.9.9.0/24")
        #expect(try render(#"{{joinAndTruncate (index . 2).spec.nets ", " 15}}"#) == "1.2.3.0/24, ...")
        #expect(try render(#"{{range .}}[{{join .spec.nets ","}}]{{end}}"#) == "[][][1.2.3.0/24,5.6.7.0/24,9.9.9.0/24]")
    }

    @Test func printfVerbs() throws {
        #expect(try render(#"{{printf "%s has %d nets" (index . 2).metadata.name (len (index . 2).spec.nets)}}"#) == "gs has 3 nets")
        #expect(try render(#"{{printf "%v|%5s|%-5s|%05d|%.2f|%t|%q|%x" 7 "ab" "cd" 42 3.14159 true "q" 255}}"#)
                == #"7|   ab|cd   |00042|3.14|true|"q"|ff"#)
        #expect(try render(#"{{printf "%d %d" 1}}"#) == "1 %!d(MISSING)")
        #expect(try render(#"{{printf "%d" 1 "x"}}"#) == "1%!(EXTRA string=x)")
        #expect(try render(#"{{printf "%d%%" "x"}}"#) == "%!d(string=x)%")
        #expect(try render(#"{{(index . 0).metadata.name | printf "<%s>"}}"#) == "<pool1>")
    }

    @Test func comparisonsAndLogic() throws {
        let t = #"{{range .}}{{if eq .kind "IPPool"}}P{{end}}{{if ne .kind "IPPool"}}S{{end}}{{end}}"#
        #expect(try render(t) == "PPS")
        #expect(try render(#"{{if and .spec.natOutgoing (eq .spec.ipipMode "Always")}}yes{{end}}"#, try ResourceWriter.value(of: resources(pools)[0])) == "yes")
        #expect(try render(#"{{or .spec.nodeSelector "all()"}}|{{and 1 0}}|{{or 0 ""}}"#, try ResourceWriter.value(of: resources(pools)[1])) == "all()|0|")
        #expect(try render(#"{{eq 1 2 1}} {{lt 1 2}} {{ge "b" "a"}} {{eq (len .) 3}}"#) == "true true true true")
    }

    @Test func variables() throws {
        #expect(try render("{{$n := len .}}count={{$n}}") == "count=3")
        #expect(try render(#"{{range $i, $o := .}}{{$i}}={{$o.metadata.name}} {{end}}"#) == "0=pool1 1=pool-two 2=gs ")
        #expect(try render(#"{{range $o := .}}{{$o.kind}},{{end}}"#) == "IPPool,IPPool,GlobalNetworkSet,")
        #expect(try render(#"{{range .}}{{len $}}{{end}}"#) == "333")
        #expect(try render(#"{{$x := "a"}}{{range .}}{{$x = .metadata.name}}{{end}}{{$x}}"#) == "gs")
    }

    @Test func rangeOverMapSortedAndElse() throws {
        #expect(try render(#"{{range $k, $v := (index . 2).metadata.labels}}{{$k}}={{$v}};{{end}}"#) == "app=web;tier=front;")
        #expect(try render(#"{{range (index . 0).spec.nets}}x{{else}}no nets{{end}}"#) == "no nets")
        #expect(try render(#"{{range .}}{{if eq .kind "GlobalNetworkSet"}}{{break}}{{end}}{{.metadata.name}} {{end}}"#) == "pool1 pool-two ")
        #expect(try render(#"{{range .}}{{if .spec.disabled}}{{continue}}{{end}}{{.metadata.name}} {{end}}"#) == "pool1 gs ")
    }

    @Test func configAsNumber() throws {
        #expect(try render(#"{{config "asnumber"}}"#, asn: "65000") == "65000")
        #expect(try render(#"AS {{config "ASNumber"}}"#) == "AS 64512")
    }

    @Test func trimMarkersAndComments() throws {
        let t = """
            {{- range . }}
              {{- .metadata.name }}
            {{ end -}}
            {{/* a comment */}}done
            """
        #expect(try render(t) == "pool1\npool-two\ngs\ndone")
        #expect(try render("a  {{- /* c */ -}}  b") == "ab")
        #expect(try render("{{-3}} {{ 3 -}} x") == "-3 3x")
    }

    @Test func literalsAndCompositePrinting() throws {
        #expect(try render(#"{{"a"}} {{`raw\n`}} {{1}} {{1.5}} {{true}} {{'x'}}"#) == #"a raw\n 1 1.5 true 120"#)
        #expect(try render("{{(index . 2).metadata.labels}}") == "map[app:web tier:front]")
        #expect(try render("{{(index . 2).spec.nets}}") == "[1.2.3.0/24 5.6.7.0/24 9.9.9.0/24]")
        #expect(try render("{{(index . 0).spec.natOutgoing}}") == "true")
    }

    @Test func listObjectData() throws {
        let list = try ObjectPrinter.listValue(try resources(pools), kind: kind("ippool"), listRevision: "42")
        let data = Value.sequence([list], mark: nil)
        #expect(try render(#"{{range .}}{{.kind}}@{{.metadata.resourceVersion}}:{{range .items}} {{.metadata.name}}{{end}}{{end}}"#, data)
                == "IPPoolList@42: pool1 pool-two")
        #expect(try render(#"{{range .}}{{range .Items}}{{.Spec.CIDR}} {{end}}{{end}}"#, data) == "10.0.0.0/16 192.168.0.0/24 ")
    }

    @Test func parseErrorsCarryPositions() throws {
        func parseError(_ t: String) -> GoTemplate.Failure? {
            do {
                _ = try GoTemplate.render(t, data: .sequence([], mark: nil), globalASNumber: "1")
                return nil
            } catch let e as GoTemplate.Failure {
                return e
            } catch {
                return nil
            }
        }
        let unclosed = parseError("ab\ncd {{.metadata.name")
        #expect(unclosed?.isParseError == true)
        #expect(unclosed?.line == 2)
        #expect(unclosed?.column == 3)
        #expect(unclosed?.description == "template: get:2:3: unclosed action")
        #expect(parseError("{{range .}}x")?.message == "unexpected EOF")
        #expect(parseError("x{{end}}")?.description == "template: get:1:1: unexpected {{end}}")
        #expect(parseError("{{nosuch .}}")?.message == "function \"nosuch\" not defined")
        #expect(parseError("{{if}}{{end}}")?.message == "missing value for if")
        #expect(parseError(#"{{"abc}}"#)?.message == "unterminated quoted string")
        #expect(parseError("{{$x}}")?.message == "undefined variable \"$x\"")
        #expect(parseError("{{break}}")?.message == "{{break}} outside {{range}}")
        #expect(parseError("{{.a | }}")?.message == "missing value for command")
    }

    @Test func executionErrors() throws {
        #expect {
            try render("{{range .}}{{.metadata.name.first}}{{end}}")
        } throws: { error in
            "\(error)" == "template: get:1:13: executing \"get\" at <.metadata.name.first>: can't evaluate field first in type string"
        }
        #expect(throws: GoTemplate.Failure.self) { try render("{{index . 7}}") }
        #expect(throws: GoTemplate.Failure.self) { try render(#"{{range "abc"}}{{end}}"#) }
        #expect(throws: GoTemplate.Failure.self) { try render(#"{{config "other"}}"#) }
    }
}

@Suite struct ObjectOutputTests {
    static let mixed = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: default.allow-dns, labels: {b: "2", a: "1"}}
        spec:
          tier: default
          order: 10.5
          selector: all()
          types: [Egress]
          egress: [{action: Allow, protocol: UDP, destination: {ports: [53, "dns"]}}]
        ---
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata: {name: node1-k8s-web--1-eth0, namespace: prod, resourceVersion: "7"}
        spec: {orchestrator: k8s, node: node1, pod: web-1, endpoint: eth0, interfaceName: cali1, ipNetworks: [10.0.0.5/32], ipNATs: [{internalIP: 10.0.0.5, externalIP: 1.2.3.4}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: n1}
        spec: {bgp: {ipv4Address: 10.0.0.1/24, asNumber: 65001}, orchRefs: [{nodeName: n1, orchestrator: k8s}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: BGPConfiguration
        metadata: {name: default}
        spec: {nodeToNodeMeshEnabled: false, asNumber: 63400, serviceClusterIPs: [{cidr: 10.96.0.0/12}]}
        """

    func values(_ rs: [any CalicoResource]) throws -> [Value] { try rs.map(ResourceWriter.value(of:)) }

    @Test func singleObjectYAMLIsExactWithSortedKeys() throws {
        let rs = try resources(pools)
        let out = try ObjectPrinter.render([rs[0]], format: .yaml, asList: false, kind: kind("ippool"))
        #expect(out == """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata:
              creationTimestamp: null
              name: pool1
            spec:
              assignmentMode: Automatic
              cidr: 10.0.0.0/16
              ipipMode: Always
              natOutgoing: true
              nodeSelector: all()
            
            """)
    }

    @Test func singleObjectJSONHasKindFirst() throws {
        let rs = try resources(pools)
        let out = try ObjectPrinter.render([rs[1]], format: .json, asList: false, kind: kind("ippool"))
        #expect(out == """
            {
              "kind": "IPPool",
              "apiVersion": "projectcalico.org/v3",
              "metadata": {
                "name": "pool-two",
                "creationTimestamp": null
              },
              "spec": {
                "cidr": "192.168.0.0/24",
                "vxlanMode": "CrossSubnet",
                "disabled": true
              }
            }
            
            """)
    }

    @Test func listYAMLIsExact() throws {
        let rs = try resources(pools)
        let out = try ObjectPrinter.render(rs, format: .yaml, asList: true, kind: kind("ippool"), listRevision: "12")
        #expect(out == """
            apiVersion: projectcalico.org/v3
            items:
            - apiVersion: projectcalico.org/v3
              kind: IPPool
              metadata:
                creationTimestamp: null
                name: pool1
              spec:
                assignmentMode: Automatic
                cidr: 10.0.0.0/16
                ipipMode: Always
                natOutgoing: true
                nodeSelector: all()
            - apiVersion: projectcalico.org/v3
              kind: IPPool
              metadata:
                creationTimestamp: null
                name: pool-two
              spec:
                cidr: 192.168.0.0/24
                disabled: true
                vxlanMode: CrossSubnet
            kind: IPPoolList
            metadata:
              resourceVersion: "12"
            
            """)
        let empty = try ObjectPrinter.render([], format: .yaml, asList: true, kind: kind("ippool"), listRevision: "3")
        #expect(empty == "apiVersion: projectcalico.org/v3\nitems: []\nkind: IPPoolList\nmetadata:\n  resourceVersion: \"3\"\n")
        let emptyJSON = try ObjectPrinter.render([], format: .json, asList: true, kind: kind("ippool"), listRevision: nil)
        #expect(emptyJSON == "{\n  \"kind\": \"IPPoolList\",\n  \"apiVersion\": \"projectcalico.org/v3\",\n  \"metadata\": {},\n  \"items\": []\n}\n")
    }

    @Test func yamlRoundTrips() throws {
        let rs = try resources(Self.mixed)
        #expect(rs.count == 4)
        // Several objects: a sequence.
        let out = try ObjectPrinter.render(rs, format: .yaml, asList: false, kind: kind("gnp"))
        #expect(out.hasPrefix("- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n"))
        // What is printed reads back to what prints the same (empty rule entities print `{}`).
        #expect(try ObjectPrinter.render(resources(out), format: .yaml, asList: false, kind: kind("gnp")) == out)
        // One by one.
        for r in rs {
            let one = try ObjectPrinter.render([r], format: .yaml, asList: false, kind: kind(r.kind))
            #expect(try ObjectPrinter.render(resources(one), format: .yaml, asList: false, kind: kind(r.kind)) == one)
        }
    }

    @Test func jsonRoundTrips() throws {
        let rs = try resources(Self.mixed)
        let out = try ObjectPrinter.render(rs, format: .json, asList: false, kind: kind("gnp"))
        #expect(out.hasPrefix("[\n  {\n    \"kind\": \"GlobalNetworkPolicy\",\n    \"apiVersion\": \"projectcalico.org/v3\""))
        #expect(try ObjectPrinter.render(resources(out), format: .json, asList: false, kind: kind("gnp")) == out)
        let one = try ObjectPrinter.render([rs[1]], format: .json, asList: false, kind: kind("wep"))
        #expect(try values(resources(one)) == values([rs[1]]))
    }

    @Test func listsRoundTrip() throws {
        let rs = try resources(weps)
        for format in [ObjectFormat.yaml, .json] {
            let out = try ObjectPrinter.render(rs, format: format, asList: true, kind: kind("wep"), listRevision: "99")
            #expect(out.contains("WorkloadEndpointList"))
            #expect(out.contains("99"))
            let back = try ResourceReader.read(out, source: "out")
            #expect(back.count == 2)
            #expect(try values(back.map { try $0.result.get() }) == values(rs))
        }
    }

    @Test func yamlKeyOrderFollowsGoYAML() {
        let keys = ["b", "a10", "a9", "A", "_x", "a-b", "ab"]
        #expect(keys.sorted(by: ObjectPrinter.yamlKeyLess) == ["_x", "A", "a-b", "a9", "a10", "ab", "b"])
    }
}
