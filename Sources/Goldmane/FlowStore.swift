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
    /// Intersection of the contributors' labels, sorted (nil before the first contributor).
    /// Arrays rather than sets: a window usually has one contributor and a few labels, and
    /// an hour of flows holds hundreds of thousands of windows.
    var sourceLabels: [String]?
    var destLabels: [String]?
    var sourceIPs: [String] = []
    var destIPs: [String] = []

    mutating func add(_ f: Goldmane_Flow) {
        packetsIn += f.packetsIn
        packetsOut += f.packetsOut
        bytesIn += f.bytesIn
        bytesOut += f.bytesOut
        connectionsStarted += f.numConnectionsStarted
        connectionsCompleted += f.numConnectionsCompleted
        connectionsLive += f.numConnectionsLive
        sourceLabels = FlowStore.intersect(sourceLabels, f.sourceLabels)
        destLabels = FlowStore.intersect(destLabels, f.destLabels)
        FlowStore.addCapped(&sourceIPs, f.sourceIps)
        FlowStore.addCapped(&destIPs, f.destIps)
    }
}

/// Values many flows have in common (policy traces, label lists), kept once: an hour of flows
/// holds hundreds of thousands of keys and windows, most with the same few traces and labels.
/// Each table starts over when it grows past `limit` (sharing stops for a while, nothing else).
struct SharedValues: Sendable {
    private var traces: [Goldmane_PolicyTrace: Goldmane_PolicyTrace] = [:]
    private var labels: Set<[String]> = []
    static let limit = 100_000

    mutating func trace(_ t: Goldmane_PolicyTrace) -> Goldmane_PolicyTrace {
        if let known = traces[t] { return known }
        if traces.count >= Self.limit { traces = [:] }
        traces[t] = t
        return t
    }

    mutating func labels(_ l: [String]?) -> [String]? {
        guard let l, !l.isEmpty else { return l }
        if let i = labels.firstIndex(of: l) { return labels[i] }
        if labels.count >= Self.limit { labels = [] }
        labels.insert(l)
        return l
    }
}

/// Every window of one flow key (upstream's "diachronic flow"), in start order.
struct KeyedFlow: Sendable {
    let id: Int64
    let key: Goldmane_FlowKey
    var windows: [FlowWindow] = []

    /// Adds a flow record to its bucket's window (made when missing, in start order).
    mutating func add(_ f: Goldmane_Flow, bucket start: Int64, interval: Int64, shared: inout SharedValues) {
        let i: Int
        if let known = windows.firstIndex(where: { $0.start == start }) {
            i = known
        } else {
            i = windows.firstIndex { $0.start > start } ?? windows.count
            windows.insert(FlowWindow(start: start, end: start + interval), at: i)
        }
        windows[i].add(f)
        windows[i].sourceLabels = shared.labels(windows[i].sourceLabels)
        windows[i].destLabels = shared.labels(windows[i].destLabels)
    }

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
            total.sourceLabels = FlowStore.intersect(total.sourceLabels, w.sourceLabels ?? [])
            total.destLabels = FlowStore.intersect(total.destLabels, w.destLabels ?? [])
            FlowStore.addCapped(&total.sourceIPs, w.sourceIPs)
            FlowStore.addCapped(&total.destIPs, w.destIPs)
            total.start = min(total.start, w.start)
            total.end = max(total.end, w.end)
        }
        var f = Goldmane_Flow()
        f.key = key
        f.startTime = total.start
        f.endTime = total.end
        f.sourceLabels = total.sourceLabels ?? []
        f.destLabels = total.destLabels ?? []
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
    /// Policy traces and label lists many keys have in common, stored once.
    private var shared = SharedValues()

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

    /// Adds addresses not there yet, at most `cap` in all.
    static func addCapped(_ list: inout [String], _ more: some Sequence<String>, cap: Int = 10) {
        for ip in more where list.count < cap && !list.contains(ip) { list.append(ip) }
    }

    /// The labels both have, sorted (`labels` alone when there is nothing yet).
    static func intersect(_ current: [String]?, _ labels: [String]) -> [String] {
        guard let current else { return labels.sorted() }
        if current == labels { return current }
        let other = Set(labels)
        return current.filter { other.contains($0) }
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
            var key = f.key
            key.policies = shared.trace(key.policies)
            ids[key] = id
            flows[id] = KeyedFlow(id: id, key: key)
        }
        // Changed in place: the windows are not copied for each flow added.
        flows[id]!.add(f, bucket: start, interval: interval, shared: &shared)
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

    /// A key with data inside a query's range: its id and its first window's start there.
    struct Match {
        var id: Int64
        var start: Int64
    }

    /// Every key with data inside `range` that passes `filter`, each once (at the bucket of
    /// its first window in the range), without aggregating anything.
    func matching(in range: TimeWindow, _ filter: Goldmane_Filter) -> [Match] {
        let everything = filter == Goldmane_Filter()
        let inRange = buckets.filter { $0.key >= range.gte && $0.key + interval <= range.lt }
        var out: [Match] = []
        out.reserveCapacity(inRange.reduce(0) { $0 + $1.value.count })
        for (start, ids) in inRange {
            for id in ids {
                guard let kf = flows[id] else { continue }
                // Counted at its first window in the range only.
                if start > range.gte, let first = kf.windows.first, first.start < start,
                   kf.windows.first(where: { range.contains(start: $0.start, end: $0.end) })?.start != start { continue }
                if !everything {
                    let windows = { kf.windows.filter { range.contains(start: $0.start, end: $0.end) } }
                    guard FlowMatcher.matches(key: kf.key, filter, sourceIPs: { windows().flatMap(\.sourceIPs) },
                                              destIPs: { windows().flatMap(\.destIPs) }) else { continue }
                }
                out.append(Match(id: id, start: start))
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
