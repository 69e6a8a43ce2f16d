import CalicoAPI
import Foundation

extension GoTemplate {
    // MARK: Lexer

    struct Lexer {
        let source: [UInt8]
        let name: String

        func fail(_ offset: Int, _ message: String) -> Failure {
            let p = GoTemplate.position(offset, in: source)
            return Failure(name: name, line: p.line, column: p.column, message: message, context: nil)
        }

        static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        static func isAlnum(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80
        }
        static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

        func has(_ s: String, at i: Int) -> Bool {
            let b = Array(s.utf8)
            guard i + b.count <= source.count else { return false }
            return Array(source[i..<(i + b.count)]) == b
        }

        func text(_ range: Range<Int>) -> String { String(decoding: source[range], as: UTF8.self) }

        func items() throws -> [Item] {
            var items: [Item] = []
            var i = 0
            let n = source.count
            var trimNext = false
            while i <= n {
                var open = i
                while open + 1 < n && !(source[open] == 0x7B && source[open + 1] == 0x7B) { open += 1 }
                let found = open + 1 < n
                var textEnd = found ? open : n
                var textStart = i
                if trimNext {
                    while textStart < textEnd && Self.isSpace(source[textStart]) { textStart += 1 }
                    trimNext = false
                }
                guard found else {
                    if textStart < textEnd { items.append(.text(text(textStart..<textEnd))) }
                    break
                }
                var j = open + 2
                if j + 1 < n && source[j] == 0x2D && Self.isSpace(source[j + 1]) {
                    while textEnd > textStart && Self.isSpace(source[textEnd - 1]) { textEnd -= 1 }
                    j += 2
                }
                if textStart < textEnd { items.append(.text(text(textStart..<textEnd))) }
                // A comment: {{/* … */}}
                var k = j
                while k < n && Self.isSpace(source[k]) { k += 1 }
                if has("/*", at: k) {
                    var close = k + 2
                    while close + 1 < n && !(source[close] == 0x2A && source[close + 1] == 0x2F) { close += 1 }
                    guard close + 1 < n else { throw fail(open, "unclosed comment") }
                    var after = close + 2
                    if has(" -}}", at: after) || has("\t-}}", at: after) || has("\n-}}", at: after) || has("\r-}}", at: after) {
                        trimNext = true
                        after += 4
                    } else if has("}}", at: after) {
                        after += 2
                    } else {
                        throw fail(close, "comment ends before closing delimiter")
                    }
                    i = after
                    continue
                }
                let (tokens, end, trim) = try lexAction(from: j, open: open)
                items.append(.action(tokens, start: open, end: end))
                trimNext = trim
                i = end
            }
            return items
        }

        /// Lexes the inside of an action; returns its tokens, the offset after `}}` and whether
        /// a right trim marker was present.
        func lexAction(from start: Int, open: Int) throws -> ([Token], Int, Bool) {
            var tokens: [Token] = []
            var i = start
            let n = source.count
            var space = false
            var parenDepth = 0
            while true {
                guard i < n else { throw fail(open, "unclosed action") }
                let c = source[i]
                if has("}}", at: i) {
                    if parenDepth > 0 { throw fail(i, "unclosed left paren") }
                    return (tokens, i + 2, false)
                }
                if Self.isSpace(c) {
                    if has("-}}", at: i + 1) {
                        if parenDepth > 0 { throw fail(i, "unclosed left paren") }
                        return (tokens, i + 4, true)
                    }
                    i += 1
                    space = true
                    continue
                }
                let tokStart = i
                var kind: TokenKind
                switch c {
                case 0x7C: kind = .pipe; i += 1
                case 0x28: kind = .leftParen; parenDepth += 1; i += 1
                case 0x29:
                    guard parenDepth > 0 else { throw fail(i, "unexpected right paren") }
                    parenDepth -= 1
                    kind = .rightParen; i += 1
                case 0x2C: kind = .comma; i += 1
                case 0x3A:
                    guard i + 1 < n, source[i + 1] == 0x3D else { throw fail(i, "expected :=") }
                    kind = .declare; i += 2
                case 0x3D: kind = .assign; i += 1
                case 0x22:
                    let (s, e) = try lexQuoted(from: i)
                    kind = .string(s); i = e
                case 0x60:
                    var e = i + 1
                    while e < n && source[e] != 0x60 { e += 1 }
                    guard e < n else { throw fail(i, "unterminated raw quoted string") }
                    kind = .string(text((i + 1)..<e)); i = e + 1
                case 0x27:
                    let (v, e) = try lexChar(from: i)
                    kind = .char(v); i = e
                case 0x24:
                    var e = i + 1
                    while e < n && Self.isAlnum(source[e]) { e += 1 }
                    kind = .variable(text(i..<e)); i = e
                case 0x2E:
                    if i + 1 < n && Self.isDigit(source[i + 1]) {
                        let e = scanNumber(from: i)
                        kind = .number(text(i..<e)); i = e
                    } else if i + 1 < n && Self.isAlnum(source[i + 1]) {
                        var e = i + 1
                        while e < n && Self.isAlnum(source[e]) { e += 1 }
                        kind = .field(text((i + 1)..<e)); i = e
                    } else {
                        kind = .dot; i += 1
                    }
                default:
                    if Self.isDigit(c) || ((c == 0x2D || c == 0x2B) && i + 1 < n && (Self.isDigit(source[i + 1]) || source[i + 1] == 0x2E)) {
                        let e = scanNumber(from: i)
                        kind = .number(text(i..<e)); i = e
                    } else if Self.isAlnum(c) {
                        var e = i
                        while e < n && Self.isAlnum(source[e]) { e += 1 }
                        let word = text(i..<e)
                        switch word {
                        case "true": kind = .bool(true)
                        case "false": kind = .bool(false)
                        case "nil": kind = .null
                        default: kind = .identifier(word)
                        }
                        i = e
                    } else {
                        let scalar = String(decoding: source[i..<min(i + 4, n)], as: UTF8.self).unicodeScalars.first ?? "?"
                        let hex = String(scalar.value, radix: 16, uppercase: true)
                        let code = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                        throw fail(i, "unrecognized character in action: U+\(code) '\(Character(scalar))'")
                    }
                }
                tokens.append(Token(kind: kind, start: tokStart, end: i, spaceBefore: space))
                space = false
            }
        }

