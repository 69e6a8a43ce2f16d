import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sockets and socket tables of other network namespaces, from this process: a socket made by
/// a thread that has joined a namespace stays in that namespace whichever thread uses it.
enum NamespaceSockets {
    struct SocketError: Error, CustomStringConvertible {
        var description: String
    }

    /// A TCP socket created inside `namespace` and connected to `host:port` there, within
    /// `timeout`. The caller closes it.
    static func connect(in namespace: NetworkNamespace, host: String, port: Int, timeout: Duration = .seconds(2)) throws -> Int32 {
        let fd = try namespace.perform { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        guard fd >= 0 else { throw SocketError(description: "socket: \(String(cString: strerror(errno)))") }
        do {
            try connect(fd, host: host, port: port, timeout: timeout)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Non-blocking connect bounded by `timeout`; the socket is blocking again afterwards.
    static func connect(_ fd: Int32, host: String, port: Int, timeout: Duration) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw SocketError(description: "bad address \(host)") }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc == 0 { return }
        guard errno == EINPROGRESS else { throw SocketError(description: "connect \(host):\(port): \(String(cString: strerror(errno)))") }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ms = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&p, 1, max(ms, 1)) == 1 else { throw SocketError(description: "connect \(host):\(port): timed out") }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else { throw SocketError(description: "connect \(host):\(port): \(String(cString: strerror(error)))") }
    }

    /// The status code of `GET <path>` on `127.0.0.1:port` inside `namespace`, nil when
    /// nothing answers.
    static func httpStatus(in namespace: NetworkNamespace, port: Int, path: String) -> Int? {
        httpGet(in: namespace, port: port, path: path)?.status
    }

    /// `GET <path>` (HTTP/1.0) on `127.0.0.1:port` inside `namespace`: status and body (at
    /// most 64 KiB), nil when nothing answers.
    static func httpGet(in namespace: NetworkNamespace, port: Int, path: String) -> (status: Int, body: String)? {
        guard let fd = try? connect(in: namespace, host: "127.0.0.1", port: port, timeout: .seconds(1)) else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < 65536 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { return nil }
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// Whether something listens on every one of these TCP ports and has bound every one of
    /// these UDP ports inside `namespace` (read from its `/proc/net` tables: no traffic).
    static func isListening(in namespace: NetworkNamespace, tcp: [Int], udp: [Int]) -> Bool {
        (try? namespace.perform {
            let tcpPorts = ports(tables: ["tcp", "tcp6"], state: "0A")
            let udpPorts = ports(tables: ["udp", "udp6"], state: "07")
            return tcp.allSatisfy(tcpPorts.contains) && udp.allSatisfy(udpPorts.contains)
        }) ?? false
    }

    /// Local ports of the sockets in `state` in this thread's namespace.
    static func ports(tables: [String], state: String) -> Set<Int> {
        var found = Set<Int>()
        for table in tables {
            guard let data = FileManager.default.contents(atPath: "/proc/thread-self/net/\(table)") else { continue }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 3, fields[3] == state, let colon = fields[1].lastIndex(of: ":"),
                      let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16) else { continue }
                found.insert(port)
            }
        }
        return found
    }
}
