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

}
