import CalicoSelector
import Testing

@Suite("Label index")
struct LabelIndexTests {
    let interner = LabelInterner()

    func index(_ items: [Int: [String: String]]) -> LabelIndex {
        let idx = LabelIndex(interner: interner)
        for (n, labels) in items { idx.update(n, labels: interner.labels(labels)) }
        return idx
    }

    func candidates(_ idx: LabelIndex, _ text: String) throws -> Set<Int>? {
        try idx.candidates(for: Selector.parse(text)).map(Set.init)
    }

    @Test func aRequiredLabelNarrowsTheScan() throws {
        let idx = index([1: ["app": "web"], 2: ["app": "db"], 3: ["app": "web", "tier": "front"], 4: [:]])
        #expect(try candidates(idx, "app == 'web'") == [1, 3])
        #expect(try candidates(idx, "app in {'web', 'db'}") == [1, 2, 3])
        #expect(try candidates(idx, "has(tier)") == [3])
        // The narrowest required term wins.
        #expect(try candidates(idx, "app == 'web' && tier == 'front'") == [3])
        // Labels nobody has: nothing can match.
        #expect(try candidates(idx, "app == 'cache'") == [])
        #expect(try candidates(idx, "has(zone)") == [])
    }

    @Test func selectorsWithoutARequiredLabelScanEverything() throws {
        let idx = index([1: ["app": "web"]])
        #expect(try candidates(idx, "all()") == nil)
        #expect(try candidates(idx, "app != 'web'") == nil)
        #expect(try candidates(idx, "app == 'web' || app == 'db'") == nil)
        #expect(try candidates(idx, "!has(app)") == nil)
    }

    @Test func updatesMoveAndRemoveItems() throws {
        let idx = index([1: ["app": "web"], 2: ["app": "web"]])
        idx.update(1, labels: interner.labels(["app": "db"]))
        idx.update(2, labels: nil)
        #expect(try candidates(idx, "app == 'web'") == [])
        #expect(try candidates(idx, "app == 'db'") == [1])
    }
}
