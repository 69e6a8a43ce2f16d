import CalicoDatastore
import Foundation
import Testing
@testable import CalicoCtlCore

/// Regression (issue 10, item 1): one stored value that does not decode (written around
/// calicoctl) made `get` and `datastore migrate export` fail for every resource of its kind,
/// and `delete` of it fail. Now the rest is listed and the bad one named; export carries it
/// as stored; delete removes it.
@Suite struct CorruptValueTests {
    static let key = "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.broken"
    static let value = #"{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.broken"},"spec":{"order":".nan","selector":"all()"}}"#

    func harness() async throws -> CtlHarness {
        let h = try CtlHarness()
        let f = try h.file("ok.yaml", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: fine}
            spec: {order: 10, selector: all(), ingress: [{action: Allow}]}
            """)
        #expect(await h.ctl(["apply", "-f", f]).code == 0)
        let store = EmbeddedStore.self
        let kv = try store.init(path: h.environment["EMBEDDED_DATASTORE_PATH"]!)
        _ = try await kv.create(Self.key, value: Array(Self.value.utf8))
        return h
    }

    @Test func getListsTheRestAndNamesTheBadValue() async throws {
        let h = try await harness()
        defer { h.cleanup() }
        let got = await h.ctl(["get", "globalnetworkpolicies"])
        #expect(got.out.contains("fine"))
        #expect(got.err.contains(Self.key) && got.err.contains("spec.order"), "\(got.err)")
        #expect(got.code == 1)
        let one = await h.ctl(["get", "globalnetworkpolicy", "broken"])
        #expect(one.code == 1 && one.err.contains(Self.key))
    }

    @Test func exportKeepsTheBadValueAsStored() async throws {
        let h = try await harness()
        defer { h.cleanup() }
        #expect(await h.ctl(["datastore", "migrate", "lock"]).code == 0)
        let exported = await h.ctl(["datastore", "migrate", "export"])
        #expect(exported.code == 0, "\(exported.err)")
        #expect(exported.out.contains("name: fine"))
        #expect(exported.out.contains(Self.key))
        #expect(exported.err.contains(Self.key))
        // It imports back into an empty store, byte for byte.
        let target = try CtlHarness()
        defer { target.cleanup() }
        let f = try target.file("all.yaml", exported.out)
        let imported = await target.ctl(["datastore", "migrate", "import", "-f", f])
        #expect(imported.code == 0, "\(imported.err)")
        let kv = try EmbeddedStore(path: target.environment["EMBEDDED_DATASTORE_PATH"]!)
        #expect(try await kv.get(Self.key)?.value == Array(Self.value.utf8))
    }

    @Test func deleteRemovesTheBadValue() async throws {
        let h = try await harness()
        defer { h.cleanup() }
        let deleted = await h.ctl(["delete", "globalnetworkpolicy", "broken"])
        #expect(deleted.code == 0, "\(deleted.err)")
        let got = await h.ctl(["get", "globalnetworkpolicies"])
        #expect(got.code == 0 && got.err.isEmpty)
    }
}
