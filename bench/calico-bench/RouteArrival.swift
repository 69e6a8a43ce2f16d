import CalicoDatastore
import CalicoIPAM
import CalicoLab
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// When new IPAM blocks reach nodes' kernels: `ip -ts monitor route` in each node (UTC
/// timestamps), and this process's own watch of the store, which records each block's first
/// write (the time of the write itself, give or take its delivery).
final class RouteArrival: @unchecked Sendable {
    let logs: [String]
    private let pids: [pid_t]
    private let lock = NSLock()
    private var firstWrite: [String: Double] = [:]
    private var watch: Task<Void, any Error>?

    /// Starts the monitors in `nodes` and the watch, then gives them 300 ms to settle.
    init(_ lab: Lab, nodes: [String], directory: String, datastore: Datastore) async throws {
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"  // ip -ts prints local time
        var logs: [String] = [], pids: [pid_t] = []
        for n in nodes {
            let log = directory + "/monitor-\(n).txt"
            logs.append(log)
            pids.append(try ProcessControl.spawnDaemon(try lab.commandLine(in: n, ["ip", "-ts", "monitor", "route"]), environment: env, logPath: log))
        }
        self.logs = logs
        self.pids = pids
        let rev = try await datastore.kv.revision()
        watch = Task { [self] in
            for try await e in datastore.kv.watch(prefix: IPAMKeys.blockPrefix(.v4), afterRevision: rev) {
                if case .put(let p) = e { sawWrite(key: p.key) }
            }
        }
        usleep(300_000)
    }

    func stop() {
        watch?.cancel()
        for pid in pids { _ = ProcessControl.stop(pid, signal: SIGKILL) }
    }

    /// `…/block/10.244.5.0-26` → `10.244.5.0/26`, first sighting only.
    private func sawWrite(key: String) {
        let now = Date().timeIntervalSince1970
        guard let last = key.split(separator: "/").last else { return }
        let cidr = last.replacingOccurrences(of: "-", with: "/")
        lock.withLock { if firstWrite[cidr] == nil { firstWrite[cidr] = now } }
    }

    /// Each block's first write seen by the watch.
    var writes: [String: Double] { lock.withLock { firstWrite } }

    /// Per monitored node, when each route was first added.
    func routes() -> [[String: Double]] { logs.map(Self.added(in:)) }

    /// Waits (polling every ms) until every monitored node has a route for `block`.
    func waitRouted(_ block: String, within seconds: Double) -> Bool {
        let until = Date().addingTimeInterval(seconds)
        while !logs.allSatisfy({ Self.added(in: $0)[block] != nil }) {
            guard Date() < until else { return false }
            usleep(1000)
        }
        return true
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
