import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Raw TCP clients for the health-server tests: well-behaved requests and slow or idle
/// connections, with timeouts so a stuck server fails a test instead of hanging it.
enum HealthServerClient {
    /// A port that was free a moment ago (bound to 0, read back, released).
    static func freePort() -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var sin = loopback(port: 0)
        _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        return Int(UInt16(bigEndian: sin.sin_port))
    }

    static func loopback(port: Int) -> sockaddr_in {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        sin.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return sin
    }

    /// A connected socket (receive timeout `timeout` seconds), or nil.
    static func connectTo(port: Int, timeout: Double = 2) -> Int32? {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { return nil }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sin = loopback(port: port)
        let rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else {
            close(s)
            return nil
        }
        return s
    }

    static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads until the peer closes or the receive timeout passes.
    static func receiveAll(_ fd: Int32) -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `GET path` on a fresh connection: the status line ("" if none) and how long it took.
    static func get(_ path: String, port: Int, timeout: Double = 2) -> (status: String, seconds: Double) {
        let start = Date()
        guard let fd = connectTo(port: port, timeout: timeout) else { return ("", Date().timeIntervalSince(start)) }
        defer { close(fd) }
        _ = send(fd, "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = receiveAll(fd)
        let status = response.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        return (status, Date().timeIntervalSince(start))
    }

    /// Whether the server has closed `fd` (end of file or reset) within the receive timeout.
    static func isClosedByPeer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET || errno == EPIPE }
        }
    }

    /// Opens a connection that sends one byte of a request every `interval` seconds, `count`
    /// times, on its own thread; returns the socket (closed by the caller).
    static func slowLoris(port: Int, interval: Double, count: Int) -> Int32? {
        guard let fd = connectTo(port: port, timeout: 1) else { return nil }
        let request = Array("GET /liveness HTTP/1.1\r\nHost: localhost\r\n\r\n")
        Thread.detachNewThread {
            for i in 0..<min(count, request.count) {
                if !send(fd, String(request[i])) { return }
                Thread.sleep(forTimeInterval: interval)
            }
        }
        return fd
    }
}
