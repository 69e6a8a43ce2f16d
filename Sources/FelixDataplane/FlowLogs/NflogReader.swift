import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One verdict the kernel logged to NFLOG: the rule's prefix, the group (1 inbound, 2
/// outbound), the packet's addresses, protocol and ports, and its length.
public struct VerdictEvent: Sendable, Equatable {
    public var group: Int
    public var prefix: String
    public var source: String
    public var destination: String
    public var proto: Int
    public var sourcePort: Int
    public var destinationPort: Int
    public var length: Int
    /// ICMP (and ICMPv6) type and code of the logged packet.
    public var icmpType: Int? = nil
    public var icmpCode: Int? = nil
}

/// Reads NFLOG groups over netlink (NETLINK_NETFILTER, the nfnetlink_log subsystem) in the
/// caller's network namespace: binds each group with packet copies of 128 bytes (enough for
/// the IP and transport headers) and hands every logged packet to `handler` from its own
/// thread. `parse` is pure and tested on its own.
public final class NflogReader: @unchecked Sendable {
    let fd: Int32
    let handler: @Sendable (VerdictEvent) -> Void

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    static let subsysULOG: UInt16 = 4
    static let msgPacket: UInt16 = 0
    static let msgConfig: UInt16 = 1

    public init(groups: [Int], handler: @escaping @Sendable (VerdictEvent) -> Void) throws {
        let s = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 12 /* NETLINK_NETFILTER */)
        guard s >= 0 else { throw Failure(description: "NFLOG: netlink socket: \(String(cString: strerror(errno)))") }
        // struct sockaddr_nl { u16 family; u16 pad; u32 pid (0: the kernel assigns); u32 groups }.
        let addr: [UInt8] = Self.le16(UInt16(AF_NETLINK)) + [0, 0] + Self.le32(0) + Self.le32(0)
        let bound = addr.withUnsafeBytes { bind(s, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(addr.count)) }
        guard bound == 0 else {
            close(s)
            throw Failure(description: "NFLOG: bind: \(String(cString: strerror(errno)))")
        }
        var size: Int32 = 4 << 20
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        fd = s
        self.handler = handler
        for g in groups {
            // NFULA_CFG_CMD = BIND, then NFULA_CFG_MODE = copy 128 bytes of each packet.
            try configure(group: g, attributes: [(1, [1])])
            try configure(group: g, attributes: [(2, [0, 0, 0, 128, 2, 0])])
        }
        let t = Thread { [self] in self.loop() }
        t.name = "nflog"
        t.start()
    }

    func configure(group: Int, attributes: [(UInt16, [UInt8])]) throws {
        var body: [UInt8] = [0, 0, UInt8(group >> 8), UInt8(group & 0xff)]  // nfgenmsg: AF_UNSPEC, v0, res_id (big endian)
        for (type, value) in attributes {
            let len = 4 + value.count
            body += Self.le16(UInt16(len)) + Self.le16(type) + value + Array(repeating: 0, count: (4 - len % 4) % 4)
        }
        let total = 16 + body.count
        let flags: UInt16 = 0x1 | 0x4  // NLM_F_REQUEST | NLM_F_ACK
        let msg = Self.le32(UInt32(total)) + Self.le16(Self.subsysULOG << 8 | Self.msgConfig) + Self.le16(flags) + Self.le32(1) + Self.le32(0) + body
        guard msg.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == msg.count else {
            throw Failure(description: "NFLOG: configuring group \(group): \(String(cString: strerror(errno)))")
        }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        // The ACK is an NLMSG_ERROR (type 2) whose error code is 0 on success.
        if n >= 20, Self.le16(buf, 4) == 2 {
            let code = Int32(bitPattern: Self.le32(buf, 16))
            if code != 0 { throw Failure(description: "NFLOG: configuring group \(group): \(String(cString: strerror(-code)))") }
        }
    }

    func loop() {
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR || errno == ENOBUFS { continue }
                return
            }
            for e in Self.parse(Array(buf[0..<n])) { handler(e) }
        }
    }

    /// The verdict events in one netlink read (pure).
    public static func parse(_ data: [UInt8]) -> [VerdictEvent] {
        var out: [VerdictEvent] = []
        var off = 0
        while off + 16 <= data.count {
            let len = Int(le32(data, off))
            guard len >= 16, off + len <= data.count else { break }
            let type = le16(data, off + 4)
            if type == subsysULOG << 8 | msgPacket, len >= 20 {
                let group = Int(data[off + 18]) << 8 | Int(data[off + 19])
                var prefix = "", payload: ArraySlice<UInt8> = []
                var a = off + 20
                while a + 4 <= off + len {
                    let alen = Int(le16(data, a)), atype = le16(data, a + 2) & 0x3fff
                    guard alen >= 4, a + alen <= off + len else { break }
                    let value = data[(a + 4)..<(a + alen)]
                    if atype == 10 { prefix = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self) }
                    if atype == 9 { payload = value }
                    a += (alen + 3) & ~3
                }
                if var e = packet(Array(payload)) {
                    e.group = group
                    e.prefix = prefix
                    out.append(e)
                }
            }
            off += (len + 3) & ~3
        }
        return out
    }

    /// Addresses, protocol and ports of an IP packet (from its IPv4 or IPv6 header).
    static func packet(_ p: [UInt8]) -> VerdictEvent? {
        guard let first = p.first else { return nil }
        var e = VerdictEvent(group: 0, prefix: "", source: "", destination: "", proto: 0, sourcePort: 0, destinationPort: 0, length: 0)
        var l4 = 0
        if first >> 4 == 4, p.count >= 20 {
            e.proto = Int(p[9])
            e.source = p[12..<16].map(String.init).joined(separator: ".")
            e.destination = p[16..<20].map(String.init).joined(separator: ".")
            e.length = Int(p[2]) << 8 | Int(p[3])
            l4 = Int(first & 0x0f) * 4
        } else if first >> 4 == 6, p.count >= 40 {
            e.proto = Int(p[6])
            e.source = ipv6(p[8..<24])
            e.destination = ipv6(p[24..<40])
            e.length = (Int(p[4]) << 8 | Int(p[5])) + 40
            l4 = 40
        } else {
            return nil
        }
        if [6, 17, 132].contains(e.proto), p.count >= l4 + 4 {
            e.sourcePort = Int(p[l4]) << 8 | Int(p[l4 + 1])
            e.destinationPort = Int(p[l4 + 2]) << 8 | Int(p[l4 + 3])
        }
        if e.proto == 1 || e.proto == 58, p.count >= l4 + 2 {
            e.icmpType = Int(p[l4])
            e.icmpCode = Int(p[l4 + 1])
        }
        return e
    }

    static func ipv6(_ b: ArraySlice<UInt8>) -> String {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { raw in for (i, v) in b.enumerated() { raw[i] = v } }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
    static func le16(_ d: [UInt8], _ i: Int) -> UInt16 { UInt16(d[i]) | UInt16(d[i + 1]) << 8 }
    static func le32(_ d: [UInt8], _ i: Int) -> UInt32 { UInt32(d[i]) | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2]) << 16 | UInt32(d[i + 3]) << 24 }
}
