import Testing
@testable import CalicoSelector

// Cases derived from the selector-language spec (api-and-validation.md §6 and §15 rows 69–76),
// not from the implementation.

/// A selector evaluated against a label set.
struct MatchCase: Sendable, CustomTestStringConvertible {
    let selector: String
    let labels: [String: String]
    let expected: Bool
    init(_ selector: String, _ labels: [String: String], _ expected: Bool) {
        self.selector = selector
        self.labels = labels
        self.expected = expected
    }
    var testDescription: String {
        let l = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.debugDescription)" }.joined(separator: ",")
        return "\(selector.debugDescription) vs {\(l)} → \(expected)"
    }
}

/// Selector text and its expected canonical form.
struct CanonicalCase: Sendable, CustomTestStringConvertible {
    let input: String
    let canonical: String
    init(_ input: String, _ canonical: String) {
        self.input = input
        self.canonical = canonical
    }
    var testDescription: String { "\(input.debugDescription) → \(canonical.debugDescription)" }
}

/// Selector text that must not parse; `column` (1-based) of the offending token when it is unambiguous.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    let selector: String
    let column: Int?
    init(_ selector: String, _ column: Int?) {
        self.selector = selector
        self.column = column
    }
    var testDescription: String {
        let s = selector.count > 40 ? "\(selector.prefix(20))…(\(selector.utf8.count) bytes)" : selector
        return "\(s.debugDescription) @\(column.map(String.init) ?? "?")"
    }
}

private let label512 = String(repeating: "l", count: 512)
private let label513 = String(repeating: "l", count: 513)
private let twentyValues = (1...20).map { "\"a\($0)\"" }.joined(separator: ", ")
private let notInQuotes = #"a not in {"'", '"', "c"}"#

