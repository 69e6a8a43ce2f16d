import CalicoAPI
import Testing
@testable import CalicoCtlCore

/// Deeply nested templates end in a parse error naming the limit, not a stack overflow.
@Suite struct GoTemplateDepthTests {
    static let data = Value.sequence([.mapping([("name", .scalar("x", plain: true, mark: nil))], mark: nil)], mark: nil)

    static func parens(_ n: Int) -> String { "{{" + String(repeating: "(", count: n) + "." + String(repeating: ")", count: n) + "}}" }
    static func ifs(_ n: Int) -> String { String(repeating: "{{if 1}}", count: n) + "x" + String(repeating: "{{end}}", count: n) }

    func failure(_ template: String) -> GoTemplate.Failure? {
        do {
            _ = try GoTemplate.render(template, data: Self.data, globalASNumber: "64512")
            return nil
        } catch {
            return error as? GoTemplate.Failure
        }
    }

    @Test func thousandNestedParenthesesAreAnError() {
        let f = failure(Self.parens(1000))
        #expect(f?.isParseError == true)
        #expect(f?.message == "max nesting depth (100) exceeded", "\(String(describing: f))")
    }

    @Test func threeThousandNestedIfsAreAnError() {
        let f = failure(Self.ifs(3000))
        #expect(f?.isParseError == true)
        #expect(f?.message == "max nesting depth (100) exceeded", "\(String(describing: f))")
    }

    @Test func nestingKindsAddUp() {
        let inner = "{{" + String(repeating: "(", count: 60) + "." + String(repeating: ")", count: 60) + "}}"
        let t = String(repeating: "{{with .}}", count: 60) + inner + String(repeating: "{{end}}", count: 60)
        #expect(failure(t)?.message == "max nesting depth (100) exceeded")
    }

    @Test func nestingUpToTheLimitWorks() throws {
        #expect(try GoTemplate.render(Self.ifs(100), data: Self.data, globalASNumber: "1") == "x")
        let t = "{{range .}}" + "{{" + String(repeating: "(", count: 99) + ".name" + String(repeating: ")", count: 99) + "}}{{end}}"
        #expect(try GoTemplate.render(t, data: Self.data, globalASNumber: "1") == "x")
    }

    @Test func getReportsTheErrorAndFails() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        #expect(await h.ctl(["create", "-f", try h.file("t.yaml", tierYAML)]).code == 0)
        for template in [Self.parens(1000), Self.ifs(3000)] {
            let r = await h.ctl(["get", "tiers", "-o", "go-template=" + template])
            #expect(r.code == 1)
            #expect(r.err.contains("max nesting depth (100) exceeded"), "\(r.err.prefix(300))")
        }
    }
}
