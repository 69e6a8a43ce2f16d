import CalicoAPI
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
