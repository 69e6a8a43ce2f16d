import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.0 server for health and metrics: one thread, one request per connection,
/// GET only. The socket is close-on-exec so a restarting Felix can bind again.
public final class HTTPEndpoint: @unchecked Sendable {
    public typealias Handler = @Sendable (String) -> (status: Int, contentType: String, body: String)
    let fd: Int32
    let handler: Handler
    public let port: Int

    /// Binds `host:port` (`localhost` → 127.0.0.1, empty → all addresses).
    public init(host: String, port: Int, handler: @escaping Handler) throws {
        let address = host.isEmpty ? "0.0.0.0" : (host == "localhost" ? "127.0.0.1" : host)
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw NftError(message: "health server: socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else {
            close(s)
            throw NftError(message: "health server: \(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(s, 64) == 0 else {
            let e = String(cString: strerror(errno))
            close(s)
            throw NftError(message: "cannot listen on \(address):\(port): \(e)")
        }
        fd = s
        self.port = port
        self.handler = handler
        let t = Thread { [self] in self.serve() }
        t.name = "http-\(port)"
        t.start()
    }

    func serve() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            _ = fcntl(c, F_SETFD, FD_CLOEXEC)
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var buf = [UInt8](repeating: 0, count: 4096)
            var got = 0
            while got < buf.count {
                let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress! + got, $0.count - got) }
                if n <= 0 { break }
                got += n
                let head = String(decoding: buf[..<got], as: UTF8.self)
                if head.contains("\r\n\r\n") || head.contains("\n\n") { break }
            }
            let request = String(decoding: buf[..<got], as: UTF8.self)
            let words = request.split(separator: " ", maxSplits: 2)
            var response: (status: Int, contentType: String, body: String)
            if words.count >= 2, words[0] == "GET" || words[0] == "HEAD" {
                let path = String(words[1].split(separator: "?")[0])
                response = handler(path)
                if words[0] == "HEAD" { response.body = "" }
            } else {
                response = (405, "text/plain", "method not allowed\n")
            }
            let reason = [200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"][response.status] ?? "Status"
            let body = Array(response.body.utf8)
            let head = "HTTP/1.1 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            let all = Array(head.utf8) + body
            var sent = 0
            while sent < all.count {
                let n = all.withUnsafeBytes { write(c, $0.baseAddress! + sent, $0.count - sent) }
                if n <= 0 { break }
                sent += n
            }
            close(c)
        }
    }
}
