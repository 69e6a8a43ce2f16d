import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// UTC timestamps formatted with `gmtime_r`: no Calendar, TimeZone or date formatter, whose
/// first use loads ICU data (milliseconds in a short-lived plugin process).
enum UTCTime {
    /// Broken-down UTC time of `date` and its nanoseconds.
    static func components(_ date: Date) -> (tm: tm, nanoseconds: Int) {
        let t = date.timeIntervalSince1970
        var seconds = t.rounded(.down)
        var nanos = Int(((t - seconds) * 1e9).rounded())
        if nanos >= 1_000_000_000 {
            seconds += 1
            nanos -= 1_000_000_000
        }
        var clock = time_t(seconds)
        var parts = tm()
        gmtime_r(&clock, &parts)
        return (parts, nanos)
    }

    static func pad(_ v: Int, _ n: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, n - s.count)) + s
    }

    /// `yyyy-MM-dd HH:mm:ss` (or with `T`) of broken-down time.
    static func dateTime(_ t: tm, separator: String) -> String {
        "\(pad(Int(t.tm_year) + 1900, 4))-\(pad(Int(t.tm_mon) + 1, 2))-\(pad(Int(t.tm_mday), 2))\(separator)"
            + "\(pad(Int(t.tm_hour), 2)):\(pad(Int(t.tm_min), 2)):\(pad(Int(t.tm_sec), 2))"
    }

    /// RFC 3339 in UTC to the second (`2006-01-02T15:04:05Z`), as `ISO8601DateFormatter`
    /// with `.withInternetDateTime` writes it (Kubernetes' `creationTimestamp`).
    static func rfc3339(_ date: Date) -> String {
        dateTime(components(date).tm, separator: "T") + "Z"
    }

    /// Go's `time.Time.String()` in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`.
    static func goString(_ date: Date) -> String {
        let (t, nanos) = components(date)
        var s = dateTime(t, separator: " ")
        var fraction = pad(nanos, 9)
        while fraction.hasSuffix("0") { fraction.removeLast() }
        if !fraction.isEmpty { s += "." + fraction }
        return s + " +0000 UTC"
    }
}
