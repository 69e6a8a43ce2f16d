import CalicoAPI
import CalicoNetlink
import FelixCalc
import Foundation
import Testing
@testable import FelixDataplane

/// The cluster managers' plans and the NAT/VXLAN part of the table, without a kernel (LabTests
/// send packets across nodes for what only the kernel can prove).
@Suite struct ClusterPlanTests {
    static func remote(_ dst: String, node: String = "node2", ip: String = "198.51.100.12", pool: String, mode: String = "Never",
                       sameSubnet: Bool) -> DataplaneUpdate {
        .routeUpdate(RouteUpdate(dst: dst, kind: .remoteWorkload, dstNodeName: node, dstNodeIP: ip, poolType: pool, natOutgoing: false,
                                 interfaceName: nil, borrowed: false, sameSubnet: sameSubnet, vxlanMode: mode))
    }
    static func local(_ dst: String, pool: String, iface: String? = nil) -> DataplaneUpdate {
        .routeUpdate(RouteUpdate(dst: dst, kind: .localWorkload, dstNodeName: "node1", dstNodeIP: "198.51.100.11", poolType: pool,
                                 natOutgoing: false, interfaceName: iface, borrowed: false))
    }
    static let vtep2 = VTEP(node: "node2", parentIPv4: "198.51.100.12", tunnelIPv4: "10.244.1.0", macV4: "66:00:00:00:00:02")

    @Test func noEncapRoutesNeedProgramClusterRoutesAndASharedSubnet() {
        let m = ClusterRouteManager(hostname: "node1")
        m.onUpdates([Self.remote("10.244.1.0/26", pool: "NO_ENCAP", sameSubnet: true),
                     Self.remote("10.244.2.0/26", node: "node3", ip: "192.0.2.13", pool: "NO_ENCAP", sameSubnet: false),
                     Self.local("10.244.0.0/26", pool: "NO_ENCAP"), Self.local("10.244.0.5/32", pool: "NO_ENCAP", iface: "cali1")])
        #expect(m.wanted().isEmpty)
        m.settings.programClusterRoutes = true
        #expect(m.wanted() == ["10.244.1.0/26": .via("198.51.100.12"), "10.244.0.0/26": .blackhole])
    }

