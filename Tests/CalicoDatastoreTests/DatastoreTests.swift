import CalicoAPI
import Foundation
import Testing
@testable import CalicoDatastore

func tempStore() throws -> (Datastore, String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ds-\(UUID().uuidString)").path
    return (Datastore(kv: try EmbeddedStore(path: dir + "/datastore.db")), dir)
}

func resource(_ yaml: String) throws -> any CalicoResource {
    try ResourceReader.read(yaml, source: "t.yaml")[0].result.get()
}

let gnp = ResourceRegistry.kind(named: "gnp")!
let np = ResourceRegistry.kind(named: "networkpolicy")!
let tierKind = ResourceRegistry.kind(named: "tier")!
let poolKind = ResourceRegistry.kind(named: "ippool")!

@Suite struct DatastoreTests {
    @Test func createAppliesDefaultsAndStoresUpstreamLayout() async throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let created = try await store.create(try resource("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: web, namespace: shop}
            spec:
              selector: app == 'web'
              egress: [{action: Allow}]
            """))
        let p = try #require(created.resource as? NetworkPolicy)
        #expect(p.spec.types == [.egress])
        #expect(p.spec.tier == "default")
        #expect(p.metadata.labels?["projectcalico.org/tier"] == "default")
        #expect(p.metadata.resourceVersion == String(created.revision))
        #expect(p.metadata.uid != nil && p.metadata.creationTimestamp != nil)
        // Stored tier-prefixed at the upstream key; read back under the user's name.
        let raw = try #require(try await store.kv.get("/calico/resources/v3/projectcalico.org/networkpolicies/shop/default.web"))
        #expect(String(decoding: raw.value, as: UTF8.self).contains("\"name\":\"default.web\""))
        let read = try await store.get(np, namespace: "shop", name: "web")
        #expect(read.resource.name == "web")
        #expect(read.resource.metadata.annotations == nil)
    }

    @Test func conflictNamesResourceAndBothVersions() async throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let v1 = try await store.create(Tier(metadata: ObjectMeta(name: "security"), spec: TierSpec(order: 10)))
        var t = try #require(v1.resource as? Tier)
        t.spec.order = 20
        let v2 = try await store.update(t)
        t.spec.order = 30 // still carries v1's resourceVersion
        do {
            _ = try await store.update(t)
            Issue.record("stale update succeeded")
        } catch let DatastoreError.conflict(id, given, current) {
            #expect(id.description == "Tier(security)")
            #expect(given == String(v1.revision) && current == String(v2.revision))
            #expect("\(DatastoreError.conflict(id, given: given, current: current))".contains("Tier(security)"))
        }
        let stored = try #require(try await store.get(tierKind, namespace: nil, name: "security").resource as? Tier)
        #expect(stored.spec.order == 20)
    }

    @Test func validationFailsBeforeWriting() async throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect(throws: DatastoreError.self) {
            _ = try await store.create(try resource("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: bad}\nspec: {selector: \"a = 'b'\"}\n"))
        }
        #expect(try await store.kv.revision() == 0)
    }

    @Test func policyInMissingTierIsRefused() async throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = try resource("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: security.p}\nspec: {tier: security}\n")
        await #expect(throws: DatastoreError.self) { _ = try await store.create(policy) }
        _ = try await store.create(Tier(metadata: ObjectMeta(name: "security")))
        let created = try await store.create(policy)
        #expect(created.resource.name == "security.p")
        // Tier with policies cannot be deleted; the default tier never.
        await #expect(throws: DatastoreError.self) { _ = try await store.delete(tierKind, namespace: nil, name: "security") }
        await #expect(throws: DatastoreError.self) { _ = try await store.delete(tierKind, namespace: nil, name: "default") }
        _ = try await store.delete(gnp, namespace: nil, name: "security.p")
        _ = try await store.delete(tierKind, namespace: nil, name: "security")
    }

    @Test func tierNameRules() async throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await store.create(Tier(metadata: ObjectMeta(name: "eng")))
        for (name, tier) in [("thing", "eng"), ("other.thing", "eng"), ("th.ing", "default")] {
            let r = try resource("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: \(name)}\nspec: {tier: \(tier)}\n")
            await #expect(throws: DatastoreError.self, "\(name) in \(tier)") { _ = try await store.create(r) }
        }
        let k8s = try resource("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: knp.default.x, namespace: a}\nspec: {}\n")
        await #expect(throws: DatastoreError.self) { _ = try await store.create(k8s) }
    }

    @Test func ipPoolDefaultsOverlapAndImmutability() async throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try await store.create(try resource("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: a}\nspec: {cidr: 10.244.0.0/16}\n"))
        let pool = try #require(p.resource as? IPPool)
        #expect(pool.spec.blockSize == 26 && pool.spec.ipipMode == "Never" && pool.spec.vxlanMode == "Never")
        #expect(pool.spec.nodeSelector == "all()" && pool.spec.allowedUses == ["Workload", "Tunnel"])
        await #expect(throws: DatastoreError.self) {
            _ = try await store.create(try resource("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: b}\nspec: {cidr: 10.244.128.0/17}\n"))
        }
        var changed = pool
        changed.spec.cidr = "10.245.0.0/16"
        await #expect(throws: DatastoreError.self) { _ = try await store.update(changed) }
    }

    @Test func kubernetesNetworkPolicyIsDeletedByItsOwnName() async throws {
        // Regression: the delete looked the name up as a tiered Calico policy (`default.<name>`).
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let knp = KubernetesNetworkPolicy(metadata: ObjectMeta(name: "web", namespace: "prod"))
        let kind = ResourceRegistry.kind(of: knp)!
        _ = try await store.create(knp)
        _ = try await store.get(kind, namespace: "prod", name: "web")
        _ = try await store.delete(kind, namespace: "prod", name: "web")
        #expect(try await store.list(kind, namespace: nil).items.isEmpty)
    }

    @Test func listAndWatchAcrossKinds() async throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = try await store.kv.revision()
        let stream = store.watch(kinds: [gnp, tierKind], afterRevision: start)
        _ = try await store.create(Tier(metadata: ObjectMeta(name: "t1")))
        _ = try await store.create(try resource("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: ignored}\nspec: {cidr: 10.244.0.0/16}\n"))
        _ = try await store.create(try resource("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g1}\nspec: {}\n"))
        _ = try await store.delete(tierKind, namespace: nil, name: "t1")
        var events: [ResourceEvent] = []
        for try await e in stream {
            events.append(e)
            if events.count == 3 { break }
        }
        guard case .put(let a) = events[0], case .put(let b) = events[1], case .delete(let id, _) = events[2] else {
            Issue.record("unexpected \(events)")
            return
        }
        #expect(a.resource.kind == "Tier" && b.resource.name == "default.g1" && id.description == "Tier(t1)")
        let (items, _) = try await store.list(gnp, namespace: nil)
        #expect(items.map(\.resource.name) == ["g1"])
    }
}

@Suite struct EmbeddedFileSafetyTests {
    @Test func foreignAndCorruptFilesAreRefusedUntouched() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("foreign-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let garbage = dir + "/garbage.db"
        let bytes = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try bytes.write(to: URL(fileURLWithPath: garbage))
        #expect(throws: KVError.self) { _ = try EmbeddedStore(path: garbage) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: garbage)) == bytes)

        // Another application's SQLite database.
        let foreign = dir + "/foreign.db"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import sqlite3; c=sqlite3.connect('\(foreign)'); c.execute('create table t(x)'); c.commit()"]
        try p.run()
        p.waitUntilExit()
        let before = try Data(contentsOf: URL(fileURLWithPath: foreign))
        do {
            _ = try EmbeddedStore(path: foreign)
            Issue.record("foreign database accepted")
        } catch {
            #expect("\(error)".contains("another application"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: foreign)) == before)
    }
}
