import CalicoAPI
import Foundation

extension GoTemplate {
    // MARK: Parser

    struct Parser {
        let items: [Item]
        let source: [UInt8]
        let name: String
        var index = 0
        var rangeDepth = 0
        /// Control structures (an `else if` link counts) and parentheses around this point.
        var depth = 0
        /// Declared variable names, innermost last.
        var variables: [String] = ["$"]

        init(items: [Item], source: [UInt8], name: String) {
            self.items = items
            self.source = source
            self.name = name
        }

        func fail(_ offset: Int, _ message: String) -> Failure {
            let p = GoTemplate.position(offset, in: source)
            return Failure(name: name, line: p.line, column: p.column, message: message, context: nil)
        }

        enum Terminator {
            case end(Int)
            case elseClause([Token], Int)
        }

        mutating func parseTemplate() throws -> [Node] {
            let (nodes, term) = try parseList()
            switch term {
            case .none: return nodes
            case .end(let pos)?: throw fail(pos, "unexpected {{end}}")
            case .elseClause(_, let pos)?: throw fail(pos, "unexpected {{else}}")
            }
        }

        mutating func parseList() throws -> ([Node], Terminator?) {
            var nodes: [Node] = []
            while index < items.count {
                let item = items[index]
                index += 1
                switch item {
                case .text(let s):
                    nodes.append(.text(s))
                case .action(let tokens, let start, _):
                    guard let first = tokens.first else { throw fail(start, "missing value for command") }
                    if case .identifier(let word) = first.kind {
                        switch word {
                        case "end":
                            guard tokens.count == 1 else { throw fail(tokens[1].start, "unexpected \(describe(tokens[1])) in end") }
                            return (nodes, .end(start))
                        case "else":
                            return (nodes, .elseClause(Array(tokens.dropFirst()), start))
                        case "if", "range", "with":
                            nodes.append(try parseControl(word, Array(tokens.dropFirst()), start: start))
                            continue
                        case "break", "continue":
                            guard rangeDepth > 0 else { throw fail(start, "{{\(word)}} outside {{range}}") }
                            guard tokens.count == 1 else { throw fail(tokens[1].start, "unexpected \(describe(tokens[1])) in {{\(word)}}") }
                            nodes.append(word == "break" ? .breakNode : .continueNode)
                            continue
                        case "define", "template", "block":
                            throw fail(first.start, "{{\(word)}} is not supported")
                        default:
                            break
                        }
                    }
                    var cursor = Cursor(tokens: tokens, end: start)
                    let pipe = try parsePipeline(&cursor, context: "command", maxDeclarations: 1)
                    if let extra = cursor.peek { throw fail(extra.start, "unexpected \(describe(extra)) in command") }
                    nodes.append(.action(pipe))
                }
            }
            return (nodes, nil)
        }

        /// Runs `body` one nesting level deeper; beyond `maxNestingDepth` the template is refused
        /// (parser and executor recurse per level: deeper input would overflow the stack).
        mutating func nested<T>(at offset: Int, _ body: (inout Parser) throws -> T) throws -> T {
            guard depth < GoTemplate.maxNestingDepth else {
                throw fail(offset, "max nesting depth (\(GoTemplate.maxNestingDepth)) exceeded")
            }
            depth += 1
            defer { depth -= 1 }
            return try body(&self)
        }

        mutating func parseControl(_ keyword: String, _ tokens: [Token], start: Int) throws -> Node {
            try nested(at: start) { try $0.parseControlBody(keyword, tokens, start: start) }
        }

        mutating func parseControlBody(_ keyword: String, _ tokens: [Token], start: Int) throws -> Node {
            let mark = variables.count
            defer { variables.removeSubrange(mark...) }
            var cursor = Cursor(tokens: tokens, end: start)
            let pipe = try parsePipeline(&cursor, context: keyword, maxDeclarations: keyword == "range" ? 2 : 1)
            if let extra = cursor.peek { throw fail(extra.start, "unexpected \(describe(extra)) in \(keyword)") }
            if keyword == "range" { rangeDepth += 1 }
            let (body, term) = try parseList()
            if keyword == "range" { rangeDepth -= 1 }
            var elseBody: [Node]?
            switch term {
            case .none:
                throw fail(source.count, "unexpected EOF")
            case .end?:
                break
            case .elseClause(let rest, let pos)?:
                if let first = rest.first {
                    guard case .identifier(let word) = first.kind, word == keyword, keyword != "range" else {
                        throw fail(first.start, "unexpected \(describe(first)) in else")
                    }
                    // `{{else if …}}` / `{{else with …}}`: a nested control sharing this `{{end}}`.
                    elseBody = [try parseControl(keyword, Array(rest.dropFirst()), start: pos)]
                } else {
                    let (list, term2) = try parseList()
                    switch term2 {
                    case .none: throw fail(source.count, "unexpected EOF")
                    case .end?: break
                    case .elseClause(_, let p)?: throw fail(p, "expected end; found {{else}}")
                    }
                    elseBody = list
                }
            }
            switch keyword {
            case "if": return .ifNode(pipe, body, elseBody)
            case "range": return .rangeNode(pipe, body, elseBody)
            default: return .withNode(pipe, body, elseBody)
            }
        }

        func describe(_ t: Token) -> String {
            "\"" + String(decoding: source[t.start..<t.end], as: UTF8.self) + "\""
        }

