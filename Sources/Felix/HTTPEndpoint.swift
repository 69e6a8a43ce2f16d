import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.0 server for health and metrics: GET/HEAD, one request per connection.
///
/// One thread serves every connection through `poll`, so no client can hold up another: each
/// connection has a deadline for the whole request (head and response), a slow or idle one is
/// cut off when it passes, and beyond `maxConnections` the oldest connection is dropped to make
/// room for the new one. Sockets are close-on-exec so a restarting Felix can bind again.
public final class HTTPEndpoint: Sendable {
    public typealias Handler = @Sendable (String) -> (status: Int, contentType: String, body: String)

    public struct Limits: Sendable {
        /// Connections served at once; a new one beyond this replaces the oldest.
        public var maxConnections = 32
        /// Seconds from accept to the end of the response, however the client trickles bytes.
        public var requestTimeout: Double = 3
        /// A request head longer than this is answered with 431.
        public var maxHeadBytes = 16 << 10
        public init() {}
    }

    /// The port bound (the one asked for, or the kernel's choice for 0).
    public let port: Int
    private let wakeWrite: Int32
    private let finished = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)

    /// Binds `host:port` (`localhost` → 127.0.0.1, empty → all addresses) and starts serving.
    public init(host: String, port: Int, limits: Limits = Limits(), handler: @escaping Handler) throws {
        let address = host.isEmpty ? "0.0.0.0" : (host == "localhost" ? "127.0.0.1" : host)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else {
            throw HTTPServerError(message: "health server: \(host) is not an IPv4 address")
        }
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard s >= 0 else { throw HTTPServerError(message: "health server: socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(s, 64) == 0 else {
            let e = String(cString: strerror(errno))
            close(s)
            throw HTTPServerError(message: "cannot listen on \(address):\(port): \(e)")
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            close(s)
            throw HTTPServerError(message: "health server: pipe: \(String(cString: strerror(errno)))")
        }
        for p in pipeFDs { HTTPServeLoop.setCloseOnExecAndNonBlocking(p) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        self.port = Int(UInt16(bigEndian: sin.sin_port))
        wakeWrite = pipeFDs[1]
        let loop = HTTPServeLoop(listener: s, wake: pipeFDs[0], limits: limits, handler: handler)
        let t = Thread { [finished] in
            var running = loop
            running.run()
            finished.signal()
        }
        t.name = "http-\(self.port)"
        t.start()
    }

    /// Stops serving: closes the listening socket and every connection, and waits for that.
    public func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        finished.wait()
        close(wakeWrite)
    }
}

/// The health or metrics server could not start.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