@Suite struct SelectorTests {
    static let matchCases: [MatchCase] = [
        // == (absent label → false)
        MatchCase(#"a == "b""#, ["a": "b"], true),
        MatchCase(#"a == "b""#, ["a": "c"], false),
        MatchCase(#"a == "b""#, [:], false),
        MatchCase(#"a == "b""#, ["b": "b"], false),
        MatchCase(#"a == """#, ["a": ""], true),
        MatchCase(#"a == """#, [:], false),
        MatchCase(#"a == 'b'"#, ["a": "b"], true),
        MatchCase(#"a=="b""#, ["a": "b"], true),
        MatchCase("a\t==\t\"b\"", ["a": "b"], true),
        MatchCase(#"   a   ==   "b"   "#, ["a": "b"], true),
        MatchCase(#"a == "B""#, ["a": "b"], false),
        MatchCase(#"a == "b ""#, ["a": "b"], false),
        MatchCase(#"a == "b""#, ["a": "bb"], false),
        // != (absent label → true)
        MatchCase(#"a != "a""#, [:], true),
        MatchCase(#"a != "a""#, ["a": "a"], false),
        MatchCase(#"a != "a""#, ["a": "b"], true),
        MatchCase(#"a != """#, ["a": ""], false),
        MatchCase(#"a != """#, [:], true),
        MatchCase(#"a!='x'"#, ["a": "y"], true),
        // ! negates the whole operation
        MatchCase(#"!a == "x""#, ["a": "x"], false),
        MatchCase(#"!a == "x""#, ["a": "y"], true),
        MatchCase(#"!a == "x""#, [:], true),
        MatchCase(#"!a in {"a"}"#, ["a": "b"], true),
        MatchCase(#"!a in {"a"}"#, ["a": "a"], false),
        MatchCase("!!has(b)", ["a": "b"], false),
        MatchCase("!!! has(a)", ["a": "b"], false),
        MatchCase("!!has(a)", ["a": "b"], true),
        MatchCase("!(!has(a) || has(b))", ["a": "a"], true),
        MatchCase("!(!has(a) || has(b))", ["a": "a", "b": "b"], false),
        MatchCase("! has(a)", [:], true),
        MatchCase("!has(a)", ["a": ""], false),
        MatchCase(#"!a != "x""#, [:], false),
        MatchCase(#"!a not in {"x"}"#, [:], false),
        MatchCase(#"!a contains "x""#, [:], true),
        MatchCase(#"!a starts with "x""#, [:], true),
        MatchCase("!all()", [:], false),
        MatchCase("!global()", ["a": "b"], false),
        // has()
        MatchCase("has(a)", ["a": ""], true),
        MatchCase("has(a)", [:], false),
        MatchCase("has( a )", ["a": "x"], true),
        MatchCase("has(\ta\t)", ["a": "x"], true),
        MatchCase("has(projectcalico.org/namespace)", ["projectcalico.org/namespace": "default"], true),
        MatchCase("has(a)", ["A": "x"], false),
        MatchCase("has(\(label512))", [label512: "v"], true),
        // all(), global(), empty
        MatchCase("all()", [:], true),
        MatchCase("all()", ["a": "b"], true),
        MatchCase("global()", [:], true),
        MatchCase("global()", ["a": "b"], true),
        MatchCase("", [:], true),
        MatchCase("   ", ["a": "b"], true),
        MatchCase("\t", [:], true),
        MatchCase("all() && global()", [:], true),
        // in {}
        MatchCase(#"a in {"x", "y"}"#, ["a": "y"], true),
        MatchCase(#"a in {"x", "y"}"#, ["a": "z"], false),
        MatchCase(#"a in {"x", "y"}"#, [:], false),
        MatchCase("a in {}", ["a": ""], false),
        MatchCase("a in {}", [:], false),
        MatchCase(#"a in {"x",}"#, ["a": "x"], true),
        MatchCase(#"a in {""}"#, ["a": ""], true),
        MatchCase(#"a in {""}"#, [:], false),
        MatchCase(#"a in{"x"}"#, ["a": "x"], true),
        MatchCase(#"a in {'x', "y"}"#, ["a": "x"], true),
        MatchCase(#"a in {"x","y","z","w","v","u","t","s","r"}"#, ["a": "s"], true),
        MatchCase(#"a in {"x","y","z","w","v","u","t","s","r"}"#, ["a": "q"], false),
        MatchCase("a in {\(twentyValues)}", ["a": "a10"], true),
        MatchCase("a in {\(twentyValues)}", ["a": "a20"], true),
        MatchCase("a in {\(twentyValues)}", ["a": "a1"], true),
        MatchCase("a in {\(twentyValues)}", ["a": "a21"], false),
        MatchCase("a in {\(twentyValues)}", ["a": "a"], false),
        MatchCase(#"a in {"X"}"#, ["a": "x"], false),
        // not in {} (absent label → true)
        MatchCase(notInQuotes, [:], true),
        MatchCase(notInQuotes, ["a": "e"], true),
        MatchCase(notInQuotes, ["a": "\""], false),
        MatchCase(notInQuotes, ["a": "'"], false),
        MatchCase(notInQuotes, ["a": "c"], false),
        MatchCase("a not in {}", [:], true),
        MatchCase("a not in {}", ["a": "x"], true),
        MatchCase(#"a notin {"x"}"#, ["a": "x"], false),
        MatchCase(#"a notin {"x"}"#, ["a": "y"], true),
        MatchCase(#"a not  in {"x"}"#, ["a": "x"], false),
        MatchCase("a not\tin {\"x\"}", ["a": "y"], true),
        MatchCase("a not \t in {\"x\"}", [:], true),
        MatchCase(#"a not in {"x",}"#, ["a": "x"], false),
        MatchCase(#"a notin{"x"}"#, ["a": "x"], false),
        // contains
        MatchCase(#"a contains "ell""#, ["a": "hello"], true),
        MatchCase(#"a contains "xyz""#, ["a": "hello"], false),
        MatchCase(#"a contains "ell""#, [:], false),
        MatchCase(#"a contains """#, ["a": "hello"], true),
        MatchCase(#"a contains """#, [:], false),
        MatchCase(#"a contains "hello""#, ["a": "hello"], true),
        MatchCase(#"a contains "hello!""#, ["a": "hello"], false),
        MatchCase(#"a contains"ell""#, ["a": "hello"], true),
        MatchCase(#"a contains 'l'"#, ["a": "hello"], true),
        // starts with
        MatchCase(#"a starts with "he""#, ["a": "hello"], true),
        MatchCase(#"a starts with "lo""#, ["a": "hello"], false),
        MatchCase(#"a startswith "he""#, ["a": "hello"], true),
        MatchCase(#"a starts  with "he""#, ["a": "hello"], true),
        MatchCase("a starts\twith \"he\"", ["a": "hello"], true),
        MatchCase(#"a starts with "he""#, [:], false),
        MatchCase(#"a starts with """#, ["a": "x"], true),
        MatchCase(#"a starts with "hello!""#, ["a": "hello"], false),
        MatchCase(#"a startswith"he""#, ["a": "hello"], true),
        // ends with
        MatchCase(#"a ends with "lo""#, ["a": "hello"], true),
        MatchCase(#"a ends with "he""#, ["a": "hello"], false),
        MatchCase(#"a endswith "lo""#, ["a": "hello"], true),
        MatchCase(#"a ends   with "lo""#, [:], false),
        MatchCase(#"a endswith "'""#, ["a": "it'"], true),
        MatchCase(#"a ends with """#, ["a": "x"], true),
        // keywords are not reserved as label names
        MatchCase(#"contains contains "x""#, ["contains": "axb"], true),
        MatchCase(#"contains contains "x""#, ["contains": "ab"], false),
        MatchCase(#"in in {"x"}"#, ["in": "x"], true),
        MatchCase(#"has == "x""#, ["has": "x"], true),
        MatchCase(#"all == "x""#, ["all": "x"], true),
        MatchCase(#"global != "x""#, [:], true),
        MatchCase(#"not in {"x"}"#, ["not": "x"], true),
        MatchCase(#"not not in {"x"}"#, ["not": "y"], true),
        MatchCase(#"not not in {"x"}"#, ["not": "x"], false),
        MatchCase(#"startswith startswith "a""#, ["startswith": "abc"], true),
        MatchCase(#"ends endswith "z""#, ["ends": "xyz"], true),
        MatchCase(#"notin notin {"a"}"#, ["notin": "b"], true),
        MatchCase(#"in == "x" && contains contains "y""#, ["in": "x", "contains": "yy"], true),
        MatchCase(#"has(has) && has == "1""#, ["has": "1"], true),
        // label characters [A-Za-z0-9_./-], any start character
        MatchCase(#"projectcalico.org/namespace == "default""#, ["projectcalico.org/namespace": "default"], true),
        MatchCase(#"projectcalico.org/namespace == "default""#, ["projectcalico.org/namespace": "kube-system"], false),
        MatchCase(#"pcns.projectcalico.org/name == "ns1""#, ["pcns.projectcalico.org/name": "ns1"], true),
        MatchCase(#"a.b/c-d_e == "v""#, ["a.b/c-d_e": "v"], true),
        MatchCase(#"1abc == "v""#, ["1abc": "v"], true),
        MatchCase(#"-a == "v""#, ["-a": "v"], true),
        MatchCase(#"_x == "v""#, ["_x": "v"], true),
        MatchCase(#"/a/b == "v""#, ["/a/b": "v"], true),
        MatchCase(#"A == "v""#, ["a": "v"], false),
        MatchCase(#"A == "v""#, ["A": "v"], true),
        MatchCase("\(label512) == \"v\"", [label512: "v"], true),
        // string literals: no escapes; the other quote kind is ordinary text
        MatchCase(#"a == "it's""#, ["a": "it's"], true),
        MatchCase(#"a == 'say "hi"'"#, ["a": #"say "hi""#], true),
        MatchCase(#"a == "héllo""#, ["a": "héllo"], true),
        MatchCase(#"a == "a b""#, ["a": "a b"], true),
        MatchCase(#"a == "&& || ( ) ! { } ,""#, ["a": "&& || ( ) ! { } ,"], true),
        MatchCase(#"a == "x\y""#, ["a": #"x\y"#], true),
        MatchCase("a == \"x\ty\"", ["a": "x\ty"], true),
        // values compare as exact strings (byte-wise, no Unicode normalisation)
        MatchCase("a == \"\u{E9}\"", ["a": "e\u{301}"], false),
        MatchCase("a in {\"\u{E9}\"}", ["a": "e\u{301}"], false),
        MatchCase("a != \"\u{E9}\"", ["a": "e\u{301}"], true),
        MatchCase(#"a starts with "e""#, ["a": "e\u{301}x"], true),
        MatchCase(#"a contains "e""#, ["a": "xe\u{301}"], true),
        // precedence: ! > && > ||
        MatchCase(#"a == "1" || b == "2" && c == "3""#, ["a": "1"], true),
        MatchCase(#"a == "1" || b == "2" && c == "3""#, ["b": "2"], false),
        MatchCase(#"a == "1" || b == "2" && c == "3""#, ["b": "2", "c": "3"], true),
        MatchCase(#"(a == "1" || b == "2") && c == "3""#, ["a": "1"], false),
        MatchCase(#"(a == "1" || b == "2") && c == "3""#, ["a": "1", "c": "3"], true),
        MatchCase("!has(a) && has(b)", ["b": "x"], true),
        MatchCase("!has(a) && has(b)", ["a": "x", "b": "x"], false),
        MatchCase("!(has(a) && has(b))", ["a": "x"], true),
        MatchCase("!has(a) || has(b)", ["a": "x"], false),
        MatchCase("has(a) && has(b) || has(c)", ["c": "x"], true),
        MatchCase("has(a) && (has(b) || has(c))", ["c": "x"], false),
        MatchCase("has(a) || has(b) && has(c)", ["a": "x"], true),
        MatchCase("((has(a)))", ["a": "x"], true),
        MatchCase("(has(a) || has(b)) && !(has(c) || has(d))", ["a": "x", "d": "y"], false),
        MatchCase("(has(a) || has(b)) && !(has(c) || has(d))", ["b": "x"], true),
        MatchCase("has(a)&&has(b)", ["a": "1", "b": "2"], true),
        MatchCase("has(a)||has(b)", ["b": "1"], true),
        MatchCase("has(a) && has(b) && has(c)", ["a": "1", "b": "2"], false),
        MatchCase("has(a) || has(b) || has(c)", ["c": "1"], true),
        MatchCase("!!(has(a) && has(b))", ["a": "1", "b": "2"], true),
        MatchCase("!global() || has(a)", ["a": "1"], true),
        MatchCase("( has(a) )", ["a": "1"], true),
        MatchCase(#"a == "x" && b != "y""#, ["a": "x"], true),
        MatchCase(#"a == "x" && b != "y""#, ["a": "x", "b": "y"], false),
        MatchCase(#"a in {"x"} || b not in {"y"}"#, [:], true),
    ]

    @Test(arguments: matchCases)
    func evaluates(_ c: MatchCase) throws {
        let selector = try Selector(parsing: c.selector)
        #expect(selector.matches(c.labels) == c.expected, "canonical: \(selector.canonical)")
        // The canonical text must select exactly the same things.
        let reparsed = try Selector(parsing: selector.canonical)
        #expect(reparsed.matches(c.labels) == c.expected, "canonical: \(selector.canonical)")
        // And the cached parse agrees.
        #expect(try Selector.parse(c.selector).matches(c.labels) == c.expected)
        // And the compiled (interned) evaluator.
        let interner = LabelInterner()
        let compiled = CompiledSelector(selector.expression, interner: interner)
        #expect(compiled.matches(interner.labels(c.labels), interner: interner) == c.expected)
    }

    static let canonicalCases: [CanonicalCase] = [
        CanonicalCase(#"a in {"z","z","x","y","x","a"}"#, #"a in {"a", "x", "y", "z"}"#),
        CanonicalCase("", "all()"),
        CanonicalCase(#"a endswith "'""#, #"a ends with "'""#),
        CanonicalCase("   ", "all()"),
        CanonicalCase("\t \t", "all()"),
        CanonicalCase("all()", "all()"),
        CanonicalCase("global()", "global()"),
        CanonicalCase(#"a == 'b'"#, #"a == "b""#),
        CanonicalCase(#"a=="b""#, #"a == "b""#),
        CanonicalCase(#"a   !=   "b""#, #"a != "b""#),
        CanonicalCase(#"a == 'say "hi"'"#, #"a == 'say "hi"'"#),
        CanonicalCase(#"a == "it's""#, #"a == "it's""#),
        CanonicalCase(#"a in {'x"y', "it's"}"#, #"a in {"it's", 'x"y'}"#),
        CanonicalCase("has( a )", "has(a)"),
        CanonicalCase("has(\ta)", "has(a)"),
        CanonicalCase("! has(a)", "!has(a)"),
        CanonicalCase(#"!a == "b""#, #"!a == "b""#),
        CanonicalCase(#"! a == "b""#, #"!a == "b""#),
        CanonicalCase(#"a startswith "x""#, #"a starts with "x""#),
        CanonicalCase(#"a starts   with "x""#, #"a starts with "x""#),
        CanonicalCase("a ends\twith \"x\"", #"a ends with "x""#),
        CanonicalCase(#"a notin {"x"}"#, #"a not in {"x"}"#),
        CanonicalCase(#"a not   in {"y", "x"}"#, #"a not in {"x", "y"}"#),
        CanonicalCase("a in {}", "a in {}"),
        CanonicalCase("a not in {}", "a not in {}"),
        CanonicalCase(#"a in {"x",}"#, #"a in {"x"}"#),
        CanonicalCase(#"a in {'b', "a"}"#, #"a in {"a", "b"}"#),
        CanonicalCase(#"a in {'x"y', "b"}"#, #"a in {"b", 'x"y'}"#),
        CanonicalCase(#"a in {"a10","a2","a1"}"#, #"a in {"a1", "a10", "a2"}"#),
        CanonicalCase(#"a in {"b","B","_","a"}"#, #"a in {"B", "_", "a", "b"}"#),
        CanonicalCase(#"a in {"x","x"}"#, #"a in {"x"}"#),
        CanonicalCase(#"a contains 'x'"#, #"a contains "x""#),
        CanonicalCase(#"a contains"x""#, #"a contains "x""#),
        CanonicalCase("has(a) && has(b)", "(has(a) && has(b))"),
        CanonicalCase("has(a)&&has(b)", "(has(a) && has(b))"),
        CanonicalCase("has(a)||has(b)", "(has(a) || has(b))"),
        CanonicalCase("has(a) || has(b) && has(c)", "(has(a) || (has(b) && has(c)))"),
        CanonicalCase("(has(a) || has(b)) && has(c)", "((has(a) || has(b)) && has(c))"),
        CanonicalCase("has(a) && has(b) && has(c)", "(has(a) && has(b) && has(c))"),
        CanonicalCase("has(a) || has(b) || has(c)", "(has(a) || has(b) || has(c))"),
        CanonicalCase("(has(a))", "has(a)"),
        CanonicalCase(#"((a == "b"))"#, #"a == "b""#),
        CanonicalCase("!(has(a) && has(b))", "!(has(a) && has(b))"),
        CanonicalCase("! ( has(a) || has(b) )", "!(has(a) || has(b))"),
        CanonicalCase("!!has(a)", "has(a)"),
        CanonicalCase("!!!has(a)", "!has(a)"),
        CanonicalCase(#"contains contains "x""#, #"contains contains "x""#),
        CanonicalCase(#"projectcalico.org/namespace == 'ns'"#, #"projectcalico.org/namespace == "ns""#),
        CanonicalCase(#"a == """#, #"a == """#),
        CanonicalCase(#"a in {''}"#, #"a in {""}"#),
        CanonicalCase(#"!a in {"x"}"#, #"!a in {"x"}"#),
        CanonicalCase(#"has(a) && !has(b) || c == 'd'"#, #"((has(a) && !has(b)) || c == "d")"#),
        CanonicalCase(#"a in {"b"} && (c not in {"e","d"} || f startswith 'g')"#,
                      #"(a in {"b"} && (c not in {"d", "e"} || f starts with "g"))"#),
        CanonicalCase(#"  a == "b"  "#, #"a == "b""#),
        CanonicalCase(#"a == "x" && !(b == "y" || !c == "z")"#, #"(a == "x" && !(b == "y" || !c == "z"))"#),
        CanonicalCase("all() || global()", "(all() || global())"),
        CanonicalCase(#"a ends with 'x"y'"#, #"a ends with 'x"y'"#),
    ]

    @Test(arguments: canonicalCases)
    func canonicalForm(_ c: CanonicalCase) throws {
        let selector = try Selector(parsing: c.input)
        #expect(selector.canonical == c.canonical)
        #expect(selector.description == c.canonical)
        // The canonical text is a fixed point.
        let again = try Selector(parsing: selector.canonical)
        #expect(again.canonical == c.canonical)
        #expect(again == selector)
        #expect(try Selector.parse(c.input).canonical == c.canonical)
    }

    static let errorCases: [ErrorCase] = [
        // §15 row 75
        ErrorCase("b == b", 6),
        ErrorCase("'b1' == b", 1),
        ErrorCase("b", 2),
        ErrorCase("a b", 3),
        ErrorCase("!", 2),
        ErrorCase(#"foo in """#, 8),
        ErrorCase(#""FOO'"#, 1),
        ErrorCase("(", 2),
        ErrorCase("()", 2),
        ErrorCase("%", 1),
        ErrorCase("a ", nil),
        ErrorCase("has(foo) &&", 12),
        ErrorCase("has()", 5),
        ErrorCase(#"label = "v""#, 7),
        ErrorCase("\(label513) == \"v\"", 1),
        // more
        ErrorCase("has(\(label513))", 5),
        ErrorCase("a == \"b\"\n", 9),
        ErrorCase("a\n== \"b\"", 2),
        ErrorCase("a == \"b\"\r", 9),
        ErrorCase("a\u{0B}== \"b\"", 2),
        ErrorCase("has(a) & has(b)", 8),
        ErrorCase("has(a) | has(b)", 8),
        ErrorCase("thing=hello &", 6),
        ErrorCase(#"a == "b" ||"#, 12),
        ErrorCase("|| has(a)", 1),
        ErrorCase("&& has(a)", 1),
        ErrorCase("has(a) has(b)", 8),
        ErrorCase(#"a == "b")"#, 9),
        ErrorCase(#"(a == "b""#, 10),
        ErrorCase(#"a in {"x" "y"}"#, 11),
        ErrorCase(#"a in {"x",,"y"}"#, 11),
        ErrorCase(#"a in {,"x"}"#, 7),
        ErrorCase(#"a in "x""#, 6),
        ErrorCase("a in {x}", 7),
        ErrorCase(#"a in {"x""#, 10),
        ErrorCase("a in", 5),
        ErrorCase("a ==", 5),
        ErrorCase(#"a === "b""#, 5),
        ErrorCase(#"a !== "b""#, 5),
        ErrorCase(#""b" == a"#, 1),
        ErrorCase("has (a)", 5),
        ErrorCase("has(a b)", 7),
        ErrorCase(#"has("a")"#, 5),
        ErrorCase("all(a)", 5),
        ErrorCase("global(x)", 8),
        ErrorCase(#"a containsx "b""#, 3),
        ErrorCase("a startswith", 13),
        ErrorCase(#"a starts "x""#, 3),
        ErrorCase(#"a ends "x""#, 3),
        ErrorCase(#"a not "x""#, 3),
        ErrorCase(#"a == "b" !"#, 10),
        ErrorCase("é == \"x\"", 1),
        ErrorCase(#"a == "x" # comment"#, 10),
        ErrorCase(#"a == "b" && && has(c)"#, 13),
        ErrorCase("!!", 3),
        ErrorCase(#"a == "b" c"#, 10),
        ErrorCase(#"a == 'b""#, 6),
        ErrorCase(#"a == "b"#, 6),
        ErrorCase(#"a = = "b""#, 3),
        ErrorCase(#"a == "b" && (c == "d""#, 22),
        ErrorCase(#"a in {"x"} {"#, 12),
        ErrorCase("all() all()", 7),
        ErrorCase(#"a == "x" &&"#, 12),
        ErrorCase(#"a != "x" ||"#, 12),
        ErrorCase("a == \"b\" &&\n has(c)", 12),
        ErrorCase("has(a)\u{0C}", 7),
        ErrorCase("a ==  ", 7),
        ErrorCase("{", 1),
        ErrorCase(#"a in {"x"}}"#, 11),
        ErrorCase(#"a == "x", b == "y""#, 9),
    ]

    @Test(arguments: errorCases)
    func rejects(_ c: ErrorCase) {
        do {
            let selector = try Selector(parsing: c.selector)
            Issue.record("parsed as \(selector.canonical)")
        } catch {
            #expect(!error.message.isEmpty)
            #expect(error.selector == c.selector)
            if let column = c.column {
                #expect(error.column == column, "\(error)")
            }
        }
        // The cache must not turn an error into a success, and reports the same error.
        for _ in 0..<2 {
            do {
                _ = try Selector.parse(c.selector)
                Issue.record("cached parse succeeded")
            } catch {
                if let column = c.column { #expect(error.column == column) }
            }
        }
    }

    @Test func labelLengthLimitIs512() throws {
        #expect(throws: Never.self) { try Selector(parsing: "has(\(label512))") }
        #expect(throws: SelectorError.self) { try Selector(parsing: "has(\(label513))") }
        #expect(throws: SelectorError.self) { try Selector(parsing: "\(label513) != \"x\"") }
    }

    @Test func equalCanonicalTextMeansEqualSelectors() throws {
        let a = try Selector(parsing: #"b == 'x' && a in {"2","1"}"#)
        let b = try Selector(parsing: #"b=="x"&&a in {'1','2','1',}"#)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(try Selector(parsing: "") == Selector.all)
        #expect(try Selector(parsing: "has(a)") != Selector(parsing: "!has(a)"))
    }

    @Test func cacheReturnsTheSameSelector() throws {
        let text = #"role in {"db", "web"} && !has(quarantine)"#
        let first = try Selector.parse(text)
        let second = try Selector.parse(text)
        #expect(first == second)
        #expect(try Selector(parsing: text) == first)
        #expect(first.matches(["role": "db"]))
        #expect(!first.matches(["role": "db", "quarantine": ""]))
    }
}

@Suite struct SelectorExactStringTests {
    /// Texts that differ only in Unicode normalisation are different selectors (values are exact strings).
    @Test func cacheAndEqualityKeepUnicodeFormsApart() throws {
        let composed = "a == \"\u{E9}\""
        let decomposed = "a == \"e\u{301}\""
        let c = try Selector.parse(composed)
        let d = try Selector.parse(decomposed)
        #expect(c != d)
        #expect(c.matches(["a": "\u{E9}"]))
        #expect(!c.matches(["a": "e\u{301}"]))
        #expect(d.matches(["a": "e\u{301}"]))
        #expect(!d.matches(["a": "\u{E9}"]))
        let set = try Selector(parsing: "a in {\"\u{E9}\", \"e\u{301}\"}")
        #expect(set.matches(["a": "\u{E9}"]))
        #expect(set.matches(["a": "e\u{301}"]))
        #expect(set.canonical == "a in {\"e\u{301}\", \"\u{E9}\"}")
    }
}
