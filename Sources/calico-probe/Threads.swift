import Foundation

/// Runs `body` for every index in `0..<count`, each on a thread of its own, and returns the
/// results in index order.
func onThreads<Value: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> Value) -> [Value] {
    let results = ResultSlots<Value>(count: count)
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread.detachNewThread {
            results.set(index, body(index))
            group.leave()
        }
    }
    group.wait()
    return results.values.map { $0! }
}

/// Results written by several threads, one slot each.
private final class ResultSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.withLock { slots[index] = value }
    }

    var values: [Value?] { lock.withLock { slots } }
}
