import Testing
@testable import CalicoAPI

/// Reads exactly one resource from `yaml` and returns it as `T`, failing the test otherwise.
private func readOne<T: CalicoResource>(_ yaml: String, as type: T.Type, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    let items = try ResourceReader.read(yaml, source: "t.yaml")
    try #require(items.count == 1, sourceLocation: sourceLocation)
    switch items[0].result {
    case .success(let resource):
        return try #require(resource as? T, sourceLocation: sourceLocation)
    case .failure(let failure):
        Issue.record("decode failed: \(failure)", sourceLocation: sourceLocation)
        throw failure
    }
}

/// Encodes `resource` as YAML, reads it back and checks it is unchanged.
private func roundTrip<T: CalicoResource>(_ resource: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let yaml = try ResourceWriter.yaml(resource)
    let again = try readOne(yaml, as: T.self, sourceLocation: sourceLocation)
    #expect(again == resource, "round trip changed the resource; YAML was:\n\(yaml)", sourceLocation: sourceLocation)
}

/// The decode error of the single resource in `yaml`.
private func decodeFailure(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> DecodeError? {
    let items = try ResourceReader.read(yaml, source: "t.yaml")
    try #require(items.count == 1, sourceLocation: sourceLocation)
    if case .failure(let failure) = items[0].result { return failure.error }
    return nil
}

@Suite struct FelixConfigurationKindTests {
    static let v331 = """
    apiVersion: projectcalico.org/v3
    kind: FelixConfiguration
    metadata:
      name: default
    spec:
      ipv6Support: false
      logSeverityScreen: Info
      logActionRateLimit: 10/second
      logActionRateLimitBurst: 20
      cgroupV2Path: /run/calico/cgroup
      programClusterRoutes: Enabled
      natOutgoingExclusions: IPPoolsAndHostIPs
      nftablesMode: Enabled
      nftablesRefreshInterval: 180s
      nftablesFilterAllowAction: Return
      nftablesMarkMask: 0xffff0000
      iptablesMarkMask: 4294901760
      bpfEnabled: true
      bpfAttachType: TCX
      bpfJITHardening: Strict
      bpfKubeProxyIptablesCleanupEnabled: false
      bpfKubeProxyHealthzPort: 10256
      bpfPSNATPorts: "20000:29999"
      bpfMapSizePerCpuConntrack: 16384
      bpfConntrackMode: BPFProgram
      bpfConntrackTimeouts:
        creationGracePeriod: 10s
        tcpEstablished: 1h
        tcpFinsSeen: Auto
        udpTimeout: 60s
      bpfLogFilters:
        all: tcp
        eth0: host 10.0.0.1
      bpfForceTrackPacketsFromIfaces: ["docker+"]
      bpfExcludeCIDRsFromNAT: [10.96.0.0/12]
      xdpEnabled: true
      featureDetectOverride: SNATFullyRandom=true,MASQFullyRandom=false
      featureGates: BPFConnectTimeLoadBalancingWorkaround=enabled
      requireMTUFile: true
      flowLogsGoldmaneServer: goldmane.calico-system.svc:7443
      flowLogsFlushInterval: 15s
      flowLogsLocalReporter: Enabled
      healthTimeoutOverrides:
      - name: InternalDataplaneMainLoop
        timeout: 30s
      failsafeInboundHostPorts:
      - protocol: TCP
        port: 22
      - protocol: UDP
        port: 68
      - protocol: TCP
        port: 6443
        net: 10.0.0.0/8
      failsafeOutboundHostPorts:
      - protocol: UDP
        port: 53
      kubeNodePortRanges: ["30000:32767", 40000]
      natPortRange: "32768:65000"
      externalNodesList: [192.168.1.0/24]
      routeTableRanges:
      - min: 1
        max: 250
      - min: 1000
        max: 4294967295
      wireguardEnabled: true
      wireguardInterfaceName: wireguard.cali
      wireguardKeepAlive: 25s
      goMaxProcs: -1
      reportingInterval: 0s
    """

    @Test func decodesThe331Fields() throws {
        let felix = try readOne(Self.v331, as: FelixConfiguration.self)
        let s = felix.spec
        #expect(felix.metadata.name == "default")
        #expect(s.ipv6Support == false)
        #expect(s.cgroupV2Path == "/run/calico/cgroup")
        #expect(s.programClusterRoutes == "Enabled")
        #expect(s.natOutgoingExclusions == "IPPoolsAndHostIPs")
        #expect(s.nftablesMode == "Enabled")
        #expect(s.nftablesMarkMask == 0xffff_0000)
        #expect(s.iptablesMarkMask == 0xffff_0000)
        #expect(s.bpfAttachType == "TCX")
        #expect(s.bpfJITHardening == "Strict")
        #expect(s.logActionRateLimit == "10/second")
        #expect(s.logActionRateLimitBurst == 20)
        #expect(s.bpfKubeProxyIptablesCleanupEnabled == false)
        #expect(s.bpfPSNATPorts == Port(min: 20000, max: 29999))
        #expect(s.bpfMapSizePerCpuConntrack == 16384)
        #expect(s.bpfConntrackTimeouts?.tcpFinsSeen == "Auto")
        #expect(s.bpfConntrackTimeouts?.tcpSynSent == nil)
        #expect(s.bpfLogFilters == ["all": "tcp", "eth0": "host 10.0.0.1"])
        #expect(s.requireMTUFile == true)
        #expect(s.healthTimeoutOverrides == [HealthTimeoutOverride(name: "InternalDataplaneMainLoop", timeout: "30s")])
        #expect(s.failsafeInboundHostPorts == [
            ProtoPort(protocol: "TCP", port: 22),
            ProtoPort(protocol: "UDP", port: 68),
            ProtoPort(protocol: "TCP", port: 6443, net: "10.0.0.0/8"),
        ])
        #expect(s.failsafeOutboundHostPorts?.first?.port == 53)
        #expect(s.kubeNodePortRanges == [Port(min: 30000, max: 32767), Port(40000)])
        #expect(s.natPortRange == Port(min: 32768, max: 65000))
        #expect(s.routeTableRanges == [RouteTableRange(min: 1, max: 250), RouteTableRange(min: 1000, max: 4_294_967_295)])
        #expect(s.goMaxProcs == -1)
        #expect(s.reportingInterval == "0s")
        #expect(s.bpfExcludeCIDRsFromNAT == ["10.96.0.0/12"])
        try roundTrip(felix)
    }

    @Test func decodesIptablesAndDeprecatedFields() throws {
        let yaml = """
        apiVersion: crd.projectcalico.org/v1
        kind: FelixConfiguration
        metadata:
          name: node.worker-1
        spec:
          useInternalDataplaneDriver: true
          dataplaneDriver: calico-iptables-plugin
          dataplaneWatchdogTimeout: 90s
          routeRefreshInterval: 90s
          interfaceRefreshInterval: 90s
          iptablesRefreshInterval: 10s
          iptablesPostWriteCheckInterval: 1s
          iptablesLockFilePath: /run/xtables.lock
          iptablesLockTimeout: 0s
          iptablesLockProbeInterval: 50ms
          iptablesBackend: NFT
          ipsetsRefreshInterval: 90s
          maxIpsetSize: 1048576
          netlinkTimeout: 10s
          metadataAddr: 127.0.0.1
          metadataPort: 8775
          openstackRegion: region-one
          interfacePrefix: cali,tap
          interfaceExclude: kube-ipvs0,/^veth.*/
          chainInsertMode: Append
          defaultEndpointToHostAction: Return
          iptablesFilterAllowAction: Return
          iptablesMangleAllowAction: Accept
          iptablesFilterDenyAction: Reject
          logPrefix: calico-drop
          logFilePath: none
          logSeverityFile: Warning
          logSeveritySys: Error
          logDebugFilenameRegex: "^route.*"
          ipipEnabled: true
          ipipMTU: 1440
          vxlanEnabled: false
          vxlanMTU: 1410
          vxlanMTUV6: 1390
          vxlanPort: 4789
          vxlanVNI: 4096
          allowVXLANPacketsFromWorkloads: false
          allowIPIPPacketsFromWorkloads: true
          reportingTTL: 90s
          endpointReportingEnabled: true
          endpointReportingDelay: 1s
          endpointStatusPathPrefix: /var/run/calico
          disableConntrackInvalidCheck: true
          healthEnabled: true
          healthHost: 0.0.0.0
          healthPort: 9099
          prometheusMetricsEnabled: true
          prometheusMetricsHost: 0.0.0.0
          prometheusMetricsPort: 9091
          prometheusGoMetricsEnabled: false
          prometheusProcessMetricsEnabled: false
          prometheusWireGuardMetricsEnabled: false
          policySyncPathPrefix: /var/run/nodeagent
          usageReportingEnabled: false
          usageReportingInitialDelay: 300s
          usageReportingInterval: 86400s
          natOutgoingAddress: 192.0.2.10
          deviceRouteSourceAddress: 192.0.2.1
          deviceRouteSourceAddressIPv6: "2001:db8::1"
          deviceRouteProtocol: 3
          removeExternalRoutes: false
          ipForwarding: Enabled
          debugMemoryProfilePath: /tmp/felix-mem.pprof
          debugDisableLogDropping: true
          debugSimulateCalcGraphHangAfter: 0s
          debugSimulateDataplaneHangAfter: 0s
          debugSimulateDataplaneApplyDelay: 0s
          debugHost: localhost
          debugPort: 6060
          iptablesNATOutgoingInterfaceFilter: eth+
          sidecarAccelerationEnabled: false
          genericXDPEnabled: false
          xdpRefreshInterval: 90s
          bpfDisableUnprivileged: true
          bpfLogLevel: Debug
          bpfConntrackLogLevel: Debug
          bpfCTLBLogFilter: all
          bpfDataIfacePattern: "^eth.*"
          bpfL3IfacePattern: "^wg.*"
          bpfDisableGROForIfaces: "^ens.*"
          bpfConnectTimeLoadBalancingEnabled: true
          bpfConnectTimeLoadBalancing: TCP
          bpfHostNetworkedNATWithoutCTLB: Enabled
          bpfExternalServiceMode: DSR
          bpfDSROptoutCIDRs: [10.1.0.0/16]
          bpfExtToServiceConnmark: 128
          bpfKubeProxyMinSyncPeriod: 1s
          bpfKubeProxyEndpointSlicesEnabled: true
          bpfMapSizeNATFrontend: 65536
          bpfMapSizeNATBackend: 262144
          bpfMapSizeNATAffinity: 65536
          bpfMapSizeRoute: 262144
          bpfMapSizeConntrack: 512000
          bpfMapSizeConntrackScaling: DoubleIfFull
          bpfMapSizeConntrackCleanupQueue: 100000
          bpfMapSizeIPSets: 1048576
          bpfMapSizeIfState: 1000
          bpfHostConntrackBypass: false
          bpfEnforceRPF: Strict
          bpfPolicyDebugEnabled: true
          bpfExportBufferSizeMB: 2
          bpfRedirectToPeer: L2Only
          bpfProfiling: Disabled
          flowLogsCollectorDebugTrace: false
          flowLogsPolicyEvaluationMode: Continuous
          routeSource: WorkloadIPs
          routeTableRange:
            min: 1
            max: 250
          routeSyncDisabled: false
          wireguardEnabledV6: true
          wireguardThreadingEnabled: true
          wireguardListeningPort: 51820
          wireguardListeningPortV6: 51821
          wireguardRoutingRulePriority: 99
          wireguardInterfaceNameV6: wg-v6.cali
          wireguardMTU: 1440
          wireguardMTUV6: 1420
          wireguardHostEncryptionEnabled: false
          awsSrcDstCheck: Disable
          serviceLoopPrevention: Reject
          workloadSourceSpoofing: Any
          mtuIfacePattern: "^eth.*"
          floatingIPs: Disabled
          windowsManageFirewallRules: Enabled
          goGCThreshold: 40
          goMemoryLimitMB: -1
        """
        let felix = try readOne(yaml, as: FelixConfiguration.self)
        let s = felix.spec
        #expect(felix.apiVersion == "crd.projectcalico.org/v1")
        #expect(felix.metadata.name == "node.worker-1")
        #expect(s.iptablesBackend == "NFT")
        #expect(s.deviceRouteSourceAddressIPv6 == "2001:db8::1")
        #expect(s.routeTableRange == RouteTableRange(min: 1, max: 250))
        #expect(s.bpfDSROptoutCIDRs == ["10.1.0.0/16"])
        #expect(s.bpfConnectTimeLoadBalancingEnabled == true)
        #expect(s.awsSrcDstCheck == "Disable")
        #expect(s.wireguardMTUV6 == 1420)
        #expect(s.goMemoryLimitMB == -1)
        #expect(s.debugPort == 6060)
        try roundTrip(felix)
    }

    @Test func unknownSpecFieldIsAnError() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: FelixConfiguration
        metadata:
          name: default
        spec:
          ipv6Support: true
          bogusField: 1
        """
        let error = try #require(try decodeFailure(yaml))
        #expect(error.path == "spec.bogusField")
        #expect(error.reason == "field in document is not recognized or is in the wrong location: bogusField")
    }

    @Test("A field name in another case is the field (upstream's Go decoder folds case)")
    func otherCaseFieldName() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: FelixConfiguration
        metadata:
          name: default
        spec:
          IPv6Support: true
        """
        let items = try ResourceReader.read(yaml, source: "t.yaml")
        let fc = try #require(try items.first?.result.get() as? FelixConfiguration)
        #expect(fc.spec.ipv6Support == true)
    }

    @Test func failsafePortNeedsProtocolAndPortShape() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: FelixConfiguration
        metadata:
          name: default
        spec:
          failsafeInboundHostPorts:
          - protocol: TCP
            port: 22
            bogus: x
        """
        let error = try #require(try decodeFailure(yaml))
        #expect(error.path == "spec.failsafeInboundHostPorts[0].bogus")
    }

    @Test func markMaskMustFitUInt32() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: FelixConfiguration
        metadata:
          name: default
        spec:
          iptablesMarkMask: 4294967296
        """
        let error = try #require(try decodeFailure(yaml))
        #expect(error.path == "spec.iptablesMarkMask")
    }
}

