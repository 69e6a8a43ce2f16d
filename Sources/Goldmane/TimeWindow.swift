/// A query's time range as Goldmane reads it (pure): `gte` 0 is the oldest retained data (for
/// a stream: now), > 0 absolute unix seconds, < 0 relative to now; `lt` 0 is now, > 0
/// absolute, < 0 relative. The range must not be empty.
public struct TimeWindow: Sendable, Equatable {
    public var gte: Int64
    public var lt: Int64

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public static func resolve(gte: Int64, lt: Int64, now: Int64, oldest: Int64) throws(Invalid) -> TimeWindow {
        let start = gte == 0 ? oldest : (gte > 0 ? gte : now + gte)
        let end = lt == 0 ? now : (lt > 0 ? lt : now + lt)
        guard start < end else { throw Invalid(description: "startTimeGt (\(start)) must be less than startTimeLt (\(end))") }
        return TimeWindow(gte: start, lt: end)
    }

    /// Whether a window `[start, end)` lies inside the range.
    public func contains(start: Int64, end: Int64) -> Bool { start >= gte && end <= lt }
}

/// Paging as Goldmane does it: `page` 0-based, `size` 0 = everything in one page; total pages
/// ceil(total/size), 1 for everything in one page, 0 with no results. Upstream's quirk on its
/// time-sorted path: a page past the end has zeroed totals (`zeroPastEnd`).
public enum Paging {
    public static func page<T>(_ items: [T], page: Int64, size: Int64, zeroPastEnd: Bool = false) -> (items: [T], totalPages: Int64, totalResults: Int64) {
        let total = Int64(items.count)
        guard total > 0 else { return ([], 0, 0) }
        guard size > 0 else { return (items, 1, total) }
        let pages = (total + size - 1) / size
        let from = page * size
        guard page >= 0, from < total else { return zeroPastEnd ? ([], 0, 0) : ([], pages, total) }
        return (Array(items[Int(from)..<Int(min(from + size, total))]), pages, total)
    }
}
