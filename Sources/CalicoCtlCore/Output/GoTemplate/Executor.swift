import CalicoAPI
import Foundation

/// Break/continue signals inside `range`.
enum LoopSignal: Error {
    case breakLoop
    case continueLoop
}

/// An execution error before it is given its position.
struct ExecError: Error {
    var message: String
}

final class Executor {
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

}
