/// A lexical token of the selector language.
enum Token: Equatable, Sendable {
    case label(String)
    case string(String)
    case has(String)
    case all
    case global
    case equal, notEqual
    case contains, startsWith, endsWith
    case inSet, notInSet
    case not, and, or
    case lparen, rparen, lbrace, rbrace, comma
    case end
}

struct PositionedToken: Sendable {
    var token: Token
    /// 1-based column of the token's first character.
    var column: Int
}

/// Splits a selector into tokens. Operates on UTF-8 bytes; labels are ASCII.
struct Tokenizer {
    static let maxLabelLength = 512

    static func isLabelByte(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 || c == 46 || c == 47 || c == 45
    }

    static func tokenize(_ text: String) throws(SelectorError) -> [PositionedToken] {
        let bytes = Array(text.utf8)
        var tokens: [PositionedToken] = []
        var i = 0
        let n = bytes.count

        func error(_ message: String, at pos: Int) -> SelectorError {
            SelectorError(message: message, column: pos + 1, selector: text)
        }
        func skipSpaces(_ j: inout Int) {
            while j < n, bytes[j] == 32 || bytes[j] == 9 { j += 1 }
        }
        func matchWord(_ word: String, at j: Int) -> Bool {
            let w = Array(word.utf8)
            guard j + w.count <= n else { return false }
            for k in 0..<w.count where bytes[j + k] != w[k] { return false }
            return true
        }
        /// A keyword must end at a non-label character (or the end).
        func endsWord(_ j: Int) -> Bool { j >= n || !isLabelByte(bytes[j]) }
        func readLabel(_ j: inout Int) -> String? {
            let start = j
            while j < n, isLabelByte(bytes[j]) { j += 1 }
            guard j > start else { return nil }
            return String(decoding: bytes[start..<j], as: UTF8.self)
        }

        while true {
            skipSpaces(&i)
            if i >= n { break }
            let start = i
            let c = bytes[i]
            let previousIsLabel: Bool
            if case .label? = tokens.last?.token { previousIsLabel = true } else { previousIsLabel = false }

            func push(_ t: Token, _ length: Int) {
                tokens.append(PositionedToken(token: t, column: start + 1))
                i = start + length
            }

            switch c {
            case UInt8(ascii: "("): push(.lparen, 1); continue
            case UInt8(ascii: ")"): push(.rparen, 1); continue
            case UInt8(ascii: "{"): push(.lbrace, 1); continue
            case UInt8(ascii: "}"): push(.rbrace, 1); continue
            case UInt8(ascii: ","): push(.comma, 1); continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                var j = i + 1
                while j < n, bytes[j] != c { j += 1 }
                guard j < n else { throw error("unterminated string literal", at: start) }
                let s = String(decoding: bytes[(i + 1)..<j], as: UTF8.self)
                push(.string(s), j - i + 1)
                continue
            case UInt8(ascii: "="):
                guard i + 1 < n, bytes[i + 1] == UInt8(ascii: "=") else { throw error("expected '==', found single '='", at: start) }
                push(.equal, 2); continue
            case UInt8(ascii: "!"):
                if i + 1 < n, bytes[i + 1] == UInt8(ascii: "=") { push(.notEqual, 2) } else { push(.not, 1) }
                continue
            case UInt8(ascii: "&"):
                guard i + 1 < n, bytes[i + 1] == UInt8(ascii: "&") else { throw error("expected '&&', found single '&'", at: start) }
                push(.and, 2); continue
            case UInt8(ascii: "|"):
                guard i + 1 < n, bytes[i + 1] == UInt8(ascii: "|") else { throw error("expected '||', found single '|'", at: start) }
                push(.or, 2); continue
            default:
                break
            }

            if previousIsLabel {
                // Operators that follow a label.
                if matchWord("in", at: i), endsWord(i + 2) { push(.inSet, 2); continue }
                if matchWord("notin", at: i), endsWord(i + 5) { push(.notInSet, 5); continue }
                if matchWord("contains", at: i), endsWord(i + 8) { push(.contains, 8); continue }
                if matchWord("startswith", at: i), endsWord(i + 10) { push(.startsWith, 10); continue }
                if matchWord("endswith", at: i), endsWord(i + 8) { push(.endsWith, 8); continue }
                for (first, second, token) in [("not", "in", Token.notInSet), ("starts", "with", .startsWith), ("ends", "with", .endsWith)] {
                    let fl = first.utf8.count
                    guard matchWord(first, at: i), i + fl < n, bytes[i + fl] == 32 || bytes[i + fl] == 9 else { continue }
                    var j = i + fl
                    skipSpaces(&j)
                    if matchWord(second, at: j), endsWord(j + second.utf8.count) {
                        push(token, j + second.utf8.count - start)
                        break
                    }
                }
                if i != start { continue }
            }

            // Functions: has(label), all(), global().
            if matchWord("has(", at: i) {
                var j = i + 4
                skipSpaces(&j)
                let labelStart = j
                guard let label = readLabel(&j) else { throw error("expected a label inside has()", at: labelStart) }
                if label.utf8.count > maxLabelLength { throw error("label longer than \(maxLabelLength) characters", at: labelStart) }
                skipSpaces(&j)
                guard j < n, bytes[j] == UInt8(ascii: ")") else { throw error("expected ')' to close has(", at: j) }
                push(.has(label), j + 1 - start)
                continue
            }
            if matchWord("all(", at: i) || matchWord("global(", at: i) {
                let isAll = bytes[i] == UInt8(ascii: "a")
                var j = i + (isAll ? 4 : 7)
                skipSpaces(&j)
                guard j < n, bytes[j] == UInt8(ascii: ")") else {
                    throw error("expected ')' after \(isAll ? "all(" : "global(")", at: j)
                }
                push(isAll ? .all : .global, j + 1 - start)
                continue
            }

            var j = i
            if let label = readLabel(&j) {
                if label.utf8.count > maxLabelLength { throw error("label longer than \(maxLabelLength) characters", at: start) }
                push(.label(label), j - start)
                continue
            }
            if c == 10 || c == 13 || c == 11 || c == 12 {
                throw error("unexpected whitespace character (only spaces and tabs are allowed)", at: start)
            }
            throw error("unexpected character '\(String(decoding: [c], as: UTF8.self))'", at: start)
        }
        tokens.append(PositionedToken(token: .end, column: n + 1))
        return tokens
    }
}
