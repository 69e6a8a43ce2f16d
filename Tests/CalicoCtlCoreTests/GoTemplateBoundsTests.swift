import CalicoAPI
import Testing
@testable import CalicoCtlCore

/// Regressions found by the go-template fuzzer (issue 10): each crashed calicoctl (index out
/// of range, arithmetic overflow) or asked for gigabytes, and is now an error or Go's output.
@Suite struct GoTemplateBoundsTests {
    func render(_ t: String) throws -> String {
        try GoTemplate.render(t, data: .sequence([], mark: nil), globalASNumber: "64512")
    }

    @Test func characterEscapeAtTheEndIsAnError() {
        #expect(throws: (any Error).self) { try render(#"{{'\"#) }
        #expect(throws: (any Error).self) { try render(#"{{"\"#) }
    }

    /// Go's fmt stops at a width or precision over 10^6 and prints %!(NOVERB), then the
    /// argument it did not use.
    @Test(arguments: [
        (#"{{printf "%99999999999999999999d" 1}}"#, "%!(NOVERB)%!(EXTRA int=1)"),
        (#"{{printf "%.99999999999999999999f" 1.5}}"#, "%!(NOVERB)%!(EXTRA float64=1.5)"),
        (#"{{printf "%99999999999d" 1}}"#, "%!(NOVERB)%!(EXTRA int=1)"),
        (#"{{printf "%.999999999f" 1.5}}"#, "%!(NOVERB)%!(EXTRA float64=1.5)"),
    ])
    func hugeWidthOrPrecisionEndsTheFormat(template: String, output: String) throws {
        #expect(try render(template) == output)
    }

    @Test func ordinaryWidthsStillWork() throws {
        #expect(try render(#"{{printf "%5d|%-4s|%.2f" 42 "ab" 3.14159}}"#) == "   42|ab  |3.14")
    }
}
