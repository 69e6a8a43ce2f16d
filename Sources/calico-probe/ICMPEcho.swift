/// ICMP and ICMPv6 echo messages: building a request and recognising its reply.
struct ICMPEcho {
    var ipv6: Bool
    var identifier = UInt16.random(in: 1...UInt16.max)
    var sequence = UInt16.random(in: 1...UInt16.max)

    private var requestType: UInt8 { ipv6 ? 128 : 8 }
    private var replyType: UInt8 { ipv6 ? 129 : 0 }

    /// The echo request. ICMPv4 carries our checksum; for ICMPv6 the kernel fills it in.
    var request: [UInt8] {
        var packet: [UInt8] = [requestType, 0, 0, 0,
                               UInt8(identifier >> 8), UInt8(identifier & 0xff),
                               UInt8(sequence >> 8), UInt8(sequence & 0xff)]
        packet += Array("calico-probe".utf8)
        if !ipv6 {
            let sum = ICMPEcho.checksum(packet)
            packet[2] = UInt8(sum >> 8)
            packet[3] = UInt8(sum & 0xff)
        }
        return packet
    }

    /// Whether `packet` (as read from a raw socket: with the IPv4 header, without an IPv6
    /// one) is the reply to our request.
    func isReply(_ packet: ArraySlice<UInt8>) -> Bool {
        var message = Array(packet)
        if !ipv6 {
            guard let first = message.first else { return false }
            message = Array(message.dropFirst(Int(first & 0x0f) * 4))
        }
        guard message.count >= 8 else { return false }
        return message[0] == replyType && message[1] == 0
            && UInt16(message[4]) << 8 | UInt16(message[5]) == identifier
            && UInt16(message[6]) << 8 | UInt16(message[7]) == sequence
    }

    /// The Internet checksum (RFC 1071) of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
