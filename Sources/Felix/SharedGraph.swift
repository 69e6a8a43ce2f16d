import FelixCalc
import Foundation

/// A calculation graph shared between the syncer (which feeds it events) and the dataplane
/// loop (which flushes it when it is ready to apply): every event that arrives while the
/// dataplane is busy is coalesced into its next flush.
public final class SharedGraph: @unchecked Sendable {
    private let lock = NSLock()
    private let graph: CalcGraph
    /// The datastore revision the graph has taken in (set by the syncer and read by the
    /// dataplane loop, both inside `withGraph`, so a flush is paired with its revision).
    public var revision: Int64 = 0

    public init(_ graph: CalcGraph) { self.graph = graph }

    public func withGraph<T>(_ body: (CalcGraph) throws -> T) rethrows -> T {
        try lock.withLock { try body(graph) }
    }

    /// The updates since the last flush.
    public func flush() -> [DataplaneUpdate] { withGraph { $0.flush() } }
}
