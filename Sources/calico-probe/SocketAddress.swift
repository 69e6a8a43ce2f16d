#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address (address and port).
struct SocketAddress: Sendable {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)

    var family: Int32 { Int32(storage.ss_family) }

    /// An empty address, to be filled by `accept` or `recvfrom`.
    init() {}

    /// A numeric IPv4 or IPv6 address (without brackets) and a port; nil when `ip` is neither.
    init?(ip: String, port: UInt16) {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, ip, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            self.init(copying: v4)
        } else if inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            self.init(copying: v6)
        } else {
            return nil
        }
    }

    private init<Address>(copying address: Address) {
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: address) { target.copyMemory(from: $0) }
        }
        length = socklen_t(MemoryLayout<Address>.size)
    }

    /// The wildcard address (`0.0.0.0` or `::`) of `family`.
    static func any(family: Int32, port: UInt16) -> SocketAddress {
        SocketAddress(ip: family == AF_INET6 ? "::" : "0.0.0.0", port: port)!
    }

    /// The address without the port, e.g. `10.0.0.1` or `fd00::1`.
    var ip: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET:
                var address = raw.loadUnaligned(as: sockaddr_in.self).sin_addr
                _ = inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
            case AF_INET6:
                var address = raw.loadUnaligned(as: sockaddr_in6.self).sin6_addr
                _ = inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
            default:
                break
            }
        }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Calls `body` with the address as a `sockaddr` (for `connect`, `bind`, `sendto`).
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }

    /// Calls `body` with room for an address (for `accept`, `recvfrom`).
    mutating func withMutableSockaddr<Result>(
        _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Result
    ) -> Result {
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutableBytes(of: &storage) { raw in
            withUnsafeMutablePointer(to: &length) { body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), $0) }
        }
    }
}
