/// An IP protocol: a number (1–255) or one of the names `TCP`, `UDP`, `ICMP`, `ICMPv6`,
/// `SCTP`, `UDPLite`. A string of digits decodes as a number.
public enum IPProtocol: Codable, Sendable, Hashable, CustomStringConvertible {
    case number(Int)
    case name(String)

    public static let tcp = IPProtocol.name("TCP")
    public static let udp = IPProtocol.name("UDP")
    public static let icmp = IPProtocol.name("ICMP")
    public static let icmpv6 = IPProtocol.name("ICMPv6")
    public static let sctp = IPProtocol.name("SCTP")
    public static let udpLite = IPProtocol.name("UDPLite")
    public static let validNames: Set<String> = ["TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"]

    public init(from decoder: any Decoder) throws {
        let (text, _) = try decoder.numberOrString()
        self.init(parsing: text)
    }

    public init(parsing text: String) {
        if let n = Int(text) { self = .number(n) } else { self = .name(text) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .name(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let n): return String(n)
        case .name(let s): return s
        }
    }

    /// The protocol number, for names that have one.
    public var number: Int? {
        switch self {
        case .number(let n): return n
        case .name(let s):
            switch s.lowercased() {
            case "tcp": return 6
            case "udp": return 17
            case "icmp": return 1
            case "icmpv6": return 58
            case "sctp": return 132
            case "udplite": return 136
            default: return nil
            }
        }
    }

    /// TCP, UDP and SCTP (by name or number) carry ports; UDPLite does not, as upstream.
    public var supportsPorts: Bool {
        switch self {
        case .number(let n): return n == 6 || n == 17 || n == 132
        case .name(let s): return s == "TCP" || s == "UDP" || s == "SCTP"
        }
    }
}

/// A port match: a single port, a range `min:max`, or a named port.
public struct Port: Codable, Sendable, Hashable, CustomStringConvertible {
    public var minPort: Int
    public var maxPort: Int
    public var name: String?

    public init(_ port: Int) {
        minPort = port
        maxPort = port
    }
    public init(min: Int, max: Int) {
        minPort = min
        maxPort = max
    }
    public init(named name: String) {
        minPort = 0
        maxPort = 0
        self.name = name
    }

    /// Parses the wire form: `80`, `"80"`, `"1000:2000"` or a port name. Errors are worded as
    /// upstream's numorstring `PortFromString`.
    public init(parsing text: String) throws(PortParseError) {
        if text.contains(":") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) else {
                throw PortParseError("invalid name for named port (\(text))")
            }
            guard (0...65535).contains(a) else { throw PortParseError("invalid minimum port number in range (\(text))") }
            guard (0...65535).contains(b) else { throw PortParseError("invalid maximum port number in range (\(text))") }
            guard a <= b else {
                throw PortParseError("minimum port number (\(a)) is greater than maximum port number (\(b)) in port range")
            }
            self.init(min: a, max: b)
        } else if let n = Int(text) {
            guard (0...65535).contains(n) else { throw PortParseError("invalid port format (\(text))") }
            self.init(n)
        } else {
            guard Port.isNameShaped(text) else {
                throw PortParseError("invalid name for named port (\(text))")
            }
            self.init(named: text)
        }
    }

    static func isNameShaped(_ s: String) -> Bool {
        guard (1...128).contains(s.utf8.count) else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 46 || c == 45
        }
    }

    public init(from decoder: any Decoder) throws {
        let (text, isNumber) = try decoder.numberOrString()
        // A number is read as Go reads it into a uint16.
        if isNumber {
            guard let n = Int(text), (0...65535).contains(n) else {
                throw decoder.invalid("cannot unmarshal number \(text) into Go value of type uint16")
            }
            self.init(n)
            return
        }
        do {
            try self.init(parsing: text)
        } catch {
            throw decoder.invalid(error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let name { try c.encode(name) } else if minPort == maxPort { try c.encode(minPort) } else { try c.encode("\(minPort):\(maxPort)") }
    }

    public var description: String {
        if let name { return name }
        return minPort == maxPort ? String(minPort) : "\(minPort):\(maxPort)"
    }
}

public struct PortParseError: Error, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
}

