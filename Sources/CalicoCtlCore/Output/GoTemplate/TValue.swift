import CalicoAPI
import Foundation

/// A value during template execution.
enum TValue {
    /// Part of the data.
    case node(Value)
    case string(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
    case null
    /// An absent map entry (Go's invalid value): prints `<no value>`.
    case missing
}

extension TValue {
    /// The Go type name used in messages.
    var typeName: String {
        switch self {
        case .node(let v):
            switch v {
            case .scalar(let s, let plain, _):
                if !plain { return "string" }
                if v.isNull { return "<nil>" }
                if s == "true" || s == "false" { return "bool" }
                if Int64(s) != nil || Double(s) != nil { return "float64" }
                return "string"
            case .sequence: return "[]interface {}"
            case .mapping: return "map[string]interface {}"
            }
        case .string: return "string"
        case .int: return "int"
        case .float: return "float64"
        case .bool: return "bool"
        case .null, .missing: return "<nil>"
        }
    }

    /// Go's truth: false, 0, nil and empty values are false.
    var isStringType: Bool { typeName == "string" }

    var truth: Bool {
        switch self {
        case .node(let v):
            switch v {
            case .scalar(let s, let plain, _):
                if !plain { return !s.isEmpty }
                if v.isNull || s == "false" { return false }
                if let d = Double(s), d == 0 { return false }
                return !s.isEmpty
            case .sequence(let items, _): return !items.isEmpty
            case .mapping(let pairs, _): return !pairs.isEmpty
            }
        case .string(let s): return !s.isEmpty
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .bool(let b): return b
        case .null, .missing: return false
        }
    }

    /// `fmt.Sprint` of the value; `<no value>` for a missing one.
    var printed: String {
        switch self {
        case .missing: return "<no value>"
        default: return formatted
        }
    }

    /// `%v` formatting (as inside composite values).
    var formatted: String {
        switch self {
        case .node(let v): return Self.format(v)
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let d): return GoFormat.float(d)
        case .bool(let b): return b ? "true" : "false"
        case .null, .missing: return "<nil>"
        }
    }

    static func format(_ v: Value) -> String {
        switch v {
        case .scalar(let s, _, _): return v.isNull ? "<nil>" : s
        case .sequence(let items, _): return "[" + items.map(format).joined(separator: " ") + "]"
        case .mapping(let pairs, _):
            return "map[" + pairs.sorted { $0.key < $1.key }.map { "\($0.key):\(format($0.value))" }.joined(separator: " ") + "]"
        }
    }

    /// The value as a string, if it is one (or a scalar of the data).
    var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .node(let v):
            if case .scalar(let s, _, _) = v, !v.isNull { return s }
            return nil
        default: return nil
        }
    }

    var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .float(let d): return d.rounded() == d && abs(d) < 9e18 ? Int(d) : nil
        case .node(let v):
            if case .scalar(let s, true, _) = v {
                if let i = Int(s) { return i }
                if let d = Double(s), d.rounded() == d, abs(d) < 9e18 { return Int(d) }
            }
            return nil
        default: return nil
        }
    }

    var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .node(let v):
            if case .scalar(let s, true, _) = v, !v.isNull, s != "true", s != "false" { return Double(s) }
            return nil
        default: return nil
        }
    }

    var isInteger: Bool {
        switch self {
        case .int: return true
        case .node(let v):
            if case .scalar(let s, true, _) = v { return Int(s) != nil }
            return false
        default: return false
        }
    }

    var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .node(let v):
            if case .scalar(let s, true, _) = v, s == "true" || s == "false" { return s == "true" }
            return nil
        default: return nil
        }
    }

    /// For comparisons: a basic value, or nil for non-comparable ones.
    enum Basic {
        case none, bool(Bool), int(Int), float(Double), string(String)
    }

    var basic: Basic? {
        switch self {
        case .null, .missing: return Basic.none
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        case .node(let v):
            switch v {
            case .scalar(let s, let plain, _):
                if !plain { return .string(s) }
                if v.isNull { return Basic.none }
                if s == "true" || s == "false" { return .bool(s == "true") }
                if let i = Int(s) { return .int(i) }
                if let first = s.first, first.isNumber || first == "-" || first == "+" || first == ".", let d = Double(s) {
                    return .float(d)
                }
                return .string(s)
            default: return nil
            }
        }
    }
}
