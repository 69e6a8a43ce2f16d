import Foundation

/// Blocking work (an `ip` run) started on a thread of its own at once, its outcome collected
/// later with `wait()`, which must be called before the caller returns.
final class BackgroundWork: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<Void, any Error> = .success(())

    init(_ work: @escaping @Sendable () throws -> Void) {
        Thread.detachNewThread { [self] in
            outcome = Result { try work() }
            done.signal()
        }
    }

    /// Waits for the work to end; its error, if any, in the result.
    func wait() -> Result<Void, any Error> {
        done.wait()
        done.signal()
        return outcome
    }
}