    @Test func vxlanRoutesGoThroughTheTunnelUnlessCrossSubnetAllowsDirect() {
        let m = ClusterRouteManager(hostname: "node1")
        m.vxlanDevice = { $0 == .v4 }
        m.onUpdates([.vtepUpdate(Self.vtep2), Self.remote("10.244.1.0/26", pool: "VXLAN", mode: "Always", sameSubnet: true),
                     Self.remote("10.244.3.0/26", pool: "VXLAN", mode: "CrossSubnet", sameSubnet: true),
                     Self.remote("10.244.4.0/26", pool: "VXLAN", mode: "CrossSubnet", sameSubnet: false),
                     Self.local("10.244.0.0/26", pool: "VXLAN")])
        #expect(m.wanted() == [
            "10.244.1.0/26": .tunnel("10.244.1.0", device: "vxlan.calico"),
            "10.244.3.0/26": .via("198.51.100.12"),
            "10.244.4.0/26": .tunnel("10.244.1.0", device: "vxlan.calico"),
            "10.244.0.0/26": .blackhole,
        ])
        // No device (no tunnel address here yet): no tunnel routes.
        m.vxlanDevice = { _ in false }
        #expect(m.wanted() == ["10.244.3.0/26": .via("198.51.100.12"), "10.244.0.0/26": .blackhole])
    }

    @Test func routeCommandsTouchOnlyWhatDiffers() {
        let current = [
            OwnedRoute(destination: "10.244.0.0/26", blackhole: true, gateway: nil, device: nil, onlink: false),
            OwnedRoute(destination: "10.244.1.0/26", blackhole: false, gateway: "10.244.1.0", device: "vxlan.calico", onlink: true),
            OwnedRoute(destination: "10.244.9.0/26", blackhole: false, gateway: "198.51.100.19", device: "eth0", onlink: false),
        ]
        let wanted: [String: ClusterRouteManager.Target] = [
            "10.244.0.0/26": .blackhole, "10.244.1.0/26": .via("198.51.100.12"), "fd00:10:244:1::/122": .tunnel("fd00:10:244:1::", device: "vxlan-v6.calico"),
        ]
        #expect(ClusterRouteManager.commands(current: current, wanted: wanted) == [
            ["route", "del", "10.244.9.0/26", "proto", "80"],
            ["route", "replace", "10.244.1.0/26", "via", "198.51.100.12", "proto", "80"],
            ["route", "replace", "fd00:10:244:1::/122", "via", "fd00:10:244:1::", "dev", "vxlan-v6.calico", "onlink", "proto", "80"],
        ])
        #expect(ClusterRouteManager.commands(current: current.prefix(2).map { $0 }, wanted: ["10.244.0.0/26": .blackhole,
                                                                                           "10.244.1.0/26": .tunnel("10.244.1.0", device: "vxlan.calico")]).isEmpty)
    }

    @Test("An IPv6 route moving into the tunnel is deleted first (the kernel refuses an onlink gateway another device's route covers)")
    func ipv6RouteIntoTheTunnelIsReplacedByDeleteAndAdd() {
        let dst = "fd00:10:244::9:a97b:c180/122"
        let direct = OwnedRoute(destination: dst, blackhole: false, gateway: "fd00:10:244:ff0a::3", device: "eth0", onlink: false)
        #expect(ClusterRouteManager.commands(current: [direct], wanted: [dst: .tunnel("fd00:10:244::9:a97b:c180", device: "vxlan-v6.calico")]) == [
            ["route", "del", dst, "proto", "80"],
            ["route", "replace", dst, "via", "fd00:10:244::9:a97b:c180", "dev", "vxlan-v6.calico", "onlink", "proto", "80"],
        ])
        // IPv4 and the way back out of the tunnel replace in place.
        let v4 = OwnedRoute(destination: "10.244.1.0/26", blackhole: false, gateway: "198.51.100.3", device: "eth0", onlink: false)
        #expect(ClusterRouteManager.commands(current: [v4], wanted: ["10.244.1.0/26": .tunnel("10.244.1.0", device: "vxlan.calico")]).count == 1)
        let tunnel = OwnedRoute(destination: dst, blackhole: false, gateway: "fd00:10:244::9:a97b:c180", device: "vxlan-v6.calico", onlink: true)
        #expect(ClusterRouteManager.commands(current: [tunnel], wanted: [dst: .via("fd00:10:244:ff0a::3")]).count == 1)
    }

    @Test func vxlanDevicePlans() {
        let want = VXLANLinkState(vni: 4096, local: "198.51.100.11", port: 4789, mac: "66:00:00:00:00:01", mtu: 1450, isUp: true, parentIndex: nil)
        #expect(VXLANManager.linkCommands(.v4, want: want, parent: "eth0", current: nil) == [
            ["link", "add", "vxlan.calico", "type", "vxlan", "id", "4096", "local", "198.51.100.11", "dev", "eth0", "dstport", "4789", "nolearning"],
            ["link", "set", "dev", "vxlan.calico", "address", "66:00:00:00:00:01"],
            ["link", "set", "dev", "vxlan.calico", "mtu", "1450"],
            ["link", "set", "dev", "vxlan.calico", "up"],
        ])
        #expect(VXLANManager.linkCommands(.v4, want: want, parent: "eth0", current: want).isEmpty)
        var otherVNI = want
        otherVNI.vni = 1
        #expect(VXLANManager.linkCommands(.v4, want: want, parent: "eth0", current: otherVNI).first == ["link", "del", "vxlan.calico"])
        #expect(VXLANManager.addressCommands(.v4, tunnel: "10.244.0.0", current: ["10.244.7.7/32"]) == [
            ["addr", "del", "10.244.7.7/32", "dev", "vxlan.calico"], ["addr", "replace", "10.244.0.0/32", "dev", "vxlan.calico"],
        ])
        let remotes = [(tunnel: "10.244.1.0", mac: "66:00:00:00:00:02", parent: "198.51.100.12")]
        #expect(VXLANManager.neighbourCommands(.v4, remotes: remotes, current: ["10.244.9.0": "66:00:00:00:00:09"]) == [
            ["neigh", "del", "10.244.9.0", "dev", "vxlan.calico"],
            ["neigh", "replace", "10.244.1.0", "lladdr", "66:00:00:00:00:02", "dev", "vxlan.calico", "nud", "permanent"],
        ])
        #expect(VXLANManager.fdbCommands(.v4, remotes: remotes, current: ["66:00:00:00:00:02": "198.51.100.99"]) == [
            ["fdb", "del", "66:00:00:00:00:02", "dev", "vxlan.calico", "dst", "198.51.100.99", "self"],
            ["fdb", "replace", "66:00:00:00:00:02", "dev", "vxlan.calico", "dst", "198.51.100.12", "self", "permanent"],
        ])
    }

    @Test func natOutgoingFollowsPoolsAndExclusions() {
        let pools = [IPPoolInfo(cidr: "10.244.0.0/16", natOutgoing: true, vxlanMode: "Never", ipipMode: "Never", workloads: true),
                     IPPoolInfo(cidr: "10.245.0.0/16", natOutgoing: false, vxlanMode: "Never", ipipMode: "Never", workloads: true),
                     IPPoolInfo(cidr: "192.0.2.0/24", natOutgoing: true, vxlanMode: "Never", ipipMode: "Never", workloads: false)]
        let hosts = [HostMetadata(name: "node1", ipv4: "198.51.100.11/24", ipv6: nil), HostMetadata(name: "node2", ipv4: "198.51.100.12/24", ipv6: nil)]
        var c = ClusterChains(family: .v4, settings: ClusterSettings(), pools: pools, hosts: hosts, vtepParents: [], vxlanDevice: nil)
        let sets = Dictionary(uniqueKeysWithValues: c.sets().map { ($0.name, $0.members) })
        #expect(sets["cali40masq-ipam-pools"] == ["10.244.0.0/16"])
        #expect(sets["cali40network-ip-pools"] == ["10.244.0.0/16", "10.245.0.0/16"])
        #expect(sets["cali40all-hosts-net"] == ["198.51.100.11/32", "198.51.100.12/32"])
        #expect(c.natOutgoingRules() == ["ip saddr @cali40masq-ipam-pools ip daddr != @cali40network-ip-pools masquerade fully-random"])
        c.settings.natOutgoingExclusions = "IPPoolsAndHostIPs"
        c.settings.natOutgoingAddress = "203.0.113.1"
        c.settings.natPortRange = 1024...2047
        #expect(c.natOutgoingRules() == [
            "ip saddr @cali40masq-ipam-pools ip daddr != @cali40network-ip-pools ip daddr != @cali40all-hosts-net meta l4proto tcp snat to 203.0.113.1:1024-2047",
            "ip saddr @cali40masq-ipam-pools ip daddr != @cali40network-ip-pools ip daddr != @cali40all-hosts-net meta l4proto udp snat to 203.0.113.1:1024-2047",
            "ip saddr @cali40masq-ipam-pools ip daddr != @cali40network-ip-pools ip daddr != @cali40all-hosts-net snat to 203.0.113.1",
        ])
        // No NAT pool of the family: no chain, no jump.
        let v6 = ClusterChains(family: .v6, settings: ClusterSettings(), pools: pools, hosts: hosts, vtepParents: [], vxlanDevice: nil)
        #expect(v6.natOutgoingRules().isEmpty)
        #expect(v6.chains().first { $0.name == "nat-cali-POSTROUTING" }?.rules == [])
    }
}

