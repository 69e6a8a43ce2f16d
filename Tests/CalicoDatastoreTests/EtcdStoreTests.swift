import Foundation
import Synchronization
import Testing
@testable import CalicoDatastore
import CalicoTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Consumes a watch stream in a task of its own so tests can wait for events.
final class EtcdWatchCollector: Sendable {
    private struct State {
        var events: [KVEvent] = []
        var error: KVError?
        var otherError: String?
        var finished = false
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let shared = Shared()
    private let task: Task<Void, Never>

    init(_ stream: AsyncThrowingStream<KVEvent, any Error>) {
        let shared = shared
        task = Task {
            do {
                for try await event in stream { shared.state.withLock { $0.events.append(event) } }
                shared.state.withLock { $0.finished = true }
            } catch let error as KVError {
                shared.state.withLock { $0.error = error; $0.finished = true }
            } catch {
                let text = "\(error)"
                shared.state.withLock { $0.otherError = text; $0.finished = true }
            }
        }
    }

    var events: [KVEvent] { shared.state.withLock { $0.events } }
    var finished: Bool { shared.state.withLock { $0.finished } }
    var error: KVError? { shared.state.withLock { $0.error } }

    /// Waits until at least `count` events arrived (fails the test on timeout or stream end).
    func waitFor(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [KVEvent] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let (events, done, error, other) = shared.state.withLock { ($0.events, $0.finished, $0.error, $0.otherError) }
            if events.count >= count { return events }
            if done {
                Issue.record("watch ended after \(events.count) of \(count) events: \(error.map { "\($0)" } ?? other ?? "no error")")
                return events
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let got = events
        Issue.record("timed out waiting for \(count) events; got \(got.count): \(got)")
        return got
    }

    /// Waits for the stream to end and returns its error.
    func waitForEnd(timeout: Duration = .seconds(15)) async throws -> KVError? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if finished { return error }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the watch did not end within \(timeout)")
        return nil
    }

    func cancel() { task.cancel() }
}

private func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

private func expectEtcdKVError(_ expected: KVError, _ body: () async throws -> Void,
                           sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected \(expected), nothing thrown", sourceLocation: sourceLocation)
    } catch let error as KVError {
        #expect(error == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("EtcdStore against a real etcd", .timeLimit(.minutes(3)))
struct EtcdStoreTests {
    @Test func crud() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        #expect(store.endpoint == server.endpoint)

        #expect(try await store.get("/calico/a") == nil)
        let created = try await store.create("/calico/a", value: utf8("one"))
        #expect(created.key == "/calico/a" && created.value == utf8("one"))
        #expect(created.createRevision == created.modRevision)
        #expect(try await store.get("/calico/a") == created)
        #expect(try await store.revision() == created.modRevision)

        await expectEtcdKVError(.alreadyExists(key: "/calico/a")) { _ = try await store.create("/calico/a", value: utf8("x")) }

        let updated = try await store.update("/calico/a", value: utf8("two"), expectedRevision: nil)
        #expect(updated.createRevision == created.createRevision)
        #expect(updated.modRevision > created.modRevision)
        #expect(try await store.get("/calico/a") == updated)

        let again = try await store.update("/calico/a", value: utf8("three"), expectedRevision: updated.modRevision)
        #expect(again.value == utf8("three") && again.createRevision == created.createRevision)

        // Empty values round-trip (etcd leaves zero-length values out of its JSON).
        let empty = try await store.update("/calico/a", value: [], expectedRevision: again.modRevision)
        #expect(try await store.get("/calico/a")?.value == [])

        let deleted = try await store.delete("/calico/a", expectedRevision: nil)
        #expect(deleted == empty)
        #expect(try await store.get("/calico/a") == nil)

        await expectEtcdKVError(.notFound(key: "/calico/a")) { _ = try await store.update("/calico/a", value: [], expectedRevision: nil) }
        await expectEtcdKVError(.notFound(key: "/calico/a")) { _ = try await store.delete("/calico/a", expectedRevision: nil) }

        // Keys and values are bytes end to end.
        let odd = try await store.create("/calico/ü ñ/\u{1F600}", value: [0, 255, 10, 13, 34, 92])
        #expect(try await store.get("/calico/ü ñ/\u{1F600}") == odd)
    }

    @Test func compareAndSwapConflicts() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        let v1 = try await store.create("/k", value: utf8("1"))
        let v2 = try await store.update("/k", value: utf8("2"), expectedRevision: v1.modRevision)

        await expectEtcdKVError(.conflict(key: "/k", expected: v1.modRevision, actual: v2.modRevision)) {
            _ = try await store.update("/k", value: utf8("3"), expectedRevision: v1.modRevision)
        }
        await expectEtcdKVError(.conflict(key: "/k", expected: v1.modRevision, actual: v2.modRevision)) {
            _ = try await store.delete("/k", expectedRevision: v1.modRevision)
        }
        await expectEtcdKVError(.conflict(key: "/k", expected: 0, actual: v2.modRevision)) {
            _ = try await store.update("/k", value: utf8("3"), expectedRevision: 0)
        }
        // Nothing changed.
        #expect(try await store.get("/k") == v2)

        // Expected revision on a missing key: a conflict with nothing stored.
        await expectEtcdKVError(.conflict(key: "/missing", expected: 5, actual: nil)) {
            _ = try await store.update("/missing", value: [], expectedRevision: 5)
        }
        await expectEtcdKVError(.conflict(key: "/missing", expected: 0, actual: nil)) {
            _ = try await store.update("/missing", value: [], expectedRevision: 0)
        }
        #expect(try await store.get("/missing") == nil)
        await expectEtcdKVError(.conflict(key: "/missing", expected: 5, actual: nil)) {
            _ = try await store.delete("/missing", expectedRevision: 5)
        }

        let old = try await store.delete("/k", expectedRevision: v2.modRevision)
        #expect(old == v2)
    }

