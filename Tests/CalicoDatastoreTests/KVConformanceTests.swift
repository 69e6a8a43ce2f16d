import CalicoTestSupport
import Foundation
import Testing
@testable import CalicoDatastore

/// Makes a fresh, empty store of one backend for a test, and cleans up after.
protocol StoreFixture: Sendable {
    var name: String { get }
    func make() async throws -> (store: any KVStore, cleanup: @Sendable () async -> Void)
}

struct EmbeddedFixture: StoreFixture {
    var name: String { "embedded" }
    func make() async throws -> (store: any KVStore, cleanup: @Sendable () async -> Void) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kv-\(UUID().uuidString)").path
        let store = try EmbeddedStore(path: dir + "/datastore.db")
        return (store, { try? FileManager.default.removeItem(atPath: dir) })
    }
}

/// A fresh etcd per test (isolated revisions), on loopback.
struct EtcdFixture: StoreFixture {
    var name: String { "etcd" }
    func make() async throws -> (store: any KVStore, cleanup: @Sendable () async -> Void) {
        let server = try await EtcdTestServer.start()
        return (EtcdStore(endpoints: [server.endpoint]), { server.stop() })
    }
}

func kvBytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Collects `count` events from a watch, failing after `timeout`.
func collect(_ stream: AsyncThrowingStream<KVEvent, any Error>, count: Int, timeout: Duration = .seconds(10)) async throws -> [KVEvent] {
    try await withThrowingTaskGroup(of: [KVEvent]?.self) { group in
        group.addTask {
            var out: [KVEvent] = []
            for try await e in stream {
                out.append(e)
                if out.count == count { break }
            }
            return out
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        guard let events = first else { throw KVError.unavailable(endpoint: "watch", reason: "timed out waiting for \(count) events") }
        return events
    }
}

/// One body, every backend: the behaviour the rest of the system relies on.
enum KVConformance {
    static func crud(_ s: any KVStore) async throws {
        #expect(try await s.get("/a/1") == nil)
        let created = try await s.create("/a/1", value: kvBytes("one"))
        #expect(created.value == kvBytes("one") && created.createRevision == created.modRevision)
        await #expect(throws: KVError.alreadyExists(key: "/a/1")) { _ = try await s.create("/a/1", value: kvBytes("x")) }
        let updated = try await s.update("/a/1", value: kvBytes("uno"), expectedRevision: created.modRevision)
        #expect(updated.modRevision > created.modRevision && updated.createRevision == created.createRevision)
        #expect(try await s.get("/a/1")?.value == kvBytes("uno"))
        await #expect(throws: KVError.notFound(key: "/a/missing")) { _ = try await s.update("/a/missing", value: [], expectedRevision: nil) }
        let deleted = try await s.delete("/a/1", expectedRevision: nil)
        #expect(deleted.value == kvBytes("uno"))
        #expect(try await s.get("/a/1") == nil)
        await #expect(throws: KVError.notFound(key: "/a/1")) { _ = try await s.delete("/a/1", expectedRevision: nil) }
    }

    static func casConflict(_ s: any KVStore) async throws {
        let v1 = try await s.create("/cas/k", value: kvBytes("1"))
        let v2 = try await s.update("/cas/k", value: kvBytes("2"), expectedRevision: v1.modRevision)
        do {
            _ = try await s.update("/cas/k", value: kvBytes("3"), expectedRevision: v1.modRevision)
            Issue.record("stale update succeeded")
        } catch let KVError.conflict(key, expected, actual) {
            #expect(key == "/cas/k" && expected == v1.modRevision && actual == v2.modRevision)
        }
        await #expect(throws: KVError.conflict(key: "/cas/k", expected: v1.modRevision, actual: v2.modRevision)) {
            _ = try await s.delete("/cas/k", expectedRevision: v1.modRevision)
        }
        #expect(try await s.get("/cas/k")?.value == kvBytes("2"))
        _ = try await s.delete("/cas/k", expectedRevision: v2.modRevision)
    }

    static func listOrdering(_ s: any KVStore) async throws {
        for k in ["/l/c", "/l/a", "/l/b/2", "/l/b/1", "/lz", "/k"] { _ = try await s.create(k, value: kvBytes(k)) }
        let (pairs, rev) = try await s.list(prefix: "/l/")
        #expect(pairs.map(\.key) == ["/l/a", "/l/b/1", "/l/b/2", "/l/c"])
        #expect(rev == (try await s.revision()))
        #expect(rev >= pairs.map(\.modRevision).max()!)
    }

    static func transactions(_ s: any KVStore) async throws {
        _ = try await s.create("/t/x", value: kvBytes("x"))
        let before = try await s.revision()
        await #expect(throws: KVError.self) {
            _ = try await s.transaction([.create(key: "/t/new", value: kvBytes("n")), .create(key: "/t/x", value: kvBytes("dup"))])
        }
        #expect(try await s.get("/t/new") == nil, "failed transaction must change nothing")
        #expect(try await s.revision() == before)
        let rev = try await s.transaction([.create(key: "/t/a", value: kvBytes("a")), .put(key: "/t/x", value: kvBytes("x2"))])
        #expect(try await s.get("/t/a")?.value == kvBytes("a"))
        #expect(try await s.get("/t/x")?.value == kvBytes("x2"))
        #expect(rev == (try await s.revision()))
        let x = try #require(try await s.get("/t/x"))
        _ = try await s.transaction([.delete(key: "/t/a", expectedRevision: nil), .update(key: "/t/x", value: kvBytes("x3"), expectedRevision: x.modRevision)])
        #expect(try await s.get("/t/a") == nil)
        await #expect(throws: KVError.self) {
            _ = try await s.transaction([.put(key: "/t/b", value: kvBytes("b")), .update(key: "/t/x", value: kvBytes("x4"), expectedRevision: x.modRevision)])
        }
        #expect(try await s.get("/t/b") == nil)
        #expect(try await s.get("/t/x")?.value == kvBytes("x3"))

    }

    static func watchOrdering(_ s: any KVStore) async throws {
        let start = try await s.revision()
        let stream = s.watch(prefix: "/w/", afterRevision: start)
        let writers = 4, perWriter = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for i in 0..<perWriter {
                        let key = "/w/\(w)/\(i % 5)"
                        if try await s.get(key) == nil {
                            _ = try await s.create(key, value: kvBytes("\(w)-\(i)"))
                        } else {
                            _ = try await s.update(key, value: kvBytes("\(w)-\(i)"), expectedRevision: nil)
                        }
                    }
                }
            }
            _ = try await s.create("/other/x", value: kvBytes("not watched"))
            try await group.waitForAll()
        }
        let events = try await collect(stream, count: writers * perWriter)
        let revisions = events.map(\.revision)
        #expect(revisions == revisions.sorted(), "events in revision order")
        #expect(Set(revisions).count == revisions.count, "no duplicates")
        #expect(events.allSatisfy { $0.key.hasPrefix("/w/") })
        // Every writer's values arrive in the order written.
        for w in 0..<writers {
            let values = events.compactMap { e -> Int? in
                guard case .put(let p) = e, let text = String(bytes: p.value, encoding: .utf8), text.hasPrefix("\(w)-") else { return nil }
                return Int(text.dropFirst("\(w)-".count))
            }
            #expect(values == Array(0..<perWriter))
        }
    }

    static func watchReplaysHistoryAndDeletes(_ s: any KVStore) async throws {
        let start = try await s.revision()
        let a = try await s.create("/h/a", value: kvBytes("1"))
        _ = try await s.update("/h/a", value: kvBytes("2"), expectedRevision: a.modRevision)
        _ = try await s.delete("/h/a", expectedRevision: nil)
        let events = try await collect(s.watch(prefix: "/h/", afterRevision: start), count: 3)
        guard case .put(let p1) = events[0], case .put(let p2) = events[1], case .delete(let k, _) = events[2] else {
            Issue.record("unexpected events \(events)")
            return
        }
        #expect(p1.value == kvBytes("1") && p2.value == kvBytes("2") && k == "/h/a")
    }

    static func watchAfterCompaction(_ s: any KVStore) async throws {
        let start = try await s.revision()
        for i in 0..<5 { _ = try await s.create("/c/\(i)", value: kvBytes("\(i)")) }
        let head = try await s.revision()
        try await s.compact(upTo: head - 1)
        do {
            _ = try await collect(s.watch(prefix: "/c/", afterRevision: start), count: 5, timeout: .seconds(5))
            Issue.record("watch from a compacted revision must fail")
        } catch let KVError.compacted(_, compactRevision) {
            #expect(compactRevision >= head - 1)
        }
        // Resync: list, then watch from the list's revision.
        let (pairs, rev) = try await s.list(prefix: "/c/")
        #expect(pairs.count == 5)
        let stream = s.watch(prefix: "/c/", afterRevision: rev)
        _ = try await s.create("/c/new", value: kvBytes("n"))
        let events = try await collect(stream, count: 1)
        #expect(events.first?.key == "/c/new")
    }
}

