import CalicoAPI
import CalicoSelector

/// The field formats of Calico's validator vocabulary, as pure predicates.
public enum Formats {
    static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
    static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (c >= 65 && c <= 90) }

    /// DNS-1123 label `[a-z0-9]([-a-z0-9]*[a-z0-9])?` (length checked separately).
    public static func isDNSLabel(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, let last = b.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == 45 }
    }

    /// DNS-1123 subdomain: dot-separated labels.
    public static func isDNSSubdomain(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNSLabel)
    }

    /// The `name` tag: DNS-1123 subdomain, 1–253 characters.
    public static func isName(_ s: String) -> Bool { s.utf8.count <= 253 && isDNSSubdomain(s) }

    /// Kubernetes qualified name: `[prefix/]name`.
    public static func qualifiedNameProblem(_ s: String) -> String? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "a qualified name must consist of an optional DNS subdomain prefix and a name, separated by a single '/'" }
        let name = parts.count == 2 ? parts[1] : parts[0]
        if parts.count == 2 {
            let prefix = String(parts[0])
            if prefix.isEmpty { return "prefix part must be non-empty" }
            if prefix.utf8.count > 253 || !isDNSSubdomain(prefix) {
                return "prefix part must be a lowercase DNS-1123 subdomain of at most 253 characters"
            }
        }
        if name.isEmpty { return "name part must be non-empty" }
        if name.utf8.count > 63 { return "name part must be no more than 63 characters" }
        if !isLabelValueShape(name) {
            return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        }
        return nil
    }

    /// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
    static func isLabelValueShape(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, let last = b.last, isAlnum(first), isAlnum(last) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }

    public static func labelValueProblem(_ s: String) -> String? {
        if s.isEmpty { return nil }
        if s.utf8.count > 63 { return "label value must be no more than 63 characters" }
        if !isLabelValueShape(Substring(s)) {
            return "label value must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        }
        return nil
    }

    /// The `interface` tag: `*` or `[a-zA-Z0-9_.-]{1,15}`.
    public static func isInterface(_ s: String) -> Bool {
        s == "*" || (1...15).contains(s.utf8.count) && s.utf8.allSatisfy { isAlnum($0) || $0 == 95 || $0 == 46 || $0 == 45 }
    }

    /// `ignoredInterface`: `[a-zA-Z0-9_.*-]{1,15}` but not exactly `*`.
    public static func isIgnoredInterface(_ s: String) -> Bool {
        s != "*" && (1...15).contains(s.utf8.count) && s.utf8.allSatisfy { isAlnum($0) || $0 == 95 || $0 == 46 || $0 == 45 || $0 == 42 }
    }

    /// `bgpFilterInterface`: `*` or `[a-zA-Z0-9_.*-]{1,15}`.
    public static func isBGPFilterInterface(_ s: String) -> Bool {
        s == "*" || ((1...15).contains(s.utf8.count) && s.utf8.allSatisfy { isAlnum($0) || $0 == 95 || $0 == 46 || $0 == 45 || $0 == 42 })
    }

    /// `ifaceFilter`: `[a-zA-Z0-9:._+-]{1,15}`.
    public static func isInterfaceFilter(_ s: String) -> Bool {
        (1...15).contains(s.utf8.count) && s.utf8.allSatisfy { isAlnum($0) || $0 == 58 || $0 == 46 || $0 == 95 || $0 == 43 || $0 == 45 }
    }

    /// `prometheusHost`: `[a-zA-Z0-9:._+-]{1,64}`.
    public static func isPrometheusHost(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count) && s.utf8.allSatisfy { isAlnum($0) || $0 == 58 || $0 == 46 || $0 == 95 || $0 == 43 || $0 == 45 }
    }

    /// `containerID`: `[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?`.
    public static func isContainerID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isAlnum(f), isAlnum(l) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == 45 }
    }

    /// Go `net.ParseMAC`: 6, 8 or 20 bytes as `xx:xx…`, `xx-xx…` or `xxxx.xxxx…`.
    public static func isMAC(_ s: String) -> Bool {
        func hexOK(_ p: Substring, _ len: Int) -> Bool { p.count == len && p.allSatisfy(\.isHexDigit) }
        for sep: Character in [":", "-"] where s.contains(sep) {
            let parts = s.split(separator: sep, omittingEmptySubsequences: false)
            return [6, 8, 20].contains(parts.count) && parts.allSatisfy { hexOK($0, 2) }
        }
        let dotted = s.split(separator: ".", omittingEmptySubsequences: false)
        return [3, 4, 10].contains(dotted.count) && dotted.allSatisfy { hexOK($0, 4) }
    }

    public static let logLevels: Set<String> = ["Trace", "Debug", "Info", "Warning", "Error", "Fatal"]

    /// `keyValueList`: comma list of `\w+=anything`; empty items allowed.
    public static func isKeyValueList(_ s: String) -> Bool {
        for item in s.split(separator: ",", omittingEmptySubsequences: false) {
            let t = item.trimmingSpaces
            if t.isEmpty { continue }
            guard let eq = t.firstIndex(of: "=") else { return false }
            let key = t[..<eq]
            guard !key.isEmpty, key.utf8.allSatisfy({ isAlnum($0) || $0 == 95 }) else { return false }
        }
        return true
    }

    /// Go duration text: `^([0-9]+(\.[0-9]+)?(ms|s|m|h))*$` (the CRD pattern), also
    /// accepting `us`/`µs`/`ns` and a leading sign as Go's parser does.
    public static func isDuration(_ s: String) -> Bool {
        var rest = Substring(s)
        if rest.hasPrefix("-") || rest.hasPrefix("+") { rest = rest.dropFirst() }
        if rest == "0" { return true }
        if rest.isEmpty { return s.isEmpty }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, Double(digits) != nil else { return false }
            rest = rest.dropFirst(digits.count)
            var matched = false
            for unit in ["ms", "us", "µs", "ns", "s", "m", "h"] where rest.hasPrefix(unit) {
                rest = rest.dropFirst(unit.count)
                matched = true
                break
            }
            if !matched { return false }
        }
        return true
    }

    /// Seconds in a Go duration (nil when it does not parse).
    public static func durationSeconds(_ s: String) -> Double? {
        guard isDuration(s) else { return nil }
        var rest = Substring(s)
        var sign = 1.0
        if rest.hasPrefix("-") { sign = -1; rest = rest.dropFirst() } else if rest.hasPrefix("+") { rest = rest.dropFirst() }
        if rest == "0" || rest.isEmpty { return 0 }
        var total = 0.0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            let v = Double(digits) ?? 0
            rest = rest.dropFirst(digits.count)
            for (unit, scale) in [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where rest.hasPrefix(unit) {
                total += v * scale
                rest = rest.dropFirst(unit.count)
                break
            }
        }
        return sign * total
    }

    /// A selector parse problem, or nil when it parses.
    public static func selectorProblem(_ s: String) -> SelectorError? {
        do {
            _ = try Selector.parse(s)
            return nil
        } catch {
            return error
        }
    }

    /// Checks a regular expression compiles (Go RE2 subset approximated by NSRegularExpression).
    public static func isRegex(_ s: String) -> Bool { RegexCheck.compiles(s) }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