        struct Cursor {
            var tokens: [Token]
            var position = 0
            /// Where the action started (for errors at its end).
            var end: Int
            init(tokens: [Token], end: Int) {
                self.tokens = tokens
                self.end = end
            }
            var peek: Token? { position < tokens.count ? tokens[position] : nil }
            func peek(_ ahead: Int) -> Token? { position + ahead < tokens.count ? tokens[position + ahead] : nil }
            mutating func next() -> Token? {
                defer { position += 1 }
                return peek
            }
        }

        mutating func parsePipeline(_ c: inout Cursor, context: String, maxDeclarations: Int) throws -> Pipeline {
            var pipe = Pipeline()
            let startOffset = c.peek?.start ?? c.end
            // Declarations: `$x :=`, `$x =`, `$i, $e :=`.
            if case .variable(let v)? = c.peek?.kind {
                if let op = c.peek(1), op.kind == .declare || op.kind == .assign {
                    if op.kind == .assign {
                        guard variables.contains(v) else { throw fail(c.peek!.start, "undefined variable \"\(v)\"") }
                    }
                    pipe.declarations = [v]
                    pipe.isAssign = op.kind == .assign
                    c.position += 2
                } else if maxDeclarations > 1, c.peek(1)?.kind == .comma, case .variable(let v2)? = c.peek(2)?.kind,
                          let op = c.peek(3), op.kind == .declare || op.kind == .assign {
                    pipe.declarations = [v, v2]
                    pipe.isAssign = op.kind == .assign
                    c.position += 4
                }
            }
            while true {
                var args: [Arg] = []
                var cmdStart = c.peek?.start ?? c.end
                var cmdEnd = cmdStart
                while let t = c.peek, t.kind != .pipe, t.kind != .rightParen {
                    if args.isEmpty { cmdStart = t.start }
                    let (arg, end) = try parseOperand(&c)
                    args.append(arg)
                    cmdEnd = end
                }
                if args.isEmpty {
                    if pipe.commands.isEmpty && context != "command" && c.peek == nil {
                        throw fail(startOffset, "missing value for \(context)")
                    }
                    throw fail(c.peek?.start ?? startOffset, "missing value for command")
                }
                if case .literal(.null) = args[0] { throw fail(cmdStart, "nil is not a command") }
                pipe.commands.append(Command(args: args, start: cmdStart, end: cmdEnd))
                if c.peek?.kind == .pipe {
                    c.position += 1
                    continue
                }
                break
            }
            for d in pipe.declarations where !pipe.isAssign { variables.append(d) }
            return pipe
        }

        /// One operand and its field chain; returns it with its end offset.
        mutating func parseOperand(_ c: inout Cursor) throws -> (Arg, Int) {
            let t = c.next()!
            var end = t.end
            var arg: Arg
            func chain(_ c: inout Cursor) -> [String] {
                var names: [String] = []
                while let n = c.peek, !n.spaceBefore, case .field(let f) = n.kind {
                    names.append(f)
                    end = n.end
                    c.position += 1
                }
                return names
            }
            switch t.kind {
            case .dot:
                arg = .dot
            case .field(let f):
                arg = .field([f] + chain(&c))
            case .variable(let v):
                guard variables.contains(v) else { throw fail(t.start, "undefined variable \"\(v)\"") }
                arg = .variable(v, chain(&c))
            case .identifier(let f):
                guard GoTemplate.functions.contains(f) else {
                    if ["if", "range", "with", "else", "end", "break", "continue"].contains(f) {
                        throw fail(t.start, "unexpected \"\(f)\" in operand")
                    }
                    throw fail(t.start, "function \"\(f)\" not defined")
                }
                arg = .function(f)
            case .string(let s):
                arg = .literal(.string(s))
            case .char(let v):
                arg = .literal(.int(v))
            case .number(let text):
                guard let v = Self.number(text) else { throw fail(t.start, "bad number syntax: \"\(text)\"") }
                arg = .literal(v)
            case .bool(let b):
                arg = .literal(.bool(b))
            case .null:
                arg = .literal(.null)
            case .leftParen:
                let sub = try nested(at: t.start) { try $0.parsePipeline(&c, context: "parenthesized pipeline", maxDeclarations: 1) }
                guard let close = c.next(), close.kind == .rightParen else { throw fail(t.start, "unclosed left paren") }
                end = close.end
                arg = .pipeline(sub, chain(&c))
            default:
                throw fail(t.start, "unexpected \(describe(t)) in operand")
            }
            return (arg, end)
        }

        static func number(_ text: String) -> TValue? {
            var t = text.replacingOccurrences(of: "_", with: "")
            var negative = false
            if t.hasPrefix("-") || t.hasPrefix("+") {
                negative = t.hasPrefix("-")
                t.removeFirst()
            }
            let lower = t.lowercased()
            var int: Int?
            if lower.hasPrefix("0x") { int = Int(lower.dropFirst(2), radix: 16) }
            else if lower.hasPrefix("0o") { int = Int(lower.dropFirst(2), radix: 8) }
            else if lower.hasPrefix("0b") { int = Int(lower.dropFirst(2), radix: 2) }
            else if lower.count > 1, lower.hasPrefix("0"), lower.allSatisfy(\.isNumber) { int = Int(lower.dropFirst(), radix: 8) }
            else { int = Int(lower) }
            if let int { return .int(negative ? -int : int) }
            guard let first = lower.first, first.isNumber || first == "." else { return nil }
            guard let d = Double(lower), d.isFinite else { return nil }
            return .float(negative ? -d : d)
        }
    }
}
