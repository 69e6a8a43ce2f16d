import FuzzSupport
import CalicoSelector

@main enum FuzzSelector {
    static func main() { runLibFuzzer(fuzz) }
}

/// libFuzzer entry: parses the input as a selector. Checks that the canonical text parses
/// again to the same canonical text, that the shared cache gives the same selector, and that
/// the compiled evaluator agrees with the tree evaluator on labels built from the literals.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: inputBytes(data, size), as: UTF8.self)
    let selector: Selector
    do {
        selector = try Selector(parsing: text)
    } catch {
        _ = error.description
        return 0
    }
    let canonical = selector.canonical
    let again: Selector
    do {
        again = try Selector(parsing: canonical)
    } catch {
        finding("canonical text does not parse again", ["input": text, "canonical": canonical, "error": "\(error)"])
    }
    if !again.canonical.utf8.elementsEqual(canonical.utf8) {
        finding("canonical text is not stable", ["input": text, "canonical": canonical, "reparsed": again.canonical])
    }
    guard let cached = try? Selector.parse(text), cached.canonical.utf8.elementsEqual(canonical.utf8) else {
        finding("the cache gives a different selector", ["input": text, "canonical": canonical])
    }
    _ = selector.expression.labelKeys
    _ = selector.expression.containsGlobal

    let interner = LabelInterner()
    let compiled = CompiledSelector(selector.expression, interner: interner)
    for labels in labelSets(selector.expression) {
        let tree = selector.matches(labels)
        if compiled.matches(interner.labels(labels), interner: interner) != tree {
            finding("compiled and tree evaluation disagree", ["input": text, "canonical": canonical, "labels": "\(labels)"])
        }
        if again.matches(labels) != tree {
            finding("the reparsed canonical selects differently", ["input": text, "canonical": canonical, "labels": "\(labels)"])
        }
    }
    return 0
}

/// Label sets that make each comparison in the expression go both ways: none, each key
/// alone and all keys together with each literal value (and variations of it).
func labelSets(_ expression: Expression) -> [[String: String]] {
    var keys: [String] = [], values: Set<String> = ["", "x"]
    func walk(_ e: Expression) {
        switch e {
        case .all, .global: break
        case .has(let k): keys.append(k)
        case let .equal(k, v), let .notEqual(k, v), let .contains(k, v), let .startsWith(k, v), let .endsWith(k, v):
            keys.append(k)
            values.formUnion([v, v + "x", "x" + v, String(v.dropLast())])
        case let .inSet(k, vs), let .notInSet(k, vs):
            keys.append(k)
            values.formUnion(vs)
        case .not(let e): walk(e)
        case .and(let es), .or(let es): es.forEach(walk)
        }
    }
    walk(expression)
    let someKeys = Array(Set(keys).sorted().prefix(6))
    let someValues = Array(values.sorted().prefix(12))
    var sets: [[String: String]] = [[:]]
    for v in someValues {
        for k in someKeys { sets.append([k: v]) }
        sets.append(Dictionary(someKeys.map { ($0, v) }, uniquingKeysWith: { a, _ in a }))
    }
    return sets
}
