import CalicoAPI
import Foundation

/// A small Go `text/template` engine over `Value` trees, for `-o go-template=…` and
/// `-o go-template-file=…` (calicoctl executes the template against the array of
/// returned objects).
///
/// Supported: text and `{{…}}` actions with `{{-`/`-}}` trim markers and `{{/* comments */}}`;
/// `.`, field chains `.a.b`, variables `$`, `$x := …`, `$x = …`, `$i, $e := …` in `range`;
/// `if`/`else if`/`else`, `range`/`else`, `with`/`else with`/`else`, `break`, `continue`;
/// pipelines with `|` and parentheses; string (`"…"`, `` `…` ``), number, char, `true`,
/// `false`, `nil` literals; the functions `and`, `or`, `not`, `len`, `index`, `print`,
/// `printf`, `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, and calicoctl's `join`,
/// `joinAndTruncate` and `config "asnumber"`.
///
/// Field names match a mapping key exactly, else case-insensitively, so upstream templates
/// written against the Go structs (`.Spec.PeerIP`, `.ObjectMeta.Name`, `.Items`, and the
/// promoted `.Name`/`.Namespace`/`.Labels` of the embedded ObjectMeta) work too. A missing
/// field prints `<no value>`, as Go does for maps.
enum GoTemplate {
    /// A parse or execution error, worded like Go's (`template: get:1:5: …`; the column is
    /// the 0-based byte offset in the line, as Go's error context reports it).
    struct Failure: Error, CustomStringConvertible, Equatable {
        var name: String
        var line: Int
        var column: Int
        var message: String
        /// For execution errors: the source text of the failing command.
        var context: String?

        var isParseError: Bool { context == nil }

        var description: String {
            if let context {
                return "template: \(name):\(line):\(column): executing \"\(name)\" at <\(context)>: \(message)"
            }
            return "template: \(name):\(line):\(column): \(message)"
        }
    }

    static func render(_ template: String, data: Value, globalASNumber: String, name: String = "get") throws -> String {
        let parsed = try parse(template, name: name)
        return try parsed.execute(data: data, globalASNumber: globalASNumber)
    }

    static func parse(_ template: String, name: String = "get") throws -> Template {
        let source = Array(template.utf8)
        let items = try Lexer(source: source, name: name).items()
        var parser = Parser(items: items, source: source, name: name)
        return Template(name: name, source: source, nodes: try parser.parseTemplate())
    }

    /// A parsed template.
    struct Template {
        let name: String
        let source: [UInt8]
        let nodes: [Node]

        func execute(data: Value, globalASNumber: String) throws -> String {
            let exec = Executor(template: self, globalASNumber: globalASNumber)
            exec.vars = [("$", .node(data))]
            try exec.walk(nodes, dot: .node(data))
            return exec.out
        }
    }

    /// Nesting of control structures and parentheses. Go's own limits are higher (its stacks
    /// grow); 100 levels is far beyond any real template and well within a thread's stack.
    static let maxNestingDepth = 100

    static let functions: Set<String> = [
        "and", "or", "not", "len", "index", "print", "printf", "println",
        "eq", "ne", "lt", "le", "gt", "ge", "join", "joinAndTruncate", "config",
    ]

    static func position(_ offset: Int, in source: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, source.count) where source[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart)
    }

    // MARK: Syntax

    enum TokenKind: Equatable {
        case dot
        case field(String)
        case variable(String)
        case identifier(String)
        case string(String)
        case number(String)
        case char(Int)
        case bool(Bool)
        case null
        case leftParen, rightParen, pipe, declare, assign, comma
    }

    struct Token {
        var kind: TokenKind
        var start: Int
        var end: Int
        var spaceBefore: Bool
    }

    enum Item {
        case text(String)
        case action([Token], start: Int, end: Int)
    }

    indirect enum Node {
        case text(String)
        case action(Pipeline)
        case ifNode(Pipeline, [Node], [Node]?)
        case rangeNode(Pipeline, [Node], [Node]?)
        case withNode(Pipeline, [Node], [Node]?)
        case breakNode
        case continueNode
    }

    struct Pipeline {
        var declarations: [String] = []
        var isAssign = false
        var commands: [Command] = []
    }

    struct Command {
        var args: [Arg]
        var start: Int
        var end: Int
    }

    indirect enum Arg {
        case dot
        case field([String])
        case variable(String, [String])
        case function(String)
        case literal(TValue)
        case pipeline(Pipeline, [String])
    }

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

