#if canImport(Glibc)
import Glibc
#endif

/// Answers every datagram on a UDP socket with `ok <sender>`, sent from the address the
/// datagram was addressed to, so that the client's connected socket accepts the reply even
/// when this namespace has several addresses.
struct DatagramResponder {
    let fd: Int32
    let family: Int32

    func run() -> Never {
        var payload = [UInt8](repeating: 0, count: 2048)
        var control = [UInt8](repeating: 0, count: 256)
        while true {
            var peer = SocketAddress()
            var controlLength = 0
            let count = payload.withUnsafeMutableBytes { payloadBytes in
                control.withUnsafeMutableBytes { controlBytes in
                    peer.withMutableSockaddr { name, nameLength in
                        var vector = iovec(iov_base: payloadBytes.baseAddress, iov_len: payloadBytes.count)
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(name)
                        message.msg_namelen = nameLength.pointee
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        let received = withUnsafeMutablePointer(to: &vector) { vectorPointer in
                            message.msg_iov = vectorPointer
                            message.msg_iovlen = 1
                            return recvmsg(fd, &message, 0)
                        }
                        nameLength.pointee = message.msg_namelen
                        controlLength = message.msg_controllen
                        return received
                    }
                }
            }
            guard count >= 0 else { continue }
            let reply = Array("ok \(peer.ip)".utf8)
            let source = DatagramResponder.replyControl(control[..<controlLength])
            if send(reply, to: peer, control: source) < 0 && !source.isEmpty {
                _ = send(reply, to: peer, control: [])
            }
        }
    }

    private func send(_ reply: [UInt8], to peer: SocketAddress, control: [UInt8]) -> Int {
        reply.withUnsafeBytes { replyBytes in
            control.withUnsafeBytes { controlBytes in
                peer.withSockaddr { name, nameLength in
                    var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: replyBytes.baseAddress), iov_len: replyBytes.count)
                    var message = msghdr()
                    message.msg_name = UnsafeMutableRawPointer(mutating: name)
                    message.msg_namelen = nameLength
                    if !control.isEmpty {
                        message.msg_control = UnsafeMutableRawPointer(mutating: controlBytes.baseAddress)
                        message.msg_controllen = controlBytes.count
                    }
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        return sendmsg(fd, &message, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    }
                }
            }
        }
    }

    /// The control message choosing the reply's source address, made from the packet-info
    /// message that came with the request (empty when there was none).
    static func replyControl(_ received: ArraySlice<UInt8>) -> [UInt8] {
        let bytes = Array(received)
        let header = MemoryLayout<cmsghdr>.size
        var offset = 0
        while offset + header <= bytes.count {
            let message = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self) }
            guard message.cmsg_len >= header, offset + message.cmsg_len <= bytes.count else { break }
            let data = Array(bytes[(offset + header)..<(offset + message.cmsg_len)])
            let level = message.cmsg_level, type = message.cmsg_type
            if level == Int32(IPPROTO_IP) && type == IP_PKTINFO && data.count >= MemoryLayout<in_pktinfo>.size {
                var info = data.withUnsafeBytes { $0.loadUnaligned(as: in_pktinfo.self) }
                info.ipi_spec_dst = info.ipi_addr
                info.ipi_addr = in_addr()
                info.ipi_ifindex = 0
                return controlMessage(level: level, type: type, data: withUnsafeBytes(of: info) { Array($0) })
            }
            if level == Int32(IPPROTO_IPV6) && type == IPV6_PKTINFO && data.count >= 20 {
                // in6_pktinfo: the address, then the interface index, which only a link-local
                // (fe80::/10) source needs.
                var info = Array(data[0..<20])
                if !(info[0] == 0xfe && info[1] & 0xc0 == 0x80) { info.replaceSubrange(16..<20, with: [0, 0, 0, 0]) }
                return controlMessage(level: level, type: type, data: info)
            }
            offset += align(message.cmsg_len)
        }
        return []
    }

    private static func align(_ length: Int) -> Int {
        let unit = MemoryLayout<Int>.size
        return (length + unit - 1) / unit * unit
    }

    private static func controlMessage(level: Int32, type: Int32, data: [UInt8]) -> [UInt8] {
        var header = cmsghdr()
        header.cmsg_len = MemoryLayout<cmsghdr>.size + data.count
        header.cmsg_level = level
        header.cmsg_type = type
        let bytes = withUnsafeBytes(of: header) { Array($0) } + data
        return bytes + [UInt8](repeating: 0, count: align(bytes.count) - bytes.count)
    }
}