/// A BGP AS number: a plain number (0–4294967295) or dotted `hi.lo` notation.
public struct ASNumber: Codable, Sendable, Hashable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }

    public init?(parsing text: String) {
        if let v = UInt32(text) {
            value = v
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let hi = UInt16(parts[0]), let lo = UInt16(parts[1]) else { return nil }
        value = UInt32(hi) << 16 | UInt32(lo)
    }

    public init(from decoder: any Decoder) throws {
        let (text, isNumber) = try decoder.numberOrString()
        // Upstream reads a number as a uint32, then anything else as a string: a number out of
        // range fails as Go's string decode does.
        if isNumber, UInt32(text) == nil {
            throw decoder.invalid("cannot unmarshal number into Go value of type string")
        }
        guard let v = ASNumber(parsing: text) else {
            throw decoder.invalid("invalid AS number \"\(text)\": must be 0-4294967295 or dotted <0-65535>.<0-65535>")
        }
        self = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }

    public var description: String { String(value) }
}

/// A DSCP value: a number (0–63) or a name (DF, EF, AF11–AF43, CS0–CS6), kept as written
/// so validation can report it.
public enum DSCP: Codable, Sendable, Hashable, CustomStringConvertible {
    case number(Int)
    case name(String)

    public init(from decoder: any Decoder) throws {
        let (text, isNumber) = try decoder.numberOrString()
        if isNumber, let n = Int(text) { self = .number(n) } else { self = .name(text) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .name(let s): try c.encode(s)
        }
    }

    /// The numeric code point, or nil when the value is not a valid DSCP.
    public var codePoint: Int? {
        switch self {
        case .number(let n): return (0...63).contains(n) ? n : nil
        case .name(let s): return DSCP.value(ofName: s)
        }
    }

    public static func value(ofName name: String) -> Int? {
        if let n = Int(name) { return (0...63).contains(n) ? n : nil }
        let s = name.uppercased()
        if s == "DF" { return 0 }
        if s == "EF" { return 46 }
        if s.hasPrefix("CS"), s.count == 3, let n = Int(s.dropFirst(2)), (0...6).contains(n) { return 8 * n }
        if s.hasPrefix("AF"), s.count == 4, let x = Int(String(s.dropFirst(2).prefix(1))), let y = Int(String(s.suffix(1))),
           (1...4).contains(x), (1...3).contains(y) {
            return 8 * x + 2 * y
        }
        return nil
    }

    public var description: String {
        switch self {
        case .number(let n): return String(n)
        case .name(let s): return s
        }
    }
}

/// A Kubernetes int-or-string (used by Kubernetes NetworkPolicy ports).
public enum IntOrString: Codable, Sendable, Hashable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let (text, isNumber) = try decoder.numberOrString()
        if isNumber {
            guard let n = Int(text) else { throw decoder.invalid("expected an integer, got \(text)") }
            self = .int(n)
        } else {
            self = .string(text)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let n): return String(n)
        case .string(let s): return s
        }
    }
}

extension Port {
    /// Why `s` is not a valid port name (a Kubernetes IANA service name: 1–15 of `[a-z0-9-]`,
    /// at least one letter, no leading, trailing or doubled `-`), or nil when it is. Used by
    /// validation and by the Kubernetes NetworkPolicy conversion alike.
    public static func nameProblem(_ s: String) -> String? {
        let b = Array(s.utf8)
        func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        if b.isEmpty || b.count > 15 { return "port name must be 1-15 characters" }
        if !b.allSatisfy({ isLowerAlnum($0) || $0 == 45 }) { return "port name must contain only lowercase letters, digits and '-'" }
        if !b.contains(where: { $0 >= 97 && $0 <= 122 }) { return "port name must contain at least one letter" }
        if b.first == 45 || b.last == 45 { return "port name must not begin or end with '-'" }
        if s.contains("--") { return "port name must not contain adjacent '-' characters" }
        return nil
    }
}
