import CalicoAPI

/// Upstream's (libcalico-go validator v3) names and words for a failure: the Go field name,
/// the struct-tag reason format, and Go's `%v` rendering of values.
enum Upstream {
    /// The reason upstream gives when a struct tag fails (its `extractReason`; note the trailing space).
    static func tagReason(_ field: String, _ tag: String) -> String {
        "Reason: failed to validate Field: \(field) because of Tag: \(tag) "
    }

    /// Upstream's `Field()` for the last element of a path: `spec.ingress[0].source.nets[1]` →
    /// `Nets[1]`, `spec.bgp.ipv4Address` → `IPv4Address`.
    static func field(_ path: FieldPath) -> String {
        let last = path.text.split(separator: ".").last.map(String.init) ?? path.text
        guard let bracket = last.firstIndex(of: "[") else { return goName(last) }
        return goName(String(last[..<bracket])) + last[bracket...]
    }

    /// Go struct field names whose spelling is not just the JSON key with a capital first letter.
    static let irregular: [String: String] = [
        "cidr": "CIDR", "ipVersion": "IPVersion", "icmp": "ICMP", "notICMP": "NotICMP", "http": "HTTP",
        "peerIP": "PeerIP", "asNumber": "ASNumber", "ipv4Address": "IPv4Address", "ipv6Address": "IPv6Address",
        "ipv4IPIPTunnelAddr": "IPv4IPIPTunnelAddr", "ipv4VXLANTunnelAddr": "IPv4VXLANTunnelAddr",
        "ipv6VXLANTunnelAddr": "IPv6VXLANTunnelAddr", "vxlanTunnelMACAddr": "VXLANTunnelMACAddr",
        "vxlanTunnelMACAddrV6": "VXLANTunnelMACAddrV6", "mac": "MAC", "ipNetworks": "IPNetworks", "ipNATs": "IPNATs",
        "ipv4Gateway": "IPv4Gateway", "ipv6Gateway": "IPv6Gateway", "ipipMode": "IPIPMode", "vxlanMode": "VXLANMode",
        "ttlSecurity": "TTLSecurity", "natOutgoingAddress": "NATOutgoingAddress", "natPortRange": "NATPortRange",
        "natOutgoingExclusions": "NATOutgoingExclusions", "ipForwarding": "IPForwarding",
        "awsSrcDstCheck": "AWSSrcDstCheck", "mtuIfacePattern": "MTUIfacePattern",
        "externalNodesList": "ExternalNodesCIDRList", "bpfConntrackMode": "BPFConntrackCleanupMode",
        "nftablesMode": "NFTablesMode", "ipip": "IPIP", "nat-outgoing": "NATOutgoingV1", "qosControls": "QoSControls",
        "dscp": "DSCP", "reservedCIDRs": "ReservedCIDRs", "interfaceCIDRs": "InterfaceCIDRs",
    ]

    /// The Go field name of a JSON key.
    static func goName(_ key: String) -> String {
        if let name = irregular[key] { return name }
        if key.hasPrefix("bpf") { return "BPF" + key.dropFirst(3) }
        return key.prefix(1).uppercased() + key.dropFirst()
    }

    /// Go's `%v` of a slice of printable values: `[a b]`.
    static func list<S: Sequence>(_ items: S) -> String where S.Element: CustomStringConvertible {
        "[" + items.map(\.description).joined(separator: " ") + "]"
    }

    /// Go's `%v` of a `map[string]string`: keys sorted, `map[k1:v1 k2:v2]`.
    static func map(_ m: [String: String]) -> String {
        "map[" + m.keys.sorted().map { "\($0):\(m[$0]!)" }.joined(separator: " ") + "]"
    }

    /// Go's `%v` of a float64: shortest digits, exponent form when the exponent is below -4 or 6 and up.
    static func float(_ d: Double) -> String {
        guard d != 0, d.isFinite else { return d == 0 ? "0" : "\(d)" }
        var text = "\(abs(d))"
        var exp10 = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp10 = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var point = parts[0].count + exp10
        while digits.count > 1, digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        let sign = d < 0 ? "-" : "", exp = point - 1
        if exp < -4 || exp >= 6 {
            let mantissa = digits.count > 1 ? "\(digits.first!).\(digits.dropFirst())" : digits
            return "\(sign)\(mantissa)e\(exp < 0 ? "-" : "+")\(abs(exp) < 10 ? "0" : "")\(abs(exp))"
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
        return sign + digits.prefix(point) + "." + digits.dropFirst(point)
    }

    /// `%v` of a services match: `{name namespace}`.
    static func services(_ s: ServiceMatch) -> String { "{\(s.name ?? "") \(s.namespace ?? "")}" }

    /// `%v` of an HTTP match: `{[GET PUT] [{/exact } { /prefix}]}`.
    static func http(_ h: HTTPMatch) -> String { "{\(list(h.methods ?? [])) \(paths(h.paths ?? []))}" }

    static func paths(_ p: [HTTPPath]) -> String {
        "[" + p.map { "{\($0.exact ?? "") \($0.prefix ?? "")}" }.joined(separator: " ") + "]"
    }

    /// Upstream's `globalSelectorEntRule` text.
    static let globalOnlyInNamespaceSelector = "global() can only be used in an EntityRule namespaceSelector"
}

extension Problems {
    /// A failure upstream reports from a struct tag: field `field` (derived from `path` when nil),
    /// reason `Reason: failed to validate Field: <field> because of Tag: <tag> `.
    mutating func tag(_ path: FieldPath, _ value: String?, _ reason: String, tag: String,
                      field: String? = nil, upstreamValue: String? = nil) {
        let name = field ?? Upstream.field(path)
        add(path, value, reason, upstream: name, upstreamReason: Upstream.tagReason(name, tag), upstreamValue: upstreamValue)
    }

    /// A failure upstream reports from a struct-level check (`ReportError(value, name, reason)`).
    mutating func report(_ path: FieldPath, _ value: String?, _ reason: String, as name: String, _ upstreamReason: String,
                         upstreamValue: String? = nil) {
        add(path, value, reason, upstream: name, upstreamReason: upstreamReason, upstreamValue: upstreamValue)
    }
}
