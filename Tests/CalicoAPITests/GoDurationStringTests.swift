@testable import CalicoAPI
import Testing

@Suite struct GoDurationStringTests {
    @Test("Durations print as Go's time.Duration.String()", arguments: [
        (125.0, "2m5s"), (9910, "2h45m10s"), (3600, "1h0m0s"), (1.5, "1.5s"), (0.5, "500ms"), (0, "0s"),
        (0.0000015, "1.5µs"), (0.000000007, "7ns"), (60, "1m0s"), (90.25, "1m30.25s"),
    ])
    func string(_ seconds: Double, _ text: String) {
        #expect(GoDuration.string(seconds) == text)
    }

    @Test func normalizedKeepsWhatIsNoDuration() {
        #expect(GoDuration.normalized("125s") == "2m5s")
        #expect(GoDuration.normalized("1h30m") == "1h30m0s")
        #expect(GoDuration.normalized("90") == "90")
        #expect(GoDuration.normalized("soon") == "soon")
        #expect(GoDuration.normalized("") == "")
    }
}

@Suite struct YAMLQuotingTests {
    @Test("Plain unless YAML 1.1 reads the text as a number (go-yaml v2's rules)", arguments: [
        ("1:20", true), ("190:20:30.15", true), ("-1:30", true), ("1_000", true), ("1_0.5", true), ("80", true),
        ("110:1050", false), ("1:60", false), ("192.20.30.40", false), ("10-1-0-0-16", false), ("e9", false),
        ("2001:db8::/32", false), ("fd00::1", false), ("1:2:3x", false),
    ])
    func quoting(_ text: String, _ quoted: Bool) {
        #expect(Emitter.needsQuotes(text) == quoted)
    }
}