@Suite struct KubeControllersConfigurationKindTests {
    @Test func decodesSpecAndStatus() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: KubeControllersConfiguration
        metadata:
          name: default
        spec:
          logSeverityScreen: Info
          healthChecks: Enabled
          etcdV3CompactionPeriod: 10m
          prometheusMetricsPort: 9094
          debugProfilePort: 6061
          controllers:
            node:
              reconcilerPeriod: 5m
              syncLabels: Enabled
              leakGracePeriod: 15m
              hostEndpoint:
                autoCreate: Enabled
                createDefaultHostEndpoint: Disabled
                templates:
                - generateName: eth0-heps
                  interfaceCIDRs: [10.0.0.0/8]
                  interfacePattern: "^eth0$"
                  labels:
                    role: worker
                  nodeSelector: has(worker)
            policy:
              reconcilerPeriod: 5m
            workloadEndpoint:
              reconcilerPeriod: 5m
            serviceAccount:
              reconcilerPeriod: 5m
            namespace:
              reconcilerPeriod: 5m
            loadBalancer:
              assignIPs: RequestedServicesOnly
        status:
          environmentVars:
            ENABLED_CONTROLLERS: node,policy
          runningConfig:
            logSeverityScreen: Info
            healthChecks: Enabled
            etcdV3CompactionPeriod: 10m0s
            controllers:
              node:
                reconcilerPeriod: 5m0s
                syncLabels: Enabled
        """
        let kcc = try readOne(yaml, as: KubeControllersConfiguration.self)
        #expect(kcc.spec.debugProfilePort == 6061)
        let template = try #require(kcc.spec.controllers?.node?.hostEndpoint?.templates?.first)
        #expect(template.generateName == "eth0-heps")
        #expect(template.interfaceCIDRs == ["10.0.0.0/8"])
        #expect(template.labels == ["role": "worker"])
        #expect(template.nodeSelector == "has(worker)")
        #expect(kcc.spec.controllers?.loadBalancer?.assignIPs == "RequestedServicesOnly")
        #expect(kcc.spec.controllers?.namespace?.reconcilerPeriod == "5m")
        #expect(kcc.status?.environmentVars == ["ENABLED_CONTROLLERS": "node,policy"])
        #expect(kcc.status?.runningConfig?.controllers?.node?.reconcilerPeriod == "5m0s")
        #expect(kcc.status?.runningConfig?.controllers?.policy == nil)
        try roundTrip(kcc)
    }

    @Test func templateHasNoInterfaceSelector() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: KubeControllersConfiguration
        metadata:
          name: default
        spec:
          controllers:
            node:
              hostEndpoint:
                templates:
                - generateName: x
                  interfaceSelector: eth0
        """
        let error = try #require(try decodeFailure(yaml))
        #expect(error.path == "spec.controllers.node.hostEndpoint.templates[0].interfaceSelector")
    }
}

