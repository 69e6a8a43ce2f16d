import Foundation
/// Writes `Value` trees as YAML (block style, like calicoctl's `-o yaml`) or as JSON
/// (2-space indent, like `-o json`).
public enum Emitter {
    public static func yaml(_ value: Value) -> String {
        var out = ""
        writeYAML(value, indent: 0, into: &out, context: .top)
        if !out.hasSuffix("\n") { out += "\n" }
        return out
    }

    public static func json(_ value: Value, indent: Int = 2) -> String {
        var out = ""
        writeJSON(value, level: 0, indent: indent, into: &out)
        return out
    }

    // MARK: YAML

    private enum Context { case top, mappingValue, sequenceItem }

    private static func writeYAML(_ value: Value, indent: Int, into out: inout String, context: Context) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .scalar:
            if context == .mappingValue { out += " " }
            out += yamlScalar(value) + "\n"
        case .sequence(let items, _):
            if items.isEmpty {
                out += (context == .mappingValue ? " " : "") + "[]\n"
                return
            }
            if context == .mappingValue { out += "\n" }
            for (i, item) in items.enumerated() {
                if i > 0 || context != .sequenceItem { out += pad }
                out += "-"
                switch item {
                case .scalar:
                    out += " " + yamlScalar(item) + "\n"
                case .sequence(let inner, _) where !inner.isEmpty:
                    out += " "
                    writeYAML(item, indent: indent + 2, into: &out, context: .sequenceItem)
                case .mapping(let inner, _) where !inner.isEmpty:
                    out += " "
                    writeYAML(item, indent: indent + 2, into: &out, context: .sequenceItem)
                default:
                    out += " "
                    writeYAML(item, indent: indent + 2, into: &out, context: .sequenceItem)
                }
            }
        case .mapping(let pairs, _):
            if pairs.isEmpty {
                out += (context == .mappingValue ? " " : "") + "{}\n"
                return
            }
            if context == .mappingValue { out += "\n" }
            for (i, pair) in pairs.enumerated() {
                if i > 0 || context != .sequenceItem { out += pad }
                out += yamlKey(pair.key) + ":"
                // Sequences under a mapping key are written at the same indent, as Go's yaml does.
                let childIndent: Int
                if case .sequence = pair.value { childIndent = indent } else { childIndent = indent + 2 }
                writeYAML(pair.value, indent: childIndent, into: &out, context: .mappingValue)
            }
        }
    }

    private static func yamlKey(_ key: String) -> String {
        needsQuotes(key) ? jsonString(key) : key
    }

    private static func yamlScalar(_ value: Value) -> String {
        guard case let .scalar(s, plain, _) = value else { return "" }
        if plain { return s.isEmpty ? "null" : s }
        return needsQuotes(s) ? jsonString(s) : s
    }

    /// Whether a string must be quoted to read back as the same string.
    static func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty { return true }
        if Value.plainBool(s) != nil || Value.plainDouble(s) != nil || Int64(s) != nil { return true }
        switch s {
        case "~", "null", "Null", "NULL", "<<", "=": return true
        default: break
        }
        if s.hasPrefix("0x") || s.hasPrefix("0o") || s.hasPrefix("0b") { return true }
        let first = s.unicodeScalars.first!
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return true }
        if first == " " || s.unicodeScalars.last! == " " { return true }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return true }
        for u in s.unicodeScalars where u.value < 0x20 || u.value == 0x7f || (u.value >= 0x80 && u.value < 0xa0) || u.value == 0xfeff {
            return true
        }
        // YAML 1.1 numbers with `_` separators (`1_000`) and base-60 forms (`1:20`, `190:20:30.15`)
        // read as numbers; other digit strings (`192.20.30.40`, `10-1-0-0-16`) stay plain, as
        // go-yaml v2 prints them.
        guard "0123456789+-.".unicodeScalars.contains(first) else { return false }
        if s.contains("_") {
            let noSeparators = s.replacingOccurrences(of: "_", with: "")
            if Int64(noSeparators) != nil || Double(noSeparators) != nil { return true }
        }
        return s.contains(":") && isBase60Float(Array(s.utf8))
    }

    /// go-yaml v2's base-60 float, `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`, matched by
    /// hand (this runs for every digit-led scalar with a colon, e.g. each IPv6 address).
    static func isBase60Float(_ b: [UInt8]) -> Bool {
        func digit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, digit(b[i]) else { return false }
        while i < b.count, digit(b[i]) || b[i] == UInt8(ascii: "_") { i += 1 }
        var groups = 0
        while i < b.count, b[i] == UInt8(ascii: ":") {
            i += 1
            guard i < b.count, digit(b[i]) else { return false }
            if i + 1 < b.count, digit(b[i + 1]) {
                guard b[i] <= UInt8(ascii: "5") else { return false }
                i += 2
            } else {
                i += 1
            }
            groups += 1
        }
        guard groups > 0 else { return false }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, digit(b[i]) || b[i] == UInt8(ascii: "_") { i += 1 }
        }
        return i == b.count
    }

    // MARK: JSON

    private static func writeJSON(_ value: Value, level: Int, indent: Int, into out: inout String) {
        let nl = indent > 0 ? "\n" : ""
        let pad = String(repeating: " ", count: indent * (level + 1))
        let closePad = String(repeating: " ", count: indent * level)
        switch value {
        case .scalar(let s, let plain, _):
            if plain {
                if value.isNull { out += "null" }
                else if let b = Value.plainBool(s), ["true", "false"].contains(s) { out += b ? "true" : "false" }
                else if Int64(s) != nil || UInt64(s) != nil { out += s }
                else if let d = Value.plainDouble(s), d.isFinite { out += s.hasPrefix("+") ? String(s.dropFirst()) : (s.hasPrefix(".") ? "0" + s : s) }
                else { out += jsonString(s) }
            } else {
                out += jsonString(s)
            }
        case .sequence(let items, _):
            if items.isEmpty { out += "[]"; return }
            out += "[" + nl
            for (i, item) in items.enumerated() {
                out += pad
                writeJSON(item, level: level + 1, indent: indent, into: &out)
                out += (i < items.count - 1 ? "," : "") + nl
            }
            out += closePad + "]"
        case .mapping(let pairs, _):
            if pairs.isEmpty { out += "{}"; return }
            out += "{" + nl
            for (i, pair) in pairs.enumerated() {
                out += pad + jsonString(pair.key) + (indent > 0 ? ": " : ":")
                writeJSON(pair.value, level: level + 1, indent: indent, into: &out)
                out += (i < pairs.count - 1 ? "," : "") + nl
            }
            out += closePad + "}"
        }
    }

    /// A JSON string literal (also a valid YAML double-quoted scalar).
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
