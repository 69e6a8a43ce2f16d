import Foundation
import GoldmaneAPI

/// Goldmane's state and the one place it changes: flows in (deduplicated per client), queries
/// out, and every `interval` a rollover that sends the completed bucket to the streams. An
/// actor, so ingestion, rollover and queries are serialized as upstream's single owner loop.
public actor FlowAggregator {
    var store: FlowStore
    let clock: @Sendable () -> Int64
    /// Recently received (key, start, end, client): a client replays what it sent
    /// after reconnecting, and the copies are dropped (kept 5 minutes).
    private var seen: Set<SeenKey> = []
    /// The same, oldest first, to forget them in order (`expired` of them already gone).
    private var arrivals: [(at: Int64, key: SeenKey)] = []
    private var expired = 0
    private var streams: [Int: Subscriber] = [:]
    private var nextStream = 0
    public static let maxStreams = 100

    struct SeenKey: Hashable {
        var key: Goldmane_FlowKey
        var start: Int64
        var end: Int64
        var scope: String
    }

    struct Subscriber {
        var filter: Goldmane_Filter
        var continuation: AsyncStream<Goldmane_FlowResult>.Continuation
    }

    public init(interval: Int64 = 15, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.clock = clock
        store = FlowStore(now: clock(), interval: interval)
    }

    public var interval: Int64 { store.interval }
    public var uniqueFlows: Int { store.keyCount }
    public var droppedFlows: Int { store.dropped }
    /// Flows taken from the ingest queue so far (duplicates included).
    public private(set) var processed = 0

    /// A flow from a client (`scope`: its address); false for a duplicate or one outside the ring.
    @discardableResult
    public func ingest(_ flow: Goldmane_Flow, scope: String) -> Bool {
        let now = clock()
        let k = SeenKey(key: flow.key, start: flow.startTime, end: flow.endTime, scope: scope)
        forget(before: now - 300)
        guard seen.insert(k).inserted else { return false }
        arrivals.append((now, k))
        return store.add(flow)
    }

    /// Forgets what arrived before `time` (each entry once, in arrival order).
    private func forget(before time: Int64) {
        while expired < arrivals.count, arrivals[expired].at < time {
            seen.remove(arrivals[expired].key)
            expired += 1
        }
        if expired > 4096, expired * 2 > arrivals.count {
            arrivals.removeFirst(expired)
            expired = 0
        }
    }

    /// A batch from the ingest queue.
    public func ingest(_ items: [IngestQueue.Item]) {
        for item in items { ingest(item.flow, scope: item.scope) }
        processed += items.count
    }

    /// Moves flows from `queue` into the store until cancelled; a full queue's drops are
    /// logged through `report` (at most every 10 s).
    public nonisolated func runIngest(from queue: IngestQueue, report: @Sendable (String) -> Void = { _ in }) async {
        var reported = 0
        var lastReport = ContinuousClock.now - .seconds(10)
        while !Task.isCancelled {
            let batch = await queue.take()
            if batch.isEmpty { return }   // finished or cancelled
            await ingest(batch)
            let (received, dropped) = queue.counts
            if dropped > reported, ContinuousClock.now - lastReport >= .seconds(10) {
                report("ingest queue full (\(queue.capacity) flows): dropped \(dropped - reported) flows, \(dropped) of \(received) so far")
                reported = dropped
                lastReport = .now
            }
        }
    }

    /// Advances to now; each completed bucket goes to every stream.
    public func rollover() {
        for start in store.rollover(to: clock()) {
            for (_, s) in streams {
                for r in store.streamResults(bucket: start, filter: s.filter) { s.continuation.yield(r) }
            }
        }
    }

    /// Seconds until the next bucket boundary.
    public func secondsToNextRollover() -> Double {
        let now = Date().timeIntervalSince1970
        return max(0.01, Double(store.current + store.interval) - now)
    }

    public func list(_ r: Goldmane_FlowListRequest) throws(QueryError) -> Goldmane_FlowListResult {
        try store.list(r, now: clock())
    }

    public func hints(_ r: Goldmane_FilterHintsRequest) throws(QueryError) -> Goldmane_FilterHintsResult {
        try store.hints(r, now: clock())
    }

    public func statistics(_ r: Goldmane_StatisticsRequest) throws(QueryError) -> [Goldmane_StatisticsResult] {
        try store.statistics(r, now: clock())
    }

    /// Registers a stream: backfilled from `gte` (none for 0) up to the last complete bucket,
    /// then fed at each rollover. Nil beyond `maxStreams` streams.
    public func openStream(_ r: Goldmane_FlowStreamRequest) -> (id: Int, results: AsyncStream<Goldmane_FlowResult>)? {
        guard streams.count < Self.maxStreams else { return nil }
        let (stream, continuation) = AsyncStream<Goldmane_FlowResult>.makeStream(bufferingPolicy: .bufferingNewest(100_000))
        for start in store.backfillBuckets(gte: r.startTimeGte, now: clock()) {
            for result in store.streamResults(bucket: start, filter: r.filter) { continuation.yield(result) }
        }
        let id = nextStream
        nextStream += 1
        streams[id] = Subscriber(filter: r.filter, continuation: continuation)
        return (id, stream)
    }

    public func closeStream(_ id: Int) {
        streams.removeValue(forKey: id)?.continuation.finish()
    }

    public var streamCount: Int { streams.count }

    /// Rolls over at every bucket boundary until cancelled.
    public nonisolated func runRollovers() async {
        while !Task.isCancelled {
            let wait = await secondsToNextRollover()
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000) + 5))
            await rollover()
        }
    }
}
