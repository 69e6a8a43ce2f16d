import CalicoAPI
import Foundation

extension Executor {
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
