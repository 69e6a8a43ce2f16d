import CalicoAPI
import CalicoDatastore
import CalicoTestSupport
import Foundation
import Testing
@testable import CalicoIPAM

func ipamStore() throws -> (IPAMClient, String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ipam-\(UUID().uuidString)").path
    return (IPAMClient(datastore: Datastore(kv: try EmbeddedStore(path: dir + "/datastore.db"))), dir)
}

func addPool(_ c: IPAMClient, _ name: String, _ cidr: String, blockSize: Int? = nil, extra: (inout IPPool) -> Void = { _ in }) async throws {
    var pool = IPPool(metadata: ObjectMeta(name: name), spec: IPPoolSpec(cidr: cidr))
    pool.spec.blockSize = blockSize
    extra(&pool)
    _ = try await c.datastore.create(pool)
}

@Suite struct IPAMTests {
    @Test func firstAssignmentClaimsABlockAndRecordsTheHandle() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "p", "10.244.0.0/16")
        let r = try await c.autoAssign(AutoAssignRequest(handleID: "net.c1", attributes: ["node": "n1", "pod": "a"], hostname: "n1"))
        let ip = try #require(r.ipv4.first)
        #expect(ip.prefixLength == 26, "result carries the block mask")
        #expect(IPNet("10.244.0.0/16")!.contains(ip.address))
        let affine = try await c.affineBlocks(host: "n1", family: .v4)
        #expect(affine.count == 1 && affine[0].contains(ip.address))
        #expect(try await c.ipsByHandle("net.c1") == [ip.address])
        let attr = try #require(try await c.allocation(of: ip.address))
        #expect(attr.handleID == "net.c1" && attr.secondary?["pod"] == "a")
        // The affinity key and block key follow the upstream layout.
        let dashed = IPAMKeys.dashed(affine[0])
        #expect(try await c.kv.get("/calico/ipam/v2/host/n1/ipv4/block/\(dashed)") != nil)
        #expect(try await c.kv.get("/calico/ipam/v2/assignment/ipv4/block/\(dashed)") != nil)
    }

    @Test func manyAssignmentsAreDistinctAndFillBlocksInOrder() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "p", "10.244.0.0/16")
        var seen = Set<IPAddress>()
        for i in 0..<150 {
            let r = try await c.autoAssign(AutoAssignRequest(handleID: "h\(i)", hostname: "n1"))
            #expect(seen.insert(r.ipv4[0].address).inserted)
        }
        #expect(try await c.affineBlocks(host: "n1", family: .v4).count == 3, "150 addresses need three /26 blocks")
    }

    @Test func releaseByHandleAndFIFOReuse() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "p", "10.244.0.0/16")
        let a = try await c.autoAssign(AutoAssignRequest(handleID: "a", hostname: "n1")).ipv4[0]
        let b = try await c.autoAssign(AutoAssignRequest(handleID: "b", hostname: "n1")).ipv4[0]
        #expect(try await c.releaseByHandle("a") == 1)
        #expect(try await c.ipsByHandle("a").isEmpty)
        #expect(try await c.kv.get(IPAMKeys.handle("a")) == nil)
        #expect(try await c.releaseByHandle("a") == 0, "releasing twice is fine")
        let next = try await c.autoAssign(AutoAssignRequest(handleID: "c", hostname: "n1")).ipv4[0]
        #expect(next.address != a.address, "a just-freed address goes to the back of the FIFO")
        #expect(next.address != b.address)
        let notAllocated = try await c.releaseIPs([b.address, IPAddress("10.244.200.1")!])
        #expect(notAllocated == [IPAddress("10.244.200.1")!])
        #expect(try await c.allocation(of: b.address) == nil)
    }

    @Test func reservedAddressesAreSkipped() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "p", "10.244.0.0/26", blockSize: 26)
        _ = try await c.datastore.create(IPReservation(metadata: ObjectMeta(name: "r"), spec: IPReservationSpec(reservedCIDRs: ["10.244.0.0/30", "10.244.0.10"])))
        var got = Set<IPAddress>()
        for i in 0..<59 { got.insert(try await c.autoAssign(AutoAssignRequest(handleID: "h\(i)", hostname: "n1")).ipv4[0].address) }
        #expect(got.count == 59)
        for reserved in ["10.244.0.0", "10.244.0.1", "10.244.0.2", "10.244.0.3", "10.244.0.10"] {
            #expect(!got.contains(IPAddress(reserved)!))
        }
        await #expect(throws: IPAMError.self) { _ = try await c.autoAssign(AutoAssignRequest(handleID: "full", hostname: "n1")) }
    }

    @Test func borrowingAndStrictAffinity() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "p", "10.244.0.0/26", blockSize: 26)
        _ = try await c.autoAssign(AutoAssignRequest(handleID: "n1-a", hostname: "n1"))
        // n2 finds no free block: borrows from n1's block.
        let borrowed = try await c.autoAssign(AutoAssignRequest(handleID: "n2-a", hostname: "n2")).ipv4[0]
        #expect(IPNet("10.244.0.0/26")!.contains(borrowed.address))
        #expect(try await c.affineBlocks(host: "n2", family: .v4).isEmpty)
        try await c.setSettings({ var s = IPAMSettings(); s.strictAffinity = true; return s }())
        do {
            _ = try await c.autoAssign(AutoAssignRequest(handleID: "n2-b", hostname: "n2"))
            Issue.record("strict affinity must not borrow")
        } catch let IPAMError.exhausted(_, _, _, detail) {
            #expect(detail.contains("No IPs available") || detail.contains("strict affinity"))
        }
        await #expect(throws: IPAMError.self) {
            var s = IPAMSettings()
            s.strictAffinity = false
            s.autoAllocateBlocks = false
            try await c.setSettings(s)
        }
    }

    @Test func poolSelectionByNameSelectorAndState() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "rack1", "10.245.0.0/16") { $0.spec.nodeSelector = "rack == 'r1'" }
        try await addPool(c, "off", "10.246.0.0/16") { $0.spec.disabled = true }
        try await addPool(c, "manual", "10.247.0.0/16") { $0.spec.assignmentMode = "Manual" }
        await #expect(throws: IPAMError.noPools(family: 4)) { _ = try await c.autoAssign(AutoAssignRequest(handleID: "x", hostname: "n1")) }
        _ = try await c.datastore.create(Node(metadata: ObjectMeta(name: "n1", labels: ["rack": "r1"])))
        let r = try await c.autoAssign(AutoAssignRequest(handleID: "y", hostname: "n1"))
        #expect(IPNet("10.245.0.0/16")!.contains(r.ipv4[0].address))
        let m = try await c.autoAssign(AutoAssignRequest(handleID: "z", hostname: "n2", ipv4Pools: ["manual"]))
        #expect(IPNet("10.247.0.0/16")!.contains(m.ipv4[0].address))
        await #expect(throws: IPAMError.self) { _ = try await c.autoAssign(AutoAssignRequest(handleID: "w", hostname: "n1", ipv4Pools: ["off"])) }
    }

    @Test func specificAddressAndDualStack() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "v4", "10.244.0.0/16")
        try await addPool(c, "v6", "fd00:10:244::/48") { $0.spec.ipipMode = "Never" }
        let ip = try await c.assignIP(IPAddress("10.244.7.9")!, handleID: "fixed", attributes: [:], hostname: "n1")
        #expect(ip.description == "10.244.7.9/26")
        await #expect(throws: IPAMError.alreadyAllocated("10.244.7.9")) {
            _ = try await c.assignIP(IPAddress("10.244.7.9")!, handleID: "other", attributes: [:], hostname: "n1")
        }
        await #expect(throws: IPAMError.notInPool("10.99.0.1")) {
            _ = try await c.assignIP(IPAddress("10.99.0.1")!, handleID: "x", attributes: [:], hostname: "n1")
        }
        let both = try await c.autoAssign(AutoAssignRequest(num4: 1, num6: 1, handleID: "ds", hostname: "n1"))
        #expect(both.ipv4.count == 1 && both.ipv6.count == 1 && both.ipv6[0].prefixLength == 122)
        #expect(try await c.ipsByHandle("ds").count == 2)
    }

    @Test func concurrentAssignmentsOnOneHostAreDistinct() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "p", "10.244.0.0/16")
        let ips = try await withThrowingTaskGroup(of: IPAddress.self) { group in
            for i in 0..<50 {
                group.addTask { try await c.autoAssign(AutoAssignRequest(handleID: "c\(i)", hostname: "n1")).ipv4[0].address }
            }
            return try await group.reduce(into: [IPAddress]()) { $0.append($1) }
        }
        #expect(Set(ips).count == 50)
        for i in 0..<50 { try await c.releaseByHandle("c\(i)") }
        for block in try await c.allBlocks() { #expect(block.isEmpty) }
        #expect(try await c.handles().isEmpty)
    }

    @Test func twoHostsRacingOnEtcdNeverShareAnAddress() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let c1 = IPAMClient(datastore: Datastore(kv: EtcdStore(endpoints: [server.endpoint])))
        let c2 = IPAMClient(datastore: Datastore(kv: EtcdStore(endpoints: [server.endpoint])))
        // A small pool so the hosts contend for the same blocks and borrow.
        try await addPool(c1, "p", "10.244.0.0/25", blockSize: 26)
        let ips = try await withThrowingTaskGroup(of: IPAddress.self) { group in
            for i in 0..<25 {
                group.addTask { try await c1.autoAssign(AutoAssignRequest(handleID: "n1.\(i)", hostname: "n1")).ipv4[0].address }
                group.addTask { try await c2.autoAssign(AutoAssignRequest(handleID: "n2.\(i)", hostname: "n2")).ipv4[0].address }
            }
            return try await group.reduce(into: [IPAddress]()) { $0.append($1) }
        }
        #expect(Set(ips).count == 50)
        for i in 0..<25 {
            try await c1.releaseByHandle("n1.\(i)")
            try await c2.releaseByHandle("n2.\(i)")
        }
        #expect(try await c1.allBlocks().allSatisfy(\.isEmpty))
        #expect(try await c1.handles().isEmpty)
    }

    @Test func releasingHostAffinities() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "p", "10.244.0.0/16")
        let kept = try await c.autoAssign(AutoAssignRequest(handleID: "keep", hostname: "n1")).ipv4[0]
        try await c.releaseHostAffinities(host: "n1", mustBeEmpty: true)
        #expect(try await c.affineBlocks(host: "n1", family: .v4).count == 1, "a non-empty block keeps its affinity with mustBeEmpty")
        try await c.releaseHostAffinities(host: "n1", mustBeEmpty: false)
        #expect(try await c.affineBlocks(host: "n1", family: .v4).isEmpty)
        #expect(try await c.allocation(of: kept.address)?.handleID == "keep", "addresses stay allocated")
        try await c.releaseByHandle("keep")
        #expect(try await c.allBlocks().isEmpty, "an empty, unowned block is deleted")
    }
}

@Suite struct SmallBlockTests {
    @Test("A request as large as a /30 block fills one new block")
    func fourFromASlash30() async throws {
        let (c, dir) = try ipamStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await addPool(c, "p30", "10.245.0.0/16", blockSize: 30)
        let r = try await c.autoAssign(AutoAssignRequest(num4: 4, handleID: "h1", hostname: "n1", ipv4Pools: ["10.245.0.0/16"]))
        #expect(r.ipv4.count == 4)
        #expect(Set(r.ipv4.map { $0.address.description }).count == 4)
        let r2 = try await c.autoAssign(AutoAssignRequest(num4: 4, handleID: "h2", hostname: "n1", ipv4Pools: ["10.245.0.0/16"]))
        #expect(try await c.affineBlocks(host: "n1", family: .v4).count == 2, "the second request claims a second block: \(r2.ipv4)")
    }
}
