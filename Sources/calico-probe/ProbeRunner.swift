#if canImport(Glibc)
import Glibc
#endif

/// Sends one probe on a fresh socket and waits (until the deadline) for its answer.
enum ProbeRunner {
    static func run(_ probe: ProbeSpec, deadline: Deadline) -> Outcome {
        switch probe.kind {
        case .tcp: return tcp(probe.address, deadline: deadline)
        case .udp: return udp(probe.address, deadline: deadline)
        case .icmp: return icmp(probe.address, deadline: deadline)
        }
    }

    /// Connects and reads the server's `ok <address>` line.
    static func tcp(_ address: SocketAddress, deadline: Deadline) -> Outcome {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .fail(errno: errno) }
        defer { close(fd) }
        if address.withSockaddr({ connect(fd, $0, $1) }) != 0 && errno != EINPROGRESS { return .fail(errno: errno) }
        guard deadline.wait(for: fd, events: Int32(POLLOUT)) != nil else { return .fail("timeout") }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        if error != 0 { return .fail(errno: error) }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while !received.contains(UInt8(ascii: "\n")) {
            guard deadline.wait(for: fd, events: Int32(POLLIN)) != nil else { return .fail("timeout") }
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return .fail(errno: errno)
            }
            received += buffer[..<count]
        }
        return .reply(String(decoding: received, as: UTF8.self))
    }

    /// Sends `probe` from a connected socket (so ICMP errors come back as `errno`) and waits
    /// for the reply datagram.
    static func udp(_ address: SocketAddress, deadline: Deadline) -> Outcome {
        let fd = socket(address.family, Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .fail(errno: errno) }
        defer { close(fd) }
        guard address.withSockaddr({ connect(fd, $0, $1) }) == 0 else { return .fail(errno: errno) }
        let message = Array("probe".utf8)
        guard send(fd, message, message.count, 0) >= 0 else { return .fail(errno: errno) }
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            guard deadline.wait(for: fd, events: Int32(POLLIN)) != nil else { return .fail("timeout") }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count >= 0 { return .reply(String(decoding: buffer[..<count], as: UTF8.self)) }
            if errno != EAGAIN && errno != EINTR { return .fail(errno: errno) }
        }
    }

    /// Sends an echo request from a raw socket connected to the target (so only its packets,
    /// and errors about ours, come back) and waits for the matching echo reply.
    static func icmp(_ address: SocketAddress, deadline: Deadline) -> Outcome {
        let ipv6 = address.family == AF_INET6
        let proto = ipv6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
        let fd = socket(address.family, Int32(SOCK_RAW.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), proto)
        guard fd >= 0 else { return .fail(errno: errno) }
        defer { close(fd) }
        guard address.withSockaddr({ connect(fd, $0, $1) }) == 0 else { return .fail(errno: errno) }
        let echo = ICMPEcho(ipv6: ipv6)
        let request = echo.request
        guard send(fd, request, request.count, 0) >= 0 else { return .fail(errno: errno) }
        var buffer = [UInt8](repeating: 0, count: 1500)
        while true {
            guard deadline.wait(for: fd, events: Int32(POLLIN)) != nil else { return .fail("timeout") }
            var from = SocketAddress()
            let count = from.withMutableSockaddr { recvfrom(fd, &buffer, buffer.count, 0, $0, $1) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return .fail(errno: errno)
            }
            if echo.isReply(buffer[..<count]) { return .ok(from.ip) }
        }
    }
}
