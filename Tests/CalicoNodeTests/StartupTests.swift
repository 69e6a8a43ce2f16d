import CalicoAPI
import CalicoDatastore
import Foundation
import Synchronization
import Testing
@testable import CalicoNode

struct FakeHost: HostSystem {
    var ifaces: [HostInterface] = [iface("lo", "127.0.0.1/8"), iface("docker0", "172.17.0.1/16"),
                                   iface("eth0", "10.0.0.5/24", "fd00:10::5/64"), iface("eth1", "192.168.50.7/24")]
    var routes: [String: IPAddress] = [:]
    var ipv6 = true
    var name = "Fake-Host"
    var failListing = false

    func interfaces() throws -> [HostInterface] {
        if failListing { throw AutodetectionError("no ip command") }
        return ifaces
    }
    func sourceAddress(toward destination: String, family: IPAddress.Family) throws -> IPAddress? { routes[destination] }
    func supportsIPv6() -> Bool { ipv6 }
    func hostname() -> String { name }
}

/// Deterministic "random" hex: 0123456789abcdef repeated.
func fixedHex(_ n: Int) -> String {
    String((0..<n).map { Array("0123456789abcdef")[$0 % 16] })
}

/// An embedded store and a nodename file in a temp dir.
final class StartupFixture: Sendable {
    let dir: String
    let store: Datastore
    let logs = Mutex<[String]>([])

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("node-startup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try NodeStartup.openDatastore(environment: ["EMBEDDED_DATASTORE_PATH": dir + "/datastore.db"], createIfMissing: true)
    }

    var nodenamePath: String { dir + "/nodename" }

    func startup(_ env: [String: String], host: FakeHost = FakeHost()) -> NodeStartup {
        var environment = ["CALICO_NODENAME_FILE": nodenamePath, "EMBEDDED_DATASTORE_PATH": dir + "/datastore.db"]
        environment.merge(env) { $1 }
        return NodeStartup(environment: environment, host: host, log: { line in self.logs.withLock { $0.append(line) } },
                           randomHex: fixedHex)
    }

    @discardableResult
    func run(_ env: [String: String], host: FakeHost = FakeHost()) async throws -> StartupResult {
        try await startup(env, host: host).run(datastore: store)
    }

    func get<T: CalicoResource>(_ type: T.Type, _ name: String) async throws -> T? {
        let kind = ResourceRegistry.kind(apiVersion: calicoAPIVersion, kind: T.kindName)!
        do {
            return try await store.get(kind, namespace: nil, name: name).resource as? T
        } catch DatastoreError.notFound {
            return nil
        }
    }

    func pools() async throws -> [IPPool] {
        try await store.list(ResourceRegistry.kind(named: "ippool")!, namespace: nil).items.compactMap { $0.resource as? IPPool }
    }

    /// The store's revision (any write bumps it).
    func revision() async throws -> Int64 {
        try await store.kv.list(prefix: "/calico/").revision
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }
}

let labEnv = ["NODENAME": "node1", "CALICO_IPV4POOL_CIDR": "10.244.0.0/16", "CLUSTER_TYPE": "k8s,bgp"]

@Suite struct NodeStartupTests {
    @Test func firstRunCreatesEverythingAndSecondRunChangesNothing() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        let first = try await f.run(labEnv)
        #expect(first.nodeName == "node1")
        #expect(first.changes.count == 10, "\(first.changes)")

