/// A position in a source document (1-based line and column).
public struct SourceMark: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "line \(line), column \(column)" }
}

/// A parsed YAML/JSON value with the information strict decoding needs:
/// whether a scalar was quoted (a quoted `"6"` is a string, a plain `6` a number)
/// and where it came from, so errors can point at it.
public indirect enum Value: Sendable, Equatable {
    /// A scalar as written; `plain` is false for quoted/literal scalars (always strings).
    case scalar(String, plain: Bool, mark: SourceMark?)
    case sequence([Value], mark: SourceMark?)
    /// A mapping in source order (duplicate keys are refused when reading).
    case mapping([(key: String, value: Value)], mark: SourceMark?)

    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case let (.scalar(a, pa, _), .scalar(b, pb, _)): return a == b && pa == pb
        case let (.sequence(a, _), .sequence(b, _)): return a == b
        case let (.mapping(a, _), .mapping(b, _)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public var mark: SourceMark? {
        switch self {
        case .scalar(_, _, let m), .sequence(_, let m), .mapping(_, let m): return m
        }
    }

    /// `null`, `~` or an empty plain scalar.
    public var isNull: Bool {
        if case let .scalar(s, true, _) = self { return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }
        return false
    }

    /// A scalar's text (nil for sequences and mappings).
    public var scalarText: String? {
        if case let .scalar(s, _, _) = self { return s }
        return nil
    }

    /// Looks up a key of a mapping.
    public subscript(key: String) -> Value? {
        if case let .mapping(pairs, _) = self { return pairs.first { $0.key == key }?.value }
        return nil
    }

    /// A struct field of this mapping as Go's JSON decoder finds it: the exact key, else the
    /// last key equal to it but for case.
    public func field(_ name: String) -> Value? {
        guard case let .mapping(pairs, _) = self else { return nil }
        return pairs.first { $0.key == name }?.value ?? pairs.last { TreeDecoder.equalFold($0.key, name) }?.value
    }

    /// A short name of the value's shape for error messages.
    public var shapeName: String {
        switch self {
        case .scalar(let s, let plain, _):
            if isNull { return "null" }
            if !plain { return "string" }
            if Value.plainBool(s) != nil { return "bool" }
            if Int64(s) != nil { return "number" }
            if Value.plainDouble(s) != nil { return "number" }
            return "string"
        case .sequence: return "array"
        case .mapping: return "object"
        }
    }

    /// YAML 1.1 boolean words, as go-yaml v2 (used by calicoctl) resolves them.
    static func plainBool(_ s: String) -> Bool? {
        switch s {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N": return false
        default: return nil
        }
    }

    /// A plain scalar's number, when it is written as one (decimal forms and `.inf`, `.nan`).
    public static func plainDouble(_ s: String) -> Double? {
        switch s {
        case ".inf", ".Inf", ".INF", "+.inf": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // Only decimal forms are YAML/JSON numbers: Swift's parser would also take `-inf`,
        // `nan` or hex floats, which YAML reads as strings.
        var digits = false
        for u in s.utf8 {
            switch u {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits = true
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"): break
            default: return nil
            }
        }
        return digits ? Double(s) : nil
    }
}

extension Value: Codable {
    /// Any YAML/JSON value, kept as written (used for fields whose content Calico does not
    /// interpret, such as `metadata.ownerReferences`).
    public init(from decoder: any Decoder) throws {
        if let tree = decoder as? TreeDecoder {
            self = tree.value
            if case .mapping = tree.value { tree.readKeys = nil }
            return
        }
        let c = try decoder.singleValueContainer()
        self = .scalar(try c.decode(String.self), plain: false, mark: nil)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .scalar(let s, let plain, _):
            var c = encoder.singleValueContainer()
            if plain, let i = Int64(s) { try c.encode(i) }
            else if plain, isNull { try c.encodeNil() }
            else if plain, let b = Value.plainBool(s) { try c.encode(b) }
            else if plain, let d = Value.plainDouble(s), d.isFinite { try c.encode(d) }
            else { try c.encode(s) }
        case .sequence(let items, _):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .mapping(let pairs, _):
            var c = encoder.container(keyedBy: AnyKey.self)
            for pair in pairs { try c.encode(pair.value, forKey: AnyKey(pair.key)) }
        }
    }
}