        func scanNumber(from start: Int) -> Int {
            var i = start
            let n = source.count
            if source[i] == 0x2D || source[i] == 0x2B { i += 1 }
            while i < n {
                let c = source[i]
                if Self.isAlnum(c) || c == 0x2E {
                    i += 1
                } else if (c == 0x2D || c == 0x2B), i > start, [0x65, 0x45, 0x70, 0x50].contains(source[i - 1]) {
                    i += 1
                } else {
                    break
                }
            }
            return i
        }

        func lexQuoted(from start: Int) throws -> (String, Int) {
            var bytes: [UInt8] = []
            var i = start + 1
            let n = source.count
            while true {
                guard i < n, source[i] != 0x0A else { throw fail(start, "unterminated quoted string") }
                let c = source[i]
                if c == 0x22 { return (String(decoding: bytes, as: UTF8.self), i + 1) }
                if c == 0x5C {
                    guard i + 1 < n else { throw fail(start, "unterminated quoted string") }
                    let (decoded, next) = try unescape(at: i + 1, quote: 0x22)
                    bytes += decoded
                    i = next
                    continue
                }
                bytes.append(c)
                i += 1
            }
        }

        func lexChar(from start: Int) throws -> (Int, Int) {
            let n = source.count
            var i = start + 1
            guard i < n, source[i] != 0x27, source[i] != 0x0A else { throw fail(start, "unterminated character constant") }
            var bytes: [UInt8]
            if source[i] == 0x5C {
                guard i + 1 < n else { throw fail(start, "unterminated character constant") }
                let (decoded, next) = try unescape(at: i + 1, quote: 0x27)
                bytes = decoded
                i = next
            } else {
                var e = i + 1
                while e < n && source[e] & 0xC0 == 0x80 { e += 1 }
                bytes = Array(source[i..<e])
                i = e
            }
            guard i < n, source[i] == 0x27 else { throw fail(start, "unterminated character constant") }
            let scalar = String(decoding: bytes, as: UTF8.self).unicodeScalars.first?.value ?? 0
            return (Int(scalar), i + 1)
        }

        /// Decodes the escape after a backslash at `i`; returns its UTF-8 bytes and the next offset.
        func unescape(at i: Int, quote: UInt8) throws -> ([UInt8], Int) {
            guard i < source.count else { throw fail(i, "invalid syntax in escape") }
            let c = source[i]
            switch c {
            case 0x6E: return ([0x0A], i + 1)
            case 0x74: return ([0x09], i + 1)
            case 0x72: return ([0x0D], i + 1)
            case 0x61: return ([0x07], i + 1)
            case 0x62: return ([0x08], i + 1)
            case 0x66: return ([0x0C], i + 1)
            case 0x76: return ([0x0B], i + 1)
            case 0x5C: return ([0x5C], i + 1)
            case let q where q == quote: return ([quote], i + 1)
            case 0x78, 0x75, 0x55:
                let count = c == 0x78 ? 2 : (c == 0x75 ? 4 : 8)
                guard i + count < source.count, let v = UInt32(text((i + 1)..<(i + 1 + count)), radix: 16) else {
                    throw fail(i, "invalid syntax in escape")
                }
                if c == 0x78 { return ([UInt8(v)], i + 1 + count) }
                guard let scalar = Unicode.Scalar(v) else { throw fail(i, "invalid syntax in escape") }
                return (Array(String(Character(scalar)).utf8), i + 1 + count)
            case 0x30...0x37:
                guard i + 2 < source.count, let v = UInt8(text(i..<(i + 3)), radix: 8) else {
                    throw fail(i, "invalid syntax in escape")
                }
                return ([v], i + 3)
            default:
                throw fail(i, "invalid syntax in escape")
            }
        }
    }

}
