import Testing
@testable import CalicoAPI

/// Every kind decodes from a realistic manifest and survives decode → encode → decode.
@Suite struct KindRoundTripTests {
    static let manifests: [(String, String)] = [
        ("NetworkPolicy", """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: allow-web, namespace: shop, labels: {team: web}, annotations: {note: "x: y"}}
            spec:
              tier: default
              order: 100.5
              selector: app == 'web'
              types: [Ingress, Egress]
              serviceAccountSelector: role == "api"
              performanceHints: [AssumeNeededOnEveryNode]
              ingress:
              - action: Allow
                protocol: TCP
                ipVersion: 4
                metadata: {annotations: {why: "because"}}
                source: {selector: app == 'lb', namespaceSelector: all(), nets: [10.0.0.0/8], notNets: [10.1.0.0/16], serviceAccounts: {names: [a, b], selector: x == 'y'}}
                destination: {ports: [80, "8000:8100", http], notPorts: [81]}
                http: {methods: [GET, POST], paths: [{exact: /a}, {prefix: /b}]}
              - action: Deny
                protocol: ICMP
                icmp: {type: 8, code: 0}
                notICMP: {type: 3}
              egress:
              - action: Allow
                notProtocol: 17
                destination: {services: {name: api, namespace: shop}}
              - action: Log
              - action: Pass
            """),
        ("GlobalNetworkPolicy", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: security.host}
            spec: {tier: security, order: 1, selector: has(host), doNotTrack: true, applyOnForward: true, namespaceSelector: x == 'y',
                   ingress: [{action: Allow, protocol: UDP, destination: {ports: [53]}}]}
            """),
        ("StagedNetworkPolicy", """
            apiVersion: projectcalico.org/v3
            kind: StagedNetworkPolicy
            metadata: {name: try, namespace: shop}
            spec: {stagedAction: Set, selector: all(), ingress: [{action: Deny}]}
            """),
        ("StagedGlobalNetworkPolicy", """
            apiVersion: projectcalico.org/v3
            kind: StagedGlobalNetworkPolicy
            metadata: {name: eng.thing}
            spec: {stagedAction: Delete, tier: eng}
            """),
        ("StagedKubernetesNetworkPolicy", """
            apiVersion: projectcalico.org/v3
            kind: StagedKubernetesNetworkPolicy
            metadata: {name: web, namespace: shop}
            spec:
              stagedAction: Set
              podSelector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [a, b]}]}
              policyTypes: [Ingress, Egress]
              ingress: [{from: [{namespaceSelector: {}}], ports: [{protocol: TCP, port: 80, endPort: 90}]}]
              egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: dns}]}]
            """),
        ("KubernetesNetworkPolicy", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: db, namespace: shop}
            spec:
              podSelector: {}
              ingress: [{from: [{podSelector: {matchLabels: {app: api}}, namespaceSelector: {matchLabels: {team: x}}}]}]
            """),
        ("Tier", "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100, defaultAction: Pass}\n"),
        ("NetworkSet", "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: ns1, namespace: shop, labels: {a: b}}\nspec: {nets: [10.0.0.1, 'fd00::/64']}\n"),
        ("QoSPolicy", "apiVersion: projectcalico.org/v3\nkind: QoSPolicy\nmetadata: {name: voice}\nspec: {selector: app == 'voice', order: 10, ingressBandwidth: 10M, ingressBurst: 1Mi, ingressPeakrate: 20M, ingressMinburst: 1500, egressBandwidth: 100M, egressBurst: 2M, egressPeakrate: 200M, egressMinburst: 3000, ingressPacketRate: 100, egressPacketRate: 200, ingressPacketBurst: 5, egressPacketBurst: 6, ingressMaxConnections: 3, egressMaxConnections: 4, dscp: AF21}\n"),
        ("GlobalNetworkSet", "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: g}\nspec: {nets: [203.0.113.0/24]}\n"),
        ("HostEndpoint", """
            apiVersion: projectcalico.org/v3
            kind: HostEndpoint
            metadata: {name: n1-eth0, labels: {host: ""}}
            spec: {node: n1, interfaceName: eth0, expectedIPs: [198.51.100.2], profiles: [p1], ports: [{name: ssh, protocol: TCP, port: 22}]}
            """),
        ("WorkloadEndpoint", """
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata: {name: node1-k8s-pod-eth0, namespace: default}
            spec:
              orchestrator: k8s
              workload: ""
              node: node1
              containerID: abc123
              pod: pod
              endpoint: eth0
              serviceAccountName: default
              ipNetworks: [10.244.0.5/32, fd00:10:244::5/128]
              ipNATs: [{internalIP: 10.244.0.5, externalIP: 203.0.113.5}]
              ipv4Gateway: 169.254.1.1
              profiles: [kns.default]
              interfaceName: cali12345
              mac: "ee:ee:ee:ee:ee:ee"
              ports: [{name: http, protocol: TCP, port: 80, hostPort: 8080, hostIP: 0.0.0.0}]
              allowSpoofedSourcePrefixes: [10.9.0.0/16]
              qosControls: {ingressBandwidth: 1000000, egressPacketRate: 100, dscp: AF11}
            """),
        ("Profile", "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: kns.default}\nspec: {ingress: [{action: Allow}], egress: [{action: Allow}], labelsToApply: {pcns.a: b}}\n"),
        ("IPPool", """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: p}
            spec: {cidr: 10.244.0.0/16, vxlanMode: Always, ipipMode: Never, natOutgoing: true, disabled: false, disableBGPExport: false,
                   blockSize: 26, nodeSelector: all(), namespaceSelector: "", allowedUses: [Workload], assignmentMode: Automatic}
            """),
        ("IPReservation", "apiVersion: projectcalico.org/v3\nkind: IPReservation\nmetadata: {name: r}\nspec: {reservedCIDRs: [10.0.0.1, 10.1.0.0/24]}\n"),
        ("IPAMConfiguration", "apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: default}\nspec: {strictAffinity: true, maxBlocksPerHost: 4}\n"),
        ("BGPConfiguration", "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: {asNumber: 64512, nodeToNodeMeshEnabled: false}\n"),
        ("BGPPeer", "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: tor}\nspec: {peerIP: 198.51.100.1, asNumber: 65000, localASNumber: 64600}\n"),
        ("BGPFilter", "apiVersion: projectcalico.org/v3\nkind: BGPFilter\nmetadata: {name: f}\nspec: {exportV4: [{action: Accept, cidr: 10.0.0.0/8, matchOperator: In}]}\n"),
        ("FelixConfiguration", "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {nftablesMode: Enabled, cgroupV2Path: /run/cg, programClusterRoutes: Enabled, natOutgoingExclusions: IPPoolsAndHostIPs}\n"),
        ("KubeControllersConfiguration", "apiVersion: projectcalico.org/v3\nkind: KubeControllersConfiguration\nmetadata: {name: default}\nspec: {logSeverityScreen: Info, controllers: {node: {syncLabels: Enabled}}}\n"),
        ("Node", "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node1}\nspec: {bgp: {ipv4Address: 198.51.100.2/24, asNumber: 64512}}\n"),
        ("ClusterInformation", "apiVersion: projectcalico.org/v3\nkind: ClusterInformation\nmetadata: {name: default}\nspec: {clusterGUID: abc, calicoVersion: v3.31.7, datastoreReady: true}\n"),
    ]

    @Test(arguments: manifests)
    func roundTrip(_ kind: String, _ yaml: String) throws {
        let resource = try readOne(yaml)
        #expect(resource.kind == kind || (kind == "KubernetesNetworkPolicy" && resource is KubernetesNetworkPolicy))
        try roundTripAny(resource)
    }

    func roundTripAny(_ resource: any CalicoResource) throws {
        func open<T: CalicoResource>(_ r: T) throws { try assertRoundTrip(r) }
        try open(resource)
    }

    @Test func everyRegisteredKindIsCovered() {
        let covered = Set(Self.manifests.map(\.0))
        for kind in ResourceRegistry.calicoKinds {
            #expect(covered.contains(kind.kind), "no round-trip manifest for \(kind.kind)")
        }
    }

    @Test func valuesSurviveAsWritten() throws {
        let np = try #require(try readOne(Self.manifests[0].1) as? NetworkPolicy)
        #expect(np.spec.order == 100.5)
        #expect(np.spec.ingress?[0].destination?.ports == [CalicoAPI.Port(80), CalicoAPI.Port(min: 8000, max: 8100), CalicoAPI.Port(named: "http")])
        #expect(np.spec.ingress?[1].icmp == ICMPFields(type: 8, code: 0))
        #expect(np.spec.egress?[0].notProtocol == .number(17))
        #expect(np.metadata.annotations?["note"] == "x: y")
    }

    @Test func yamlOutputLooksLikeCalicoctl() throws {
        let tier = Tier(metadata: ObjectMeta(name: "security"), spec: TierSpec(order: 100, defaultAction: .pass))
        #expect(try ResourceWriter.yaml(tier) == """
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata:
              name: security
            spec:
              order: 100
              defaultAction: Pass

            """)
    }
}
