import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoLab
import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `calico-bench bgp` (issue 13), as root with the release binaries and Debian's bird2: the time
/// from a new block of node2 in the datastore to its route in node1's and node3's kernels, through
/// BIRD (`--routing bgp`: node2's confd renders, BIRD advertises, the others' BIRDs install) beside
/// the same with Felix-programmed routes (`programClusterRoutes`), in one run. Blocks are /30s of
/// an extra pool, one claimed per step (four addresses each), `CALICO_BENCH_BLOCKS` of them (50).
enum BGPBenchmark {
    typealias BenchError = DataplaneBenchmark.BenchError

    static func run() async throws {
        guard getuid() == 0 else { throw BenchError("bgp: needs root (network namespaces, BIRD)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/bird") else { throw BenchError("bgp: /usr/sbin/bird is missing (Debian bird2)") }
        let count = Int(ProcessInfo.processInfo.environment["CALICO_BENCH_BLOCKS"] ?? "") ?? 50
        var results: [LabRouting: (p50: Double, p99: Double)] = [:]
        for routing in [LabRouting.felix, .bgp] {
            let dir = NSTemporaryDirectory() + "cbench-bgp-\(getpid())-\(routing.rawValue)"
            try? FileManager.default.removeItem(atPath: dir)
            let lab = try await Lab.up(LabConfig(stateDirectory: dir, binDirectory: LabConfig.executableDirectory(),
                                                 prefix: "cbr-\(getpid())", nodes: 3, encapsulation: .none, routing: routing))
            defer {
                try? lab.down()
                try? FileManager.default.removeItem(atPath: dir)
            }
            let latencies = try await measure(lab, dir: dir, blocks: count)
            let p50 = latencies[latencies.count / 2] * 1000, p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1000
            results[routing] = (p50, p99)
            say(String(format: "bgp: new block of node2 written → route in node1's and node3's kernels, %@: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d routes)",
                       routing == .bgp ? "through BIRD (confd, BGP)" : "Felix-programmed", p50, p99, latencies.last! * 1000, latencies.count))
        }
        if let b = results[.bgp], let f = results[.felix] {
            say(String(format: "bgp: BIRD vs Felix-programmed routes: p50 ratio %.1fx, p99 ratio %.1fx", b.p50 / f.p50, b.p99 / f.p99))
        }
    }

    static func measure(_ lab: Lab, dir: String, blocks: Int) async throws -> [Double] {
        let pool = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: bench-30}\nspec: {cidr: 10.245.0.0/16, blockSize: 30, vxlanMode: Never, natOutgoing: false}"
        let out = try lab.calicoctl(["apply", "-f", "-"], input: pool)
        guard out.status == 0 else { throw BenchError("calicoctl apply pool: \(out.stdout)\(out.stderr)") }
        // More blocks per host than IPAM's default of 20 (a limit needs strict affinity, as upstream).
        let cfg = try lab.calicoctl(["ipam", "configure", "--strictaffinity=true", "--max-blocks-per-host=\(blocks + 10)"])
        guard cfg.status == 0 else { throw BenchError("calicoctl ipam configure: \(cfg.stdout)\(cfg.stderr)") }
        if lab.routing == .bgp {
            // Every mesh session up first: the figure is propagation, not session setup.
            let until = Date().addingTimeInterval(30)
            while !lab.nodes.allSatisfy({ ((try? lab.birdc(on: $0.name, "show protocols")) ?? "").components(separatedBy: "Established").count - 1 == 2 }) {
                guard Date() < until else { throw BenchError("the BGP mesh is not established after 30 s") }
                usleep(100_000)
            }
        }
        let ds = try lab.datastore()
        let arrival = try await RouteArrival(lab, nodes: ["node1", "node3"], directory: dir, datastore: ds)
        defer { arrival.stop() }
        let ipam = IPAMClient(datastore: ds)
        var claimed: [String] = []
        for k in 0..<blocks {
            let r = try await ipam.autoAssign(AutoAssignRequest(num4: 4, handleID: "bench-bgp-\(k)", hostname: "node2", ipv4Pools: ["10.245.0.0/16"]))
            guard let ip = r.ipv4.first else { throw BenchError("IPAM gave node2 no address") }
            let p = "\(ip.address)".split(separator: ".").map { Int($0)! }
            let block = "\(p[0]).\(p[1]).\(p[2]).\(p[3] & ~3)/30"
            claimed.append(block)
            guard arrival.waitRouted(block, within: 20) else { throw BenchError("\(block) not routed on node1 and node3 within 20 s") }
        }
        let writes = arrival.writes
        var latencies: [Double] = []
        for seen in arrival.routes() {
            for b in claimed {
                guard let w = writes[b], let s = seen[b] else { throw BenchError("no write or route time for \(b)") }
                latencies.append(s - w)
            }
        }
        return latencies.sorted()
    }
}