// MARK: Values and execution

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

/// Break/continue signals inside `range`.
private enum LoopSignal: Error {
    case breakLoop
    case continueLoop
}

/// An execution error before it is given its position.
private struct ExecError: Error {
    var message: String
}

private final class Executor {
    let template: GoTemplate.Template
    let globalASNumber: String
    var out = ""
    var vars: [(String, TValue)] = []

    init(template: GoTemplate.Template, globalASNumber: String) {
        self.template = template
        self.globalASNumber = globalASNumber
    }

    func walk(_ nodes: [GoTemplate.Node], dot: TValue) throws {
        for node in nodes {
            switch node {
            case .text(let s):
                out += s
            case .action(let pipe):
                let v = try evalPipeline(pipe, dot: dot)
                if pipe.declarations.isEmpty { out += v.printed }
            case .ifNode(let pipe, let body, let elseBody):
                let mark = vars.count
                defer { vars.removeSubrange(mark...) }
                if try evalPipeline(pipe, dot: dot).truth {
                    try walk(body, dot: dot)
                } else if let elseBody {
                    try walk(elseBody, dot: dot)
                }
            case .withNode(let pipe, let body, let elseBody):
                let mark = vars.count
                defer { vars.removeSubrange(mark...) }
                let v = try evalPipeline(pipe, dot: dot)
                if v.truth {
                    try walk(body, dot: v)
                } else if let elseBody {
                    try walk(elseBody, dot: dot)
                }
            case .rangeNode(let pipe, let body, let elseBody):
                let mark = vars.count
                defer { vars.removeSubrange(mark...) }
                var declarationless = pipe
                declarationless.declarations = []
                let v = try evalPipeline(declarationless, dot: dot)
                let elements = try iterate(v, pipe)
                if elements.isEmpty {
                    if let elseBody { try walk(elseBody, dot: dot) }
                    continue
                }
                loop: for (key, element) in elements {
                    let inner = vars.count
                    defer { vars.removeSubrange(inner...) }
                    if pipe.declarations.count == 1 {
                        bind(pipe.declarations[0], element, assign: pipe.isAssign)
                    } else if pipe.declarations.count == 2 {
                        bind(pipe.declarations[0], key, assign: pipe.isAssign)
                        bind(pipe.declarations[1], element, assign: pipe.isAssign)
                    }
                    do {
                        try walk(body, dot: element)
                    } catch LoopSignal.breakLoop {
                        break loop
                    } catch LoopSignal.continueLoop {
                        continue loop
                    }
                }
            case .breakNode:
                throw LoopSignal.breakLoop
            case .continueNode:
                throw LoopSignal.continueLoop
            }
        }
    }

    func bind(_ name: String, _ value: TValue, assign: Bool) {
        if assign, let i = vars.lastIndex(where: { $0.0 == name }) {
            vars[i].1 = value
        } else {
            vars.append((name, value))
        }
    }

    func iterate(_ v: TValue, _ pipe: GoTemplate.Pipeline) throws -> [(TValue, TValue)] {
        switch v {
        case .missing, .null: return []
        case .int(let n): return (0..<max(n, 0)).map { (.int($0), .int($0)) }
        case .node(let value):
            switch value {
            case .sequence(let items, _): return items.enumerated().map { (.int($0.offset), .node($0.element)) }
            case .mapping(let pairs, _): return pairs.sorted { $0.key < $1.key }.map { (.string($0.key), .node($0.value)) }
            case .scalar:
                if value.isNull { return [] }
            }
        default: break
        }
        throw failure(ExecError(message: "range can't iterate over \(v.formatted)"), pipe.commands.last!)
    }

