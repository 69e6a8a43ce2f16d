import CalicoAPI
import FelixCalc
import Testing
@testable import Felix

/// The syncer's own record of what it gave the graph: after a resync listing, what
/// disappeared becomes deletes (the syncer never reads the graph's internals).
@Suite struct SyncRecordTests {
    @Test func resyncDeletesWhatTheListingNoLongerHas() throws {
        var record = SyncRecord()
        let rs = try resources([nsProfile, wep("a", ip: "10.244.0.1"), wep("b", ip: "10.244.0.2")].joined(separator: "\n---\n"))
        for r in rs { record.note(.put(r)) }
        record.note(.ipamBlock(cidr: "10.244.0.0/26", owner: "node1"))
        record.note(.ipamBlock(cidr: "10.244.0.64/26", owner: "node2"))
        record.note(.unusable(CalcKey(GlobalNetworkPolicy.self, name: "default.x"), raw: nil, reason: "bad"))
        // The new listing: b and the policy gone, one block gone.
        let listing: [CalcEvent] = [.put(rs[0]), .put(rs[1]), .ipamBlock(cidr: "10.244.0.0/26", owner: "node1"), .inSync]
        let removals = record.resync(to: listing)
        let text = removals.map { e -> String in
            switch e {
            case .delete(let key): return "delete \(key.kind) \(key.namespace ?? "-") \(key.name)"
            case .ipamBlockRemove(let cidr): return "block- \(cidr)"
            default: return "other"
            }
        }
        #expect(Set(text) == ["delete WorkloadEndpoint default b", "delete GlobalNetworkPolicy - default.x", "block- 10.244.0.64/26"])
        #expect(record.resync(to: listing).isEmpty, "the record is now the listing")
    }
}
