import FelixCalc

/// What a syncer has given the calculation graph: every resource (by the graph's kind name,
/// namespace and name) and every IPAM block. After a fresh listing (a resync after
/// compaction) the difference becomes the deletes, so the syncer never reads the graph.
struct SyncRecord {
    private(set) var resources: Set<CalcKey> = []
    private(set) var blocks: Set<String> = []

    static func key(_ e: CalcEvent) -> CalcKey? {
        switch e {
        case .put(let r): return CalcKey(of: r)
        case let .unusable(key, _, _), let .delete(key): return key
        default: return nil
        }
    }

    mutating func note(_ e: CalcEvent) {
        switch e {
        case .put, .unusable: resources.insert(Self.key(e)!)
        case .delete: resources.remove(Self.key(e)!)
        case .ipamBlock(let cidr, _): blocks.insert(cidr)
        case .ipamBlockRemove(let cidr): blocks.remove(cidr)
        case .inSync: break
        }
    }

    /// The deletes that take the graph from what it was given to `listing`, which becomes
    /// the record.
    mutating func resync(to listing: [CalcEvent]) -> [CalcEvent] {
        var next = SyncRecord()
        for e in listing { next.note(e) }
        var removals: [CalcEvent] = resources.subtracting(next.resources).sorted { $0.description < $1.description }.map { .delete($0) }
        removals += blocks.subtracting(next.blocks).sorted().map { .ipamBlockRemove(cidr: $0) }
        self = next
        return removals
    }
}