@Suite struct BGPKindsTests {
    @Test func decodesBGPConfiguration() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: BGPConfiguration
        metadata:
          name: default
        spec:
          logSeverityScreen: Info
          nodeToNodeMeshEnabled: true
          asNumber: 64512
          listenPort: 178
          bindMode: NodeIP
          serviceClusterIPs:
          - cidr: 10.96.0.0/12
          - cidr: fd00:10:96::/112
          serviceExternalIPs:
          - cidr: 104.244.42.129/32
          serviceLoadBalancerIPs:
          - cidr: 172.217.3.0/24
          serviceLoadBalancerAggregation: Disabled
          communities:
          - name: bgp-large-community
            value: 63400:300:100
          prefixAdvertisements:
          - cidr: 172.218.4.0/26
            communities:
            - bgp-large-community
            - 63400:120
          nodeMeshPassword:
            secretKeyRef:
              name: bgp-secrets
              key: mesh-password
          nodeMeshMaxRestartTime: 120s
          ignoredInterfaces: [iface-1, "veth*"]
          localWorkloadPeeringIPV4: 169.254.0.179
          localWorkloadPeeringIPV6: "fe80::179"
          programClusterRoutes: Enabled
        """
        let config = try readOne(yaml, as: BGPConfiguration.self)
        let s = config.spec
        #expect(s.asNumber == ASNumber(64512))
        #expect(s.listenPort == 178)
        #expect(s.serviceClusterIPs?.map(\.cidr) == ["10.96.0.0/12", "fd00:10:96::/112"])
        #expect(s.communities == [Community(name: "bgp-large-community", value: "63400:300:100")])
        #expect(s.prefixAdvertisements?.first?.communities == ["bgp-large-community", "63400:120"])
        #expect(s.nodeMeshPassword?.secretKeyRef?.key == "mesh-password")
        #expect(s.ignoredInterfaces == ["iface-1", "veth*"])
        #expect(s.localWorkloadPeeringIPV6 == "fe80::179")
        #expect(s.programClusterRoutes == "Enabled")
        try roundTrip(config)
    }

    @Test func dottedASNumberDecodes() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: BGPConfiguration
        metadata:
          name: default
        spec:
          asNumber: "1.10"
        """
        let config = try readOne(yaml, as: BGPConfiguration.self)
        #expect(config.spec.asNumber == ASNumber(65546))
        try roundTrip(config)
    }

    @Test func decodesBGPPeer() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: BGPPeer
        metadata:
          name: rack1-tor
        spec:
          nodeSelector: rack == 'rack-1'
          peerIP: 192.20.30.40:1179
          asNumber: 64567
          localASNumber: 65001
          keepOriginalNextHop: false
          nextHopMode: Self
          password:
            secretKeyRef:
              name: bgp-secrets
              key: rr-password
          sourceAddress: None
          maxRestartTime: 15m
          numAllowedLocalASNumbers: 2
          ttlSecurity: 1
          reachableBy: 192.20.30.1
          filters: [export-filter, import-filter]
          reversePeering: Manual
        """
        let peer = try readOne(yaml, as: BGPPeer.self)
        let s = peer.spec
        #expect(s.nodeSelector == "rack == 'rack-1'")
        #expect(s.peerIP == "192.20.30.40:1179")
        #expect(s.asNumber == ASNumber(64567))
        #expect(s.localASNumber == ASNumber(65001))
        #expect(s.numAllowedLocalASNumbers == 2)
        #expect(s.ttlSecurity == 1)
        #expect(s.filters == ["export-filter", "import-filter"])
        #expect(s.password?.secretKeyRef?.name == "bgp-secrets")
        #expect(s.keepOriginalNextHop == false)
        try roundTrip(peer)

        let workloadPeer = try readOne("""
        apiVersion: projectcalico.org/v3
        kind: BGPPeer
        metadata:
          name: workload-peer
        spec:
          node: node-1
          asNumber: 65100
          localWorkloadSelector: app == 'bird'
        """, as: BGPPeer.self)
        #expect(workloadPeer.spec.localWorkloadSelector == "app == 'bird'")
        try roundTrip(workloadPeer)
    }

    @Test func decodesBGPFilter() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: BGPFilter
        metadata:
          name: my-filter
        spec:
          exportV4:
          - action: Accept
            matchOperator: In
            cidr: 77.0.0.0/16
            prefixLength:
              min: 24
              max: 28
            source: RemotePeers
          - action: Reject
            interface: "*.calico"
          importV4:
          - action: Reject
            matchOperator: NotIn
            cidr: 44.0.0.0/16
          exportV6:
          - action: Accept
            matchOperator: Equal
            cidr: 9000::0/64
          importV6:
          - action: Reject
            matchOperator: NotEqual
            cidr: 5000::0/64
            prefixLength:
              max: 96
        """
        let filter = try readOne(yaml, as: BGPFilter.self)
        let s = filter.spec
        #expect(s.exportV4?.count == 2)
        #expect(s.exportV4?[0].prefixLength == BGPFilterPrefixLength(min: 24, max: 28))
        #expect(s.exportV4?[0].source == "RemotePeers")
        #expect(s.exportV4?[1].interface == "*.calico")
        #expect(s.importV4?[0].matchOperator == "NotIn")
        #expect(s.exportV6?[0].cidr == "9000::0/64")
        #expect(s.importV6?[0].prefixLength?.min == nil)
        #expect(s.importV6?[0].prefixLength?.max == 96)
        try roundTrip(filter)
    }
}

