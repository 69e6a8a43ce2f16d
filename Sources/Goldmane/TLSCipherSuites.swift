/// 3.31's `TLS_CIPHER_SUITES`: a comma-separated list of IANA (Go) cipher suite names, spaces
/// trimmed; empty means the default list; an unknown name is an error at start-up. TLS 1.2 at
/// least, 1.3 at most.
public struct TLSCipherSuites: Sendable, Equatable {
    /// The chosen suites, by name, in the given order.
    public var names: [String]

    public struct Unsupported: Error, CustomStringConvertible, Sendable {
        public var name: String
        public var description: String { "failed to create TLS Config: unsupported cipher: \(name)" }
    }

    /// The suites upstream accepts, with their IANA code points.
    public static let known: [(name: String, code: UInt16)] = [
        ("TLS_AES_256_GCM_SHA384", 0x1302), ("TLS_CHACHA20_POLY1305_SHA256", 0x1303), ("TLS_AES_128_GCM_SHA256", 0x1301),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C), ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xC030),
        ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA8), ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9),
        ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F), ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xC00A), ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xC014),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC013),
        // Legacy: accepted, never in the default list.
        ("TLS_RSA_WITH_AES_256_GCM_SHA384", 0x9D), ("TLS_RSA_WITH_AES_128_GCM_SHA256", 0x9C),
    ]

    /// The three TLS 1.3 suites, then the nine ECDHE ones.
    public static let `default` = TLSCipherSuites(names: known.prefix(12).map(\.name))

    public static func parse(_ value: String?) throws(Unsupported) -> TLSCipherSuites {
        let names = (value ?? "").split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        if names.isEmpty { return .default }
        for n in names where !known.contains(where: { $0.name == n }) { throw Unsupported(name: n) }
        return TLSCipherSuites(names: names)
    }

    static func isTLS13(_ code: UInt16) -> Bool { code >> 8 == 0x13 }

    var codes: [UInt16] { names.compactMap { n in Self.known.first { $0.name == n }?.code } }

    /// The TLS 1.2 suites to offer, in order.
    public var tls12Codes: [UInt16] { codes.filter { !Self.isTLS13($0) } }
    /// TLS 1.3 is on when any of its suites is chosen (BoringSSL then offers its three: 1.3's
    /// suites cannot be narrowed there); TLS 1.2 when any of its suites is.
    public var allowsTLS13: Bool { codes.contains(where: Self.isTLS13) }
    public var allowsTLS12: Bool { !tls12Codes.isEmpty }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
