import CalicoAPI
import Testing
@testable import CalicoIPAM

/// The block's own logic on values, without a store.
@Suite struct AllocationBlockTests {
    func block() -> AllocationBlock { AllocationBlock(cidr: IPNet("10.244.0.0/29")!, affinity: "host:node1", sequence: 7) }
    let a = AllocationAttribute(handleID: "h-a", secondary: ["pod": "a"])
    let b = AllocationAttribute(handleID: "h-b", secondary: nil)

    @Test func assignsInFreeOrderSkippingReservedAndSharesAttributes() {
        var blk = block()
        let first = blk.assign(count: 2, attribute: a, reserved: [IPNet("10.244.0.0/31")!])
        #expect(first == [2, 3], "0 and 1 are reserved")
        #expect(blk.attributes == [a])
        let second = blk.assign(count: 1, attribute: a)
        #expect(second == [0])
        #expect(blk.attributes == [a], "an identical attribute is shared")
        #expect(blk.inUse == 3 && blk.allocations[2] == 0)
        #expect(blk.sequenceNumber == 9 && blk.sequenceNumberForAllocation?["0"] == 9)
    }

    @Test func aFullBlockAssignsNothing() {
        var blk = block()
        #expect(blk.assign(count: 8, attribute: a).count == 8)
        #expect(blk.assign(count: 1, attribute: a).isEmpty)
    }

    @Test func specificOrdinalIsRefusedWhenTaken() throws {
        var blk = block()
        try blk.assign(ordinal: 5, attribute: a, address: "10.244.0.5")
        #expect(!blk.unallocated.contains(5))
        #expect(throws: IPAMError.alreadyAllocated("10.244.0.5")) { try blk.assign(ordinal: 5, attribute: b, address: "10.244.0.5") }
        #expect(throws: IPAMError.notInPool("10.244.0.99")) { try blk.assign(ordinal: 99, attribute: b, address: "10.244.0.99") }
    }

    @Test func releaseFreesCountsHandlesAndDropsUnusedAttributes() {
        var blk = block()
        _ = blk.assign(count: 2, attribute: a)
        _ = blk.assign(count: 1, attribute: b)
        let (freed, handles) = blk.release { blk, ordinal in blk.attributes[blk.allocations[ordinal]!].handleID == "h-a" }
        #expect(freed == [0, 1])
        #expect(handles == ["h-a": 2])
        #expect(blk.attributes == [b] && blk.allocations[2] == 0, "attributes renumbered")
        #expect(blk.unallocated.suffix(2) == [0, 1])
        let none = blk.release { _, _ in false }
        #expect(none.freed.isEmpty)
    }

    @Test func ownership() {
        #expect(block().isOwned(by: "host:node1") && block().isOwned(by: nil) && !block().isOwned(by: "host:node2"))
    }
}