        let node = try #require(try await f.get(Node.self, "node1"))
        #expect(node.spec.bgp?.ipv4Address == "10.0.0.5/24")
        #expect(node.spec.bgp?.ipv6Address == nil, "IPv6 is only autodetected when IP6=autodetect")
        #expect(node.spec.addresses == [NodeAddress(address: "10.0.0.5", type: "CalicoNodeIP")])
        #expect(node.spec.interfaces == [NodeInterface(name: "eth0", addresses: ["10.0.0.5", "fd00:10::5"]),
                                         NodeInterface(name: "eth1", addresses: ["192.168.50.7"])])

        let pools = try await f.pools()
        #expect(pools.map(\.name) == ["default-ipv4-ippool", "default-ipv6-ippool"])
        let v4 = pools[0].spec
        #expect(v4.cidr == "10.244.0.0/16" && v4.blockSize == 26 && v4.natOutgoing == true)
        #expect(v4.ipipMode == "Never" && v4.vxlanMode == "Never" && v4.disableBGPExport == false && v4.nodeSelector == "all()")
        let v6 = pools[1].spec
        #expect(v6.cidr == "fd01:2345:6789::/48", "random ULA from the injected hex source")
        #expect(v6.blockSize == 122 && v6.natOutgoing == false && v6.ipipMode == "Never")

        let ci = try #require(try await f.get(ClusterInformation.self, "default"))
        #expect(ci.spec.clusterGUID == "0123456789abcdef0123456789abcdef")
        #expect(ci.spec.calicoVersion == "v3.31.7")
        #expect(ci.spec.clusterType == "k8s,bgp")
        #expect(ci.spec.datastoreReady == true)

        let felix = try #require(try await f.get(FelixConfiguration.self, "default"))
        #expect(felix.spec.reportingInterval == "0s" && felix.spec.logSeverityScreen == "Info")
        let perNode = try #require(try await f.get(FelixConfiguration.self, "node.node1"))
        #expect(perNode.spec.defaultEndpointToHostAction == "Return")

        let profile = try #require(try await f.get(Profile.self, "projectcalico-default-allow"))
        #expect(profile.spec.ingress == [Rule(action: .allow)] && profile.spec.egress == [Rule(action: .allow)])
        let tier = try #require(try await f.get(Tier.self, "default"))
        #expect(tier.spec.defaultAction == .deny)
        #expect(try await f.get(Tier.self, "adminnetworkpolicy")?.spec.defaultAction == .pass)
        #expect(try await f.get(Tier.self, "baselineadminnetworkpolicy")?.spec.defaultAction == .pass)
        #expect(try String(contentsOfFile: f.nodenamePath, encoding: .utf8) == "node1")

        // Second run: same environment, nothing written.
        let revision = try await f.revision()
        let nodeRevision = node.metadata.resourceVersion
        let second = try await f.run(labEnv)
        #expect(second.changes.isEmpty, "\(second.changes)")
        #expect(try await f.revision() == revision)
        #expect(try await f.get(Node.self, "node1")?.metadata.resourceVersion == nodeRevision)
        #expect(f.logs.withLock { $0.last } == "Calico node configuration is up to date")

        // Third run without NODENAME uses the stored name.
        let third = try await f.run(["CALICO_IPV4POOL_CIDR": "10.244.0.0/16"])
        #expect(third.nodeName == "node1" && third.changes.isEmpty)
        #expect(try await f.revision() == revision)
    }

    @Test func addressChangeUpdatesOnlyTheNode() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        try await f.run(labEnv.merging(["IP": "autodetect"]) { $1 })
        var moved = FakeHost()
        moved.ifaces = [iface("eth0", "10.0.0.9/24")]
        let r = try await f.run(labEnv.merging(["IP": "autodetect"]) { $1 }, host: moved)
        #expect(r.changes == ["Updated Node node1"])
        #expect(try await f.get(Node.self, "node1")?.spec.bgp?.ipv4Address == "10.0.0.9/24")
        // With IP unset, an existing address is kept (no autodetection).
        var again = FakeHost()
        again.ifaces = [iface("eth0", "10.0.0.77/24")]
        let kept = try await f.run(labEnv, host: again)
        #expect(try await f.get(Node.self, "node1")?.spec.bgp?.ipv4Address == "10.0.0.9/24")
        #expect(kept.changes == ["Updated Node node1"], "only spec.interfaces changed")
    }

    @Test func explicitAddresses() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        try await f.run(labEnv.merging(["IP": "10.0.0.5"]) { $1 })
        #expect(try await f.get(Node.self, "node1")?.spec.bgp?.ipv4Address == "10.0.0.5/24", "a bare IP takes the interface prefix")
        try await f.run(labEnv.merging(["IP": "203.0.113.9"]) { $1 })
        #expect(try await f.get(Node.self, "node1")?.spec.bgp?.ipv4Address == "203.0.113.9/32", "no interface holds it")
        try await f.run(labEnv.merging(["IP": "10.1.2.3/16", "IP6": "fd00:10::5", "AS": "64513"]) { $1 })
        let node = try #require(try await f.get(Node.self, "node1"))
        #expect(node.spec.bgp?.ipv4Address == "10.1.2.3/16")
        #expect(node.spec.bgp?.ipv6Address == "fd00:10::5/64")
        #expect(node.spec.bgp?.asNumber == ASNumber(64513))
        #expect(node.spec.addresses == [NodeAddress(address: "10.1.2.3", type: "CalicoNodeIP"), NodeAddress(address: "fd00:10::5", type: "CalicoNodeIP")])
        try await f.run(labEnv.merging(["IP": "none", "IP6": "none"]) { $1 })
        let cleared = try #require(try await f.get(Node.self, "node1"))
        #expect(cleared.spec.bgp == nil && cleared.spec.addresses == nil)

        await #expect(throws: StartupError.self) { try await f.run(labEnv.merging(["IP": "10.0.0.500"]) { $1 }) }
        await #expect(throws: StartupError.self) { try await f.run(labEnv.merging(["IP": "fd00::1"]) { $1 }) }
        await #expect(throws: StartupError.self) { try await f.run(labEnv.merging(["IP6": "10.0.0.1"]) { $1 }) }
        await #expect(throws: StartupError.self) { try await f.run(labEnv.merging(["AS": "not-an-as"]) { $1 }) }
    }

    @Test func autodetectionMethodsAndFailures() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        try await f.run(labEnv.merging(["IP_AUTODETECTION_METHOD": "interface=eth1"]) { $1 })
        #expect(try await f.get(Node.self, "node1")?.spec.bgp?.ipv4Address == "192.168.50.7/24")
        try await f.run(labEnv.merging(["IP": "autodetect", "IP_AUTODETECTION_METHOD": "skip-interface=eth1", "IP6": "autodetect"]) { $1 })
        let node = try #require(try await f.get(Node.self, "node1"))
        #expect(node.spec.bgp?.ipv4Address == "10.0.0.5/24" && node.spec.bgp?.ipv6Address == "fd00:10::5/64")
        #expect(node.spec.interfaces?.map(\.name) == ["eth0"], "skip-interface also hides the interface from spec.interfaces")
        var host = FakeHost()
        host.routes = ["192.0.2.1": IPAddress("192.168.50.7")!]
        try await f.run(labEnv.merging(["IP": "autodetect", "IP_AUTODETECTION_METHOD": "can-reach=192.0.2.1"]) { $1 }, host: host)
        #expect(try await f.get(Node.self, "node1")?.spec.bgp?.ipv4Address == "192.168.50.7/24")

        // A failing autodetection keeps a previous address, and is fatal without one.
        try await f.run(labEnv.merging(["IP": "autodetect", "IP_AUTODETECTION_METHOD": "cidr=203.0.113.0/24"]) { $1 })
        #expect(try await f.get(Node.self, "node1")?.spec.bgp?.ipv4Address == "192.168.50.7/24")
        await #expect(throws: StartupError.self) {
            try await f.run(["NODENAME": "node2", "IP_AUTODETECTION_METHOD": "cidr=203.0.113.0/24"])
        }
        await #expect(throws: StartupError.self) { try await f.run(["NODENAME": "node2", "IP_AUTODETECTION_METHOD": "magic"]) }
        var broken = FakeHost()
        broken.failListing = true
        await #expect(throws: StartupError.self) { try await f.run(["NODENAME": "node2"], host: broken) }
        #expect(try await f.get(Node.self, "node2") == nil)
        // The networking backend "none" skips addresses entirely.
        try await f.run(["NODENAME": "node2", "CALICO_NETWORKING_BACKEND": "none"], host: broken)
        #expect(try await f.get(Node.self, "node2")?.spec.bgp == nil)
    }

    @Test func nodesMayNotShareAnAddress() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        try await f.run(labEnv)
        do {
            try await f.run(["NODENAME": "node2"])
            Issue.record("expected a conflict")
        } catch let e as StartupError {
            #expect(e.description == "Calico node 'node1' is already using the IPv4 address 10.0.0.5.")
        }
        #expect(try await f.get(Node.self, "node2") == nil)
        try await f.run(["NODENAME": "node2", "DISABLE_NODE_IP_CHECK": "true"])
        #expect(try await f.get(Node.self, "node2")?.spec.bgp?.ipv4Address == "10.0.0.5/24")
    }

    @Test func nodeRefAndOrchestratorReferences() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        try await f.run(labEnv.merging(["CALICO_K8S_NODE_REF": "k8s-node-1"]) { $1 })
        #expect(try await f.get(Node.self, "node1")?.spec.orchRefs == [OrchRef(nodeName: "k8s-node-1", orchestrator: "k8s")])
        let again = try await f.run(labEnv.merging(["CALICO_K8S_NODE_REF": "k8s-node-1"]) { $1 })
        #expect(again.changes.isEmpty)
    }

    @Test func poolSettingsFromTheEnvironment() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        try await f.run(["NODENAME": "node1", "CALICO_IPV4POOL_CIDR": "10.244.7.0/16", "CALICO_IPV4POOL_BLOCK_SIZE": "24",
                         "CALICO_IPV4POOL_IPIP": "CrossSubnet", "CALICO_IPV4POOL_NAT_OUTGOING": "false",
                         "CALICO_IPV4POOL_NODE_SELECTOR": "role == 'worker'", "CALICO_IPV4POOL_DISABLE_BGP_EXPORT": "true",
                         "CALICO_IPV6POOL_CIDR": "fd00:244::/56", "CALICO_IPV6POOL_VXLAN": "always", "CALICO_IPV6POOL_BLOCK_SIZE": "120"])
        let pools = try await f.pools()
        let v4 = try #require(pools.first { $0.name == "default-ipv4-ippool" }).spec
        #expect(v4.cidr == "10.244.0.0/16" && v4.blockSize == 24 && v4.ipipMode == "CrossSubnet" && v4.vxlanMode == "Never")
        #expect(v4.natOutgoing == false && v4.nodeSelector == "role == 'worker'" && v4.disableBGPExport == true)
        let v6 = try #require(pools.first { $0.name == "default-ipv6-ippool" }).spec
        #expect(v6.cidr == "fd00:244::/56" && v6.blockSize == 120 && v6.vxlanMode == "Always" && v6.natOutgoing == false)
    }

    @Test func poolVXLANAndCrossSubnetSpellings() throws {
        for (text, mode) in [("", "Never"), ("never", "Never"), ("Off", "Never"), ("Always", "Always"), ("crosssubnet", "CrossSubnet"),
                             ("Cross-Subnet", "CrossSubnet")] {
            let pool = try DefaultPool.make(family: .v4, environment: ["CALICO_IPV4POOL_VXLAN": text], hostAddresses: [], randomHex: fixedHex)
            #expect(pool?.spec.vxlanMode == mode, "\(text)")
        }
    }

    @Test(arguments: [
        ["CALICO_IPV4POOL_IPIP": "sometimes"],
        ["CALICO_IPV4POOL_IPIP": "Always", "CALICO_IPV4POOL_VXLAN": "Always"],
        ["CALICO_IPV4POOL_BLOCK_SIZE": "33"],
        ["CALICO_IPV4POOL_BLOCK_SIZE": "19"],
        ["CALICO_IPV4POOL_CIDR": "10.0.0.0/24", "CALICO_IPV4POOL_BLOCK_SIZE": "22"],
        ["CALICO_IPV4POOL_CIDR": "fd00::/48"],
        ["CALICO_IPV4POOL_CIDR": "10.0.0.1"],
        ["CALICO_IPV4POOL_NAT_OUTGOING": "yes"],
    ])
    func invalidPoolSettings(_ env: [String: String]) {
        #expect(throws: StartupError.self) { try DefaultPool.make(family: .v4, environment: env, hostAddresses: [], randomHex: fixedHex) }
    }

    @Test func defaultIPv4PoolAvoidsHostNetworks() throws {
        let plain = try DefaultPool.make(family: .v4, environment: [:], hostAddresses: [IPNet("10.0.0.5/24")!], randomHex: fixedHex)
        #expect(plain?.spec.cidr == "192.168.0.0/16")
        let clash = try DefaultPool.make(family: .v4, environment: [:],
                                         hostAddresses: [IPNet("192.168.1.5/24")!, IPNet("172.16.3.3/24")!], randomHex: fixedHex)
        #expect(clash?.spec.cidr == "172.17.0.0/16")
        #expect(try DefaultPool.make(family: .v4, environment: ["CALICO_IPV4POOL_CIDR": "none"], hostAddresses: [], randomHex: fixedHex) == nil)
    }

    @Test func noDefaultPools() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        try await f.run(["NODENAME": "node1", "NO_DEFAULT_IPPOOLS": "true"])
        #expect(try await f.pools().isEmpty)
        await #expect(throws: StartupError.self) {
            try await f.run(["NODENAME": "node1", "NO_DEFAULT_POOLS": "true", "CALICO_IPV4POOL_CIDR": "10.244.0.0/16"])
        }
    }

    @Test func existingPoolsAndNoIPv6() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        _ = try await f.store.create(IPPool(metadata: ObjectMeta(name: "mine"), spec: IPPoolSpec(cidr: "10.50.0.0/16")))
        var host = FakeHost()
        host.ipv6 = false
        try await f.run(labEnv, host: host)
        #expect(try await f.pools().map(\.name) == ["mine"], "a v4 pool exists and the host has no IPv6")
        try await f.run(labEnv)
        #expect(try await f.pools().map(\.name) == ["default-ipv6-ippool", "mine"])
    }

    @Test func existingClusterInformationIsMergedNotReplaced() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        var ci = ClusterInformation(metadata: ObjectMeta(name: "default"))
        ci.spec.clusterGUID = "feedfacefeedfacefeedfacefeedface"
        ci.spec.clusterType = "k8s,typha"
        ci.spec.calicoVersion = "v3.30.0"
        ci.spec.datastoreReady = false
        _ = try await f.store.create(ci)
        let r = try await f.run(labEnv)
        #expect(r.changes.contains("Updated ClusterInformation default"))
        let after = try #require(try await f.get(ClusterInformation.self, "default"))
        #expect(after.spec.clusterGUID == "feedfacefeedfacefeedfacefeedface")
        #expect(after.spec.clusterType == "k8s,typha,bgp")
        #expect(after.spec.calicoVersion == "v3.31.7")
        #expect(after.spec.datastoreReady == false, "a locked datastore stays locked")
    }

    @Test func existingFelixConfigurationOnlyGainsUnsetDefaults() async throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        var fc = FelixConfiguration(metadata: ObjectMeta(name: "default"))
        fc.spec.logSeverityScreen = "Debug"
        _ = try await f.store.create(fc)
        try await f.run(labEnv)
        let after = try #require(try await f.get(FelixConfiguration.self, "default"))
        #expect(after.spec.logSeverityScreen == "Debug" && after.spec.reportingInterval == "0s")
    }

    @Test func nodeNameSources() throws {
        let f = try StartupFixture()
        defer { f.cleanup() }
        var host = FakeHost()
        host.name = "OS-Host"
        #expect(f.startup(["NODENAME": "explicit"], host: host).nodeName().name == "explicit")
        #expect(f.startup(["HOSTNAME": "Env-Host"], host: host).nodeName().name == "env-host")
        #expect(f.startup([:], host: host).nodeName().name == "os-host")
        try NodenameFile(path: f.nodenamePath).write("stored")
        #expect(f.startup(["HOSTNAME": "Env-Host"], host: host).nodeName().name == "stored")
        #expect(f.startup(["NODENAME": "explicit"], host: host).nodeName().name == "explicit")
        #expect(NodenameFile(environment: ["CALICO_NODENAME_FILE": f.nodenamePath]).read() == "stored")
        #expect(NodenameFile(environment: [:]).path == "/var/lib/calico/nodename")
    }
}
