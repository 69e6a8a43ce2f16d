import CalicoNetlink
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Makes a TCP service inside a lab namespace reachable from this process: a listening socket
/// on 127.0.0.1 (a free port) of the caller's namespace whose connections are relayed to
/// `host:port` inside the namespace. Nothing is configured in the caller's namespace (no
/// address, route or link); the socket lives until `close()` or the end of the process.
///
/// The lab uses it for its own typed datastore client when etcd runs in the router namespace.
final class NamespaceForwarder: Sendable {
    /// The local port: connect to `127.0.0.1:port`.
    let port: Int
    let namespace: NetworkNamespace
    let host: String
    let targetPort: Int
    private let listener: Int32
    private let closed = Mutex(false)

    /// `listenPort` 0: a free port.
    init(to host: String, port targetPort: Int, in namespace: NetworkNamespace, listenPort: Int = 0) throws {
        self.namespace = namespace
        self.host = host
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LabError.step("forwarder", "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: listenPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw LabError.step("forwarder", "cannot listen on 127.0.0.1: \(reason)")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Stops accepting (relays in progress finish on their own).
    func close() {
        let wasClosed = closed.withLock { c -> Bool in
            let was = c
            c = true
            return was
        }
        if !wasClosed { shutdown(listener, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if closed.withLock({ $0 }) {
                    Glibc.close(listener)
                    return
                }
                if errno == EINTR || errno == ECONNABORTED { continue }
                usleep(10_000)
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            Thread.detachNewThread { [self] in
                guard let upstream = try? NamespaceSockets.connect(in: namespace, host: host, port: targetPort) else {
                    Glibc.close(client)
                    return
                }
                Self.relay(client, upstream)
            }
        }
    }

    /// Copies bytes both ways until both directions have ended, passing half-closes on.
    static func relay(_ a: Int32, _ b: Int32) {
        defer {
            Glibc.close(a)
            Glibc.close(b)
        }
        var open = [true, true]  // reading from a, from b
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while open[0] || open[1] {
            var fds: [pollfd] = []
            if open[0] { fds.append(pollfd(fd: a, events: Int16(POLLIN), revents: 0)) }
            if open[1] { fds.append(pollfd(fd: b, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            for p in fds where p.revents != 0 {
                let from = p.fd
                let to = from == a ? b : a
                let side = from == a ? 0 : 1
                let count = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    guard writeAll(to, buffer[0..<count]) else { return }
                } else if count == 0 {
                    open[side] = false
                    shutdown(to, Int32(SHUT_WR))
                } else if errno != EINTR && errno != EAGAIN {
                    return
                }
            }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var rest = bytes
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            rest = rest.dropFirst(n)
        }
        return true
    }
}
