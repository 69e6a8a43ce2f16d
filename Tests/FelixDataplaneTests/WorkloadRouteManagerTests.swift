import FelixCalc
import Foundation
import Testing
@testable import FelixDataplane

/// Routes have one owner: the graph computes them, this manager applies its local workload
/// routes (through a recording seam here; the kernel path is covered by LabTests' traffic).
@Suite struct WorkloadRouteManagerTests {
    final class Recorder: @unchecked Sendable {
        var calls: [[String: String]] = []
    }

    func route(_ dst: String, _ kind: RouteUpdate.Kind, interface: String? = nil) -> DataplaneUpdate {
        .routeUpdate(RouteUpdate(dst: dst, kind: kind, dstNodeName: "node1", dstNodeIP: nil, poolType: "NONE",
                                 natOutgoing: false, interfaceName: interface, borrowed: false))
    }

    @Test func appliesLocalWorkloadRoutesWhenTheyChange() throws {
        let rec = Recorder()
        let m = WorkloadRouteManager(interfacePrefixes: ["cali"], refreshInterval: 3600) { wanted, _ in
            rec.calls.append(wanted)
            return wanted.count
        }
        m.onUpdates([route("10.244.0.1/32", .localWorkload, interface: "calia"), route("10.244.1.0/26", .remoteWorkload),
                     route("10.244.0.0/16", .cidrInfo)])
        #expect(try m.apply().commands == 1)
        #expect(rec.calls == [["10.244.0.1/32": "calia"]])
        #expect(try m.apply().commands == 0, "nothing changed: no sync before the refresh is due")
        m.onUpdate(.routeRemove(dst: "10.244.0.1/32"))
        try m.apply()
        #expect(rec.calls.last == [:])
        #expect(rec.calls.count == 2)
    }
}
