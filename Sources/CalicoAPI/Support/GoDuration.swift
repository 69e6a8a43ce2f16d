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
