import CalicoAPI
import Foundation
import Testing
@testable import CalicoDatastore
import CalicoTestSupport

private func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Runs `body`, expecting `KVError.unavailable` naming `endpoint`; returns the reason.
@discardableResult
private func expectRefused(_ endpoint: String, _ body: () async throws -> Void,
                           sourceLocation: SourceLocation = #_sourceLocation) async -> String {
    do {
        try await body()
        Issue.record("expected a refusal by \(endpoint), nothing thrown", sourceLocation: sourceLocation)
    } catch let KVError.unavailable(name, reason) {
        #expect(name == endpoint, sourceLocation: sourceLocation)
        #expect("\(KVError.unavailable(endpoint: name, reason: reason))".contains(endpoint), sourceLocation: sourceLocation)
        return reason
    } catch {
        Issue.record("expected unavailable from \(endpoint), got \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

/// A directory removed when the test ends.
private final class TemporaryDirectory {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("calico-tls-\(UUID().uuidString.prefix(8))").path
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("EtcdStore over mutual TLS", .timeLimit(.minutes(2)))
struct EtcdTLSTests {
    @Test func crudAndWatchOverMutualTLS() async throws {
        let server = try await EtcdTestServer.start(tls: true)
        defer { server.stop() }
        #expect(server.endpoint == "https://127.0.0.1:\(server.clientPort)")
        let files = try #require(server.tlsFiles)
        for path in [files.caFile, files.clientCertFile, files.clientKeyFile] {
            #expect(FileManager.default.fileExists(atPath: path))
        }
        #expect(server.clientTLS == EtcdTLSOptions(caFile: server.caFile, certFile: server.clientCertFile,
                                                   keyFile: server.clientKeyFile))

        // A bare host:port gets https:// when TLS options are given.
        let store = EtcdStore(endpoints: ["127.0.0.1:\(server.clientPort)"], tls: server.clientTLS)
        #expect(store.endpoints == [server.endpoint])

        let start = try await store.revision()
        let watch = EtcdWatchCollector(store.watch(prefix: "/tls/", afterRevision: start))
        defer { watch.cancel() }

        #expect(try await store.get("/tls/a") == nil)
        let a = try await store.create("/tls/a", value: utf8("one"))
        #expect(try await store.get("/tls/a") == a)
        await #expect(throws: KVError.alreadyExists(key: "/tls/a")) { _ = try await store.create("/tls/a", value: []) }
        let a2 = try await store.update("/tls/a", value: utf8("two"), expectedRevision: a.modRevision)
        #expect(a2.createRevision == a.createRevision && a2.modRevision > a.modRevision)
        await #expect(throws: KVError.conflict(key: "/tls/a", expected: a.modRevision, actual: a2.modRevision)) {
            _ = try await store.update("/tls/a", value: [], expectedRevision: a.modRevision)
        }
        let txn = try await store.transaction([.put(key: "/tls/b", value: utf8("b")), .create(key: "/tls/c", value: [])])
        let (pairs, revision) = try await store.list(prefix: "/tls/")
        #expect(pairs.map(\.key) == ["/tls/a", "/tls/b", "/tls/c"])
        #expect(revision == txn)
        let deleted = try await store.delete("/tls/a", expectedRevision: nil)
        #expect(deleted == a2)
        let deleteRevision = try await store.revision()

        let events = try await watch.waitFor(5)
        #expect(events == [
            .put(a), .put(a2),
            .put(KVPair(key: "/tls/b", value: utf8("b"), createRevision: txn, modRevision: txn)),
            .put(KVPair(key: "/tls/c", value: [], createRevision: txn, modRevision: txn)),
            .delete(key: "/tls/a", revision: deleteRevision),
        ])

        // A watch from the past replays over TLS too, and a restart (new TLS connections)
        // loses nothing.
        let replay = EtcdWatchCollector(store.watch(prefix: "/tls/", afterRevision: start))
        defer { replay.cancel() }
        #expect(try await replay.waitFor(5) == events)
        try await server.restart()
        let d = try await store.create("/tls/d", value: [])
        #expect(try await watch.waitFor(6).last == .put(d))
        #expect(try await replay.waitFor(6).last == .put(d))
        try await Task.sleep(for: .milliseconds(200))
        #expect(watch.events.count == 6 && !watch.finished)
    }

    @Test func clientWithoutACertificateIsRefusedFast() async throws {
        let server = try await EtcdTestServer.start(tls: true)
        defer { server.stop() }
        let clock = ContinuousClock()
        let started = clock.now

        // Trusts the server, but has no certificate of its own.
        let anonymous = EtcdStore(endpoints: [server.endpoint], tls: EtcdTLSOptions(caFile: server.caFile))
        let readReason = await expectRefused(server.endpoint) { _ = try await anonymous.get("/x") }
        #expect(readReason.contains("requires a client certificate and none is configured"), "\(readReason)")
        let writeReason = await expectRefused(server.endpoint) { _ = try await anonymous.create("/x", value: []) }
        #expect(writeReason.contains("client certificate"), "\(writeReason)")
        // The write certainly did not happen: no "may or may not" hedging.
        #expect(!writeReason.contains("may or may not"), "\(writeReason)")
        let watch = EtcdWatchCollector(anonymous.watch(prefix: "/", afterRevision: 0))
        let watchError = try await watch.waitForEnd(timeout: .seconds(5))
        if case let .unavailable(name, reason)? = watchError {
            #expect(name == server.endpoint)
            #expect(reason.contains("client certificate"), "\(reason)")
        } else {
            Issue.record("expected the watch to fail as unavailable, got \(String(describing: watchError))")
        }
        #expect(started.duration(to: clock.now) < .seconds(5))

        // A certificate from a CA the server does not trust is refused too, naming the file.
        let elsewhere = TemporaryDirectory()
        let stranger = try EtcdTestServer.TLSFiles.generate(in: elsewhere.path)
        let impostor = EtcdStore(endpoints: [server.endpoint],
                                 tls: EtcdTLSOptions(caFile: server.caFile, certFile: stranger.clientCertFile,
                                                     keyFile: stranger.clientKeyFile))
        let impostorReason = await expectRefused(server.endpoint) { _ = try await impostor.revision() }
        #expect(impostorReason.contains("refused the client certificate \(stranger.clientCertFile)"), "\(impostorReason)")

        // Plain HTTP to the TLS port: a hint to use https://.
        let plain = "http://127.0.0.1:\(server.clientPort)"
        let plainReason = await expectRefused(plain) { _ = try await EtcdStore(endpoints: [plain]).get("/x") }
        #expect(plainReason.contains("https://"), "\(plainReason)")

        // Nothing was written by any of them.
        let store = EtcdStore(endpoints: [server.endpoint], tls: server.clientTLS)
        #expect(try await store.get("/x") == nil)
    }

    @Test func serverSignedByAnotherCAIsNotTrusted() async throws {
        let server = try await EtcdTestServer.start(tls: true)
        defer { server.stop() }
        let elsewhere = TemporaryDirectory()
        let otherCA = try EtcdTestServer.TLSFiles.generate(in: elsewhere.path)
        let clock = ContinuousClock()
        let started = clock.now

        // A valid client certificate, but trusting the wrong CA.
        let store = EtcdStore(endpoints: [server.endpoint],
                              tls: EtcdTLSOptions(caFile: otherCA.caFile, certFile: server.clientCertFile,
                                                  keyFile: server.clientKeyFile))
        let reason = await expectRefused(server.endpoint) { _ = try await store.get("/x") }
        #expect(reason.contains("not trusted by the CA in \(otherCA.caFile)"), "\(reason)")
        let writeReason = await expectRefused(server.endpoint) { _ = try await store.create("/x", value: []) }
        #expect(!writeReason.contains("may or may not"), "\(writeReason)")
        let watch = EtcdWatchCollector(store.watch(prefix: "/", afterRevision: 0))
        if case let .unavailable(name, _)? = try await watch.waitForEnd(timeout: .seconds(5)) {
            #expect(name == server.endpoint)
        } else {
            Issue.record("expected the watch to fail as unavailable")
        }
        // The system CAs do not know the test CA either.
        let system = EtcdStore(endpoints: [server.endpoint],
                               tls: EtcdTLSOptions(certFile: server.clientCertFile, keyFile: server.clientKeyFile))
        let systemReason = await expectRefused(server.endpoint) { _ = try await system.get("/x") }
        #expect(systemReason.contains("not trusted"), "\(systemReason)")
        #expect(started.duration(to: clock.now) < .seconds(5))

        // A CA file that does not exist is named.
        let missing = EtcdStore(endpoints: [server.endpoint], tls: EtcdTLSOptions(caFile: elsewhere.path + "/none.pem"))
        let missingReason = await expectRefused(server.endpoint) { _ = try await missing.get("/x") }
        #expect(missingReason.contains("none.pem"), "\(missingReason)")
    }

    @Test func calicoctlConfigurationOpensATLSDatastore() async throws {
        let server = try await EtcdTestServer.start(tls: true)
        defer { server.stop() }
        let environment = [
            "DATASTORE_TYPE": "etcdv3",
            "ETCD_ENDPOINTS": server.endpoint,
            "ETCD_CA_CERT_FILE": try #require(server.caFile),
            "ETCD_CERT_FILE": try #require(server.clientCertFile),
            "ETCD_KEY_FILE": try #require(server.clientKeyFile),
        ]
        let config = try DatastoreConfig.load(configPath: nil, environment: environment)
        #expect(config.type == .etcdv3)
        #expect(config.etcdEndpoints == [server.endpoint])
        let datastore = try config.open()
        #expect(datastore.endpoint == server.endpoint)

        let created = try await datastore.create(Tier(metadata: ObjectMeta(name: "security"), spec: TierSpec(order: 100)))
        let read = try await datastore.get(ResourceRegistry.kind(named: "tier")!, namespace: nil, name: "security")
        let tier = try #require(read.resource as? Tier)
        #expect(tier.name == "security")
        #expect(tier.spec.order == 100)
        #expect(tier.spec.defaultAction == .deny)  // client default
        #expect(read.revision == created.revision)
        // Stored at the upstream key, readable by a plain EtcdStore with the same files.
        let raw = EtcdStore(endpoints: [server.endpoint], tls: server.clientTLS)
        #expect(try await raw.get("/calico/resources/v3/projectcalico.org/tiers/security")?.modRevision == created.revision)

        // Without the client certificate the same configuration is refused, naming the endpoint.
        var anonymous = environment
        anonymous["ETCD_CERT_FILE"] = nil
        anonymous["ETCD_KEY_FILE"] = nil
        let refused = try DatastoreConfig.load(configPath: nil, environment: anonymous).open()
        do {
            _ = try await refused.get(ResourceRegistry.kind(named: "tier")!, namespace: nil, name: "security")
            Issue.record("a client without a certificate read from a mutual-TLS etcd")
        } catch let error as DatastoreError {
            #expect("\(error)".contains(server.endpoint), "\(error)")
            #expect("\(error)".contains("client certificate"), "\(error)")
        }
    }
}
