import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoLab
import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `calico-bench cluster` (issue 12), run as root with the release build's binaries next to
/// calico-bench. A three-node lab (node1 and node3 on subnet A, node2 on B), pods s1 and s2 on
/// node1, x3 on node3:
/// (a) pod→pod iperf3 TCP and ping, each path measured in every round (median and spread of
///     `CALICO_BENCH_ROUNDS`, default 3): across nodes without encapsulation (pool CrossSubnet,
///     node1 → node3 direct), across nodes with VXLAN (pool Always), on one node, and over the
///     same physical path built by hand without Calico (`BarePath`);
/// (b) route convergence: 100 more nodes (address and VTEP) registered, then one IPAM block
///     claimed for each in turn; time from the claim to the block's route in each real node's
///     kernel (`ip -ts monitor route`), p50/p99 over 300 routes.
enum ClusterBenchmark {
    typealias BenchError = DataplaneBenchmark.BenchError

    static func run() async throws {
        guard getuid() == 0 else { throw BenchError("cluster: needs root (network namespaces, VXLAN, nftables)") }
        let bin = LabConfig.executableDirectory()
        for b in ["calico-node", "calico", "calico-ipam", "calicoctl", "calico-probe"] where !FileManager.default.isExecutableFile(atPath: bin + "/" + b) {
            throw BenchError("cluster: \(bin)/\(b) is missing (swift build -c release builds every product)")
        }
        let dir = NSTemporaryDirectory() + "cbench-cluster-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        let lab = try await Lab.up(LabConfig(stateDirectory: dir, binDirectory: bin, prefix: "cbc-\(getpid())", nodes: 3,
                                             encapsulation: .vxlanCrossSubnet))
        defer {
            try? lab.down()
            try? FileManager.default.removeItem(atPath: dir)
        }
        try await lab.ensureNamespace("bench", labels: ["team": "bench"])
        for (pod, node) in [("s1", "node1"), ("s2", "node1"), ("x3", "node3")] {
            _ = try await lab.addPod(name: pod, namespace: "bench", labels: ["app": pod], node: node)
        }
        let bare = try BarePath(prefix: "cbb-\(getpid())")
        defer { bare.delete() }
        try throughput(lab, bare)
        try await convergence(lab, dir: dir)
    }

    // MARK: (a) throughput and latency

    static func throughput(_ lab: Lab, _ bare: BarePath) throws {
        let rounds = Int(ProcessInfo.processInfo.environment["CALICO_BENCH_ROUNDS"] ?? "") ?? 3
        let s1 = try lab.netnsName(of: "s1"), s2 = try lab.netnsName(of: "s2"), x3 = try lab.netnsName(of: "x3")
        let x3IP = lab.pod("x3")!.ip, s2IP = lab.pod("s2")!.ip
        let block = blockOf(x3IP)
        var samples: [String: [PathMeter.Sample]] = [:]
        for _ in 0..<rounds {
            try setMode(lab, "CrossSubnet", block: block, device: "eth0")
            samples["direct", default: []].append(try PathMeter.measure(from: s1, to: x3, address: x3IP))
            try setMode(lab, "Always", block: block, device: "vxlan.calico")
            samples["vxlan", default: []].append(try PathMeter.measure(from: s1, to: x3, address: x3IP))
            samples["same", default: []].append(try PathMeter.measure(from: s1, to: s2, address: s2IP))
            samples["bare", default: []].append(try PathMeter.measure(from: bare.client, to: bare.server, address: bare.serverIP))
        }
        try setMode(lab, "CrossSubnet", block: block, device: "eth0")
        func gbps(_ k: String) -> (median: Double, min: Double, max: Double) { PathMeter.summary(samples[k]!.map(\.gbps)) }
        func rtt(_ k: String) -> (median: Double, min: Double, max: Double) { PathMeter.summary(samples[k]!.map(\.rttMicroseconds)) }
        let names = [("direct", "across nodes, no encapsulation"), ("vxlan", "across nodes, VXLAN"),
                     ("same", "same node"), ("bare", "bare path, hand-made routes, no Calico")]
        for (k, label) in names {
            let g = gbps(k), r = rtt(k)
            say(String(format: "cluster (a) %@: iperf3 TCP %.2f Gbit/s (%.2f–%.2f), ping avg %.1f µs (%.1f–%.1f); median of %d",
                       label, g.median, g.min, g.max, r.median, r.min, r.max, rounds))
        }
        for (k, label) in names.prefix(3) {
            say(String(format: "cluster (a) %@ vs bare path: throughput ratio %.2f, latency ratio %.2f; vs same node: throughput ratio %.2f",
                       label, gbps(k).median / gbps("bare").median, rtt(k).median / rtt("bare").median, gbps(k).median / gbps("same").median))
        }
    }

    /// The /26 block holding `ip`.
    static func blockOf(_ ip: String) -> String {
        let p = ip.split(separator: ".").map { Int($0)! }
        return "\(p[0]).\(p[1]).\(p[2]).\(p[3] & ~63)/26"
    }

    /// Sets the pool's vxlanMode and waits until node1 routes `block` through `device`.
    static func setMode(_ lab: Lab, _ mode: String, block: String, device: String) throws {
        let out = try lab.calicoctl(["patch", "ippool", "default-ipv4-ippool", "-p", "{\"spec\":{\"vxlanMode\":\"\(mode)\"}}"])
        guard out.status == 0 else { throw BenchError("calicoctl patch ippool: \(out.stdout)\(out.stderr)") }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let routes = try lab.exec("node1", ["ip", "route", "show", block, "proto", "80"]).stdout
            if routes.contains("dev \(device)") { return }
            usleep(20_000)
        }
        throw BenchError("node1 does not route \(block) through \(device) 15 s after vxlanMode \(mode)")
    }

    // MARK: (b) route convergence

    static let extraNodes = 100

    static func convergence(_ lab: Lab, dir: String) async throws {
        let ds = try lab.datastore()
        // The nodes first (address on subnet A, a VTEP), untimed; wait until node2 knows every VTEP.
        var ops: [KVOperation] = []
        for k in 0..<extraNodes {
            let yaml = """
                apiVersion: projectcalico.org/v3
                kind: Node
                metadata: {name: bench-\(k)}
                spec: {bgp: {ipv4Address: 198.51.100.\(20 + k)/25}, ipv4VXLANTunnelAddr: 10.245.0.\(k + 1), vxlanTunnelMACAddr: '66:be:00:00:00:\(String(format: "%02x", k))'}
                """
            let node = try ResourceReader.read(yaml, source: "bench").map { try $0.result.get() }[0]
            let p = try ds.prepare(node)
            ops.append(.put(key: p.key, value: p.value))
        }
        _ = try await ds.kv.transaction(ops)
        let deadline = Date().addingTimeInterval(30)
        while try lab.exec("node2", ["ip", "neigh", "show", "dev", "vxlan.calico"]).stdout.split(separator: "\n").count < extraNodes + 2 {
            guard Date() < deadline else { throw BenchError("node2 did not program \(extraNodes) more VTEPs within 30 s") }
            usleep(50_000)
        }
        let nodes = lab.nodes.map(\.name)
        let arrival = try await RouteArrival(lab, nodes: nodes, directory: dir, datastore: ds)
        defer { arrival.stop() }
        let ipam = IPAMClient(datastore: ds)
        var started: [String: Double] = [:]
        var claimTimes: [Double] = []
        for k in 0..<extraNodes {
            let t0 = Date().timeIntervalSince1970
            let r = try await ipam.autoAssign(AutoAssignRequest(handleID: "bench-\(k)", hostname: "bench-\(k)"))
            claimTimes.append(Date().timeIntervalSince1970 - t0)
            guard let ip = r.ipv4.first else { throw BenchError("IPAM gave bench-\(k) no address") }
            let block = blockOf("\(ip.address)")
            started[block] = t0
            guard arrival.waitRouted(block, within: 10) else { throw BenchError("\(block) of bench-\(k) not routed on every node within 10 s") }
        }
        var fromClaim: [Double] = [], fromWrite: [Double] = []
        let writes = arrival.writes
        for seen in arrival.routes() {
            for (block, t0) in started {
                fromClaim.append(seen[block]! - t0)
                if let w = writes[block] { fromWrite.append(seen[block]! - w) }
            }
        }
        fromClaim.sort()
        fromWrite.sort()
        guard fromWrite.count == fromClaim.count else { throw BenchError("the watch saw \(writes.count) of \(extraNodes) blocks written") }
        func p(_ v: [Double], _ q: Int) -> Double { v[min(v.count - 1, v.count * q / 100)] * 1000 }
        let claim = PathMeter.summary(claimTimes)
        say(String(format: "cluster (b) route convergence, block written → route in every real node's kernel: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d routes: %d blocks × %d nodes)",
                   p(fromWrite, 50), p(fromWrite, 99), fromWrite.last! * 1000, fromWrite.count, extraNodes, nodes.count))
        say(String(format: "cluster (b) from the start of the IPAM claim (calico-ipam's auto-assign, itself p50 %.1f ms): p50 %.1f ms, p99 %.1f ms",
                   claim.median * 1000, p(fromClaim, 50), p(fromClaim, 99)))
    }
}
