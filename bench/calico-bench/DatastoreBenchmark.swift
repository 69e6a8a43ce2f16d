import CalicoAPI
import CalicoDatastore
import Foundation
import Synchronization

/// `calico-bench datastore`: 10k creates, 10k gets, a list of 10k and watch delivery
/// latency through the typed `Datastore`, on the embedded store and on etcd; and, on the
/// same etcd in the same run, `etcdctl` doing the same puts and gets.
enum DatastoreBenchmark {
    static let count = 10_000

    struct Figures {
        var name: String
        var createSeconds: Double
        var getSeconds: Double
        var listSeconds: Double
        var watchP50: Double
        var watchP99: Double

        func report() -> String {
            func us(_ s: Double) -> String { String(format: "%.1f", s * 1e6) }
            return "datastore[\(name)]: create \(us(createSeconds / Double(count))) us/op, get \(us(getSeconds / Double(count))) us/op, "
                + "list of \(count) \(String(format: "%.1f", listSeconds * 1e3)) ms, watch latency p50 \(us(watchP50)) us p99 \(us(watchP99)) us"
        }
    }

    static func networkSet(_ i: Int) -> GlobalNetworkSet {
        GlobalNetworkSet(metadata: ObjectMeta(name: "set-\(i)", labels: ["bench": "yes", "shard": String(i % 16)]),
                         spec: NetworkSetSpec(nets: ["10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)/32"]))
    }

    static func run(_ store: Datastore, name: String) async throws -> Figures {
        let kind = ResourceRegistry.kind(named: "globalnetworkset")!
        let createSeconds = try await time {
            for i in 0..<count { _ = try await store.create(networkSet(i)) }
        }
        let getSeconds = try await time {
            for i in 0..<count { _ = try await store.get(kind, namespace: nil, name: "set-\(i)") }
        }
        var listed = 0
        let listSeconds = try await time { listed = try await store.list(kind, namespace: nil).items.count }
        precondition(listed == count, "listed \(listed)")
        let (p50, p99) = try await watchLatency(store)
        return Figures(name: name, createSeconds: createSeconds, getSeconds: getSeconds, listSeconds: listSeconds, watchP50: p50, watchP99: p99)
    }

    /// Time from the start of a write to the watch delivering it, over 1,000 updates.
    static func watchLatency(_ store: Datastore) async throws -> (Double, Double) {
        let kind = ResourceRegistry.kind(named: "globalnetworkset")!
        let start = try await store.kv.revision()
        let stream = store.watch(kinds: [kind], afterRevision: start)
        let samples = 1000
        // Keyed by the net each update writes, recorded before the write starts.
        let sent = Mutex<[String: ContinuousClock.Instant]>([:])
        let latencies = Mutex<[Double]>([])
        let reader = Task {
            for try await event in stream {
                let now = ContinuousClock.now
                guard case .put(let stored) = event, let net = (stored.resource as? GlobalNetworkSet)?.spec.nets?.first else { continue }
                if let t = sent.withLock({ $0[net] }) {
                    let d = now - t
                    latencies.withLock { $0.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) }
                }
                if latencies.withLock({ $0.count }) >= samples { break }
            }
        }
        for i in 0..<samples {
            var set = networkSet(i)
            let net = "10.200.\(i >> 8 & 255).\(i & 255)/32"
            set.spec.nets = [net]
            sent.withLock { $0[net] = ContinuousClock.now }
            _ = try await store.update(set)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while latencies.withLock({ $0.count }) < samples && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        reader.cancel()
        let sorted = latencies.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { return (.nan, .nan) }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }

    static func time(_ body: () async throws -> Void) async throws -> Double {
        let t = ContinuousClock.now
        try await body()
        let d = ContinuousClock.now - t
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func runAll() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-ds-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let embedded = try await run(Datastore(kv: try EmbeddedStore(path: dir + "/datastore.db")), name: "embedded")
        say(embedded.report())
        try await EtcdComparison.run(count: count, benchmark: run)
    }
}
