import CalicoAPI
import Foundation
import Testing
@testable import CalicoSelector

/// The canonical text of every selector that parses must parse back to the same canonical text
/// (compared byte-wise) and select the same things. Values are byte strings: a quote followed
/// by a combining mark is still a quote character to the selector language, even though Swift
/// merges both into one `Character`.
@Suite struct CanonicalRoundTripTests {
    /// Values that mix quotes with combining marks, joiners and emoji sequences.
    static let trickyValues: [String] = [
        "\"\u{301}",                     // quote + combining acute (the fuzzer's find)
        "\"\u{301}\u{302}\u{303}",       // quote + several combining marks
        "x\"\u{20DD}y",                  // quote + enclosing circle in the middle
        "e\u{301}\"",                    // combining mark before a trailing quote
        "'\u{301}",                      // single quote + combining mark
        "'\u{308}'\u{301}",              // single quotes, each with a mark
        "\"\u{200D}\u{1F469}",           // quote + ZWJ + emoji
        "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",  // family emoji (ZWJ sequence)
        "\u{1F468}\u{200D}\"",           // emoji + ZWJ + quote
        "'\u{FE0F}",                     // single quote + variation selector
        "\"\u{1F3FB}",                   // quote + skin-tone modifier
        "\u{1F1FA}\u{1F1F8}\"",          // flag (regional indicators) + quote
        "\r\n\"",                        // CR LF grapheme before a quote
    ]

    /// The selector texts a value can appear in, quoted with `q`.
    static func selectors(for value: String) -> [String] {
        let q = value.utf8.contains(UInt8(ascii: "\"")) ? "'" : "\""
        let v = q + value + q
        return [
            "a == \(v)", "a != \(v)", "a contains \(v)", "a starts with \(v)", "a ends with \(v)",
            "a in {\(v), \"z\"}", "a not in {\(v)}", "!(a == \(v)) || has(b) && b == \(v)",
        ]
    }

    @Test(arguments: trickyValues)
    func quotesFollowedByCombiningMarksRoundTrip(_ value: String) throws {
        for text in Self.selectors(for: value) {
            let selector = try Selector(parsing: text)
            let canonical = selector.canonical
            let again: Selector
            do {
                again = try Selector(parsing: canonical)
            } catch {
                Issue.record("canonical text of \(text.debugDescription) does not parse: \(canonical.debugDescription): \(error)")
                continue
            }
            #expect(Array(again.canonical.utf8) == Array(canonical.utf8), "\(text.debugDescription)")
            for labels in [["a": value], ["a": "z"], ["a": value, "b": value], [:]] {
                #expect(selector.matches(labels) == again.matches(labels), "\(text.debugDescription) on \(labels)")
            }
        }
        // The value survives exactly (no quote swallowed into a grapheme).
        let equal = try Selector(parsing: Self.selectors(for: value)[0])
        #expect(equal.matches(["a": value]))
        #expect(try Selector(parsing: equal.canonical).matches(["a": value]))
    }

    @Test func valueWithAQuoteAndACombiningMarkIsSingleQuoted() throws {
        let selector = try Selector(parsing: "a == '\"\u{301}'")
        #expect(Array(selector.canonical.utf8) == Array("a == '\"\u{301}'".utf8))
    }

    /// Found by the random test: `!(!x)` printed as `!!x`, which reads back as `x`.
    @Test func doubleNegationThroughParenthesesIsAFixedPoint() throws {
        for (text, expected) in [("!(!has(b))", "has(b)"), ("!( !(!has(b)))", "!has(b)"), ("!(!(a == 'x')) && has(c)", "(a == \"x\" && has(c))")] {
            let selector = try Selector(parsing: text)
            #expect(selector.canonical == expected)
            #expect(try Selector(parsing: selector.canonical).canonical == selector.canonical)
        }
    }

