#if canImport(Glibc)
import Glibc
#endif

/// A point in time (monotonic clock) by which a probe must have its answer.
struct Deadline: Sendable {
    private let end: Int64

    init(afterMilliseconds milliseconds: Int) {
        end = Deadline.nowMilliseconds() + Int64(milliseconds)
    }

    static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    var remainingMilliseconds: Int32 {
        Int32(clamping: max(0, end - Deadline.nowMilliseconds()))
    }

    /// Waits until `fd` reports one of `events` (or an error) and returns what it reported;
    /// nil when the deadline passes first.
    func wait(for fd: Int32, events: Int32) -> Int16? {
        while true {
            let left = remainingMilliseconds
            if left == 0 { return nil }
            var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
            let ready = poll(&entry, 1, left)
            if ready > 0 { return entry.revents }
            if ready < 0 && errno != EINTR { return nil }
        }
    }
}
