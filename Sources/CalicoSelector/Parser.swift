/// Recursive-descent parser for the selector grammar:
/// `or := and ("||" and)*`, `and := unary ("&&" unary)*`, `unary := "!"* atom`.
struct Parser {
    static let maxDepth = 100
    var tokens: [PositionedToken]
    var position = 0
    let text: String
    var depth = 0

    init(tokens: [PositionedToken], text: String) {
        self.tokens = tokens
        self.text = text
    }

    static func parse(_ text: String) throws(SelectorError) -> Expression {
        let tokens = try Tokenizer.tokenize(text)
        if tokens.count == 1 { return .all }
        var parser = Parser(tokens: tokens, text: text)
        let expr = try parser.parseOr()
        guard case .end = parser.current.token else {
            throw parser.error("unexpected \(parser.describe(parser.current.token)) after end of expression")
        }
        return expr
    }

    var current: PositionedToken { tokens[position] }

    func error(_ message: String) -> SelectorError {
        SelectorError(message: message, column: current.column, selector: text)
    }

    func describe(_ t: Token) -> String {
        switch t {
        case .label(let l): return "label '\(l)'"
        case .string(let s): return "string \"\(s)\""
        case .has: return "has()"
        case .all: return "all()"
        case .global: return "global()"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .contains: return "'contains'"
        case .startsWith: return "'starts with'"
        case .endsWith: return "'ends with'"
        case .inSet: return "'in'"
        case .notInSet: return "'not in'"
        case .not: return "'!'"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .lbrace: return "'{'"
        case .rbrace: return "'}'"
        case .comma: return "','"
        case .end: return "end of selector"
        }
    }

    mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    mutating func parseOr() throws(SelectorError) -> Expression {
        var operands = [try parseAnd()]
        while case .or = current.token {
            advance()
            operands.append(try parseAnd())
        }
        return operands.count == 1 ? operands[0] : .or(operands)
    }

    mutating func parseAnd() throws(SelectorError) -> Expression {
        var operands = [try parseUnary()]
        while case .and = current.token {
            advance()
            operands.append(try parseUnary())
        }
        return operands.count == 1 ? operands[0] : .and(operands)
    }

    mutating func parseUnary() throws(SelectorError) -> Expression {
        var negated = false
        while case .not = current.token {
            negated.toggle()
            advance()
        }
        let atom = try parseAtom()
        guard negated else { return atom }
        // `!(!x)` is `x`, as `!!x` is: the canonical text never holds two `!` in a row
        // (it would read back as `x`).
        if case .not(let inner) = atom { return inner }
        return .not(atom)
    }

    mutating func parseAtom() throws(SelectorError) -> Expression {
        let token = current.token
        switch token {
        case .has(let label):
            advance()
            return .has(label)
        case .all:
            advance()
            return .all
        case .global:
            advance()
            return .global
        case .lparen:
            depth += 1
            if depth > Parser.maxDepth { throw error("selector nested more than \(Parser.maxDepth) levels deep") }
            advance()
            if case .rparen = current.token { throw error("empty parentheses") }
            let inner = try parseOr()
            guard case .rparen = current.token else { throw error("expected ')', found \(describe(current.token))") }
            advance()
            depth -= 1
            return inner
        case .label(let label):
            advance()
            return try parseComparison(label)
        case .end:
            throw error("unexpected end of selector: expected an expression")
        default:
            throw error("unexpected \(describe(token)): expected a label, has(), all(), global(), '!' or '('")
        }
    }

    mutating func parseComparison(_ label: String) throws(SelectorError) -> Expression {
        let op = current.token
        switch op {
        case .equal, .notEqual, .contains, .startsWith, .endsWith:
            advance()
            guard case .string(let value) = current.token else {
                throw error("expected a quoted string after \(describe(op)), found \(describe(current.token))")
            }
            advance()
            switch op {
            case .equal: return .equal(label, value)
            case .notEqual: return .notEqual(label, value)
            case .contains: return .contains(label, value)
            case .startsWith: return .startsWith(label, value)
            default: return .endsWith(label, value)
            }
        case .inSet, .notInSet:
            advance()
            guard case .lbrace = current.token else {
                throw error("expected '{' after \(describe(op)), found \(describe(current.token))")
            }
            advance()
            var values: [String] = []
            while true {
                if case .rbrace = current.token { advance(); break }
                guard case .string(let value) = current.token else {
                    throw error("expected a quoted string or '}' in set, found \(describe(current.token))")
                }
                values.append(value)
                advance()
                if case .comma = current.token { advance(); continue }
                guard case .rbrace = current.token else {
                    throw error("expected ',' or '}' in set, found \(describe(current.token))")
                }
            }
            let set = Expression.sortedUnique(values)
            return op == .inSet ? .inSet(label, set) : .notInSet(label, set)
        default:
            throw error("expected an operator (==, !=, in, not in, contains, starts with, ends with) after label '\(label)', found \(describe(op))")
        }
    }
}
