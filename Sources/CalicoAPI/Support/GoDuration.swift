/// Go's duration text as Calico's resources and FelixConfiguration write it: `90s`, `1m30s`,
/// `500ms`, `2h` (a bare number is seconds).
public enum GoDuration {
    /// The duration in seconds; nil when the text is not one.
    public static func seconds(_ text: String) -> Double? {
        if let n = Double(text) { return n }
        var total = 0.0, number = ""
        var chars = Array(text)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c.isNumber || c == "." { number.append(c); continue }
            var unit = String(c)
            if c == "m", chars.first == "s" { unit = "ms"; chars = chars.dropFirst() }
            guard let v = Double(number) else { return nil }
            switch unit {
            case "h": total += v * 3600
            case "m": total += v * 60
            case "s": total += v
            case "ms": total += v / 1000
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? total : nil
    }
}

extension GoDuration {
    /// The text Go's `time.Duration.String()` gives for `seconds`, as upstream writes every
    /// duration it stores: `2m5s`, `2h45m10s`, `1h0m0s`, `1.5s`, `500ms`, `0s`.
    public static func string(_ seconds: Double) -> String {
        var ns = Int64((seconds * 1e9).rounded())
        if ns == 0 { return "0s" }
        let sign = ns < 0 ? "-" : ""
        if ns < 0 { ns = ns == Int64.min ? Int64.max : -ns }
        func decimal(_ value: Int64, _ unit: Int64) -> String {
            let whole = value / unit, rest = value % unit
            guard rest != 0 else { return String(whole) }
            var digits = String(rest)
            digits = String(repeating: "0", count: String(unit).count - 1 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            return "\(whole).\(digits)"
        }
        if ns < 1_000_000_000 {
            if ns < 1_000 { return "\(sign)\(ns)ns" }
            if ns < 1_000_000 { return sign + decimal(ns, 1_000) + "µs" }
            return sign + decimal(ns, 1_000_000) + "ms"
        }
        let hours = ns / 3_600_000_000_000
        let minutes = (ns % 3_600_000_000_000) / 60_000_000_000
        let secs = decimal(ns % 60_000_000_000, 1_000_000_000) + "s"
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(secs)" }
        if minutes > 0 { return "\(sign)\(minutes)m\(secs)" }
        return sign + secs
    }

    /// `text` as Go would print the duration it reads (`125s` → `2m5s`); unchanged when it is
    /// not a duration.
    public static func normalized(_ text: String) -> String {
        guard !text.isEmpty, Double(text) == nil, let s = seconds(text) else { return text }
        return string(s)
    }
}
