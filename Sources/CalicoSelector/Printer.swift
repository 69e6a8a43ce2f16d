extension Expression {
    /// The canonical text of the expression (used as a stable ID): `&&`/`||` groups in
    /// parentheses, `!` glued to its operand, values double-quoted (single-quoted when they
    /// contain `"`), set members sorted and de-duplicated.
    public var canonical: String {
        var out = ""
        write(into: &out)
        return out
    }

    /// Looks for the quote byte, not the quote `Character`: a `"` followed by a combining
    /// mark is one Swift `Character` (`"\u{301}`), but the tokenizer ends a string at the byte.
    private static func quote(_ v: String) -> String {
        v.utf8.contains(UInt8(ascii: "\"")) ? "'\(v)'" : "\"\(v)\""
    }

    private func write(into out: inout String) {
        switch self {
        case .all: out += "all()"
        case .global: out += "global()"
        case .has(let k): out += "has(\(k))"
        case let .equal(k, v): out += "\(k) == \(Expression.quote(v))"
        case let .notEqual(k, v): out += "\(k) != \(Expression.quote(v))"
        case let .contains(k, v): out += "\(k) contains \(Expression.quote(v))"
        case let .startsWith(k, v): out += "\(k) starts with \(Expression.quote(v))"
        case let .endsWith(k, v): out += "\(k) ends with \(Expression.quote(v))"
        case let .inSet(k, vs): out += "\(k) in {\(vs.map(Expression.quote).joined(separator: ", "))}"
        case let .notInSet(k, vs): out += "\(k) not in {\(vs.map(Expression.quote).joined(separator: ", "))}"
        case .not(let e):
            out += "!"
            e.write(into: &out)
        case .and(let es):
            out += "("
            for (i, e) in es.enumerated() {
                if i > 0 { out += " && " }
                e.write(into: &out)
            }
            out += ")"
        case .or(let es):
            out += "("
            for (i, e) in es.enumerated() {
                if i > 0 { out += " || " }
                e.write(into: &out)
            }
            out += ")"
        }
    }
}
