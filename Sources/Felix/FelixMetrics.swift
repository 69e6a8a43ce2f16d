import Foundation

/// Felix's Prometheus metrics (text exposition format).
public final class FelixMetrics: @unchecked Sendable {
    private let lock = NSLock()
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private var applyCounts = [Int](repeating: 0, count: FelixMetrics.buckets.count)
    private var applySum = 0.0
    private var applyTotal = 0
    private var failures = 0
    private var resyncs = 0
    private var gauges: [String: Double] = [:]

    public init() {}

    public func observeApply(seconds: Double, resynced: Bool) {
        lock.withLock {
            for (i, b) in Self.buckets.enumerated() where seconds <= b { applyCounts[i] += 1 }
            applySum += seconds
            applyTotal += 1
            if resynced { resyncs += 1 }
        }
    }

    public func observeFailure() { lock.withLock { failures += 1 } }
    public func set(_ gauge: String, _ value: Double) { lock.withLock { gauges[gauge] = value } }

    public func render() -> String {
        lock.withLock {
            var out = "# HELP felix_int_dataplane_apply_time_seconds Time in seconds that each dataplane apply (nft transaction) took.\n"
            out += "# TYPE felix_int_dataplane_apply_time_seconds histogram\n"
            for (i, b) in Self.buckets.enumerated() { out += "felix_int_dataplane_apply_time_seconds_bucket{le=\"\(b)\"} \(applyCounts[i])\n" }
            out += "felix_int_dataplane_apply_time_seconds_bucket{le=\"+Inf\"} \(applyTotal)\n"
            out += "felix_int_dataplane_apply_time_seconds_sum \(applySum)\n"
            out += "felix_int_dataplane_apply_time_seconds_count \(applyTotal)\n"
            out += "# HELP felix_int_dataplane_failures Number of times dataplane updates failed and will be retried.\n"
            out += "# TYPE felix_int_dataplane_failures counter\nfelix_int_dataplane_failures \(failures)\n"
            out += "# HELP felix_resyncs_started Number of times Felix read the kernel tables back.\n"
            out += "# TYPE felix_resyncs_started counter\nfelix_resyncs_started \(resyncs)\n"
            for (name, v) in gauges.sorted(by: { $0.key < $1.key }) {
                out += "# TYPE \(name) gauge\n\(name) \(v)\n"
            }
            return out
        }
    }
}
