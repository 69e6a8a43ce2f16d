/// Items (by number) indexed by their interned labels, so a selector that requires a label
/// (`key == value`, `key in {…}`, `has(key)`) scans only the items carrying it: upstream's
/// label index at the root of the calculation graph. Not thread-safe; shares the interner of
/// the selectors it answers for.
public final class LabelIndex {
    public let interner: LabelInterner
    /// key id → value id → item numbers.
    private var byLabel: [Int32: [Int32: Set<Int>]] = [:]
    /// The labels each item is indexed under.
    private var indexed: [Int: InternedLabels] = [:]

    public init(interner: LabelInterner) {
        self.interner = interner
    }

    /// Indexes `item` under `labels` (nil removes it).
    public func update(_ item: Int, labels: InternedLabels?) {
        if let old = indexed[item] {
            var i = 0
            while i < old.pairs.count {
                byLabel[old.pairs[i]]?[old.pairs[i + 1]]?.remove(item)
                i += 2
            }
        }
        indexed[item] = labels
        if let labels {
            var i = 0
            while i < labels.pairs.count {
                byLabel[labels.pairs[i], default: [:]][labels.pairs[i + 1], default: []].insert(item)
                i += 2
            }
        }
    }

    /// The items that may match `selector`; nil when no required label narrows the scan
    /// (every item must be tried).
    public func candidates(for selector: Selector) -> [Int]? {
        let terms: [Expression]
        switch selector.expression {
        case .and(let xs): terms = xs
        default: terms = [selector.expression]
        }
        var best: Set<Int>? = nil
        for t in terms {
            var c: Set<Int>? = nil
            switch t {
            case let .equal(k, v):
                guard let kid = interner.existingID(k), let vid = interner.existingID(v) else { return [] }
                c = byLabel[kid]?[vid] ?? []
            case let .inSet(k, vs):
                guard let kid = interner.existingID(k) else { return [] }
                var u = Set<Int>()
                for v in vs { if let vid = interner.existingID(v) { u.formUnion(byLabel[kid]?[vid] ?? []) } }
                c = u
            case .has(let k):
                guard let kid = interner.existingID(k) else { return [] }
                var u = Set<Int>()
                for set in (byLabel[kid] ?? [:]).values { u.formUnion(set) }
                c = u
            default: continue
            }
            if let c, best == nil || c.count < best!.count { best = c }
        }
        return best.map { Array($0) }
    }
}
