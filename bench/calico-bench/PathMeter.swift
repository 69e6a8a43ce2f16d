import CalicoLab
import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Throughput and latency between two network namespaces: iperf3 TCP (one stream, `seconds`
/// long) and the average of 200 pings 5 ms apart.
enum PathMeter {
    struct Sample {
        var gbps: Double
        var rttMicroseconds: Double
    }

    static func measure(from client: String, to server: String, address: String, seconds: Int = 3) throws -> Sample {
        let pid = try ProcessControl.spawnDaemon(["ip", "netns", "exec", server, "iperf3", "-s", "-1"], environment: nil, logPath: "/dev/null")
        defer { if !ProcessControl.waitForExit(pid, within: .seconds(5)) { _ = ProcessControl.stop(pid, signal: SIGKILL) } }
        var out = ""
        for attempt in 0..<20 {
            // The server listens within a few ms; until then the client is refused.
            usleep(attempt == 0 ? 100_000 : 200_000)
            let r = try CommandRunner.run(["ip", "netns", "exec", client, "iperf3", "-c", address, "-t", "\(seconds)", "-J"])
            out = r.stdout
            if r.status == 0 { break }
        }
        let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        let end = json?["end"] as? [String: Any]
        guard let bps = (end?["sum_received"] as? [String: Any])?["bits_per_second"] as? Double else {
            throw DataplaneBenchmark.BenchError("iperf3 \(client) → \(address): no result: \(out.prefix(300))")
        }
        let ping = try CommandRunner.check(["ip", "netns", "exec", client, "ping", "-c", "200", "-i", "0.005", "-q", address])
        // "rtt min/avg/max/mdev = 0.031/0.045/0.120/0.010 ms"
        let rtt = ping.components(separatedBy: "= ").last?.split(separator: "/").dropFirst().first.flatMap { Double($0) } ?? 0
        return Sample(gbps: bps / 1e9, rttMicroseconds: rtt * 1000)
    }

    /// Median, minimum and maximum.
    static func summary(_ values: [Double]) -> (median: Double, min: Double, max: Double) {
        let s = values.sorted()
        return (s[s.count / 2], s.first ?? 0, s.last ?? 0)
    }
}
