import Foundation
import Testing
@testable import CalicoCtlCore

/// `calicoctl convert`, against upstream's test data (calicoctl/test-data/convert): inputs as
/// upstream's, expected outputs as upstream's `output/` files in this project's YAML layout.
@Suite struct ConvertCommandTests {
    /// Quotes dropped: this project's YAML emitter quotes IP-like strings (`"192.20.30.40"`)
    /// that upstream's go-yaml v2 prints plain.
    func convert(_ input: String, _ extra: [String] = []) async -> (code: Int32, out: String, err: String) {
        let r = await run(["convert", "-f", "-"] + extra, stdin: input)
        return (r.code, extra.contains("json") ? r.out : r.out.replacingOccurrences(of: "\"", with: ""), r.err)
    }

    static let globalPeer = "apiVersion: v1\nkind: bgpPeer\nmetadata: {scope: global, peerIP: 192.20.30.40}\nspec: {asNumber: 64567}\n"

    @Test func globalBGPPeerIsNamedAfterItsIP() async {
        let r = await convert(Self.globalPeer)
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata:
              creationTimestamp: null
              name: 192-20-30-40
            spec:
              asNumber: 64567
              peerIP: 192.20.30.40

            """)
    }

    @Test func nodeBGPPeersAsJSON() async {
        let r = await convert("apiVersion: v1\nkind: bgpPeer\nmetadata: {scope: node, node: Node2, peerIP: 1.2.3.4}\nspec: {asNumber: 6455}\n",
                              ["-o", "json"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            {
              "kind": "BGPPeer",
              "apiVersion": "projectcalico.org/v3",
              "metadata": {
                "name": "node2.1-2-3-4",
                "creationTimestamp": null
              },
              "spec": {
                "node": "node2",
                "peerIP": "1.2.3.4",
                "asNumber": 6455
              }
            }

            """)
        let v6 = await convert("apiVersion: v1\nkind: bgpPeer\nmetadata: {scope: node, node: Node1, peerIP: 'aa:bb::ff'}\nspec: {asNumber: 64514}\n")
        #expect(v6.out.contains("name: node1.00aa-00bb-0000-0000-0000-0000-0000-00ff\nspec:\n  asNumber: 64514\n  node: node1\n  peerIP: aa:bb::ff\n"))
    }

    @Test func severalResourcesAreAList() async {
        let pools = """
            ---
            {apiVersion: v1, kind: ipPool, metadata: {cidr: 192.168.0.0/16}, spec: {ipip: {enabled: true}}}
            ---
            {apiVersion: v1, kind: ipPool, metadata: {cidr: '2001::/120'}}
            """
        let r = await convert(Self.globalPeer + pools)
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.hasPrefix("apiVersion: v1\nitems:\n- apiVersion: projectcalico.org/v3\n  kind: BGPPeer\n"))
        #expect(r.out.hasSuffix("kind: List\nmetadata: {}\n"))
        #expect(r.out.contains("""
            - apiVersion: projectcalico.org/v3
              kind: IPPool
              metadata:
                creationTimestamp: null
                name: 2001---120
              spec:
                allowedUses:
                - Workload
                - Tunnel
                assignmentMode: Automatic
                blockSize: 122
                cidr: 2001::/120
                ipipMode: Never
                nodeSelector: all()
                vxlanMode: Never
            """))
        #expect(r.out.contains("name: 192-168-0-0-16") && r.out.contains("ipipMode: Always"))
        let json = await convert(Self.globalPeer + pools, ["-o", "json"])
        #expect(json.out.hasPrefix("{\n  \"kind\": \"List\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \"items\": [\n    {\n      \"kind\": \"BGPPeer\""))
    }

    @Test func ipPoolCrossSubnet() async {
        let r = await convert("apiVersion: v1\nkind: ipPool\nmetadata: {cidr: 10.1.0.0/16}\nspec: {ipip: {enabled: true, mode: cross-subnet}, nat-outgoing: true}\n")
        #expect(r.out == """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata:
              creationTimestamp: null
              name: 10-1-0-0-16
            spec:
              allowedUses:
              - Workload
              - Tunnel
              assignmentMode: Automatic
              blockSize: 26
              cidr: 10.1.0.0/16
              ipipMode: CrossSubnet
              natOutgoing: true
              nodeSelector: all()
              vxlanMode: Never

            """)
    }

    @Test func nodesFromATopLevelSequence() async {
        let input = """
            - {apiVersion: v1, kind: node, metadata: {name: node1}}
            - {apiVersion: v1, kind: node, metadata: {name: node2}, spec: {bgp: {asNumber: 12345, ipv4Address: 1.2.3.4/24, ipv6Address: 'aa::ff'}}}
            """
        let r = await convert(input)
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            apiVersion: v1
            items:
            - apiVersion: projectcalico.org/v3
              kind: Node
              metadata:
                creationTimestamp: null
                name: node1
              spec: {}
              status: {}
            - apiVersion: projectcalico.org/v3
              kind: Node
              metadata:
                creationTimestamp: null
                name: node2
              spec:
                bgp:
                  asNumber: 12345
                  ipv4Address: 1.2.3.4/24
                  ipv6Address: aa::ff/128
              status: {}
            kind: List
            metadata: {}

            """)
    }

    @Test func hostEndpoint() async {
        let input = """
            apiVersion: v1
            kind: hostEndpoint
            metadata: {name: eth0, node: myhost, labels: {type: production}}
            spec: {interfaceName: eth0, expectedIPs: [192.168.0.1, 192.168.0.2], profiles: [profile1, profile2]}
            """
        let r = await convert(input)
        #expect(r.out == """
            apiVersion: projectcalico.org/v3
            kind: HostEndpoint
            metadata:
              creationTimestamp: null
              labels:
                type: production
              name: myhost.eth0
            spec:
              expectedIPs:
              - 192.168.0.1
              - 192.168.0.2
              interfaceName: eth0
              node: myhost
              profiles:
              - profile1
              - profile2

            """)
    }

    @Test func workloadEndpoint() async {
        let input = """
            apiVersion: v1
            kind: workloadEndpoint
            metadata: {name: eth0, workload: default.frontend-5gs43, orchestrator: k8s, node: rack1-host1,
                       labels: {app: frontend, calico/k8s_ns: default}}
            spec: {interfaceName: cali0ef24ba, mac: 'ca:fe:1d:52:bb:e9', ipNetworks: [192.168.0.0/32], profiles: [profile1]}
            """
        let r = await convert(input)
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata:
              creationTimestamp: null
              labels:
                app: frontend
                projectcalico.org/namespace: default
              name: rack1--host1-k8s-frontend--5gs43-eth0
              namespace: default
            spec:
              endpoint: eth0
              interfaceName: cali0ef24ba
              ipNetworks:
              - 192.168.0.0/32
              mac: ca:fe:1d:52:bb:e9
              node: rack1-host1
              orchestrator: k8s
              pod: frontend-5gs43
              profiles:
              - profile1

            """)
    }
}

