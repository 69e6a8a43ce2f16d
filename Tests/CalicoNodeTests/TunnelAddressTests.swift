import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import Foundation
import Testing
@testable import CalicoNode

/// `calico-node -allocate-tunnel-addrs` on an embedded store.
@Suite struct TunnelAddressTests {
    func setUp(vxlan: String, v6: Bool = false) async throws -> (StartupFixture, TunnelAddressAllocator) {
        let f = try StartupFixture()
        var env = ["NODENAME": "node1", "IP": "10.0.0.5/24", "CALICO_IPV4POOL_CIDR": "10.244.0.0/16", "CALICO_IPV4POOL_VXLAN": vxlan]
        if v6 { env["IP6"] = "fd00:10::5/64"; env["CALICO_IPV6POOL_CIDR"] = "fd00:10:244::/48" } else { env["CALICO_IPV6POOL_CIDR"] = "none" }
        _ = try await f.startup(env).run(datastore: f.store)
        return (f, TunnelAddressAllocator(datastore: f.store, nodeName: "node1", log: { _ in }))
    }

    func node(_ f: StartupFixture) async throws -> Node {
        try await f.store.get(ResourceRegistry.kind(named: "node")!, namespace: nil, name: "node1").resource as! Node
    }

    @Test func aVXLANPoolGivesTheNodeATunnelAddressWithUpstreamsHandle() async throws {
        let (f, allocator) = try await setUp(vxlan: "Always")
        let changes = try await allocator.reconcile()
        let addr = try #require(try await node(f).spec.ipv4VXLANTunnelAddr)
        #expect(changes == ["assigned vxlanTunnelAddress \(addr) to node node1"])
        #expect(IPNet("10.244.0.0/16")!.contains(IPAddress(addr)!))
        let ipam = IPAMClient(datastore: f.store)
        let owner = try await ipam.allocation(of: IPAddress(addr)!)
        #expect(owner?.handleID == "vxlan-tunnel-addr-node1")
        #expect(owner?.secondary == ["node": "node1", "type": "vxlanTunnelAddress"])
        // Run again (a restart): nothing changes.
        #expect(try await allocator.reconcile().isEmpty)
        #expect(try await node(f).spec.ipv4VXLANTunnelAddr == addr)
    }

    @Test func noVXLANPoolReleasesTheAddress() async throws {
        let (f, allocator) = try await setUp(vxlan: "CrossSubnet")
        try await allocator.reconcile()
        let addr = try #require(try await node(f).spec.ipv4VXLANTunnelAddr)
        var pool = try await f.store.get(ResourceRegistry.kind(named: "ippool")!, namespace: nil, name: "default-ipv4-ippool").resource as! IPPool
        pool.spec.vxlanMode = "Never"
        _ = try await f.store.update(pool)
        #expect(try await allocator.reconcile() == ["released vxlanTunnelAddress \(addr) of node node1"])
        #expect(try await node(f).spec.ipv4VXLANTunnelAddr == nil)
        #expect(try await IPAMClient(datastore: f.store).allocation(of: IPAddress(addr)!) == nil)
    }

    @Test func anAddressTakenBySomeoneElseIsReplaced() async throws {
        let (f, allocator) = try await setUp(vxlan: "Always")
        var n = try await node(f)
        n.spec.ipv4VXLANTunnelAddr = "10.244.200.7"
        _ = try await f.store.update(n)
        let ipam = IPAMClient(datastore: f.store)
        _ = try await ipam.assignIP(IPAddress("10.244.200.7")!, handleID: "someone-else", attributes: [:], hostname: "node2")
        try await allocator.reconcile()
        let addr = try #require(try await node(f).spec.ipv4VXLANTunnelAddr)
        #expect(addr != "10.244.200.7")
        #expect(try await ipam.allocation(of: IPAddress("10.244.200.7")!)?.handleID == "someone-else")
    }

    @Test func ipv6PoolsGetTheirOwnTunnelAddress() async throws {
        let (f, allocator) = try await setUp(vxlan: "Always", v6: true)
        var pool = try await f.store.get(ResourceRegistry.kind(named: "ippool")!, namespace: nil, name: "default-ipv6-ippool").resource as! IPPool
        pool.spec.vxlanMode = "Always"
        _ = try await f.store.update(pool)
        try await allocator.reconcile()
        let n = try await node(f)
        let v6 = try #require(n.spec.ipv6VXLANTunnelAddr)
        #expect(IPNet("fd00:10:244::/48")!.contains(IPAddress(v6)!))
        #expect(try await IPAMClient(datastore: f.store).allocation(of: IPAddress(v6)!)?.handleID == "vxlan-v6-tunnel-addr-node1")
    }
}
