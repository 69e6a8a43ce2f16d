import GoldmaneAPI
import Synchronization

/// Between the collectors' connections and the aggregator: received flows wait here, at most
/// `capacity` of them; a burst beyond that is dropped and counted. A connection never waits
/// for the aggregator (busy with a query or a rollover), so Felix never waits for Goldmane.
public final class IngestQueue: Sendable {
    public struct Item: Sendable {
        public var flow: Goldmane_Flow
        public var scope: String

        public init(flow: Goldmane_Flow, scope: String) {
            self.flow = flow
            self.scope = scope
        }
    }

    struct State {
        var items: [Item] = []
        var received = 0
        var dropped = 0
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// Queues a flow; false (and counted) when the queue is full.
    @discardableResult
    public func offer(_ flow: Goldmane_Flow, scope: String) -> Bool {
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            s.received += 1
            guard s.items.count < capacity else {
                s.dropped += 1
                return (false, nil)
            }
            s.items.append(Item(flow: flow, scope: scope))
            defer { s.waiter = nil }
            return (true, s.waiter)
        }
        waiter?.resume()
        return accepted
    }

    /// Everything queued, waiting for at least one flow; empty once finished or cancelled.
    public func take() async -> [Item] {
        while true {
            let batch = state.withLock { s -> [Item]? in
                if !s.items.isEmpty {
                    defer { s.items = [] }
                    return s.items
                }
                return s.finished ? [] : nil
            }
            if let batch { return batch }
            if Task.isCancelled { return [] }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { s -> Bool in
                        if !s.items.isEmpty || s.finished { return true }
                        s.waiter = c
                        return false
                    }
                    if ready { c.resume() }
                }
            } onCancel: {
                finish()
            }
        }
    }

    /// Wakes the taker for good (shutdown).
    public func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Flows offered so far, and how many of them were dropped for a full queue.
    public var counts: (received: Int, dropped: Int) {
        state.withLock { ($0.received, $0.dropped) }
    }

    public var depth: Int { state.withLock { $0.items.count } }
}
