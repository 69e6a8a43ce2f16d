/// A selector compiled against a `LabelInterner`: a flat array of nodes over interned ids,
/// evaluated without string hashing or reference counting.
public struct CompiledSelector: Sendable {
    enum Op: UInt8, Sendable {
        case all, has, equal, notEqual, contains, startsWith, endsWith, inSet, notInSet, not, and, or
    }

    struct Node: Sendable {
        var op: Op
        /// Interned key (or -1).
        var key: Int32
        /// Interned value for ==/!=; index into `strings` for contains/starts/ends; start in
        /// `setValues` for in/not in; first child index into `children` for and/or/not.
        var arg: Int32
        /// Child count for and/or; member count for in/not in.
        var count: Int32
    }

    let nodes: [Node]
    let children: [Int32]
    /// Members of every `in`/`not in` set, back to back (node arg = start, count = length).
    let setValues: [Int32]
    let strings: [String]

    public init(_ expression: Expression, interner: LabelInterner) {
        var b = Builder(interner: interner)
        _ = b.add(expression)
        nodes = b.nodes
        children = b.children
        setValues = b.setValues
        strings = b.strings
    }

    struct Builder {
        let interner: LabelInterner
        var nodes: [Node] = []
        var children: [Int32] = []
        var setValues: [Int32] = []
        var strings: [String] = []

        mutating func node(_ op: Op, _ key: Int32 = -1, _ arg: Int32 = 0, _ count: Int32 = 0) -> Int32 {
            nodes.append(Node(op: op, key: key, arg: arg, count: count))
            return Int32(nodes.count - 1)
        }

        mutating func string(_ s: String) -> Int32 {
            strings.append(s)
            return Int32(strings.count - 1)
        }

        mutating func add(_ e: Expression) -> Int32 {
            switch e {
            case .all, .global: return node(.all)
            case .has(let k): return node(.has, interner.intern(k))
            case let .equal(k, v): return node(.equal, interner.intern(k), interner.intern(v))
            case let .notEqual(k, v): return node(.notEqual, interner.intern(k), interner.intern(v))
            case let .contains(k, v): return node(.contains, interner.intern(k), string(v))
            case let .startsWith(k, v): return node(.startsWith, interner.intern(k), string(v))
            case let .endsWith(k, v): return node(.endsWith, interner.intern(k), string(v))
            case let .inSet(k, vs), let .notInSet(k, vs):
                let start = Int32(setValues.count)
                setValues.append(contentsOf: vs.map { interner.intern($0) })
                let op: Op
                if case .inSet = e { op = .inSet } else { op = .notInSet }
                return node(op, interner.intern(k), start, Int32(vs.count))
            case .not(let inner):
                let child = add(inner)
                children.append(child)
                return node(.not, -1, Int32(children.count - 1), 1)
            case .and(let es), .or(let es):
                let ids = es.map { add($0) }
                let first = Int32(children.count)
                children.append(contentsOf: ids)
                if case .and = e { return node(.and, -1, first, Int32(ids.count)) }
                return node(.or, -1, first, Int32(ids.count))
            }
        }
    }

    /// Whether the labels match. `interner` must be the one the selector was compiled with.
    public func matches(_ labels: InternedLabels, interner: LabelInterner) -> Bool {
        nodes.withUnsafeBufferPointer { nodes in
            children.withUnsafeBufferPointer { children in
                setValues.withUnsafeBufferPointer { setValues in
                    labels.pairs.withUnsafeBufferPointer { pairs in
                        let ctx = Context(nodes: nodes, children: children, setValues: setValues, pairs: pairs)
                        return evaluate(Int32(nodes.count - 1), ctx, interner)
                    }
                }
            }
        }
    }

    struct Context {
        let nodes: UnsafeBufferPointer<Node>
        let children: UnsafeBufferPointer<Int32>
        let setValues: UnsafeBufferPointer<Int32>
        let pairs: UnsafeBufferPointer<Int32>

        @inline(__always)
        func value(of key: Int32) -> Int32? { InternedLabels.value(of: key, in: pairs) }

        @inline(__always)
        func setContains(_ start: Int32, _ count: Int32, _ v: Int32) -> Bool {
            for i in Int(start)..<Int(start + count) where setValues[i] == v { return true }
            return false
        }
    }

    private func evaluate(_ index: Int32, _ c: Context, _ interner: LabelInterner) -> Bool {
        let n = c.nodes[Int(index)]
        switch n.op {
        case .all: return true
        case .has: return c.value(of: n.key) != nil
        case .equal: return c.value(of: n.key) == n.arg
        case .notEqual: return c.value(of: n.key) != n.arg
        case .contains:
            guard let v = c.value(of: n.key) else { return false }
            return Expression.bytesContain(interner.string(v), strings[Int(n.arg)])
        case .startsWith:
            guard let v = c.value(of: n.key) else { return false }
            return interner.string(v).utf8.starts(with: strings[Int(n.arg)].utf8)
        case .endsWith:
            guard let v = c.value(of: n.key) else { return false }
            let x = interner.string(v), suffix = strings[Int(n.arg)]
            return x.utf8.count >= suffix.utf8.count && x.utf8.suffix(suffix.utf8.count).elementsEqual(suffix.utf8)
        case .inSet:
            guard let v = c.value(of: n.key) else { return false }
            return c.setContains(n.arg, n.count, v)
        case .notInSet:
            guard let v = c.value(of: n.key) else { return true }
            return !c.setContains(n.arg, n.count, v)
        case .not:
            return !evaluate(c.children[Int(n.arg)], c, interner)
        case .and:
            for i in Int(n.arg)..<Int(n.arg + n.count) where !evaluate(c.children[i], c, interner) { return false }
            return true
        case .or:
            for i in Int(n.arg)..<Int(n.arg + n.count) where evaluate(c.children[i], c, interner) { return true }
            return false
        }
    }
}
