import GoldmaneAPI

/// One flow key's counters in one aggregation bucket.
struct FlowWindow: Sendable {
    var start: Int64
    var end: Int64
    var packetsIn: Int64 = 0
    var packetsOut: Int64 = 0
    var bytesIn: Int64 = 0
    var bytesOut: Int64 = 0
    var connectionsStarted: Int64 = 0
    var connectionsCompleted: Int64 = 0
    var connectionsLive: Int64 = 0
    /// Intersection of the contributors' labels (nil before the first contributor).
    var sourceLabels: Set<String>?
    var destLabels: Set<String>?
    var sourceIPs: Set<String> = []
    var destIPs: Set<String> = []

    mutating func add(_ f: Goldmane_Flow) {
        packetsIn += f.packetsIn
        packetsOut += f.packetsOut
        bytesIn += f.bytesIn
        bytesOut += f.bytesOut
        connectionsStarted += f.numConnectionsStarted
        connectionsCompleted += f.numConnectionsCompleted
        connectionsLive += f.numConnectionsLive
        sourceLabels = sourceLabels.map { $0.intersection(f.sourceLabels) } ?? Set(f.sourceLabels)
        destLabels = destLabels.map { $0.intersection(f.destLabels) } ?? Set(f.destLabels)
        FlowStore.addCapped(&sourceIPs, f.sourceIps)
        FlowStore.addCapped(&destIPs, f.destIps)
    }
}

/// Every window of one flow key (upstream's "diachronic flow"), in start order.
struct KeyedFlow: Sendable {
    let id: Int64
    let key: Goldmane_FlowKey
    var windows: [FlowWindow] = []

    /// The flow aggregated over the windows inside `range` (nil when none is).
    func aggregate(_ range: TimeWindow) -> Goldmane_Flow? {
        aggregate(windows.filter { range.contains(start: $0.start, end: $0.end) })
    }

    func aggregate(_ ws: [FlowWindow]) -> Goldmane_Flow? {
        guard var total = ws.first else { return nil }
        for w in ws.dropFirst() {
            total.packetsIn += w.packetsIn
            total.packetsOut += w.packetsOut
            total.bytesIn += w.bytesIn
            total.bytesOut += w.bytesOut
            total.connectionsStarted += w.connectionsStarted
            total.connectionsCompleted += w.connectionsCompleted
            total.connectionsLive += w.connectionsLive
            total.sourceLabels = total.sourceLabels.map { $0.intersection(w.sourceLabels ?? []) }
            total.destLabels = total.destLabels.map { $0.intersection(w.destLabels ?? []) }
            FlowStore.addCapped(&total.sourceIPs, w.sourceIPs)
            FlowStore.addCapped(&total.destIPs, w.destIPs)
            total.start = min(total.start, w.start)
            total.end = max(total.end, w.end)
        }
        var f = Goldmane_Flow()
        f.key = key
        f.startTime = total.start
        f.endTime = total.end
        f.sourceLabels = (total.sourceLabels ?? []).sorted()
        f.destLabels = (total.destLabels ?? []).sorted()
        f.packetsIn = total.packetsIn
        f.packetsOut = total.packetsOut
        f.bytesIn = total.bytesIn
        f.bytesOut = total.bytesOut
        f.numConnectionsStarted = total.connectionsStarted
        f.numConnectionsCompleted = total.connectionsCompleted
        f.numConnectionsLive = total.connectionsLive
        f.sourceIps = total.sourceIPs.sorted()
        f.destIps = total.destIPs.sorted()
        return f
    }
}

