import Foundation

/// A network interface as `ip -j -d link show` reports it.
public struct LinkInfo: Sendable, Equatable {
    public var index: Int
    public var name: String
    public var mtu: Int
    public var mac: String?
    /// Administratively up (`UP` flag).
    public var isUp: Bool
    /// `veth`, `vxlan`, … (nil for plain devices such as `lo`).
    public var kind: String?

    public init(index: Int, name: String, mtu: Int, mac: String?, isUp: Bool, kind: String?) {
        self.index = index
        self.name = name
        self.mtu = mtu
        self.mac = mac
        self.isUp = isUp
        self.kind = kind
    }
}

/// An address on an interface, as `ip -j addr show` reports it.
public struct AddressInfo: Sendable, Equatable, CustomStringConvertible {
    public var address: String
    public var prefixLength: Int
    public var family: Int
    public var scope: String?

    public init(address: String, prefixLength: Int, family: Int, scope: String? = nil) {
        self.address = address
        self.prefixLength = prefixLength
        self.family = family
        self.scope = scope
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// A route, as `ip -j route show` reports it: `destination` is `default` or an address with
/// an optional `/len` (host routes have none).
public struct RouteInfo: Sendable, Equatable, CustomStringConvertible {
    public var destination: String
    public var device: String?
    public var gateway: String?
    public var scope: String?

    public init(destination: String, device: String?, gateway: String? = nil, scope: String? = nil) {
        self.destination = destination
        self.device = device
        self.gateway = gateway
        self.scope = scope
    }

    /// The destination with host routes written as `/32` or `/128`.
    public var normalizedDestination: String {
        if destination == "default" || destination.contains("/") { return destination }
        return destination + (destination.contains(":") ? "/128" : "/32")
    }

    public var description: String {
        var s = destination
        if let gateway { s += " via \(gateway)" }
        if let device { s += " dev \(device)" }
        if let scope, scope != "global" { s += " scope \(scope)" }
        return s
    }
}

/// A route to add: `ip [-6] route add <destination> [via <gateway>] dev <device> [scope link]`.
public struct RouteSpec: Sendable, Equatable {
    public var destination: String
    public var device: String
    public var gateway: String?
    public var scopeLink: Bool

    public init(destination: String, device: String, gateway: String? = nil, scopeLink: Bool = false) {
        self.destination = destination
        self.device = device
        self.gateway = gateway
        self.scopeLink = scopeLink
    }

    var isIPv6: Bool { destination.contains(":") || (gateway?.contains(":") ?? false) }

    var arguments: [String] {
        var args = (isIPv6 ? ["-6"] : []) + ["route", "add", destination]
        if let gateway { args += ["via", gateway] }
        args += ["dev", device]
        if scopeLink { args += ["scope", "link"] }
        return args
    }
}

/// Parsing of iproute2's JSON output.
enum IPJSON {
    static func array(_ text: String) -> [[String: Any]] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, let data = trimmed.data(using: .utf8),
              let parsed = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return parsed
    }

    static func link(_ o: [String: Any]) -> LinkInfo? {
        guard let name = o["ifname"] as? String, let index = o["ifindex"] as? Int else { return nil }
        let flags = o["flags"] as? [String] ?? []
        let kind = (o["linkinfo"] as? [String: Any])?["info_kind"] as? String
        return LinkInfo(index: index, name: name, mtu: o["mtu"] as? Int ?? 0, mac: o["address"] as? String,
                        isUp: flags.contains("UP"), kind: kind)
    }

    static func addresses(_ o: [String: Any]) -> [AddressInfo] {
        (o["addr_info"] as? [[String: Any]] ?? []).compactMap { a in
            guard let local = a["local"] as? String, let len = a["prefixlen"] as? Int else { return nil }
            return AddressInfo(address: local, prefixLength: len, family: (a["family"] as? String) == "inet6" ? 6 : 4,
                               scope: a["scope"] as? String)
        }
    }

    static func route(_ o: [String: Any]) -> RouteInfo? {
        guard let dst = o["dst"] as? String else { return nil }
        return RouteInfo(destination: dst, device: o["dev"] as? String, gateway: o["gateway"] as? String, scope: o["scope"] as? String)
    }
}
