import Foundation
import Testing
@testable import Felix
#if canImport(Glibc)
import Glibc
#endif

/// The health server answers `/liveness` promptly whatever other clients do: slow clients are
/// cut off by a whole-request deadline and idle connections beyond the cap are dropped.
@Suite(.serialized) struct HealthServerTests {
    typealias C = HealthServerClient

    static func start(host: String) throws -> (HTTPEndpoint, Int) {
        let port = C.freePort()
        let endpoint = try HTTPEndpoint(host: host, port: port) { path in
            path == "/liveness" ? (200, "text/plain", "live\n") : (404, "text/plain", "not found\n")
        }
        return (endpoint, port)
    }

    /// Loopback only (health) and every address (metrics, as upstream): the same protections.
    @Test(arguments: ["127.0.0.1", ""])
    func slowClientsDoNotDelayLiveness(host: String) throws {
        let (endpoint, port) = try Self.start(host: host)
        defer { endpoint.stop() }
        #expect(C.get("/liveness", port: port).status == "HTTP/1.1 200 OK")
        // Five clients sending a byte every 1.5 s (a per-read timeout never fires for them).
        let slow = (0..<5).compactMap { _ in C.slowLoris(port: port, interval: 1.5, count: 4) }
        defer { slow.forEach { close($0) } }
        #expect(slow.count == 5)
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.3)
            let r = C.get("/liveness", port: port)
            #expect(r.status == "HTTP/1.1 200 OK")
            #expect(r.seconds < 1, "GET /liveness took \(r.seconds) s")
        }
        #expect(C.get("/nothing", port: port).status == "HTTP/1.1 404 Not Found")
        // The whole-request deadline (a few seconds) has cut every slow client off.
        Thread.sleep(forTimeInterval: max(0, HTTPEndpoint.Limits().requestTimeout + 0.5 - 1.2))
        for fd in slow { #expect(C.isClosedByPeer(fd), "a slow client outlived the request deadline") }
    }

    @Test func idleConnectionsBeyondTheCapDoNotStopARequest() throws {
        let (endpoint, port) = try Self.start(host: "127.0.0.1")
        defer { endpoint.stop() }
        let cap = HTTPEndpoint.Limits().maxConnections
        // Connected, silent: more than the cap.
        let idle = (0..<(cap + 20)).compactMap { _ in C.connectTo(port: port, timeout: 0.5) }
        defer { idle.forEach { close($0) } }
        #expect(idle.count == cap + 20)
        let r = C.get("/liveness", port: port)
        #expect(r.status == "HTTP/1.1 200 OK")
        #expect(r.seconds < 1, "GET /liveness took \(r.seconds) s")
        // The oldest idle connections were dropped at once to make room.
        let closed = idle.prefix(20).filter { C.isClosedByPeer($0) }.count
        #expect(closed == 20)
    }

    @Test func aRequestHeadThatNeverEndsIsRefused() throws {
        let (endpoint, port) = try Self.start(host: "127.0.0.1")
        defer { endpoint.stop() }
        guard let fd = C.connectTo(port: port, timeout: 2) else { Issue.record("cannot connect"); return }
        defer { close(fd) }
        let lines = HTTPEndpoint.Limits().maxHeadBytes / 100 + 10
        _ = C.send(fd, "GET /liveness HTTP/1.1\r\n" + String(repeating: "X-Pad: \(String(repeating: "a", count: 100))\r\n", count: lines))
        #expect(C.receiveAll(fd).hasPrefix("HTTP/1.1 431 "))
    }

    @Test func oddRequestLinesAreAnsweredAndTheServerLives() throws {
        let (endpoint, port) = try Self.start(host: "127.0.0.1")
        defer { endpoint.stop() }
        for (request, status) in [("GET ? HTTP/1.0\r\n\r\n", "HTTP/1.1 404 Not Found"), ("GET ?x\r\n\r\n", "HTTP/1.1 404 Not Found"),
                                  ("POST /liveness HTTP/1.0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"),
                                  ("GET /liveness\r\n\r\n", "HTTP/1.1 200 OK"), ("GET /liveness?verbose HTTP/1.0\n\n", "HTTP/1.1 200 OK")] {
            guard let fd = C.connectTo(port: port) else { Issue.record("cannot connect"); return }
            defer { close(fd) }
            _ = C.send(fd, request)
            #expect(C.receiveAll(fd).hasPrefix(status + "\r\n"), "\(request.debugDescription)")
        }
        #expect(C.get("/liveness", port: port).status == "HTTP/1.1 200 OK")
    }

    @Test func stopReleasesThePort() throws {
        let (endpoint, port) = try Self.start(host: "127.0.0.1")
        #expect(C.get("/liveness", port: port).status == "HTTP/1.1 200 OK")
        endpoint.stop()
        #expect(C.connectTo(port: port) == nil)
        let again = try HTTPEndpoint(host: "127.0.0.1", port: port) { _ in (200, "text/plain", "ok\n") }
        defer { again.stop() }
        #expect(C.get("/", port: port).status == "HTTP/1.1 200 OK")
    }
}