/// The flows Goldmane keeps (pure, single-threaded; the server serializes access): a ring of
/// `history + 2` buckets of `interval` seconds — `history` complete ones (240 × 15 s = 1 h),
/// the one filling now and one ahead for clock skew — each listing the keys with data in it.
/// A flow is placed by its start time; outside the ring it is dropped. Every rollover the
/// oldest bucket is recycled and windows older than the history go, and with them keys left
/// with none.
public struct FlowStore: Sendable {
    public let interval: Int64
    public let history: Int
    /// Start of the bucket filling now.
    public private(set) var current: Int64
    private(set) var flows: [Int64: KeyedFlow] = [:]
    private var ids: [Goldmane_FlowKey: Int64] = [:]
    /// Bucket start → ids of the keys with a window there.
    private(set) var buckets: [Int64: Set<Int64>] = [:]
    private var nextID: Int64 = 1
    /// Flows dropped for falling outside the ring.
    public private(set) var dropped = 0

    public init(now: Int64, interval: Int64 = 15, history: Int = 240) {
        self.interval = interval
        self.history = history
        current = now - ((now % interval) + interval) % interval
    }

    /// Start of the oldest bucket kept.
    public var oldest: Int64 { current - Int64(history) * interval }
    /// Start of the most recent complete bucket (what streams get at a rollover).
    public var lastComplete: Int64 { current - interval }
    public var keyCount: Int { flows.count }

    static func addCapped(_ set: inout Set<String>, _ more: some Sequence<String>, cap: Int = 10) {
        for ip in more where set.count < cap || set.contains(ip) { set.insert(ip) }
    }

    /// Adds a flow record at the bucket of its start time; false when outside the ring.
    @discardableResult
    public mutating func add(_ f: Goldmane_Flow) -> Bool {
        let start = f.startTime - ((f.startTime % interval) + interval) % interval
        guard start >= oldest, start <= current + interval else {
            dropped += 1
            return false
        }
        let id: Int64
        if let known = ids[f.key] {
            id = known
        } else {
            id = nextID
            nextID += 1
            ids[f.key] = id
            flows[id] = KeyedFlow(id: id, key: f.key)
        }
        var kf = flows[id]!
        if let i = kf.windows.firstIndex(where: { $0.start == start }) {
            kf.windows[i].add(f)
        } else {
            var w = FlowWindow(start: start, end: start + interval)
            w.add(f)
            let at = kf.windows.firstIndex { $0.start > start } ?? kf.windows.count
            kf.windows.insert(w, at: at)
        }
        flows[id] = kf
        buckets[start, default: []].insert(id)
        return true
    }

    /// Advances the ring to `now`; returns the starts of the buckets that completed, oldest
    /// first (each goes to the streams).
    public mutating func rollover(to now: Int64) -> [Int64] {
        var completed: [Int64] = []
        while now >= current + interval {
            completed.append(current)
            current += interval
            let expired = buckets.keys.filter { $0 < oldest }
            for start in expired {
                for id in buckets.removeValue(forKey: start) ?? [] {
                    guard var kf = flows[id] else { continue }
                    kf.windows.removeAll { $0.start < oldest }
                    if kf.windows.isEmpty {
                        flows[id] = nil
                        ids[kf.key] = nil
                    } else {
                        flows[id] = kf
                    }
                }
            }
        }
        return completed
    }

    /// Every key with data inside `range`, with its flow aggregated over it.
    func flows(in range: TimeWindow) -> [(id: Int64, flow: Goldmane_Flow)] {
        var seen = Set<Int64>()
        var out: [(Int64, Goldmane_Flow)] = []
        for (start, ids) in buckets where start >= range.gte && start + interval <= range.lt {
            for id in ids where seen.insert(id).inserted {
                if let f = flows[id]?.aggregate(range) { out.append((id, f)) }
            }
        }
        return out
    }

    /// The flows of one bucket, each covering that bucket only.
    func flows(ofBucket start: Int64) -> [(id: Int64, flow: Goldmane_Flow)] {
        (buckets[start] ?? []).sorted().compactMap { id in
            guard let kf = flows[id], let w = kf.windows.first(where: { $0.start == start }) else { return nil }
            return kf.aggregate([w]).map { (id, $0) }
        }
    }
}
