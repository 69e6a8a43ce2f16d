import CalicoAPI
import CalicoSelector
import Foundation

func measure(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let d = clock.measure(body)
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// `calico-bench selectors`: parse 10k distinct selectors; evaluate 1k selectors against
/// 100k label sets (10^8 evaluations).
enum SelectorBenchmark {
    static let keys = ["app", "role", "tier", "env", "version", "team", "zone", "projectcalico.org/namespace",
                       "projectcalico.org/orchestrator", "k8s-app", "owner", "release"]
    static let values = ["web", "db", "api", "cache", "frontend", "backend", "prod", "staging", "dev", "v1", "v2", "v3",
                         "a", "b", "c", "shop", "kube-system", "k8s", "blue", "green"]

    static func randomSelector(_ rng: inout SplitMix64, serial: Int) -> String {
        func key() -> String { keys[Int(rng.next() % UInt64(keys.count))] }
        func value() -> String { values[Int(rng.next() % UInt64(values.count))] }
        func term() -> String {
            switch rng.next() % 9 {
            case 0: return "\(key()) == '\(value())'"
            case 1: return "\(key()) != \"\(value())\""
            case 2: return "has(\(key()))"
            case 3: return "!has(\(key()))"
            case 4: return "\(key()) in {'\(value())', '\(value())', '\(value())'}"
            case 5: return "\(key()) not in {\"\(value())\", \"\(value())\"}"
            case 6: return "\(key()) starts with '\(value().prefix(1))'"
            case 7: return "\(key()) contains '\(value().prefix(2))'"
            default: return "(\(key()) == '\(value())' || \(key()) == '\(value())')"
            }
        }
        let n = 1 + Int(rng.next() % 4)
        var parts = (0..<n).map { _ in term() }
        // A serial-numbered term makes every selector distinct.
        parts.append("id != 'x\(serial)'")
        return parts.joined(separator: " && ")
    }

    static func randomLabels(_ rng: inout SplitMix64) -> [String: String] {
        var labels: [String: String] = [:]
        let n = 3 + Int(rng.next() % 6)
        for _ in 0..<n {
            labels[keys[Int(rng.next() % UInt64(keys.count))]] = values[Int(rng.next() % UInt64(values.count))]
        }
        return labels
    }

    static func run() {
        var rng = SplitMix64(seed: 42)
        let texts = (0..<10_000).map { randomSelector(&rng, serial: $0) }
        precondition(Set(texts).count == texts.count)

        // Parse (uncached: Selector(parsing:) does no caching).
        var parsed: [Selector] = []
        parsed.reserveCapacity(texts.count)
        let parseSeconds = measure {
            for t in texts { parsed.append(try! Selector(parsing: t)) }
        }
        let cache = SelectorCache(capacity: 100_000)
        for t in texts { _ = try! cache.selector(for: t) }
        let cachedSeconds = measure {
            for t in texts { _ = try! cache.selector(for: t) }
        }

        let selectors = Array(parsed.prefix(1_000))
        let labelSets = (0..<100_000).map { _ in randomLabels(&rng) }
        var matches = 0
        let evalSeconds = measure {
            for s in selectors {
                for l in labelSets where s.matches(l) { matches += 1 }
            }
        }
        let evaluations = Double(selectors.count * labelSets.count)
        say("selectors: parse \(texts.count) distinct selectors: \(fmt(parseSeconds * 1e9 / Double(texts.count))) ns/parse "
              + "(cached lookup \(fmt(cachedSeconds * 1e9 / Double(texts.count))) ns)")
        say("selectors: evaluate \(selectors.count) selectors x \(labelSets.count) label sets: "
              + "\(fmt(evalSeconds * 1e9 / evaluations)) ns/evaluation on [String: String], total \(fmt(evalSeconds)) s, \(matches) matches")
        let (internedSeconds, internedMatches) = runInterned(selectors, labelSets)
        precondition(internedMatches == matches, "interned evaluation disagrees: \(internedMatches) vs \(matches)")
        say("selectors: evaluate \(selectors.count) compiled selectors x \(labelSets.count) interned label sets: "
              + "\(fmt(internedSeconds * 1e9 / evaluations)) ns/evaluation, total \(fmt(internedSeconds)) s")
    }

    static func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
}

extension SelectorBenchmark {
    /// The same evaluation over interned labels and compiled selectors (the form the
    /// label index uses).
    static func runInterned(_ selectors: [Selector], _ labelSets: [[String: String]]) -> (Double, Int) {
        let interner = LabelInterner()
        let compiled = selectors.map { CompiledSelector($0.expression, interner: interner) }
        let interned = labelSets.map { interner.labels($0) }
        var matches = 0
        let seconds = measure {
            for s in compiled {
                for l in interned where s.matches(l, interner: interner) { matches += 1 }
            }
        }
        return (seconds, matches)
    }
}
