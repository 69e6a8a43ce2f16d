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
        case let .equal(k, v): return labels.labelValue(k) == v
        case let .notEqual(k, v): return labels.labelValue(k) != v
        case let .contains(k, v):
            guard let x = labels.labelValue(k) else { return false }
            return v.isEmpty || x.contains(v)
        case let .startsWith(k, v): return labels.labelValue(k)?.hasPrefix(v) ?? false
        case let .endsWith(k, v): return labels.labelValue(k)?.hasSuffix(v) ?? false
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

    static func sortedContains(_ values: [String], _ x: String) -> Bool {
        if values.count < 8 { return values.contains(x) }
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < values.count && values[lo] == x
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
