import FelixCalc

/// What a syncer has given the calculation graph: every resource (by the graph's kind name,
/// namespace and name) and every IPAM block. After a fresh listing (a resync after
/// compaction) the difference becomes the deletes, so the syncer never reads the graph.
struct SyncRecord {
    struct Key: Hashable {
        var kind: String
        var namespace: String?
        var name: String
    }
    private(set) var resources: Set<Key> = []
    private(set) var blocks: Set<String> = []

    static func key(_ e: CalcEvent) -> Key? {
        switch e {
        case .put(let r): return Key(kind: CalcGraph.kindName(of: r), namespace: r.metadata.namespace, name: r.name)
        case let .unusable(kind, ns, name, _, _), let .delete(kind, ns, name): return Key(kind: kind, namespace: ns, name: name)
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
        var removals: [CalcEvent] = resources.subtracting(next.resources).sorted { "\($0)" < "\($1)" }
            .map { .delete(kind: $0.kind, namespace: $0.namespace, name: $0.name) }
        removals += blocks.subtracting(next.blocks).sorted().map { .ipamBlockRemove(cidr: $0) }
        self = next
        return removals
    }
}