/// The same test bodies against both backends.
@Suite struct KVConformanceTests {
    static let fixtures: [any StoreFixture] = [EmbeddedFixture(), EtcdFixture()]
    static let cases: [(String, @Sendable (any KVStore) async throws -> Void)] = [
        ("crud", KVConformance.crud),
        ("casConflict", KVConformance.casConflict),
        ("listOrdering", KVConformance.listOrdering),
        ("transactions", KVConformance.transactions),
        ("watchOrdering (4 concurrent writers)", KVConformance.watchOrdering),
        ("watchReplaysHistoryAndDeletes", KVConformance.watchReplaysHistoryAndDeletes),
        ("watchAfterCompaction", KVConformance.watchAfterCompaction),
    ]

    @Test(arguments: ["embedded", "etcd"])
    func conformance(_ backend: String) async throws {
        let fixture = Self.fixtures.first { $0.name == backend }!
        for (name, body) in Self.cases {
            let (store, cleanup) = try await fixture.make()
            do {
                try await body(store)
            } catch {
                Issue.record("\(backend) \(name): \(error)")
            }
            await cleanup()
        }
    }
}

/// The embedded store across processes: a writer killed with SIGKILL mid-transaction leaves
/// a consistent store; another process's commits reach a watch quickly.
@Suite struct EmbeddedCrashTests {
    static let benchBinary = BuiltProducts.path("calico-bench")

