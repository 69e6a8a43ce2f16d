import CalicoAPI

/// What an allocation block does to itself, as pure value changes (no store): the IPAM
/// client reads a block, applies one of these, and writes it back with compare-and-swap.
extension AllocationBlock {
    /// Whether the block may serve a request with affinity `affinity` (nil: any block).
    public func isOwned(by affinity: String?) -> Bool { affinity == nil || self.affinity == affinity }

    /// Index of an identical attribute entry, appending one when new.
    public mutating func attributeIndex(_ attr: AllocationAttribute) -> Int {
        if let i = attributes.firstIndex(of: attr) { return i }
        attributes.append(attr)
        return attributes.count - 1
    }

    /// Allocates up to `count` free ordinals in the block's free order, skipping addresses
    /// inside `reserved`; returns the ordinals allocated (empty when none is free).
    public mutating func assign(count: Int, attribute: AllocationAttribute, reserved: [IPNet] = []) -> [Int] {
        var picked: [Int] = []
        var keep: [Int] = []
        for ordinal in unallocated {
            if picked.count < count, let ip = address(ordinal), !reserved.contains(where: { $0.contains(ip) }) {
                picked.append(ordinal)
            } else {
                keep.append(ordinal)
            }
        }
        guard !picked.isEmpty else { return [] }
        unallocated = keep
        record(picked, attribute: attribute)
        return picked
    }

    /// Allocates one specific ordinal; fails when it is taken.
    public mutating func assign(ordinal: Int, attribute: AllocationAttribute, address: String) throws(IPAMError) {
        guard allocations.indices.contains(ordinal) else { throw IPAMError.notInPool(address) }
        guard allocations[ordinal] == nil else { throw IPAMError.alreadyAllocated(address) }
        unallocated.removeAll { $0 == ordinal }
        record([ordinal], attribute: attribute)
    }

    /// Marks `ordinals` allocated with `attribute`, under one new sequence number.
    private mutating func record(_ ordinals: [Int], attribute: AllocationAttribute) {
        let index = attributeIndex(attribute)
        let seq = (sequenceNumber ?? 0) + 1
        sequenceNumber = seq
        var seqs = sequenceNumberForAllocation ?? [:]
        for o in ordinals {
            allocations[o] = index
            seqs[String(o)] = seq
        }
        sequenceNumberForAllocation = seqs
    }

    /// Frees the allocated ordinals `select` picks; returns them and how many each handle
    /// lost. Attributes no allocation uses any more are dropped.
    public mutating func release(where select: (AllocationBlock, Int) -> Bool) -> (freed: [Int], handles: [String: Int]) {
        let before = self
        var freed: [Int] = []
        var handles: [String: Int] = [:]
        for (ordinal, index) in before.allocations.enumerated() {
            guard let index, select(before, ordinal) else { continue }
            freed.append(ordinal)
            if let h = attributes[index].handleID { handles[h, default: 0] += 1 }
            allocations[ordinal] = nil
            unallocated.append(ordinal)
            sequenceNumberForAllocation?[String(ordinal)] = nil
        }
        guard !freed.isEmpty else { return ([], [:]) }
        compactAttributes()
        sequenceNumber = (sequenceNumber ?? 0) + 1
        return (freed, handles)
    }

    /// Drops attribute entries no allocation refers to, renumbering the rest.
    public mutating func compactAttributes() {
        let used = Set(allocations.compactMap { $0 })
        var remap: [Int: Int] = [:]
        var kept: [AllocationAttribute] = []
        for (i, a) in attributes.enumerated() where used.contains(i) {
            remap[i] = kept.count
            kept.append(a)
        }
        attributes = kept
        allocations = allocations.map { $0.flatMap { remap[$0] } }
    }
}
