import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A BGP session as `calicoctl node status` lists it.
public struct BGPPeerStatus: Equatable, Sendable {
    public var address: String
    /// `global`, `node specific` or `node-to-node mesh`.
    public var type: String
    public var state: String
    public var since: String
    public var info: String
    public var isIPv6: Bool
}

/// BIRD's control socket, as upstream calicoctl reads it: `show protocols`, reply codes `0001`
/// (hello), `2002` (heading), `1002` (first row), rows continued with a leading space, `0000`
/// (end). Only BGP protocols named `Global_…`, `Node_…` or `Mesh_…` are kept.
public enum BIRDStatus {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends `show protocols` over the socket at `path` and parses the answer.
    public static func peers(socket path: String, timeout: Double = 2) throws -> [BGPPeerStatus] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw Failure(description: "socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0 else { throw Failure(description: "dial unix \(path): connect: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("show protocols\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Failure(description: "write to \(path): \(String(cString: strerror(errno)))")
        }
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !text.contains("\n0000") && !text.hasPrefix("0000") {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else {
                throw Failure(description: n == 0 ? "BIRD closed the connection" : "read from \(path): \(String(cString: strerror(errno)))")
            }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return try parse(text)
    }

    /// The BGP sessions in a `show protocols` reply (pure).
    public static func parse(_ reply: String) throws -> [BGPPeerStatus] {
        var out: [BGPPeerStatus] = []
        for raw in reply.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("0001") || line.hasPrefix("0000") { continue }
            if line.hasPrefix("2002") {
                let heading = line.dropFirst(5).split(separator: " ").map { $0.lowercased() }
                guard heading == ["name", "proto", "table", "state", "since", "info"] else {
                    throw Failure(description: "unexpected heading from BIRD: \(line)")
                }
                continue
            }
            let row: Substring
            if line.hasPrefix("1002") { row = line.dropFirst(5) } else if line.hasPrefix(" ") { row = line.dropFirst() } else {
                throw Failure(description: "unexpected output from BIRD: \(line)")
            }
            if let p = peer(row) { out.append(p) }
        }
        return out
    }

    static func peer(_ row: Substring) -> BGPPeerStatus? {
        let f = row.split(separator: " ").map(String.init)
        guard f.count >= 5, f[1] == "BGP" else { return nil }
        let name = f[0]
        let types = ["Global_": "global", "Node_": "node specific", "Mesh_": "node-to-node mesh"]
        guard let (prefix, type) = types.first(where: { name.hasPrefix($0.key) }) else { return nil }
        var id = String(name.dropFirst(prefix.count))
        if let r = id.range(of: "_port_", options: .backwards), Int(id[r.upperBound...]) != nil { id = String(id[..<r.lowerBound]) }
        let parts = id.split(separator: "_", omittingEmptySubsequences: false)
        let v4 = parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
        let address = v4 ? parts.joined(separator: ".") : parts.joined(separator: ":")
        return BGPPeerStatus(address: address, type: type, state: f[3], since: f[4], info: f.dropFirst(5).joined(separator: " "), isIPv6: !v4)
    }
}