    @Test func listIsSortedWithTheRevision() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        for key in ["/p/c", "/p/a", "/p/b/x", "/p0", "/o", "/p/b", "/p"] {
            _ = try await store.create(key, value: utf8(key))
        }
        let (pairs, revision) = try await store.list(prefix: "/p/")
        #expect(pairs.map(\.key) == ["/p/a", "/p/b", "/p/b/x", "/p/c"])
        #expect(pairs.allSatisfy { $0.value == utf8($0.key) })
        #expect(revision == (try await store.revision()))

        let all = try await store.list(prefix: "")
        #expect(all.pairs.map(\.key) == ["/o", "/p", "/p/a", "/p/b", "/p/b/x", "/p/c", "/p0"])
        #expect(all.revision == revision)
        #expect(try await store.list(prefix: "/none/").pairs.isEmpty)

        // A delete moves the list revision on.
        _ = try await store.delete("/p/a", expectedRevision: nil)
        let after = try await store.list(prefix: "/p/")
        #expect(after.pairs.map(\.key) == ["/p/b", "/p/b/x", "/p/c"])
        #expect(after.revision == revision + 1)
    }

    @Test func listPagesThroughManyKeys() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        let total = Int(EtcdStore.listPage) + 250
        var written = 0
        while written < total {
            let batch = (written..<min(total, written + 100)).map {
                KVOperation.put(key: String(format: "/many/%06d", $0), value: utf8("\($0)"))
            }
            _ = try await store.transaction(batch)
            written += batch.count
        }
        let (pairs, revision) = try await store.list(prefix: "/many/")
        #expect(pairs.count == total)
        #expect(pairs.map(\.key) == (0..<total).map { String(format: "/many/%06d", $0) })
        #expect(revision == (try await store.revision()))
    }

    @Test func transactionsAreAllOrNothing() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        let a = try await store.create("/t/a", value: utf8("a"))
        let b = try await store.create("/t/b", value: utf8("b"))

        let revision = try await store.transaction([
            .create(key: "/t/c", value: utf8("c")),
            .update(key: "/t/a", value: utf8("a2"), expectedRevision: a.modRevision),
            .put(key: "/t/d", value: utf8("d")),
            .delete(key: "/t/b", expectedRevision: b.modRevision),
        ])
        #expect(revision == (try await store.revision()))
        let (pairs, _) = try await store.list(prefix: "/t/")
        #expect(pairs.map(\.key) == ["/t/a", "/t/c", "/t/d"])
        #expect(pairs.allSatisfy { $0.modRevision == revision })  // one etcd txn: one revision
        #expect(pairs[0].createRevision == a.createRevision)

        // A failing step leaves everything as it was, and names the first failing step.
        let before = try await store.revision()
        await expectEtcdKVError(.conflict(key: "/t/a", expected: a.modRevision, actual: revision)) {
            _ = try await store.transaction([
                .create(key: "/t/new", value: []),
                .update(key: "/t/a", value: [], expectedRevision: a.modRevision),
                .create(key: "/t/c", value: []),
            ])
        }
        await expectEtcdKVError(.alreadyExists(key: "/t/c")) {
            _ = try await store.transaction([.put(key: "/t/x", value: []), .create(key: "/t/c", value: []),
                                             .delete(key: "/t/gone", expectedRevision: nil)])
        }
        await expectEtcdKVError(.notFound(key: "/t/gone")) {
            _ = try await store.transaction([.put(key: "/t/x", value: []), .delete(key: "/t/gone", expectedRevision: nil)])
        }
        await expectEtcdKVError(.conflict(key: "/t/gone", expected: 3, actual: nil)) {
            _ = try await store.transaction([.update(key: "/t/gone", value: [], expectedRevision: 3)])
        }
        #expect(try await store.revision() == before)
        #expect(try await store.get("/t/new") == nil)
        #expect(try await store.get("/t/x") == nil)

        // etcd refuses a transaction writing one key twice; nothing is applied.
        await #expect(throws: EtcdError.self) {
            _ = try await store.transaction([.put(key: "/t/y", value: []), .delete(key: "/t/y", expectedRevision: nil)])
        }
        #expect(try await store.revision() == before)

        // The empty transaction changes nothing.
        #expect(try await store.transaction([]) == before)
    }

    @Test func watchDeliversChangesInOrder() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        _ = try await store.create("/w/before", value: [])
        let start = try await store.revision()
        let watch = EtcdWatchCollector(store.watch(prefix: "/w/", afterRevision: start))
        defer { watch.cancel() }

        let a = try await store.create("/w/a", value: utf8("1"))
        _ = try await store.create("/other", value: [])
        let a2 = try await store.update("/w/a", value: utf8("2"), expectedRevision: a.modRevision)
        let b = try await store.create("/w/b", value: [])
        let gone = try await store.delete("/w/a", expectedRevision: nil)
        let txn = try await store.transaction([.put(key: "/w/c", value: []), .put(key: "/w/d", value: utf8("d"))])
        let deleteRevision = gone.modRevision + 2  // the delete came after /w/b's create

        let events = try await watch.waitFor(6)
        #expect(events.count == 6)
        guard events.count == 6 else { return }
        #expect(events[0] == .put(a))
        #expect(events[1] == .put(a2))
        #expect(events[2] == .put(b))
        #expect(events[3] == .delete(key: "/w/a", revision: deleteRevision))
        #expect(events[4] == .put(KVPair(key: "/w/c", value: [], createRevision: txn, modRevision: txn)))
        #expect(events[5] == .put(KVPair(key: "/w/d", value: utf8("d"), createRevision: txn, modRevision: txn)))
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.revision <= $1.revision })

        // Cancelling ends the stream.
        watch.cancel()
        #expect(try await watch.waitForEnd() == nil)
    }

    @Test func watchFromAnOldRevisionReplaysHistory() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        let start = try await store.revision()
        var expected: [KVEvent] = []
        for i in 0..<20 {
            expected.append(.put(try await store.create("/h/\(i)", value: utf8("\(i)"))))
        }
        let old = try await store.delete("/h/3", expectedRevision: nil)
        expected.append(.delete(key: old.key, revision: try await store.revision()))

        let full = EtcdWatchCollector(store.watch(prefix: "/h/", afterRevision: start))
        defer { full.cancel() }
        #expect(try await full.waitFor(21) == expected)

        // From the middle: only what came after.
        let middle = expected[9].revision
        let partial = EtcdWatchCollector(store.watch(prefix: "/h/", afterRevision: middle))
        defer { partial.cancel() }
        #expect(try await partial.waitFor(11) == Array(expected[10...]))

        // Replay continues into live changes.
        let live = try await store.create("/h/live", value: [])
        #expect(try await partial.waitFor(12).last == .put(live))
        try await Task.sleep(for: .milliseconds(300))
        #expect(partial.events.count == 12)
    }

    @Test func watchFromACompactedRevisionFails() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        let start = try await store.revision()
        for i in 0..<5 { _ = try await store.create("/c/\(i)", value: []) }
        let head = try await store.revision()
        try await store.compact(upTo: head - 1)
        try await store.compact(upTo: head - 2)  // already compacted past: no error

        let watch = EtcdWatchCollector(store.watch(prefix: "/c/", afterRevision: start))
        let error = try await watch.waitForEnd()
        #expect(error == .compacted(requested: start + 1, compactRevision: head - 1))
        #expect(watch.events.isEmpty)

        // From the compaction point on it works.
        let ok = EtcdWatchCollector(store.watch(prefix: "/c/", afterRevision: head - 1))
        defer { ok.cancel() }
        #expect(try await ok.waitFor(1).map(\.key) == ["/c/4"])
        // Reads are unaffected.
        #expect(try await store.list(prefix: "/c/").pairs.count == 5)
    }

    @Test(arguments: [false, true])
    func watchSurvivesAnEtcdRestart(graceful: Bool) async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
        let start = try await store.revision()
        let watch = EtcdWatchCollector(store.watch(prefix: "/r/", afterRevision: start))
        defer { watch.cancel() }
        _ = try await store.create("/r/1", value: [])
        _ = try await store.create("/r/2", value: [])
        #expect(try await watch.waitFor(2).count == 2)

        // Down for a while: the watch retries with backoff meanwhile.
        server.halt(graceful: graceful)
        try await Task.sleep(for: .milliseconds(700))
        try await server.resume()
        // Written at once after the restart (likely before the watch is back: replayed).
        _ = try await store.create("/r/3", value: [])
        _ = try await store.update("/r/1", value: utf8("x"), expectedRevision: nil)
        try await Task.sleep(for: .seconds(3))
        // Written once the watch is surely back: live.
        _ = try await store.delete("/r/2", expectedRevision: nil)

        let events = try await watch.waitFor(5)
        #expect(events.map(\.key) == ["/r/1", "/r/2", "/r/3", "/r/1", "/r/2"])
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.revision < $1.revision })
        #expect(events.last == .delete(key: "/r/2", revision: try await store.revision()))
        try await Task.sleep(for: .milliseconds(300))
        #expect(watch.events.count == 5)
        #expect(!watch.finished)
    }

    @Test func unreachableEndpointFailsFastNamingIt() async throws {
        let port = try EtcdTestServer.freeLoopbackPorts(1)[0]
        let endpoint = "http://127.0.0.1:\(port)"
        let store = EtcdStore(endpoints: [endpoint], tls: nil)
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await store.get("/x")
            Issue.record("a store with nothing listening answered")
        } catch let KVError.unavailable(name, reason) {
            #expect(name == endpoint)
            #expect(!reason.isEmpty)
            #expect("\(KVError.unavailable(endpoint: name, reason: reason))".contains(endpoint))
        }
        await #expect(throws: KVError.self) { _ = try await store.create("/x", value: []) }
        #expect(started.duration(to: clock.now) < .seconds(5))
    }

    @Test func silentEndpointTimesOutWithinFiveSeconds() async throws {
        // Accepts connections (the kernel does, from the backlog) but never answers.
        let (fd, port) = try EtcdTestServer.bindLoopback(port: 0)
        defer { close(fd) }
        #expect(listen(fd, 16) == 0)
        let endpoint = "http://127.0.0.1:\(port)"
        let store = EtcdStore(endpoints: [endpoint], tls: nil)
        let clock = ContinuousClock()
        let started = clock.now
        await expectEtcdUnavailable(endpoint) { _ = try await store.revision() }
        #expect(started.duration(to: clock.now) < .seconds(5))
        let writeStarted = clock.now
        await expectEtcdUnavailable(endpoint) { _ = try await store.create("/x", value: []) }
        #expect(writeStarted.duration(to: clock.now) < .seconds(5))
    }

    @Test func watchOnAnUnreachableStoreFails() async throws {
        let port = try EtcdTestServer.freeLoopbackPorts(1)[0]
        let endpoint = "http://127.0.0.1:\(port)"
        let store = EtcdStore(endpoints: [endpoint], tls: nil)
        let watch = EtcdWatchCollector(store.watch(prefix: "/", afterRevision: 0))
        let error = try await watch.waitForEnd(timeout: .seconds(10))
        if case .unavailable(let name, _)? = error {
            #expect(name == endpoint)
        } else {
            Issue.record("expected unavailable, got \(String(describing: error))")
        }
    }

    @Test func failsOverToTheNextEndpoint() async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let dead = "http://127.0.0.1:\(try EtcdTestServer.freeLoopbackPorts(1)[0])"
        let store = EtcdStore(endpoints: [dead, " \(server.endpoint)/ "], tls: nil)
        #expect(store.endpoints == [dead, server.endpoint])
        #expect(store.endpoint == "\(dead),\(server.endpoint)")
        let pair = try await store.create("/f", value: [1])
        #expect(try await store.get("/f") == pair)
        let watch = EtcdWatchCollector(EtcdStore(endpoints: [dead, server.endpoint]).watch(prefix: "/f", afterRevision: 0))
        defer { watch.cancel() }
        #expect(try await watch.waitFor(1) == [.put(pair)])
    }

    @Test func authenticatesWithUserAndPassword() async throws {
        struct User: Encodable { var name: String; var password: String }
        struct Role: Encodable { var name: String }
        struct Grant: Encodable { var user: String; var role: String }
        struct Empty: Encodable {}
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let admin = EtcdStore(endpoints: [server.endpoint], tls: nil).client
        typealias Answer = EtcdGateway.HeaderOnlyResponse
        _ = try await admin.call("/v3/auth/user/add", User(name: "root", password: "s3cret"), as: Answer.self, idempotent: false)
        _ = try await admin.call("/v3/auth/role/add", Role(name: "root"), as: Answer.self, idempotent: false)
        _ = try await admin.call("/v3/auth/user/grant", Grant(user: "root", role: "root"), as: Answer.self, idempotent: false)
        _ = try await admin.call("/v3/auth/enable", Empty(), as: Answer.self, idempotent: false)

        let anonymous = EtcdStore(endpoints: [server.endpoint], tls: nil)
        await #expect(throws: EtcdError.self) { _ = try await anonymous.get("/a") }
        let wrong = EtcdStore(endpoints: [server.endpoint], tls: nil, credentials: .init(username: "root", password: "no"))
        await #expect(throws: EtcdError.self) { _ = try await wrong.get("/a") }

        let store = EtcdStore.fromEnvironment(["ETCD_ENDPOINTS": server.endpoint, "ETCD_USERNAME": "root", "ETCD_PASSWORD": "s3cret"])!
        let start = try await store.revision()
        let watch = EtcdWatchCollector(store.watch(prefix: "/a", afterRevision: start))
        defer { watch.cancel() }
        let a = try await store.create("/a", value: [1])
        #expect(try await store.get("/a") == a)
        #expect(try await watch.waitFor(1) == [.put(a)])

        // Tokens die with a restart: calls and the watch authenticate again.
        try await server.restart()
        let b = try await store.update("/a", value: [2], expectedRevision: a.modRevision)
        #expect(try await watch.waitFor(2) == [.put(a), .put(b)])
    }

    @Test func configurationFromTheEnvironment() {
        #expect(EtcdStore.fromEnvironment([:]) == nil)
        let store = EtcdStore.fromEnvironment(["ETCD_ENDPOINTS": "http://127.0.0.1:1, 127.0.0.1:2"])
        #expect(store?.endpoints == ["http://127.0.0.1:1", "http://127.0.0.1:2"])
        #expect(EtcdTLSOptions.fromEnvironment([:]) == nil)
        let tls = EtcdTLSOptions.fromEnvironment(["ETCD_CA_CERT_FILE": "/ca.pem", "ETCD_CERT_FILE": "/c.pem", "ETCD_KEY_FILE": "/k.pem"])
        #expect(tls == EtcdTLSOptions(caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem"))
        let secure = EtcdStore.fromEnvironment(["ETCD_ENDPOINTS": "etcd:2379", "ETCD_CA_CERT_FILE": "/ca.pem"])
        #expect(secure?.endpoints == ["https://etcd:2379"])
        #expect(EtcdCredentials.fromEnvironment(["ETCD_USERNAME": "u", "ETCD_PASSWORD": "p"]) == EtcdCredentials(username: "u", password: "p"))
    }

    @Test func gatewayHelpers() {
        #expect(EtcdGateway.prefixRange("/a/").rangeEnd == EtcdGateway.encode("/a0"))
        #expect(EtcdGateway.prefixRange("").key == "AA==")
        #expect(EtcdGateway.prefixRange("a\u{FF}").rangeEnd == EtcdGateway.encode([0x61, 0xC3, 0xC0]))

        var splitter = JSONObjectSplitter()
        let text = #"{"result":{"x":"}{\"}"}}  {"b":[{}]}{"c"#
        var objects: [String] = []
        for chunk in text.utf8.map({ [$0] }) {
            objects += chunk.withUnsafeBytes { splitter.feed($0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(objects == [#"{"result":{"x":"}{\"}"}}"#, #"{"b":[{}]}"#])
        let rest = Array(#"":1}"#.utf8).withUnsafeBytes { splitter.feed($0) }
        #expect(rest.map { String(decoding: $0, as: UTF8.self) } == [#"{"c":1}"#])
    }
}

private func expectEtcdUnavailable(_ endpoint: String, _ body: () async throws -> Void,
                               sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected unavailable", sourceLocation: sourceLocation)
    } catch let KVError.unavailable(name, _) {
        #expect(name == endpoint, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected unavailable, got \(error)", sourceLocation: sourceLocation)
    }
}