    func failure(_ e: ExecError, _ cmd: GoTemplate.Command) -> GoTemplate.Failure {
        let p = GoTemplate.position(cmd.start, in: template.source)
        var context = String(decoding: template.source[cmd.start..<cmd.end], as: UTF8.self)
        if context.count > 20 { context = String(context.prefix(20)) + "..." }
        return GoTemplate.Failure(name: template.name, line: p.line, column: p.column, message: e.message, context: context)
    }

    func evalPipeline(_ pipe: GoTemplate.Pipeline, dot: TValue) throws -> TValue {
        var value: TValue?
        for cmd in pipe.commands {
            do {
                value = try evalCommand(cmd, dot: dot, final: value)
            } catch let e as ExecError {
                throw failure(e, cmd)
            }
        }
        let result = value ?? .missing
        for name in pipe.declarations {
            bind(name, result, assign: pipe.isAssign)
        }
        return result
    }

    func evalCommand(_ cmd: GoTemplate.Command, dot: TValue, final: TValue?) throws -> TValue {
        if case .function(let name) = cmd.args[0] {
            return try call(name, Array(cmd.args.dropFirst()), dot: dot, final: final)
        }
        if cmd.args.count > 1 || final != nil {
            let text = String(decoding: template.source[cmd.start..<cmd.end], as: UTF8.self)
            throw ExecError(message: "can't give argument to non-function \(text.split(separator: " ").first.map(String.init) ?? text)")
        }
        return try evalArg(cmd.args[0], dot: dot)
    }

    func evalArg(_ arg: GoTemplate.Arg, dot: TValue) throws -> TValue {
        switch arg {
        case .dot: return dot
        case .field(let names): return try chain(dot, names)
        case .variable(let name, let names):
            guard let v = vars.last(where: { $0.0 == name })?.1 else { throw ExecError(message: "undefined variable: \(name)") }
            return try chain(v, names)
        case .function(let name): return try call(name, [], dot: dot, final: nil)
        case .literal(let v): return v
        case .pipeline(let pipe, let names): return try chain(try evalPipeline(pipe, dot: dot), names)
        }
    }

    func chain(_ start: TValue, _ names: [String]) throws -> TValue {
        var v = start
        for name in names { v = try field(name, of: v) }
        return v
    }

    /// Field lookup: exact key, then case-insensitive; `ObjectMeta` is `metadata`, `TypeMeta`
    /// the object itself, and metadata fields are promoted as Go's embedded ObjectMeta.
    func field(_ name: String, of v: TValue) throws -> TValue {
        switch v {
        case .missing:
            return .missing
        case .node(let value):
            switch value {
            case .mapping(let pairs, _):
                if let found = Self.lookup(name, pairs) { return .node(found) }
                switch name {
                case "ObjectMeta", "ListMeta":
                    if let meta = Self.lookup("metadata", pairs) { return .node(meta) }
                case "TypeMeta":
                    return v
                default:
                    break
                }
                // Fields of the embedded ObjectMeta are promoted in Go (`.Name`, `.Labels`, …).
                if Self.lookup("kind", pairs) != nil, case .mapping(let meta, _)? = Self.lookup("metadata", pairs),
                   let found = Self.lookup(name, meta) {
                    return .node(found)
                }
                return .missing
            case .scalar where value.isNull:
                throw ExecError(message: "nil pointer evaluating interface {}.\(name)")
            default:
                break
            }
        case .null:
            throw ExecError(message: "nil pointer evaluating interface {}.\(name)")
        default:
            break
        }
        throw ExecError(message: "can't evaluate field \(name) in type \(v.typeName)")
    }

    static func lookup(_ name: String, _ pairs: [(key: String, value: Value)]) -> Value? {
        if let p = pairs.first(where: { $0.key == name }) { return p.value }
        let lower = name.lowercased()
        return pairs.first(where: { $0.key.lowercased() == lower })?.value
    }

    // MARK: Functions

