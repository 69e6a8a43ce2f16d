import Foundation

/// `calico-probe serve`: answers on every given TCP and UDP port, on IPv4 and (when
/// available) IPv6, until killed. Exits with status 1 when an IPv4 port cannot be bound.
func serve(tcpPorts: [UInt16], udpPorts: [UInt16]) -> Never {
    var listeners: [(fd: Int32, family: Int32, datagram: Bool)] = []
    for (ports, datagram) in [(tcpPorts, false), (udpPorts, true)] {
        for port in ports {
            for family in [AF_INET, AF_INET6] {
                do {
                    listeners.append((try openListener(family: family, port: port, datagram: datagram), family, datagram))
                } catch where family == AF_INET {
                    writeAll(2, "calico-probe: cannot listen on \(datagram ? "udp" : "tcp") port \(port): \(error)\n")
                    exit(1)
                } catch {
                    // No IPv6 here: IPv4 only.
                }
            }
        }
    }
    for listener in listeners {
        Thread.detachNewThread {
            if listener.datagram {
                DatagramResponder(fd: listener.fd, family: listener.family).run()
            } else {
                acceptLoop(listener.fd)
            }
        }
    }
    while true { pause() }
}

struct SocketError: Error, CustomStringConvertible {
    var description: String

    init(_ what: String, errno code: Int32 = errno) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
}

/// A socket bound to the wildcard address of `family` on `port` (listening, for TCP). IPv6
/// sockets are IPv6-only, so IPv4 clients reach the IPv4 one; datagram sockets report the
/// address each datagram was sent to (so the reply can come from it).
func openListener(family: Int32, port: UInt16, datagram: Bool) throws -> Int32 {
    let type = datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue
    let fd = socket(family, Int32(type | SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw SocketError("socket") }
    var on: Int32 = 1
    let size = socklen_t(MemoryLayout<Int32>.size)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, size)
    if family == AF_INET6 {
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, size)
    }
    if datagram {
        if family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, &on, size)
        } else {
            setsockopt(fd, Int32(IPPROTO_IP), IP_PKTINFO, &on, size)
        }
    }
    let address = SocketAddress.any(family: family, port: port)
    guard address.withSockaddr({ bind(fd, $0, $1) }) == 0 else {
        let error = SocketError("bind", errno: errno)
        close(fd)
        throw error
    }
    guard datagram || listen(fd, SOMAXCONN) == 0 else {
        let error = SocketError("listen", errno: errno)
        close(fd)
        throw error
    }
    return fd
}

/// Accepts connections forever, writing `ok <peer>` to each and closing it at once.
func acceptLoop(_ fd: Int32) -> Never {
    while true {
        var peer = SocketAddress()
        let connection = peer.withMutableSockaddr { accept(fd, $0, $1) }
        guard connection >= 0 else {
            // Out of descriptors or memory: give the system a moment.
            if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM { usleep(10_000) }
            continue
        }
        let line = Array("ok \(peer.ip)\n".utf8)
        _ = send(connection, line, line.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        close(connection)
    }
}
