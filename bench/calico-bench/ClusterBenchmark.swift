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
        var monitors: [(node: String, log: String, pid: pid_t)] = []
        defer { for m in monitors { _ = ProcessControl.stop(m.pid, signal: SIGKILL) } }
        for n in nodes {
            let log = dir + "/monitor-\(n).txt"
            var env = ProcessInfo.processInfo.environment
            env["TZ"] = "UTC"  // ip -ts prints local time
            monitors.append((n, log, try ProcessControl.spawnDaemon(try lab.commandLine(in: n, ["ip", "-ts", "monitor", "route"]),
                                                                    environment: env, logPath: log)))
        }
        // When each block's first write is visible to a watcher of the store (this process's
        // own watch: the time of the write itself, give or take its delivery).
        let written = BlockWrites()
        let rev = try await ds.kv.revision()
        let watch = Task {
            for try await e in ds.kv.watch(prefix: IPAMKeys.blockPrefix(.v4), afterRevision: rev) {
                if case .put(let p) = e { written.saw(key: p.key) }
            }
        }
        defer { watch.cancel() }
        usleep(300_000)
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
            let until = Date().addingTimeInterval(10)
            while !monitors.allSatisfy({ added(in: $0.log)[block] != nil }) {
                guard Date() < until else { throw BenchError("\(block) of bench-\(k) not routed on every node within 10 s") }
                usleep(1000)
            }
        }
        var fromClaim: [Double] = [], fromWrite: [Double] = []
        let writes = written.times
        for m in monitors {
            let seen = added(in: m.log)
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

    /// First sighting of each block key (`…/block/10.244.5.0-26`) → its CIDR and the time.
    final class BlockWrites: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String: Double] = [:]
        func saw(key: String) {
            let now = Date().timeIntervalSince1970
            guard let last = key.split(separator: "/").last else { return }
            let cidr = last.replacingOccurrences(of: "-", with: "/")
            lock.withLock { if seen[cidr] == nil { seen[cidr] = now } }
        }
        var times: [String: Double] { lock.withLock { seen } }
    }

    /// The first time each route was added, from `ip -ts monitor route` output
    /// (`[2026-12-03T07:35:48.205932] 10.244.9.0/26 via … proto 80`).
    static func added(in log: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n") where line.hasPrefix("[") {
            guard let close = line.firstIndex(of: "]") else { continue }
            let rest = line[line.index(after: close)...].split(separator: " ")
            guard let dst = rest.first, dst != "Deleted", out[String(dst)] == nil, let t = timestamp(line[line.index(after: line.startIndex)..<close]) else { continue }
            out[String(dst)] = t
        }
        return out
    }

    /// `2026-12-03T07:35:48.205932` (UTC) → seconds since 1970.
    static func timestamp(_ s: Substring) -> Double? {
        let parts = s.split(whereSeparator: { "-T:".contains($0) })
        let fields = parts.prefix(5).compactMap { Int32($0) }
        guard parts.count == 6, fields.count == 5, let sec = Double(parts[5]) else { return nil }
        var tm = Glibc.tm()
        tm.tm_year = fields[0] - 1900
        tm.tm_mon = fields[1] - 1
        tm.tm_mday = fields[2]
        tm.tm_hour = fields[3]
        tm.tm_min = fields[4]
        return Double(timegm(&tm)) + sec
    }
}