    func call(_ name: String, _ argNodes: [GoTemplate.Arg], dot: TValue, final: TValue?) throws -> TValue {
        let count = argNodes.count + (final == nil ? 0 : 1)
        func args() throws -> [TValue] {
            var out = try argNodes.map { try evalArg($0, dot: dot) }
            if let final { out.append(final) }
            return out
        }
        func want(_ n: Int) throws {
            if count != n { throw ExecError(message: "wrong number of args for \(name): want \(n) got \(count)") }
        }
        switch name {
        case "and", "or":
            guard count >= 1 else { throw ExecError(message: "wrong number of args for \(name): want at least 1 got 0") }
            var last = TValue.missing
            for node in argNodes {
                last = try evalArg(node, dot: dot)
                if last.truth != (name == "and") { return last }
            }
            if let final { last = final }
            return last
        case "not":
            try want(1)
            return .bool(!(try args()[0].truth))
        case "len":
            try want(1)
            let a = try args()[0]
            switch a {
            case .missing, .null: return .int(0)
            case .string(let s): return .int(s.utf8.count)
            case .node(let v):
                switch v {
                case .sequence(let items, _): return .int(items.count)
                case .mapping(let pairs, _): return .int(pairs.count)
                case .scalar(let s, let plain, _):
                    if v.isNull { return .int(0) }
                    if !plain || a.typeName == "string" { return .int(s.utf8.count) }
                }
            default: break
            }
            throw ExecError(message: "error calling len: len of type \(a.typeName)")
        case "index":
            guard count >= 1 else { throw ExecError(message: "wrong number of args for index: want at least 1 got 0") }
            let a = try args()
            var item = a[0]
            for key in a.dropFirst() { item = try index(item, key) }
            return item
        case "print", "println":
            let a = try args()
            if name == "println" { return .string(a.map(\.formatted).joined(separator: " ") + "\n") }
            var s = ""
            for (i, v) in a.enumerated() {
                if i > 0, !Self.isString(a[i - 1]), !Self.isString(v) { s += " " }
                s += v.formatted
            }
            return .string(s)
        case "printf":
            guard count >= 1 else { throw ExecError(message: "wrong number of args for printf: want at least 1 got 0") }
            let a = try args()
            guard let format = a[0].stringValue else {
                throw ExecError(message: "wrong type for value; expected string; got \(a[0].typeName)")
            }
            return .string(Printf.format(format, Array(a.dropFirst())))
        case "eq", "ne":
            if name == "ne" { try want(2) }
            guard count >= 2 else { throw ExecError(message: "error calling eq: missing argument for comparison") }
            let a = try args()
            var result = false
            for other in a.dropFirst() where try Self.equal(a[0], other, name) {
                result = true
                break
            }
            return .bool(name == "eq" ? result : !result)
        case "lt", "le", "gt", "ge":
            try want(2)
            let a = try args()
            let c = try Self.compare(a[0], a[1], name)
            switch name {
            case "lt": return .bool(c < 0)
            case "le": return .bool(c <= 0)
            case "gt": return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case "join":
            try want(2)
            let a = try args()
            return .string(try join(a[0], separator: a[1], max: 0, name))
        case "joinAndTruncate":
            try want(3)
            let a = try args()
            guard let max = a[2].intValue else {
                throw ExecError(message: "wrong type for value; expected int; got \(a[2].typeName)")
            }
            return .string(try join(a[0], separator: a[1], max: max, name))
        case "config":
            try want(1)
            let a = try args()
            guard let key = a[0].stringValue else {
                throw ExecError(message: "wrong type for value; expected string; got \(a[0].typeName)")
            }
            guard key.lowercased() == "asnumber" else { throw ExecError(message: "error calling config: unhandled config type") }
            return .string(globalASNumber)
        default:
            throw ExecError(message: "function \"\(name)\" not defined")
        }
    }

    static func isString(_ v: TValue) -> Bool { v.isStringType }

    func index(_ item: TValue, _ key: TValue) throws -> TValue {
        switch item {
        case .missing, .null:
            throw ExecError(message: "error calling index: index of untyped nil")
        case .node(let v):
            switch v {
            case .sequence(let items, _):
                guard let i = key.intValue, key.doubleValue != nil || key.isInteger else {
                    throw ExecError(message: "error calling index: cannot index slice/array with type \(key.typeName)")
                }
                guard i >= 0 && i < items.count else { throw ExecError(message: "error calling index: index out of range: \(i)") }
                return .node(items[i])
            case .mapping(let pairs, _):
                guard let k = key.stringValue else {
                    throw ExecError(message: "error calling index: value has type \(key.typeName); should be string")
                }
                return pairs.first(where: { $0.key == k }).map { .node($0.value) } ?? .missing
            case .scalar:
                if v.isNull { throw ExecError(message: "error calling index: index of untyped nil") }
            }
        default:
            break
        }
        throw ExecError(message: "error calling index: can't index item of type \(item.typeName)")
    }

    func join(_ list: TValue, separator: TValue, max: Int, _ name: String) throws -> String {
        guard let sep = separator.stringValue else {
            throw ExecError(message: "wrong type for value; expected string; got \(separator.typeName)")
        }
        let items: [String]
        switch list {
        case .missing, .null: return ""
        case .node(.sequence(let values, _)): items = values.map(TValue.format)
        case .node(let v) where v.isNull: return ""
        default: throw ExecError(message: "error calling \(name): \(list.typeName) is not a list")
        }
        return TablePrinter.joinAndTruncate(items, sep, max)
    }

    static func equal(_ a: TValue, _ b: TValue, _ name: String) throws -> Bool {
        guard let x = a.basic, let y = b.basic else {
            throw ExecError(message: "error calling \(name): non-comparable type")
        }
        switch (x, y) {
        case (.none, .none): return true
        case (.none, _), (_, .none): return false
        case let (.bool(p), .bool(q)): return p == q
        case let (.string(p), .string(q)): return p == q
        case let (.int(p), .int(q)): return p == q
        case let (.int(p), .float(q)): return Double(p) == q
        case let (.float(p), .int(q)): return p == Double(q)
        case let (.float(p), .float(q)): return p == q
        default: throw ExecError(message: "error calling \(name): incompatible types for comparison")
        }
    }

    static func compare(_ a: TValue, _ b: TValue, _ name: String) throws -> Int {
        guard let x = a.basic, let y = b.basic else {
            throw ExecError(message: "error calling \(name): non-comparable type")
        }
        func order<T: Comparable>(_ p: T, _ q: T) -> Int { p < q ? -1 : (p == q ? 0 : 1) }
        switch (x, y) {
        case let (.string(p), .string(q)): return order(p, q)
        case let (.int(p), .int(q)): return order(p, q)
        case let (.int(p), .float(q)): return order(Double(p), q)
        case let (.float(p), .int(q)): return order(p, Double(q))
        case let (.float(p), .float(q)): return order(p, q)
        case (.none, _), (_, .none), (.bool, _), (_, .bool):
            throw ExecError(message: "error calling \(name): invalid type for comparison")
        default: throw ExecError(message: "error calling \(name): incompatible types for comparison")
        }
    }
}

/// A subset of Go's `fmt.Sprintf`: flags `-+ 0#`, width, precision and the verbs
/// `%v %s %d %q %t %f %F %e %E %g %G %x %X %o %b %c %%`.
enum Printf {
    static func format(_ format: String, _ args: [TValue]) -> String {
        var out = ""
        var argIndex = 0
        let chars = Array(format.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c != "%" {
                out.unicodeScalars.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < chars.count else {
                out += "%!(NOVERB)"
                break
            }
            var minus = false, plus = false, zero = false, space = false, sharp = false
            flags: while i < chars.count {
                switch chars[i] {
                case "-": minus = true
                case "+": plus = true
                case "0": zero = true
                case " ": space = true
                case "#": sharp = true
                default: break flags
                }
                i += 1
            }
            // A width or precision over 10^6 ends the format as Go's fmt does (%!(NOVERB)):
            // no overflow, no gigabyte of padding.
            var width: Int?
            while i < chars.count, let d = digit(chars[i]) {
                if (width ?? 0) > 1_000_000 { i = chars.count; width = nil; break }
                width = (width ?? 0) * 10 + d
                i += 1
            }
            var precision: Int?
            if i < chars.count && chars[i] == "." {
                i += 1
                precision = 0
                while i < chars.count, let d = digit(chars[i]) {
                    if precision! > 1_000_000 { i = chars.count; precision = nil; break }
                    precision = precision! * 10 + d
                    i += 1
                }
            }
            guard i < chars.count else {
                out += "%!(NOVERB)"
                break
            }
            let verb = chars[i]
            i += 1
            if verb == "%" {
                out += "%"
                continue
            }
            guard argIndex < args.count else {
                out += "%!\(verb)(MISSING)"
                continue
            }
            let arg = args[argIndex]
            argIndex += 1
            var s: String
            var numeric = false
            switch verb {
            case "v":
                s = arg.formatted
                if case .float(let d) = arg, let precision { s = String(format: "%.\(precision)g", d) }
                numeric = arg.doubleValue != nil && !arg.isStringType
            case "s":
                s = arg.formatted
                if let precision { s = String(s.prefix(precision)) }
            case "q":
                if arg.isInteger, !arg.isStringType, let n = arg.intValue, let u = Unicode.Scalar(UInt32(clamping: max(n, 0))) {
                    s = "'" + String(Character(u)) + "'"
                } else if sharp, let str = arg.stringValue, !str.contains("`") {
                    s = "`" + str + "`"
                } else {
                    s = Emitter.jsonString(arg.formatted)
                }
            case "d":
                if arg.isInteger, !arg.isStringType, let n = arg.intValue {
                    s = String(n)
                    if plus && n >= 0 { s = "+" + s } else if space && n >= 0 { s = " " + s }
                    numeric = true
                } else {
                    s = bad(verb, arg)
                }
            case "x", "X", "o", "b":
                let radix = verb == "o" ? 8 : (verb == "b" ? 2 : 16)
                if !arg.isStringType, arg.isInteger, let n = arg.intValue {
                    s = (n < 0 ? "-" : "") + String(n.magnitude, radix: radix, uppercase: verb == "X")
                    if sharp { s = (verb == "o" ? "0" : (verb == "b" ? "0b" : (verb == "X" ? "0X" : "0x"))) + s }
                    numeric = true
                } else if radix == 16, let str = arg.stringValue {
                    s = str.utf8.map { String(format: verb == "X" ? "%02X" : "%02x", $0) }.joined()
                } else {
                    s = bad(verb, arg)
                }
            case "c":
                if let n = arg.intValue, let u = Unicode.Scalar(UInt32(clamping: max(n, 0))) { s = String(Character(u)) } else { s = bad(verb, arg) }
            case "t":
                if let b = arg.boolValue { s = b ? "true" : "false" } else { s = bad(verb, arg) }
            case "f", "F", "e", "E", "g", "G":
                if !arg.isStringType, let d = arg.doubleValue {
                    if (verb == "g" || verb == "G") && precision == nil {
                        s = GoFormat.float(d)
                        if verb == "G" { s = s.uppercased() }
                    } else {
                        let v = verb == "F" ? "f" : String(verb)
                        s = String(format: "%.\(precision ?? 6)\(v)", d)
                    }
                    if plus && d >= 0 { s = "+" + s } else if space && d >= 0 { s = " " + s }
                    numeric = true
                } else {
                    s = bad(verb, arg)
                }
            default:
                s = "%!\(verb)(\(arg.typeName)=\(arg.formatted))"
            }
            if let width, s.unicodeScalars.count < width {
                let pad = width - s.unicodeScalars.count
                if minus {
                    s += String(repeating: " ", count: pad)
                } else if zero && numeric {
                    var sign = ""
                    if let f = s.first, f == "-" || f == "+" || f == " " {
                        sign = String(f)
                        s.removeFirst()
                    }
                    s = sign + String(repeating: "0", count: pad) + s
                } else {
                    s = String(repeating: " ", count: pad) + s
                }
            }
            out += s
        }
        if argIndex < args.count {
            out += "%!(EXTRA " + args[argIndex...].map { "\($0.typeName)=\($0.formatted)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    static func digit(_ u: Unicode.Scalar) -> Int? {
        u.value >= 48 && u.value <= 57 ? Int(u.value - 48) : nil
    }

    static func bad(_ verb: Unicode.Scalar, _ arg: TValue) -> String {
        "%!\(verb)(\(arg.typeName)=\(arg.formatted))"
    }
}
