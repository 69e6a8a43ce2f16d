import CalicoDatastore
import FelixCalc
import FelixDataplane
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `calico-node -felix`: syncer → calculation graph → nftables dataplane (+ workload routes),
/// with health and metrics endpoints. A configuration change that is in force changes
/// restarts the process (re-exec), as upstream Felix does.
public final class FelixDaemon: @unchecked Sendable {
    let hostname: String
    let datastore: Datastore
    let fileLayer: [String: String]
    let envLayer: [String: String]
    let backend: any NftBackend
    let metrics = FelixMetrics()
    let signal = ChangeSignal()
    private let lock = NSLock()
    private var dataplane: NftablesDataplane!
    private var servers: [HTTPEndpoint] = []
    private var flowLogExporter: FlowLogExporter?

    /// Called on the dataplane loop after every successful apply (benchmarks, tests).
    let afterApply: @Sendable (NftablesDataplane) -> Void

    public init(hostname: String, datastore: Datastore, environment: [String: String], arguments: [String], backend: (any NftBackend)? = nil,
                afterApply: @escaping @Sendable (NftablesDataplane) -> Void = { _ in }) throws {
        self.afterApply = afterApply
        self.hostname = hostname
        self.datastore = datastore
        let path = ConfigSources.filePath(arguments: arguments, environment: environment)
        fileLayer = (try? String(contentsOfFile: path, encoding: .utf8)).map(ConfigSources.file) ?? [:]
        envLayer = ConfigSources.environment(environment)
        self.backend = try backend ?? LibNftables()
    }

    static func log(_ level: String, _ message: String) {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        FileHandle.standardError.write(Data("\(f.string(from: Date())) [\(level)] felix: \(message)\n".utf8))
    }

    func settings(datastore: [String: String]?) -> FelixSettings {
        FelixSettings(layers: [datastore ?? [:], fileLayer, envLayer])
    }

