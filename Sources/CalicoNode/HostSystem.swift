import CalicoNetlink
import CalicoAPI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What startup needs from the host, behind a protocol so tests can supply it.
public protocol HostSystem: Sendable {
    /// Interfaces and their addresses, in kernel order.
    func interfaces() throws -> [HostInterface]
    /// The local address the kernel would use toward `destination` (an IP or a host name).
    func sourceAddress(toward destination: String, family: IPAddress.Family) throws -> IPAddress?
    /// Whether the host has IPv6 enabled.
    func supportsIPv6() -> Bool
    /// The OS host name.
    func hostname() -> String
}

/// Where the node name is remembered between runs (`/var/lib/calico/nodename`).
public protocol NodenameStore: Sendable {
    func read() -> String?
    func write(_ name: String) throws
}

public struct NodenameFile: NodenameStore {
    public static let defaultPath = "/var/lib/calico/nodename"
    public let path: String

    public init(path: String = NodenameFile.defaultPath) { self.path = path }

    /// `CALICO_NODENAME_FILE` overrides the path (for tests).
    public init(environment: [String: String]) {
        self.init(path: environment["CALICO_NODENAME_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? NodenameFile.defaultPath)
    }

    public func read() -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }

    public func write(_ name: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try AtomicFile.write(Data(name.utf8), to: path)
    }
}

/// The real host: interfaces from iproute2 (`ip -j addr show`, falling back to
/// `ip -o addr show`), the kernel's source-address choice from a connected UDP socket (no
/// packet is sent), IPv6 support from `/proc`.
public struct LinuxHost: HostSystem {
    public var ipCommand: String

    public init(ipCommand: String = "ip") { self.ipCommand = ipCommand }

    public func interfaces() throws -> [HostInterface] {
        if let json = try? run([ipCommand, "-j", "addr", "show"]), let parsed = try? Self.parseJSON(json) {
            return parsed
        }
        return Self.parseOneline(try run([ipCommand, "-o", "addr", "show"]))
    }

    public func sourceAddress(toward destination: String, family: IPAddress.Family) throws -> IPAddress? {
        let targets: [IPAddress]
        if let ip = IPAddress(destination) {
            targets = ip.family == family ? [ip] : []
        } else {
            targets = Self.resolve(destination, family: family)
        }
        for target in targets {
            if let local = Self.connectedSource(target) { return local }
        }
        return nil
    }

    public func supportsIPv6() -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/sys/net/ipv6/conf/all/disable_ipv6") else { return false }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "0"
    }

    public func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return ProcessInfo.processInfo.hostName }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func run(_ argv: [String]) throws -> String {
        let out = try CommandRunner.run(argv)
        guard out.status == 0 else {
            throw AutodetectionError("\(argv.joined(separator: " ")) failed with status \(out.status)")
        }
        return out.stdout
    }

    struct JSONLink: Decodable {
        var ifname: String
        var addr_info: [JSONAddress]?
    }

    struct JSONAddress: Decodable {
        var family: String?
        var local: String?
        var prefixlen: Int?
    }

    /// `ip -j addr show` output.
    public static func parseJSON(_ text: String) throws -> [HostInterface] {
        let links = try JSONDecoder().decode([JSONLink].self, from: Data(text.utf8))
        return links.map { link in
            HostInterface(name: link.ifname, addresses: (link.addr_info ?? []).compactMap { a in
                guard a.family == "inet" || a.family == "inet6", let local = a.local, let ip = IPAddress(local),
                      let len = a.prefixlen else { return nil }
                return IPNet(address: ip, prefixLength: len)
            })
        }
    }

    /// `ip -o addr show` output: `4: eth0    inet 192.0.2.2/24 brd … scope global eth0\ …`.
    public static func parseOneline(_ text: String) -> [HostInterface] {
        var out: [HostInterface] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 4, fields[0].hasSuffix(":"), fields[2] == "inet" || fields[2] == "inet6" else { continue }
            let name = String(fields[1].split(separator: "@").first ?? fields[1])
            guard let net = IPNet(String(fields[3]), allowBareIP: false) else { continue }
            if let i = out.firstIndex(where: { $0.name == name }) {
                out[i].addresses.append(net)
            } else {
                out.append(HostInterface(name: name, addresses: [net]))
            }
        }
        return out
    }

    static func resolve(_ host: String, family: IPAddress.Family) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = family == .v4 ? AF_INET : AF_INET6
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var out: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            if let sa = ai.pointee.ai_addr, let ip = address(of: sa) { out.append(ip) }
            cursor = ai.pointee.ai_next
        }
        return out
    }

    /// "Connects" a UDP socket to `[target]:80` and reads the local address the kernel chose.
    static func connectedSource(_ target: IPAddress) -> IPAddress? {
        let fd = socket(target.family == .v4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var storage = sockaddr_storage()
        let length: socklen_t
        switch target.family {
        case .v4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = UInt16(80).bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: target.bytes) }
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: sin) { dst.copyMemory(from: $0) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = UInt16(80).bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: target.bytes) }
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: sin6) { dst.copyMemory(from: $0) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else { return nil }
        var local = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) }
        }
        guard named == 0 else { return nil }
        return withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address(of: $0) } }
    }

    static func address(of sa: UnsafePointer<sockaddr>) -> IPAddress? {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin_addr) { IPAddress(bytes: Array($0)) }
            }
        case AF_INET6:
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { IPAddress(bytes: Array($0)) }
            }
        default:
            return nil
        }
    }
}
