/// The syntax tree of a parsed selector.
public indirect enum Expression: Hashable, Sendable {
    case all
    case global
    case has(String)
    case equal(String, String)
    case notEqual(String, String)
    case contains(String, String)
    case startsWith(String, String)
    case endsWith(String, String)
    /// Values are sorted and de-duplicated.
    case inSet(String, [String])
    case notInSet(String, [String])
    case not(Expression)
    case and([Expression])
    case or([Expression])

    /// Evaluates the expression against a set of labels. A missing label makes
    /// `==`, `in`, `contains`, `starts with`, `ends with` and `has` false and `!=` and
    /// `not in` true.
    public func evaluate<L: LabelSource>(_ labels: L) -> Bool {
        switch self {
        case .all, .global: return true
        case .has(let k): return labels.labelValue(k) != nil
        case let .equal(k, v):
            guard let x = labels.labelValue(k) else { return false }
            return Expression.same(x, v)
        case let .notEqual(k, v):
            guard let x = labels.labelValue(k) else { return true }
            return !Expression.same(x, v)
        case let .contains(k, v):
            guard let x = labels.labelValue(k) else { return false }
            return Expression.bytesContain(x, v)
        case let .startsWith(k, v):
            guard let x = labels.labelValue(k) else { return false }
            return x.utf8.starts(with: v.utf8)
        case let .endsWith(k, v):
            guard let x = labels.labelValue(k) else { return false }
            return x.utf8.count >= v.utf8.count && x.utf8.suffix(v.utf8.count).elementsEqual(v.utf8)
        case let .inSet(k, vs):
            guard let x = labels.labelValue(k) else { return false }
            return Expression.sortedContains(vs, x)
        case let .notInSet(k, vs):
            guard let x = labels.labelValue(k) else { return true }
            return !Expression.sortedContains(vs, x)
        case .not(let e): return !e.evaluate(labels)
        case .and(let es):
            for e in es where !e.evaluate(labels) { return false }
            return true
        case .or(let es):
            for e in es where e.evaluate(labels) { return true }
            return false
        }
    }

    /// Values compare as exact byte strings (as upstream's Go strings), not by Swift's
    /// Unicode canonical equivalence.
    @inline(__always) static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    /// Byte order, as Go sorts strings.
    @inline(__always) static func bytesLess(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Byte-wise substring test (an empty needle is always contained).
    static func bytesContain(_ haystack: String, _ needle: String) -> Bool {
        if needle.utf8.isEmpty { return true }
        if needle.utf8.count > haystack.utf8.count { return false }
        if let r = haystack.utf8.withContiguousStorageIfAvailable({ h in
            needle.utf8.withContiguousStorageIfAvailable { n in search(h, n) }
        }), let found = r {
            return found
        }
        return search(Array(haystack.utf8), Array(needle.utf8))
    }

    static func search<H: RandomAccessCollection<UInt8>, N: RandomAccessCollection<UInt8>>(_ h: H, _ n: N) -> Bool
    where H.Index == Int, N.Index == Int {
        let hc = h.count, nc = n.count
        guard nc <= hc else { return false }
        let first = n[n.startIndex]
        var i = h.startIndex
        while i <= h.startIndex + hc - nc {
            if h[i] == first {
                var j = 1
                while j < nc, h[i + j] == n[n.startIndex + j] { j += 1 }
                if j == nc { return true }
            }
            i += 1
        }
        return false
    }

    /// Sorts by bytes and drops byte-identical duplicates (the form set literals are kept in).
    static func sortedUnique(_ values: [String]) -> [String] {
        var out: [String] = []
        for v in values.sorted(by: bytesLess) where !(out.last.map { same($0, v) } ?? false) {
            out.append(v)
        }
        return out
    }

    /// `values` is in `sortedUnique` order.
    static func sortedContains(_ values: [String], _ x: String) -> Bool {
        if values.count < 8 { return values.contains { same($0, x) } }
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if bytesLess(values[mid], x) { lo = mid + 1 } else { hi = mid }
        }
        return lo < values.count && same(values[lo], x)
    }

    /// Every label key the expression reads.
    public var labelKeys: Set<String> {
        var keys = Set<String>()
        collectKeys(into: &keys)
        return keys
    }

    private func collectKeys(into keys: inout Set<String>) {
        switch self {
        case .all, .global: break
        case .has(let k), .equal(let k, _), .notEqual(let k, _), .contains(let k, _), .startsWith(let k, _),
             .endsWith(let k, _), .inSet(let k, _), .notInSet(let k, _):
            keys.insert(k)
        case .not(let e): e.collectKeys(into: &keys)
        case .and(let es), .or(let es): for e in es { e.collectKeys(into: &keys) }
        }
    }

    /// Whether `global()` appears anywhere in the expression.
    public var containsGlobal: Bool {
        switch self {
        case .global: return true
        case .not(let e): return e.containsGlobal
        case .and(let es), .or(let es): return es.contains { $0.containsGlobal }
        default: return false
        }
    }
}

/// Anything that can answer "what is the value of label k?".
public protocol LabelSource {
    func labelValue(_ key: String) -> String?
}

extension Dictionary: LabelSource where Key == String, Value == String {
    @inlinable public func labelValue(_ key: String) -> String? { self[key] }
}

/// A string compared byte-wise, for dictionary keys: Swift's `String ==` (and so
/// `Dictionary<String, _>`) merges canonically equivalent Unicode texts, selectors do not.
struct ExactString: Hashable, Sendable {
    let text: String
    init(_ text: String) { self.text = text }
    static func == (a: ExactString, b: ExactString) -> Bool { Expression.same(a.text, b.text) }
    func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