/// The cluster's sets follow nodes as they come and go, without a resync (a node added
/// later must be in `all-vxlan-net` at once, or its VXLAN packets are dropped).
@Suite struct ClusterSetApplyTests {
    static func node(_ name: String, _ ip: String, tunnel: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: \(name)}
        spec: {bgp: {ipv4Address: \(ip)/25}, ipv4VXLANTunnelAddr: \(tunnel)}
        """
    }

    func members(_ nft: MemoryNftables, _ set: String) throws -> Set<String> {
        try KernelTable.parse(json: nft.listJSON(.v4)).sets[set] ?? []
    }

    @Test func nodesJoiningLaterReachTheClusterSets() throws {
        let graph = CalcGraph(hostname: "node1", computeRoutes: true)
        let nft = MemoryNftables()
        let dataplane = NftablesDataplane(backend: nft, settings: FelixSettings(), hostname: "node1")
        func put(_ yaml: String) throws {
            for item in try ResourceReader.read(yaml, source: "t.yaml") { graph.apply(.put(try item.result.get())) }
        }
        try put("""
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: p}
            spec: {cidr: 10.244.0.0/16, vxlanMode: Always, natOutgoing: true}
            """)
        try put(Self.node("node1", "198.51.100.1", tunnel: "10.244.1.0"))
        graph.apply(.inSync)
        dataplane.onUpdates(graph.flush())
        try dataplane.apply()
        #expect(try members(nft, "cali40all-vxlan-net") == ["198.51.100.1/32"])
        #expect(try members(nft, "cali40masq-ipam-pools") == ["10.244.0.0/16"])
        try put(Self.node("node2", "198.51.100.130", tunnel: "10.244.2.0"))
        dataplane.onUpdates(graph.flush())
        try dataplane.apply()
        #expect(try members(nft, "cali40all-vxlan-net") == ["198.51.100.1/32", "198.51.100.130/32"])
        #expect(try members(nft, "cali40all-hosts-net") == ["198.51.100.1/32", "198.51.100.130/32"])
    }
}

/// Records the route manager's `ip` calls; reads of Felix's routes answer from `kernel`.
final class RecordingRoutes: NetworkCommands, @unchecked Sendable {
    var kernel = "[]"
    var reads = 0
    var batches: [[[String]]] = []
    var failBatches = false
    func ip(_ args: [String], in ns: NetworkNamespace) throws -> String {
        if args.contains("show") { reads += 1; return args.contains("-6") ? "[]" : kernel }
        if failBatches { throw CommandError(command: ["ip"] + args, status: 2, stderr: "RTNETLINK answers: Network is unreachable") }
        return ""
    }
    func ipBatch(_ commands: [[String]], in ns: NetworkNamespace) throws -> String {
        batches.append(commands)
        if failBatches { throw CommandError(command: ["ip", "-batch"], status: 1, stderr: "failed") }
        return ""
    }
    func setSysctl(_ key: String, _ value: String, in ns: NetworkNamespace) throws {}
    func sysctl(_ key: String, in ns: NetworkNamespace) throws -> String { "1" }
    func bridge(_ args: [String], in ns: NetworkNamespace) throws -> String { "[]" }
    func bridgeBatch(_ commands: [[String]], in ns: NetworkNamespace) throws {}
}

@Suite struct ClusterRouteCacheTests {
    @Test("The kernel is read on the first apply, on refresh and after a failure; a change in between is diffed against what was programmed")
    func readsTheKernelOnlyWhenItMust() throws {
        let net = RecordingRoutes()
        net.kernel = #"[{"dst":"10.244.9.0/26","gateway":"198.51.100.19","dev":"eth0","protocol":"80","flags":[]}]"#
        let m = ClusterRouteManager(hostname: "node1", net: net)
        m.settings.programClusterRoutes = true
        m.onUpdates([ClusterPlanTests.local("10.244.0.0/26", pool: "NO_ENCAP")])
        try m.apply()
        #expect(net.reads == 2, "both families read at first")
        #expect(net.batches.last == [["route", "del", "10.244.9.0/26", "proto", "80"], ["route", "replace", "blackhole", "10.244.0.0/26", "proto", "80"]])
        m.onUpdates([ClusterPlanTests.remote("10.244.1.0/26", pool: "NO_ENCAP", sameSubnet: true)])
        try m.apply()
        #expect(net.reads == 2, "a change is diffed against what was programmed")
        #expect(net.batches.last == [["route", "replace", "10.244.1.0/26", "via", "198.51.100.12", "proto", "80"]])
        m.onUpdates([.routeRemove(dst: "10.244.1.0/26")])
        net.failBatches = true
        #expect(throws: ClusterRouteError.self) { try m.apply() }
        net.failBatches = false
        m.refreshInterval = 0
        net.kernel = #"[{"dst":"10.244.0.0/26","type":"blackhole","protocol":"80","flags":[]},{"dst":"10.244.1.0/26","gateway":"198.51.100.12","dev":"eth0","protocol":"80","flags":[]}]"#
        let before = net.reads
        try m.apply()
        #expect(net.reads == before + 2, "after a failure the kernel is read again")
        #expect(net.batches.last == [["route", "del", "10.244.1.0/26", "proto", "80"]])
        // Refresh (due at once now): someone deleted the blackhole; the re-read repairs it.
        net.kernel = "[]"
        try m.apply()
        #expect(net.reads == before + 4)
        #expect(net.batches.last == [["route", "replace", "blackhole", "10.244.0.0/26", "proto", "80"]])
    }
}

final class MemoryMTUFile: MTUFileWriter, @unchecked Sendable {
    var files: [String: Int] = [:]
    var writes = 0
    func read(_ path: String) -> Int? { files[path] }
    func write(_ mtu: Int, to path: String) throws { files[path] = mtu; writes += 1 }
}

@Suite struct PodMTUTests {
    @Test("Pod MTU: the host MTU less the largest encapsulation in use, or the configured VXLAN MTU")
    func podMTU() {
        #expect(PodMTUManager.podMTU(hostMTU: 1500, vxlanV4: false, vxlanV6: false, vxlanMTU: 0, vxlanMTUV6: 0) == 1500)
        #expect(PodMTUManager.podMTU(hostMTU: 1500, vxlanV4: true, vxlanV6: false, vxlanMTU: 0, vxlanMTUV6: 0) == 1450)
        #expect(PodMTUManager.podMTU(hostMTU: 1500, vxlanV4: true, vxlanV6: true, vxlanMTU: 0, vxlanMTUV6: 0) == 1430)
        #expect(PodMTUManager.podMTU(hostMTU: 9000, vxlanV4: true, vxlanV6: false, vxlanMTU: 1400, vxlanMTUV6: 0) == 1400)
        let links = [(name: "lo", mtu: 65536), (name: "eth0", mtu: 9000), (name: "ens5", mtu: 1500), (name: "cali123", mtu: 1450), (name: "vxlan.calico", mtu: 1450)]
        #expect(PodMTUManager.hostMTU(links, pattern: ClusterSettings().mtuInterfacePattern) == 1500)
        #expect(PodMTUManager.hostMTU(links, pattern: "^eth") == 9000)
        #expect(PodMTUManager.hostMTU(links, pattern: "^bond") == nil)
    }

    @Test("The MTU file is written when the MTU changes (VXLAN on, off) and repaired when it differs")
    func writesWhenItChanges() throws {
        let net = RecordingRoutes()
        net.kernel = #"[{"ifname":"lo","mtu":65536},{"ifname":"eth0","mtu":1500},{"ifname":"vxlan.calico","mtu":1450}]"#
        let files = MemoryMTUFile()
        let m = PodMTUManager(net: net, files: files)
        m.settings.mtuFilePath = "/run/test/mtu"
        try m.apply()
        #expect(files.files["/run/test/mtu"] == 1500)
        var vxlan = false
        m.vxlanDevice = { $0 == .v4 && vxlan }
        vxlan = true
        try m.apply()
        #expect(files.files["/run/test/mtu"] == 1450)
        let writes = files.writes
        try m.apply()
        #expect(files.writes == writes, "nothing changed, nothing written")
        files.files["/run/test/mtu"] = 1234
        m.onUpdate(.hostMetadataRemove(name: "node9"))
        try m.apply()
        #expect(files.files["/run/test/mtu"] == 1450, "a file someone changed is put back on the next apply")
    }
}