extension ConvertCommandTests {
    @Test func policiesAreGlobalPoliciesInTheDefaultTier() async {
        let input = """
            apiVersion: v1
            kind: policy
            metadata: {name: allow-tcp-6379, annotations: {aname: avalue}}
            spec:
              order: 1234
              selector: role == 'database' && !has(demo)
              types: [ingress, egress]
              ingress:
                - {action: allow, protocol: tcp, notProtocol: udplite, destination: {ports: [6379]},
                   source: {selector: role == 'frontend', notSelector: "calico/k8s_ns in {'a'}"}}
                - {action: deny, protocol: tcp, destination: {ports: [22, 443], notPorts: [80]}}
                - {action: allow, source: {nets: [172.18.18.200/32, 172.18.19.0/24], net: 172.18.18.100/32}}
                - {action: deny, source: {notNet: 172.19.19.100/24, tag: web}}
              egress:
                - {action: allow, protocol: icmp, icmp: {type: 25, code: 25}}
            ---
            {apiVersion: v1, kind: policy, metadata: {name: allow-tcp-555-donottrack}, spec: {order: 1230, selector: role == 'database',
             ingress: [{action: allow, protocol: tcp, source: {selector: role == 'cache'}, destination: {ports: [555]}}], doNotTrack: true}}
            """
        let r = await convert(input)
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            apiVersion: v1
            items:
            - apiVersion: projectcalico.org/v3
              kind: GlobalNetworkPolicy
              metadata:
                annotations:
                  aname: avalue
                creationTimestamp: null
                labels:
                  projectcalico.org/tier: default
                name: default.allow-tcp-6379
              spec:
                egress:
                - action: Allow
                  destination: {}
                  icmp:
                    code: 25
                    type: 25
                  protocol: ICMP
                  source: {}
                ingress:
                - action: Allow
                  destination:
                    ports:
                    - 6379
                  notProtocol: UDPLite
                  protocol: TCP
                  source:
                    notSelector: projectcalico.org/namespace in {'a'}
                    selector: role == 'frontend'
                - action: Deny
                  destination:
                    notPorts:
                    - 80
                    ports:
                    - 22
                    - 443
                  protocol: TCP
                  source: {}
                - action: Allow
                  destination: {}
                  source:
                    nets:
                    - 172.18.18.200/32
                    - 172.18.19.0/24
                    - 172.18.18.100/32
                - action: Deny
                  destination: {}
                  source:
                    notNets:
                    - 172.19.19.0/24
                    selector: web == ''
                order: 1234
                selector: role == 'database' && !has(demo)
                tier: default
                types:
                - Ingress
                - Egress
            - apiVersion: projectcalico.org/v3
              kind: GlobalNetworkPolicy
              metadata:
                creationTimestamp: null
                labels:
                  projectcalico.org/tier: default
                name: default.allow-tcp-555-donottrack
              spec:
                applyOnForward: true
                doNotTrack: true
                ingress:
                - action: Allow
                  destination:
                    ports:
                    - 555
                  protocol: TCP
                  source:
                    selector: role == 'cache'
                order: 1230
                selector: role == 'database'
                tier: default
                types:
                - Ingress
            kind: List
            metadata: {}

            """)
        // JSON as Go's encoder writes it: `&` escaped.
        #expect(await convert(input, ["-o", "json"]).out.contains(#""selector": "role == 'database' \u0026\u0026 !has(demo)","#))
    }

    @Test func profileTagsBecomeLabelsAndSelectors() async {
        let input = """
            apiVersion: v1
            kind: profile
            metadata: {name: profile1, labels: {profile: profile1}, tags: [atag, btag]}
            spec:
              ingress:
                - {action: deny, protocol: udp, source: {tag: ctag, notTag: dtag, net: 172.20.0.0/16, notNets: [10.0.20.64/25]},
                   destination: {tag: atag, selector: has(role), notPorts: [22, "8:9"]}}
              egress:
                - {action: allow, destination: {notSelector: profile == 'system'}}
            """
        let r = await run(["convert", "-f", "-"], stdin: input)
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("""
              ingress:
              - action: Deny
                destination:
                  notPorts:
                  - 22
                  - "8:9"
                  selector: (has(role)) && atag == ''
                protocol: UDP
                source:
                  nets:
                  - 172.20.0.0/16
                  notNets:
                  - 10.0.20.0/25
                  notSelector: dtag == ''
                  selector: ctag == ''
              labelsToApply:
                atag: ""
                btag: ""
                profile: profile1
            """))
        let clash = await convert("apiVersion: v1\nkind: profile\nmetadata: {name: p, labels: {atag: x}, tags: [atag]}\n")
        #expect(clash.code == 1 && clash.err == "Failed to convert resource: Tag: 'atag' and Label 'atag == x' have the same value for Profile: p. "
            + "Change the Label key before proceeding\n")
    }

    @Test func namesAreNormalizedAndQualified() {
        #expect(V1Names.convert("abc---def") == "abc---def")
        #expect(V1Names.convert("Abcdef") == "abcdef-78905ee1")
        #expect(V1Names.normalize("$ABC/DeF-123.-456!") == "abc.def-123.456")
        #expect(V1Names.convertNoDots("abc.-.def").hasPrefix("abc-def-"))
        #expect(V1Names.profile("k8s_ns.Default") == "kns.default-" + String(V1Names.convert("kns.Default").suffix(8)))
    }

    @Test func validationFailureAndIgnoreValidation() async {
        let input = "apiVersion: v1\nkind: policy\nmetadata: {name: p}\nspec: {selector: \"role ==\"}\n"
        let r = await convert(input)
        #expect(r.code == 1 && r.out.isEmpty)
        #expect(r.err.hasPrefix("Converted manifest resource(s) failed validation: error with field"))
        #expect(r.err.hasSuffix("Re-run the command with '--ignore-validation' flag to see the converted output.\n\n"))
        let ignored = await convert(input, ["--ignore-validation"])
        #expect(ignored.code == 0, "\(ignored.err)")
        #expect(ignored.out.contains("name: default.p") && ignored.out.contains("selector: role =="))
    }

    @Test func errors() async {
        let unknown = await convert("apiVersion: v1\nkind: Node\nmetadata: {name: n}\n")
        #expect(unknown.code == 1 && unknown.err == "Failed to create resources from file: unknown resource type (Node) and/or version (v1)\n")
        #expect(await convert("apiVersion: projectcalico.org/v3\nkind: IPPool\n").err.hasSuffix("type (IPPool) and/or version (projectcalico.org/v3)\n"))
        #expect(await convert(Self.globalPeer, ["-o", "table"]) == (1, "", "unrecognized output format 'table'\n"))
        let badField = await convert("apiVersion: v1\nkind: node\nmetadata: {name: n, labels: {a: b}}\n")
        #expect(badField.code == 1 && badField.err.hasPrefix("Failed to create resources from file: "))
        #expect(await convert("apiVersion: v1\nkind: ipPool\nmetadata: {cidr: 10.0.0.300/8}\n").err.hasSuffix(": invalid CIDR address: 10.0.0.300/8\n"))
        let badAction = await convert("apiVersion: v1\nkind: policy\nmetadata: {name: p}\nspec: {ingress: [{action: Accept}]}\n")
        #expect(badAction.err.hasPrefix("Failed to create resources from file: error with field Action = 'Accept'"))
        let missing = await run(["convert", "-f", "/nonexistent/x.yaml"])
        #expect(missing.err == "Failed to create resources from file: open /nonexistent/x.yaml: no such file or directory\n")
        let (noFile, help) = (await run(["convert"]), await run(["convert", "--help"]))
        #expect(noFile.code == 1 && noFile.err.contains("Usage:") && help.code == 0 && help.out.contains("calicoctl convert --filename="))
    }

    @Test("A Kubernetes NetworkPolicy converts as Felix sees it, under its own name; a v1 List of them is read item by item")
    func kubernetesNetworkPolicy() async {
        let knp = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-web, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Ingress]
              ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{protocol: TCP, port: 80}]}]
            """
        let r = await convert(knp)
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("kind: NetworkPolicy\n") && r.out.contains("  name: allow-web\n") && r.out.contains("  namespace: shop\n"), "\(r.out)")
        #expect(r.out.contains("projectcalico.org/orchestrator == 'k8s' && app == 'web'") && r.out.contains("  order: 1000\n"), "\(r.out)")
        #expect(r.out.contains("app == 'client'") && r.out.contains("- 80\n"), "\(r.out)")
        let list = await convert("apiVersion: v1\nkind: List\nitems:\n- " + knp.replacingOccurrences(of: "\n", with: "\n  ")
                                 + "\n- {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny-all, namespace: shop}, spec: {podSelector: {}}}\n")
        #expect(list.code == 0 && list.out.hasPrefix("apiVersion: v1\nitems:\n") && list.out.contains("name: deny-all"), "\(list.out)\(list.err)")
    }
}