    /// Random selectors over an alphabet rich in quotes, combining marks and joiners.
    @Test(arguments: RoundTripFuzzer.seeds)
    func randomSelectorsRoundTrip(_ seed: UInt64) throws {
        var fuzzer = RoundTripFuzzer(seed: seed)
        for iteration in 0..<300 {
            let text = fuzzer.selector()
            let context = "seed \(seed) (rerun with SELECTOR_ROUNDTRIP_SEED=\(seed)), iteration \(iteration), selector \(text.debugDescription)"
            let selector: Selector
            do {
                selector = try Selector(parsing: text)
            } catch {
                Issue.record("generated selector does not parse: \(error); \(context)")
                continue
            }
            let canonical = selector.canonical
            guard let again = try? Selector(parsing: canonical) else {
                Issue.record("canonical text \(canonical.debugDescription) does not parse; \(context)")
                continue
            }
            #expect(Array(again.canonical.utf8) == Array(canonical.utf8), "\(context)")
            for _ in 0..<8 {
                let labels = fuzzer.labels()
                #expect(selector.matches(labels) == again.matches(labels), "labels \(labels); \(context)")
            }
        }
    }
}

/// A seeded generator of selector texts (SplitMix64, so a seed reproduces a run exactly).
struct RoundTripFuzzer {
    /// Fixed seeds plus one fresh seed per run; `SELECTOR_ROUNDTRIP_SEED` replays one seed.
    static var seeds: [UInt64] {
        if let text = ProcessInfo.processInfo.environment["SELECTOR_ROUNDTRIP_SEED"], let seed = UInt64(text) {
            return [seed]
        }
        return [1, 0x5EED, 0xC0FFEE, UInt64.random(in: 0...UInt64.max)]
    }

    static let keys = ["a", "b", "k8s/app", "x.y-z"]
    /// Scalars that stress quoting: quotes, combining marks, joiners, emoji, selector syntax.
    static let alphabet: [String] = [
        "\"", "'", "\u{301}", "\u{308}", "\u{20DD}", "\u{200D}", "\u{FE0F}", "\u{1F469}", "\u{1F3FB}",
        "\u{1F1FA}", "e", "\u{E9}", " ", "\t", "{", "}", ",", "(", ")", "&", "|", "!", "=", "\\", "\r", "\n", "x",
    ]

    var rng: SplitMix64
    var values: [String] = []

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { rng.next() }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// A value that can be quoted: never both quote kinds.
    mutating func value() -> String {
        if !values.isEmpty && below(3) == 0 { return pick(values) }
        var v = ""
        for _ in 0..<below(6) { v += pick(Self.alphabet) }
        if v.utf8.contains(UInt8(ascii: "\"")) && v.utf8.contains(UInt8(ascii: "'")) {
            v = String(decoding: v.utf8.filter { $0 != UInt8(ascii: "'") }, as: UTF8.self)
        }
        values.append(v)
        return v
    }

    mutating func quoted() -> String {
        let v = value()
        let q = v.utf8.contains(UInt8(ascii: "\"")) ? "'" : (v.utf8.contains(UInt8(ascii: "'")) || below(2) == 0 ? "\"" : "'")
        return q + v + q
    }

    mutating func space() -> String { pick(["", " ", "  ", "\t"]) }

    mutating func selector(depth: Int = 0) -> String {
        let choice = depth > 3 ? below(4) : below(8)
        switch choice {
        case 0:
            let ops = ["==", "!=", "contains", "starts with", "ends with", "startswith", "endswith"]
            let op = pick(ops)
            let gap = op.first!.isLetter ? " " : space()
            return pick(Self.keys) + gap + op + (op.first!.isLetter ? " " : space()) + quoted()
        case 1:
            var members: [String] = []
            for _ in 0..<below(4) { members.append(quoted()) }
            return pick(Self.keys) + " " + pick(["in", "not in", "notin"]) + " {" + members.joined(separator: "," + space()) + "}"
        case 2: return pick(["has(\(pick(Self.keys)))", "all()", "global()", "!has(\(pick(Self.keys)))"])
        case 3: return "(" + space() + selector(depth: depth + 1) + space() + ")"
        case 4: return "!" + space() + "(" + selector(depth: depth + 1) + ")"
        default:
            let op = pick(["&&", "||"])
            return selector(depth: depth + 1) + space() + op + space() + selector(depth: depth + 1)
        }
    }

    mutating func labels() -> [String: String] {
        var out: [String: String] = [:]
        for key in Self.keys where below(3) != 0 { out[key] = value() }
        return out
    }
}