    /// Runs until the process exits (or re-execs itself), or the task is cancelled.
    public func run() async throws {
        let initial = settings(datastore: nil)
        dataplane = NftablesDataplane(backend: backend, settings: initial, hostname: hostname, log: { Self.log("WARNING", $0) })
        Self.log("INFO", "starting on node \(hostname) (nftables dataplane, libnftables)")
        // The graph computes the routes; the route manager applies them.
        let shared = SharedGraph(CalcGraph(hostname: hostname, computeRoutes: true))
        let routes = WorkloadRouteManager(interfacePrefixes: initial.interfacePrefixes, refreshInterval: initial.routeRefreshInterval)
        let cluster = ClusterManagers(hostname: hostname)
        let flowLogs = FlowLogCollector()
        flowLogs.directory = { ip in shared.withGraph { $0.endpoint(atAddress: ip) } }
        let managers: [any DataplaneManager] = [dataplane, routes] + cluster.all + [flowLogs]
        let syncer = Syncer(datastore: datastore)
        let signal = self.signal
        let syncTask = Task.detached {
            while !Task.isCancelled {
                do {
                    try await syncer.run(shared, report: { Self.log("WARNING", $0) }) { signal.notify() }
                } catch {
                    Self.log("WARNING", "datastore sync failed: \(error); retrying in 1 s")
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                }
            }
        }
        defer { syncTask.cancel() }
        var started = false
        var failures = 0
        var nextRefresh = Date().addingTimeInterval(initial.refreshInterval)
        var resolvedFrom: [String: String]? = nil
        var wanted = initial
        var held: [String: String] = [:]
        var qosWarned: [EndpointID: [String]] = [:]
        var reportedProblems = Set<String>()
        // Ready only once the kernel holds everything the datastore held when Felix started.
        let startRevision = (try? await datastore.kv.revision()) ?? 0
        var caughtUp = false
        while !Task.isCancelled {
            let wait = min(nextRefresh.timeIntervalSinceNow, routes.nextDue.timeIntervalSinceNow, cluster.nextDue.timeIntervalSinceNow,
                           dataplane.nextRetry ?? 3600,
                           failures > 0 ? min(0.05 * pow(2, Double(failures)), 10) : 3600)
            // Everything the graph took in meanwhile, as one batch.
            await signal.wait(timeout: max(wait, 0))
            // A burst (one datastore transaction arrives as many watch events) settles first,
            // so it becomes one kernel transaction: wait while events keep coming, ≤ 50 ms.
            await signal.settle(quiet: 0.001, atMost: 0.05)
            let (updates, nowHeld, graphRevision, clusterProblems, nowWarned) = shared.withGraph { g in
                (g.flush(), g.heldPolicies, shared.revision, g.clusterProblems, g.qosWarnings)
            }
            for (id, warnings) in nowWarned.sorted(by: { $0.key < $1.key }) where qosWarned[id] != warnings {
                for w in warnings { Self.log("WARNING", "QoS of \(id): \(w)") }
            }
            qosWarned = nowWarned
            for m in managers { m.onUpdates(updates) }
            for (key, reason) in nowHeld.sorted(by: { $0.key < $1.key }) where held[key] != reason {
                Self.log("ERROR", "policy \(key) cannot be used as stored (\(reason)); enforcing its last good version or, with none, dropping what it selects at the end of its tier; not ready")
            }
            for key in held.keys where nowHeld[key] == nil { Self.log("INFO", "policy \(key) is usable again") }
            held = nowHeld
            // The layers are resolved again only when the datastore's configuration changed.
            if dataplane.datastoreConfig != resolvedFrom {
                resolvedFrom = dataplane.datastoreConfig
                wanted = settings(datastore: resolvedFrom)
            }
            if !started && dataplane.inSync {
                if wanted != dataplane.settings { dataplane.settings = wanted }
                cluster.configure(wanted)
                routes.interfacePrefixes = wanted.interfacePrefixes
                routes.refreshInterval = wanted.routeRefreshInterval
                for p in wanted.problems { Self.log("WARNING", "config: \(p)") }
                startServers(wanted)
                flowLogs.evaluatePending = wanted.flowLogsPolicyEvaluationMode == "Continuous"
                if wanted.flowLogsEnabled, let exporter = FlowLogExporter(settings: wanted, collector: flowLogs) {
                    exporter.start()
                    flowLogExporter = exporter
                }
                started = true
            } else if started && wanted != dataplane.settings {
                // Cluster networking (routes, VXLAN, NAT) changes in place; anything else restarts.
                guard wanted.differsOnlyInCluster(from: dataplane.settings) else { restart("configuration changed") }
                Self.log("INFO", "cluster networking configuration changed; reprogramming")
                dataplane.settings = wanted
                cluster.configure(wanted)
            }
            if Date() >= nextRefresh {
                dataplane.requestResync()
                nextRefresh = Date().addingTimeInterval(dataplane.settings.refreshInterval)
            }
            guard dataplane.inSync else { continue }
            do {
                let outcome = try dataplane.apply()
                if outcome.commands > 0 || outcome.resynced {
                    metrics.observeApply(seconds: outcome.seconds, resynced: outcome.resynced)
                    Self.log("INFO", "applied \(outcome.commands) nft commands in \(String(format: "%.1f", outcome.seconds * 1000)) ms\(outcome.resynced ? " (after reading the kernel tables)" : "")")
                }
                failures = 0
                if graphRevision >= startRevision { caughtUp = true }
                afterApply(dataplane)
            } catch {
                failures += 1
                metrics.observeFailure()
                Self.log("ERROR", "dataplane apply failed (attempt \(failures)): \(error)")
            }
            // Routes: when the wanted set changes (new or moved workloads), and every
            // routeRefreshInterval to repair what others changed.
            do {
                let n = try routes.apply().commands
                if n > 0 { Self.log("INFO", "programmed \(n) workload route changes") }
            } catch {
                Self.log("WARNING", "route sync failed: \(error)")
            }
            // VXLAN devices before the routes through them, then the routes.
            let problems = cluster.apply(log: { Self.log($0, $1) }) + clusterProblems.keys.sorted().map { clusterProblems[$0]! }
            for p in problems where !reportedProblems.contains(p) { Self.log("ERROR", "\(p); not ready") }
            for p in reportedProblems where !problems.contains(p) { Self.log("INFO", "resolved: \(p)") }
            reportedProblems = Set(problems)
            var reasons: [String] = []
            if !dataplane.isReady { reasons.append("the nftables dataplane is not programmed yet (or its last apply failed)") }
            if !caughtUp { reasons.append("not yet in sync with the datastore") }
            for (key, reason) in held.sorted(by: { $0.key < $1.key }) { reasons.append("policy \(key) cannot be used as stored: \(reason)") }
            reasons += problems
            lock.withLock { notReadyReasons = reasons }
            metrics.set("felix_held_policies", Double(held.count))
            metrics.set("felix_active_local_endpoints", Double(dataplane.endpointCount))
            metrics.set("felix_active_local_policies", Double(dataplane.policyCount))
            metrics.set("felix_ipsets_calico", Double(dataplane.ipSetCount))
            metrics.set("felix_quarantined_policies", Double(dataplane.quarantinedPolicies.count))
        }
    }

