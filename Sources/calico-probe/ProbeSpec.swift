/// One probe as written on the command line: `tcp:<ip>:<port>`, `udp:<ip>:<port>` or
/// `icmp:<ip>`, IPv6 addresses in brackets (`tcp:[fd00::1]:80`, `icmp:[fd00::1]`).
struct ProbeSpec: Sendable {
    enum Kind: String { case tcp, udp, icmp }

    var text: String
    var kind: Kind
    var address: SocketAddress

    init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":"), let kind = Kind(rawValue: String(text[..<colon])) else { return nil }
        var rest = text[text.index(after: colon)...]
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
        } else if kind == .icmp {
            host = rest
            rest = ""
        } else {
            guard let last = rest.lastIndex(of: ":") else { return nil }
            host = rest[..<last]
            rest = rest[last...]
        }
        var port: UInt16 = 0
        if kind == .icmp {
            guard rest.isEmpty else { return nil }
        } else {
            guard rest.hasPrefix(":"), let number = UInt16(rest.dropFirst()), number > 0 else { return nil }
            port = number
        }
        guard let address = SocketAddress(ip: String(host), port: port) else { return nil }
        self.text = text
        self.kind = kind
        self.address = address
    }
}
