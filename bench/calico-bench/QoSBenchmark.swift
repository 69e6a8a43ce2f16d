import CalicoAPI
import CalicoDatastore
import CalicoLab
import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `calico-bench qos` (issue 14), as root with the release binaries. One node, pods `u`
/// (unlimited), `sink`, `t` and `CALICO_BENCH_LIMITED` (50) pods labelled `limited=yes`:
/// (a) iperf3 TCP u → sink with no QoS at all against the same with a QoSPolicy giving the 50
///     pods bandwidth limits both ways (TBF and IFB each), a packet rate, a connection limit
///     and DSCP; the policy is deleted and applied again each round (`CALICO_BENCH_ROUNDS`, 3),
///     median and spread, ratio first;
/// (b) a QoS change in the datastore (t's ingressBandwidth annotation, a new value each time)
///     → that rate in t's qdisc in the kernel, p50/p99 over `CALICO_BENCH_CHANGES` (50).
enum QoSBenchmark {
    typealias BenchError = DataplaneBenchmark.BenchError

    static func run() async throws {
        guard getuid() == 0 else { throw BenchError("qos: needs root (network namespaces, tc, nftables)") }
        let env = ProcessInfo.processInfo.environment
        let limited = Int(env["CALICO_BENCH_LIMITED"] ?? "") ?? 50
        let rounds = Int(env["CALICO_BENCH_ROUNDS"] ?? "") ?? 3
        let changes = Int(env["CALICO_BENCH_CHANGES"] ?? "") ?? 50
        let dir = NSTemporaryDirectory() + "cbench-qos-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        let lab = try await Lab.up(LabConfig(stateDirectory: dir, binDirectory: LabConfig.executableDirectory(), prefix: "cbq-\(getpid())",
                                             nodes: 1, encapsulation: .none))
        defer {
            try? lab.down()
            try? FileManager.default.removeItem(atPath: dir)
        }
        try await lab.ensureNamespace("bench", labels: [:])
        for name in ["u", "sink", "t"] { _ = try await lab.addPod(name: name, namespace: "bench", labels: ["app": name]) }
        for i in 0..<limited { _ = try await lab.addPod(name: "l\(i)", namespace: "bench", labels: ["app": "l\(i)", "limited": "yes"]) }
        try throughput(lab, limited: limited, rounds: rounds)
        try await latency(lab, changes: changes)
    }

    static let policy = """
        apiVersion: projectcalico.org/v3
        kind: QoSPolicy
        metadata: {name: bench-limited}
        spec: {selector: limited == 'yes', ingressBandwidth: 10M, egressBandwidth: 10M, ingressPacketRate: 1000, egressMaxConnections: 100, dscp: AF21}
        """

    /// TBF qdiscs on the node (veths and IFB devices).
    static func tbfCount(_ lab: Lab) -> Int {
        let out = (try? lab.exec("node1", ["tc", "qdisc", "show"]).stdout) ?? ""
        return out.split(separator: "\n").filter { $0.hasPrefix("qdisc tbf") }.count
    }

    static func waitFor(_ what: String, within seconds: Double, _ condition: () -> Bool) throws {
        let until = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < until else { throw BenchError("qos: \(what) not reached within \(seconds) s") }
            usleep(50_000)
        }
    }

    static func throughput(_ lab: Lab, limited: Int, rounds: Int) throws {
        let u = try lab.netnsName(of: "u"), sink = try lab.netnsName(of: "sink"), address = lab.pod("sink")!.ip
        var without: [PathMeter.Sample] = [], with: [PathMeter.Sample] = []
        for _ in 0..<rounds {
            _ = try lab.calicoctl(["delete", "qospolicy", "bench-limited"])
            try waitFor("no qdiscs", within: 30) { tbfCount(lab) == 0 }
            without.append(try PathMeter.measure(from: u, to: sink, address: address))
            try lab.apply(policy)
            try waitFor("\(2 * limited) qdiscs", within: 30) { tbfCount(lab) == 2 * limited }
            with.append(try PathMeter.measure(from: u, to: sink, address: address))
        }
        let w = PathMeter.summary(with.map(\.gbps)), n = PathMeter.summary(without.map(\.gbps))
        let rw = PathMeter.summary(with.map(\.rttMicroseconds)), rn = PathMeter.summary(without.map(\.rttMicroseconds))
        say(String(format: "qos (a) unlimited pod with %d limited pods on the node vs no QoS at all: throughput ratio %.2f, latency ratio %.2f (median of %d)",
                   limited, w.median / n.median, rw.median / rn.median, rounds))
        say(String(format: "qos (a) with QoS: %.2f Gbit/s (%.2f–%.2f), ping %.1f µs (%.1f–%.1f); without: %.2f Gbit/s (%.2f–%.2f), ping %.1f µs (%.1f–%.1f)",
                   w.median, w.min, w.max, rw.median, rw.min, rw.max, n.median, n.min, n.max, rn.median, rn.min, rn.max))
    }

    /// t's ingress TBF rate in bit/s, nil without one.
    static func rate(_ lab: Lab, device: String) -> Int? {
        guard let out = try? lab.exec("node1", ["tc", "-j", "qdisc", "show", "dev", device]).stdout,
              let list = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [[String: Any]] else { return nil }
        return list.first { $0["kind"] as? String == "tbf" }.flatMap { ($0["options"] as? [String: Any])?["rate"] as? Int }.map { $0 * 8 }
    }

    static func latency(_ lab: Lab, changes: Int) async throws {
        let ds = try lab.datastore()
        let pod = lab.pod("t")!
        let kind = ResourceRegistry.kind(named: "workloadendpoint")!
        var latencies: [Double] = []
        for k in 0..<changes {
            let mbit = 20 + k
            var wep = try await ds.get(kind, namespace: pod.namespace, name: pod.endpointName).resource as! WorkloadEndpoint
            wep.metadata.annotations = ["qos.projectcalico.org/ingressBandwidth": "\(mbit)M"]
            let start = Date()
            _ = try await ds.update(wep)
            while rate(lab, device: pod.interfaceName) != mbit * 1_000_000 {
                guard Date().timeIntervalSince(start) < 10 else { throw BenchError("qos: \(mbit)M not in t's qdisc within 10 s") }
            }
            latencies.append(Date().timeIntervalSince(start))
        }
        let s = latencies.sorted()
        let p50 = s[s.count / 2] * 1000, p99 = s[min(s.count - 1, s.count * 99 / 100)] * 1000
        let p90 = s[s.count * 9 / 10] * 1000
        say(String(format: "qos (b) QoS change written to the datastore → new rate in the workload's qdisc: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d changes; polled with tc, ~2 ms resolution)",
                   p50, p90, p99, s.last! * 1000, s.count))
    }
}