@Suite struct NodeKindsTests {
    @Test func decodesNode() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata:
          name: node-hostname
          labels:
            kubernetes.io/hostname: node-hostname
        spec:
          bgp:
            asNumber: 64512
            ipv4Address: 10.244.0.1/24
            ipv6Address: 2001:db8:85a3::8a2e:370:7334/120
            ipv4IPIPTunnelAddr: 192.168.0.1
            routeReflectorClusterID: 224.0.0.1
          ipv4VXLANTunnelAddr: 192.168.0.2
          vxlanTunnelMACAddr: "66:cf:23:df:22:07"
          ipv6VXLANTunnelAddr: "fd00::2"
          vxlanTunnelMACAddrV6: "66:cf:23:df:22:08"
          orchRefs:
          - nodeName: node-hostname
            orchestrator: k8s
          wireguard:
            interfaceIPv4Address: 192.168.0.3
            interfaceIPv6Address: "fd00::3"
          addresses:
          - address: 10.244.0.1/24
            type: CalicoNodeIP
          - address: 10.244.0.1
            type: InternalIP
          interfaces:
          - name: eth0
            addresses: [10.244.0.1, "fe80::1"]
        status:
          wireguardPublicKey: jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=
          wireguardPublicKeyV6: 6nR3dcnWbsH4YnXGRnWmgPYvoZXsCX6z0vx+hEpMU2w=
          podCIDRs: [10.244.0.0/24]
        """
        let node = try readOne(yaml, as: Node.self)
        #expect(node.metadata.labels?["kubernetes.io/hostname"] == "node-hostname")
        #expect(node.spec.bgp?.asNumber == ASNumber(64512))
        #expect(node.spec.bgp?.ipv4IPIPTunnelAddr == "192.168.0.1")
        #expect(node.spec.bgp?.routeReflectorClusterID == "224.0.0.1")
        #expect(node.spec.vxlanTunnelMACAddr == "66:cf:23:df:22:07")
        #expect(node.spec.orchRefs == [OrchRef(nodeName: "node-hostname", orchestrator: "k8s")])
        #expect(node.spec.wireguard?.interfaceIPv6Address == "fd00::3")
        #expect(node.spec.addresses?.map(\.type) == ["CalicoNodeIP", "InternalIP"])
        #expect(node.spec.interfaces?.first?.addresses == ["10.244.0.1", "fe80::1"])
        #expect(node.status?.podCIDRs == ["10.244.0.0/24"])
        #expect(node.status?.wireguardPublicKey == "jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=")
        try roundTrip(node)
    }

    @Test func decodesClusterInformation() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: ClusterInformation
        metadata:
          name: default
        spec:
          calicoVersion: v3.31.7
          clusterGUID: 4c8b5b2f3f3e4a7e9b8f4e3d2c1b0a99
          clusterType: k8s,bgp,kubeadm,kdd
          datastoreReady: true
          variant: Calico
        """
        let info = try readOne(yaml, as: ClusterInformation.self)
        #expect(info.spec.calicoVersion == "v3.31.7")
        #expect(info.spec.clusterType == "k8s,bgp,kubeadm,kdd")
        #expect(info.spec.datastoreReady == true)
        #expect(info.spec.variant == "Calico")
        try roundTrip(info)
    }

    @Test func quotedBoolIsNotABool() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: ClusterInformation
        metadata:
          name: default
        spec:
          datastoreReady: "true"
        """
        let error = try #require(try decodeFailure(yaml))
        #expect(error.path == "spec.datastoreReady")
    }
}