    /// Why Felix is not ready (empty: ready), for `/readiness`.
    private var notReadyReasons = ["starting"]
    var isReady: Bool { lock.withLock { notReadyReasons.isEmpty } }
    var readinessReport: String { lock.withLock { notReadyReasons.isEmpty ? "ready\n" : "not ready:\n" + notReadyReasons.map { "- \($0)\n" }.joined() } }

    func startServers(_ s: FelixSettings) {
        if s.healthEnabled {
            do {
                servers.append(try HTTPEndpoint(host: s.healthHost, port: s.healthPort) { [self] path in
                    switch path {
                    case "/liveness": return (200, "text/plain", "live\n")
                    case "/readiness": return (self.isReady ? 200 : 503, "text/plain", self.readinessReport)
                    default: return (404, "text/plain", "not found\n")
                    }
                })
                Self.log("INFO", "health endpoints on \(s.healthHost):\(s.healthPort) (/liveness, /readiness)")
            } catch {
                Self.log("ERROR", "health server: \(error)")
            }
        }
        if s.prometheusMetricsEnabled {
            do {
                servers.append(try HTTPEndpoint(host: s.prometheusMetricsHost, port: s.prometheusMetricsPort) { [metrics] path in
                    path == "/metrics" ? (200, "text/plain; version=0.0.4", metrics.render()) : (404, "text/plain", "not found\n")
                })
                Self.log("INFO", "Prometheus metrics on \(s.prometheusMetricsHost.isEmpty ? "*" : s.prometheusMetricsHost):\(s.prometheusMetricsPort)/metrics")
            } catch {
                Self.log("ERROR", "metrics server: \(error)")
            }
        }
    }

    /// Re-executes this process with the same arguments and environment.
    func restart(_ reason: String) -> Never {
        Self.log("INFO", "\(reason): restarting")
        let args = CommandLine.arguments
        var cargs = args.map { strdup($0) } + [nil]
        // Exec the binary by its own path (not /proc/self/exe), so the process keeps its
        // name in ps and /proc/<pid>/comm.
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let path = n > 0 ? String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/proc/self/exe"
        execv(path, &cargs)
        Self.log("ERROR", "re-exec failed: \(String(cString: strerror(errno))); exiting")
        exit(1)
    }
}

/// "The graph has changed": set by the syncer, awaited by the dataplane loop.
final class ChangeSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func notify() {
        let w: CheckedContinuation<Void, Never>? = lock.withLock {
            pending = true
            defer { waiter = nil }
            return waiter
        }
        w?.resume()
    }

    /// Returns when notified (at once if a notification is pending), after `timeout`
    /// seconds, or when the task is cancelled.
    func wait(timeout: Double) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(min(timeout, 3600) * 1e9))
            self?.wake()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    if pending || Task.isCancelled { return true }
                    waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            wake()
        }
        timer.cancel()
        lock.withLock { pending = false }
    }

    /// Returns once no notification arrived for `quiet` seconds (or after `atMost`).
    func settle(quiet: Double, atMost: Double) async {
        let deadline = Date().addingTimeInterval(atMost)
        while Date() < deadline && !Task.isCancelled {
            lock.withLock { pending = false }
            try? await Task.sleep(nanoseconds: UInt64(quiet * 1e9))
            if !lock.withLock({ pending }) { return }
        }
    }

    private func wake() {
        let w: CheckedContinuation<Void, Never>? = lock.withLock {
            defer { waiter = nil }
            return waiter
        }
        w?.resume()
    }
}
