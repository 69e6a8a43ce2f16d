import Testing
@testable import CalicoSelector

/// The compiled (interned) evaluator must agree with the tree evaluator everywhere.
@Suite struct CompiledSelectorTests {
    struct Rng {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static let keys = ["a", "b", "c", "x/y", "projectcalico.org/namespace"]
    static let values = ["", "1", "2", "ab", "abc", "bc", "x\"y", "z'"]

    func randomExpression(_ rng: inout Rng, depth: Int) -> String {
        func k() -> String { Self.keys[rng.next(Self.keys.count)] }
        func v() -> String {
            let s = Self.values[rng.next(Self.values.count)]
            return s.contains("\"") ? "'\(s)'" : "\"\(s)\""
        }
        if depth > 2 || rng.next(3) == 0 {
            switch rng.next(11) {
            case 0: return "\(k()) == \(v())"
            case 1: return "\(k()) != \(v())"
            case 2: return "has(\(k()))"
            case 3: return "\(k()) in {\(v()), \(v())}"
            case 4: return "\(k()) not in {\(v())}"
            case 5: return "\(k()) contains \(v())"
            case 6: return "\(k()) starts with \(v())"
            case 7: return "\(k()) ends with \(v())"
            case 8: return "all()"
            case 9: return "\(k()) in {}"
            default: return "global()"
            }
        }
        let a = randomExpression(&rng, depth: depth + 1), b = randomExpression(&rng, depth: depth + 1)
        switch rng.next(3) {
        case 0: return "(\(a) && \(b))"
        case 1: return "(\(a) || \(b))"
        default: return "!(\(a))"
        }
    }

    @Test func agreesWithTreeEvaluation() throws {
        var rng = Rng(state: 7)
        let interner = LabelInterner()
        var labelSets: [[String: String]] = [[:]]
        for _ in 0..<60 {
            var l: [String: String] = [:]
            for _ in 0..<rng.next(5) { l[Self.keys[rng.next(Self.keys.count)]] = Self.values[rng.next(Self.values.count)] }
            labelSets.append(l)
        }
        let interned = labelSets.map { interner.labels($0) }
        var checked = 0
        for _ in 0..<400 {
            let text = randomExpression(&rng, depth: 0)
            let selector = try Selector(parsing: text)
            let compiled = CompiledSelector(selector.expression, interner: interner)
            for (dict, labels) in zip(labelSets, interned) {
                #expect(compiled.matches(labels, interner: interner) == selector.matches(dict), "\(text) vs \(dict)")
                checked += 1
            }
        }
        #expect(checked == 400 * 61)
    }

    @Test func internedLookup() {
        let interner = LabelInterner()
        let l = interner.labels(["b": "2", "a": "1", "c": "3"])
        #expect(l.count == 3)
        #expect(l.value(of: interner.intern("a")) == interner.intern("1"))
        #expect(l.value(of: interner.intern("zzz")) == nil)
    }
}