    func startWriter(_ db: String, iterations: Int? = nil) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.benchBinary)
        p.arguments = ["stress-writer", db] + (iterations.map { [String($0)] } ?? [])
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        return (p, out)
    }

    @Test func killMinusNineMidTransactionLeavesConsistentStore() async throws {
        try BuiltProducts.require("calico-bench")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/datastore.db"
        _ = try EmbeddedStore(path: db)
        for round in 0..<5 {
            let (writer, out) = try startWriter(db)
            _ = out.fileHandleForReading.availableData // "ready"
            try await Task.sleep(for: .milliseconds(50 + round * 37))
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            let store = try EmbeddedStore(path: db)
            let (pairs, rev) = try await store.list(prefix: "/stress/")
            #expect(pairs.count == 50)
            let values = Set(pairs.map(\.value))
            #expect(values.count == 1, "a transaction was torn: \(values.count) different values after kill -9")
            #expect(pairs.allSatisfy { $0.modRevision <= rev })
            // Still writable, and the revision keeps increasing.
            let next = try await store.create("/after/\(round)", value: [1])
            #expect(next.modRevision == rev + 1)
        }
    }

    @Test func otherProcessWritesReachWatchQuickly() async throws {
        try BuiltProducts.require("calico-bench")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xproc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/datastore.db"
        let store = try EmbeddedStore(path: db)
        let stream = store.watch(prefix: "/stress/", afterRevision: try await store.revision())
        let started = ContinuousClock.now
        let (writer, _) = try startWriter(db, iterations: 1)
        let events = try await collect(stream, count: 50, timeout: .seconds(10))
        let elapsed = ContinuousClock.now - started
        writer.waitUntilExit()
        #expect(events.count == 50)
        // Includes starting the writer process; the notification itself is inotify-driven.
        #expect(elapsed < .seconds(3), "cross-process watch took \(elapsed)")
    }
}
