import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoLab
import Foundation

/// `calico-bench ipam`: on etcd, with 2,000 blocks already claimed by 1,000 nodes, the time
/// of a new node's first assignment (p50/p99 over 30 new nodes).
enum IPAMBenchmark {
    static func run() async throws {
        let server = try await EtcdServer.start()
        defer { server.stop() }
        let kv = EtcdStore(endpoints: [server.endpoint])
        let client = IPAMClient(datastore: Datastore(kv: kv))
        var pool = IPPool(metadata: ObjectMeta(name: "bench"), spec: IPPoolSpec(cidr: "10.244.0.0/14"))
        pool.spec.blockSize = 26
        _ = try await client.datastore.create(pool)
        let poolNet = IPNet("10.244.0.0/14")!
        // 2,000 blocks, two per node, each with one allocation, written in batches.
        var ops: [KVOperation] = []
        let seq = UInt64(Date().timeIntervalSince1970 * 1e9)
        for b in 0..<2000 {
            let host = "node-\(b / 2)"
            let cidr = IPMath.block(in: poolNet, blockSize: 26, index: b * 2)!
            var block = AllocationBlock(cidr: cidr, affinity: "host:\(host)", sequence: seq)
            block.allocations[0] = 0
            block.unallocated.removeFirst()
            block.attributes = [AllocationAttribute(handleID: "net.\(host)-\(b)", secondary: ["node": host])]
            ops.append(.put(key: IPAMKeys.block(cidr), value: Array(Emitter.json(try TreeEncoder().encode(block), indent: 0).utf8)))
            ops.append(.put(key: IPAMKeys.affinity(host: host, cidr: cidr), value: Array("{\"state\":\"confirmed\",\"deleted\":false}".utf8)))
            ops.append(.put(key: IPAMKeys.handle("net.\(host)-\(b)"), value: Array("{\"handleID\":\"net.\(host)-\(b)\",\"block\":{\"\(cidr)\":1},\"deleted\":false}".utf8)))
            if ops.count >= 120 {
                _ = try await kv.transaction(ops)
                ops.removeAll()
            }
        }
        if !ops.isEmpty { _ = try await kv.transaction(ops) }
        var samples: [Double] = []
        for n in 0..<30 {
            let t = ContinuousClock.now
            _ = try await client.autoAssign(AutoAssignRequest(handleID: "net.new-\(n)", hostname: "new-node-\(n)"))
            let d = ContinuousClock.now - t
            samples.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        samples.sort()
        say(String(format: "ipam[etcd, 2000 blocks of 1000 nodes]: first assignment on a new node p50 %.1f ms, p99 %.1f ms",
                   samples[samples.count / 2] * 1e3, samples[samples.count - 1] * 1e3))
    }
}
