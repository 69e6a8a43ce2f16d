/// An IPv4 or IPv6 address as 16 bytes (IPv4 kept as 4 significant bytes).
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Family: Int, Sendable { case v4 = 4, v6 = 6 }
    public let family: Family
    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: family = .v4
        case 16: family = .v6
        default: return nil
        }
        self.bytes = bytes
    }

    /// Parses dotted-quad IPv4 (no leading zeros, as Go) or IPv6 text (with `::` and an
    /// optional embedded IPv4 tail). No zone, no brackets.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let b = IPAddress.parseV6(Substring(text)) else { return nil }
            family = .v6
            bytes = b
        } else {
            guard let b = IPAddress.parseV4(Substring(text)) else { return nil }
            family = .v4
            bytes = b
        }
    }

    static func parseV4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            if p.count > 1 && p.first == "0" { return nil }
            guard let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseV6(_ s: Substring) -> [UInt8]? {
        var groups: [UInt16] = []
        var tail: [UInt8] = []
        var ellipsis: Int? = nil
        var rest = s
        if rest.hasPrefix("::") {
            ellipsis = 0
            rest = rest.dropFirst(2)
            if rest.isEmpty { return [UInt8](repeating: 0, count: 16) }
        } else if rest.hasPrefix(":") {
            return nil
        }
        while !rest.isEmpty {
            // Embedded IPv4 at the end.
            let nextColon = rest.firstIndex(of: ":")
            let piece = rest[rest.startIndex..<(nextColon ?? rest.endIndex)]
            if nextColon == nil, piece.contains(".") {
                guard let v4 = parseV4(piece) else { return nil }
                tail = v4
                rest = rest[rest.endIndex...]
                break
            }
            guard !piece.isEmpty, piece.count <= 4, let g = UInt16(piece, radix: 16) else { return nil }
            groups.append(g)
            guard let colon = nextColon else { rest = rest[rest.endIndex...]; break }
            rest = rest[rest.index(after: colon)...]
            if rest.hasPrefix(":") {
                if ellipsis != nil { return nil }
                ellipsis = groups.count
                rest = rest.dropFirst()
                if rest.hasPrefix(":") { return nil }
            } else if rest.isEmpty {
                return nil
            }
        }
        let totalGroups = groups.count + tail.count / 2
        var full: [UInt16]
        if let e = ellipsis {
            guard totalGroups < 8 else { return nil }
            full = Array(groups[..<e]) + [UInt16](repeating: 0, count: 8 - totalGroups) + Array(groups[e...])
        } else {
            guard totalGroups == 8 else { return nil }
            full = groups
        }
        var out: [UInt8] = []
        for g in full { out.append(UInt8(g >> 8)); out.append(UInt8(g & 0xff)) }
        out.append(contentsOf: tail)
        return out.count == 16 ? out : nil
    }

    public var bitLength: Int { bytes.count * 8 }

    public var description: String {
        switch family {
        case .v4: return bytes.map(String.init).joined(separator: ".")
        case .v6:
            var groups: [UInt16] = []
            for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])) }
            // Longest run of ≥2 zero groups becomes "::".
            var bestStart = -1, bestLen = 0, i = 0
            while i < 8 {
                if groups[i] == 0 {
                    var j = i
                    while j < 8, groups[j] == 0 { j += 1 }
                    if j - i > bestLen { bestStart = i; bestLen = j - i }
                    i = j
                } else { i += 1 }
            }
            func hex(_ g: ArraySlice<UInt16>) -> String { g.map { String($0, radix: 16) }.joined(separator: ":") }
            if bestLen < 2 { return hex(groups[...]) }
            return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLen)...])
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.family != b.family { return a.family.rawValue < b.family.rawValue }
        return a.bytes.lexicographicallyPrecedes(b.bytes)
    }

    /// The address with all bits after `prefix` cleared.
    public func masked(to prefix: Int) -> IPAddress {
        var b = bytes
        for i in 0..<b.count {
            let bitsBefore = i * 8
            if bitsBefore >= prefix { b[i] = 0 } else if bitsBefore + 8 > prefix {
                b[i] &= UInt8(truncatingIfNeeded: 0xff << (8 - (prefix - bitsBefore)))
            }
        }
        return IPAddress(bytes: b)!
    }
}

/// An address with a prefix length, e.g. `10.0.0.0/8`.
public struct IPNet: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.bitLength else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `addr/len`; with `allowBareIP` a plain address means /32 or /128.
    public init?(_ text: String, allowBareIP: Bool = true) {
        if let slash = text.firstIndex(of: "/") {
            let lenText = text[text.index(after: slash)...]
            guard let ip = IPAddress(String(text[..<slash])), !lenText.isEmpty, lenText.count <= 3,
                  lenText.allSatisfy({ $0.isASCII && $0.isNumber }), let len = Int(lenText) else { return nil }
            self.init(address: ip, prefixLength: len)
        } else {
            guard allowBareIP, let ip = IPAddress(text) else { return nil }
            self.init(address: ip, prefixLength: ip.bitLength)
        }
    }

    public var family: IPAddress.Family { address.family }
    /// Whether host bits (after the prefix) are all zero.
    public var isMasked: Bool { address.masked(to: prefixLength) == address }
    public var network: IPNet { IPNet(address: address.masked(to: prefixLength), prefixLength: prefixLength)! }

    public func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && ip.masked(to: prefixLength) == address.masked(to: prefixLength)
    }

    public func overlaps(_ other: IPNet) -> Bool {
        guard other.family == family else { return false }
        let p = min(prefixLength, other.prefixLength)
        return address.masked(to: p) == other.address.masked(to: p)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
