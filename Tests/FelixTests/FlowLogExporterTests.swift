import GoldmaneAPI
import Testing
@testable import Felix

/// What Felix keeps for a Goldmane that is down: bounded in number and in age; the rest is
/// given up and counted.
@Suite struct FlowLogExporterTests {
    static func flow(endingAt end: Int64) -> Goldmane_Flow {
        var f = Goldmane_Flow()
        f.endTime = end
        return f
    }

    @Test("At most 5000 flows and none older than 5 minutes are kept; the newest win; what is given up is counted")
    func bounded() {
        let now: Int64 = 10_000
        let old = (0..<10).map { _ in Self.flow(endingAt: now - 301) }
        let recent = (0..<6000).map { Self.flow(endingAt: now - 200 + Int64($0 % 100)) }
        let (keep, dropped) = FlowLogExporter.bounded(old + recent, now: now)
        #expect(keep.count == 5000 && dropped == 1010)
        #expect(keep.allSatisfy { now - $0.endTime < 300 })
        #expect(keep.last == recent.last, "the newest are kept")
        let few = FlowLogExporter.bounded([Self.flow(endingAt: now - 10)], now: now)
        #expect(few.keep.count == 1 && few.dropped == 0)
    }
}
