import CalicoAPI
import CalicoNetlink
import Foundation

/// The `ip` command lines `MemoryNetwork` understands: those `NetworkCommands`, the CNI plugin
/// and `NamespaceTopology` run (`netns add|del|list`, `link add … type veth peer name …`,
/// `link set|del|show`, `addr add|show`, `route add|del|show`, with `-j`, `-d`, `-4`, `-6`).
/// Anything else fails with a message naming the fake, so a test never passes on a command the
/// model ignored.
extension MemoryNetworkState {
    /// One `ip <args>` in `ns`: its stdout, or a `CommandError` as iproute2 would fail.
    mutating func run(_ args: [String], in ns: NetworkNamespace) throws -> String {
        let argv = ["ip"] + args
        _ = try existing(ns, argv)
        try record(argv, in: ns)
        func fail(_ stderr: String, status: Int32 = 1) -> CommandError {
            CommandError(command: ns.wrap(argv), status: status, stderr: stderr + "\n")
        }
        var flags = Set<String>()
        var words = args[...]
        while let w = words.first, w.hasPrefix("-") {
            flags.insert(w)
            words = words.dropFirst()
        }
        guard let object = words.popFirst() else { throw fail("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", status: 255) }
        let verb = words.popFirst() ?? "show"
        let rest = Array(words)
        switch (object, verb) {
        case ("netns", "add"): return try netnsAdd(rest, fail)
        case ("netns", "del"), ("netns", "delete"): return try netnsDelete(rest, fail)
        case ("netns", "list"), ("netns", "show"):
            return namespaces.keys.compactMap(\.netnsName).sorted().map { $0 + "\n" }.joined()
        case ("link", "add"): return try linkAdd(rest, in: ns, fail)
        case ("link", "set"): return try linkSet(rest, in: ns, fail)
        case ("link", "del"), ("link", "delete"):
            let name = Self.device(rest)
            guard let i = namespaces[ns]!.link(named: name) else { throw fail("Cannot find device \"\(name)\"") }
            deleteLink(at: i, in: ns)
            return ""
        case ("link", "show"), ("link", "list"), ("addr", "show"), ("addr", "list"), ("address", "show"):
            return try show(object == "link" ? .links : .addresses, device: rest.isEmpty ? nil : Self.device(rest),
                            json: flags.contains("-j"), details: flags.contains("-d"), in: ns, fail)
        case ("addr", "add"), ("address", "add"): return try addressAdd(rest, in: ns, fail)
        case ("route", "add"): return try routeAdd(rest, v6: flags.contains("-6"), in: ns, fail)
        case ("route", "del"), ("route", "delete"): return try routeDelete(rest, v6: flags.contains("-6"), in: ns, fail)
        case ("route", "show"), ("route", "list"):
            return showRoutes(family: flags.contains("-6") ? 6 : 4, json: flags.contains("-j"), in: ns)
        default:
            throw fail("MemoryNetwork does not model `ip \(args.joined(separator: " "))`", status: 255)
        }
    }

    /// Walks the `key value` pairs of an `ip` command in order (`flags` stand alone).
    static func forEachOption(_ words: ArraySlice<String>, flags: Set<String> = [], _ body: (String, String) throws -> Void) rethrows {
        var i = words.startIndex
        while i < words.endIndex {
            let key = words[i]
            let isFlag = flags.contains(key)
            try body(key, isFlag || i + 1 >= words.endIndex ? "" : words[i + 1])
            i += isFlag ? 1 : 2
        }
    }

    static func mtu(_ value: String, _ fail: (String, Int32) -> CommandError) throws -> Int {
        guard let m = Int(value), m >= 68 else { throw fail("Error: argument \"\(value)\" is wrong: Invalid \"mtu\" value", 1) }
        return m
    }

    /// `dev <name>` or `<name>`.
    static func device(_ words: [String]) -> String {
        words.first == "dev" && words.count > 1 ? words[1] : words.first ?? ""
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 15 && !name.contains("/") && !name.contains(where: \.isWhitespace)
    }

    /// A namespace given to `netns` (a name under /var/run/netns, or a path).
    static func namespace(_ word: String) -> NetworkNamespace { word.contains("/") ? .path(word) : .named(word) }

    // MARK: netns

    mutating func netnsAdd(_ words: [String], _ fail: (String, Int32) -> CommandError) throws -> String {
        guard let name = words.first, !name.isEmpty, !name.contains("/") else { throw fail("Invalid netns name \"\(words.first ?? "")\"", 1) }
        let ns = NetworkNamespace.named(name)
        guard namespaces[ns] == nil else { throw fail("Cannot create namespace file \"\(ns.pathString)\": File exists", 1) }
        namespaces[ns] = MemoryNamespace()
        return ""
    }

    mutating func netnsDelete(_ words: [String], _ fail: (String, Int32) -> CommandError) throws -> String {
        let ns = NetworkNamespace.named(words.first ?? "")
        guard namespaces[ns] != nil else {
            throw fail("Cannot remove namespace file \"\(ns.pathString)\": No such file or directory", 1)
        }
        removeNamespace(ns)
        return ""
    }

    /// Deletes a namespace: its links go, and with them the other ends of its veths.
    mutating func removeNamespace(_ ns: NetworkNamespace) {
        while let n = namespaces[ns], n.links.count > 0 { deleteLink(at: 0, in: ns) }
        namespaces[ns] = nil
    }

    // MARK: link

    mutating func linkAdd(_ words: [String], in ns: NetworkNamespace, _ fail: (String, Int32) -> CommandError) throws -> String {
        var own = (name: words.first ?? "", mtu: 1500, netns: ns)
        var peer = (name: "", mtu: 1500, netns: ns)
        var inPeer = false
        try Self.forEachOption(words.dropFirst(), flags: ["peer"]) { key, value in
            switch key {
            case "mtu":
                let m = try Self.mtu(value, fail)
                if inPeer { peer.mtu = m } else { own.mtu = m }
            case "type":
                guard value == "veth" else { throw fail("MemoryNetwork models only veth links, not \(value)", 2) }
            case "name":
                if inPeer { peer.name = value } else { own.name = value }
            case "netns":
                if inPeer { peer.netns = Self.namespace(value) } else { own.netns = Self.namespace(value) }
            case "peer":
                inPeer = true
            default:
                throw fail("Error: either \"dev\" is duplicate, or \"\(key)\" is a garbage.", 1)
            }
        }
        for end in [own, peer] {
            guard Self.validName(end.name) else { throw fail("Error: argument \"\(end.name)\" is wrong: \"name\" not a valid ifname", 1) }
            guard let target = namespaces[end.netns] else {
                throw fail("Cannot open network namespace \"\(end.netns.pathString)\": No such file or directory", 1)
            }
            if target.link(named: end.name) != nil { throw fail("RTNETLINK answers: File exists", 2) }
        }
        if own.netns == peer.netns && own.name == peer.name { throw fail("RTNETLINK answers: File exists", 2) }
        let (a, b) = (nextIndex, nextIndex + 1)
        nextIndex += 2
        func link(_ end: (name: String, mtu: Int, netns: NetworkNamespace), index: Int, peer: (NetworkNamespace, Int)) -> MemoryLink {
            let mac = String(format: "02:00:00:00:%02x:%02x", (index >> 8) & 0xff, index & 0xff)
            return MemoryLink(index: index, name: end.name, kind: "veth", mtu: end.mtu, mac: mac, isUp: false, peer: peer)
        }
        namespaces[own.netns]!.links.append(link(own, index: a, peer: (peer.netns, b)))
        namespaces[peer.netns]!.links.append(link(peer, index: b, peer: (own.netns, a)))
        return ""
    }

    mutating func linkSet(_ words: [String], in ns: NetworkNamespace, _ fail: (String, Int32) -> CommandError) throws -> String {
        let name = Self.device(words)
        guard let i = namespaces[ns]!.link(named: name) else { throw fail("Cannot find device \"\(name)\"", 1) }
        var up: Bool?
        try Self.forEachOption(words.dropFirst(words.first == "dev" ? 2 : 1), flags: ["up", "down"]) { key, value in
            switch key {
            case "up", "down":
                up = key == "up"
            case "mtu":
                namespaces[ns]!.links[i].mtu = try Self.mtu(value, fail)
            case "address":
                let bytes = value.split(separator: ":")
                guard bytes.count == 6, bytes.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else {
                    throw fail("\"\(value)\" is invalid lladdr.", 1)
                }
                namespaces[ns]!.links[i].mac = value.lowercased()
            default:
                throw fail("Error: either \"dev\" is duplicate, or \"\(key)\" is a garbage.", 1)
            }
        }
        if let up { setUp(up, link: i, in: ns) }
        return ""
    }

    // MARK: addr

    mutating func addressAdd(_ words: [String], in ns: NetworkNamespace, _ fail: (String, Int32) -> CommandError) throws -> String {
        guard let text = words.first, let net = IPNet(text) else { throw fail("Error: inet prefix is expected rather than \"\(words.first ?? "")\".", 1) }
        guard let devAt = words.firstIndex(of: "dev"), devAt + 1 < words.count else { throw fail("Not enough information: \"dev\" argument is required.", 1) }
        let name = words[devAt + 1]
        guard let i = namespaces[ns]!.link(named: name) else { throw fail("Cannot find device \"\(name)\"", 1) }
        let family = net.family.rawValue
        if namespaces[ns]!.links[i].addresses.contains(where: { $0.address == net.address.description && $0.family == family }) {
            throw fail("RTNETLINK answers: File exists", 2)
        }
        let scope = net.address.description.hasPrefix("127.") || net.address.description == "::1" ? "host" : "global"
        let address = AddressInfo(address: net.address.description, prefixLength: net.prefixLength, family: family, scope: scope)
        // IPv4 first, then IPv6, as the kernel lists them.
        let at = namespaces[ns]!.links[i].addresses.lastIndex { $0.family <= family }.map { $0 + 1 } ?? 0
        namespaces[ns]!.links[i].addresses.insert(address, at: at)
        return ""
    }

    // MARK: route

    /// Parses `<destination> [via <gateway>] [dev <device>] [scope link]`.
    func parseRoute(_ words: [String], v6: Bool, _ fail: (String, Int32) -> CommandError) throws -> MemoryRoute {
        var device = ""
        var gateway: IPAddress?
        var scopeLink = false
        try Self.forEachOption(words.dropFirst()) { key, value in
            switch key {
            case "via":
                guard let g = IPAddress(value) else { throw fail("Error: inet address is expected rather than \"\(value)\".", 1) }
                gateway = g
            case "dev": device = value
            case "scope":
                guard value == "link" else { throw fail("MemoryNetwork models only scope link, not \(value)", 2) }
                scopeLink = true
            default: throw fail("Error: either \"to\" is duplicate, or \"\(key)\" is a garbage.", 1)
            }
        }
        let text = words.first ?? ""
        let isV6 = v6 || text.contains(":") || gateway?.family == .v6
        let destination: IPNet?
        switch text {
        case "default": destination = IPNet(isV6 ? "::/0" : "0.0.0.0/0")
        default: destination = IPNet(text)
        }
        guard let destination, destination.family == (isV6 ? .v6 : .v4) else {
            throw fail("Error: \(isV6 ? "inet6" : "inet") prefix is expected rather than \"\(text)\".", 1)
        }
        guard destination.isMasked else { throw fail("Error: Invalid prefix for given prefix length.", 2) }
        return MemoryRoute(destination: destination, device: device, gateway: gateway, scopeLink: scopeLink)
    }

    mutating func routeAdd(_ words: [String], v6: Bool, in ns: NetworkNamespace, _ fail: (String, Int32) -> CommandError) throws -> String {
        let route = try parseRoute(words, v6: v6, fail)
        guard let i = namespaces[ns]!.link(named: route.device) else { throw fail("Cannot find device \"\(route.device)\"", 1) }
        guard namespaces[ns]!.links[i].isUp else { throw fail("Error: Device for nexthop is not up.", 2) }
        let existing = routes(family: route.family, in: ns)
        if existing.contains(where: { $0.destination == route.destination }) { throw fail("RTNETLINK answers: File exists", 2) }
        if let gateway = route.gateway {
            let onLink = existing.contains { $0.device == route.device && $0.scopeLink && $0.destination.contains(gateway) }
            let linkLocal = gateway.family == .v6 && gateway.description.hasPrefix("fe80:")
            guard onLink || linkLocal else { throw fail("Error: Nexthop has invalid gateway.", 2) }
        }
        namespaces[ns]!.routes.append(route)
        return ""
    }

    mutating func routeDelete(_ words: [String], v6: Bool, in ns: NetworkNamespace, _ fail: (String, Int32) -> CommandError) throws -> String {
        let route = try parseRoute(words, v6: v6, fail)
        guard let i = namespaces[ns]!.routes.firstIndex(where: {
            $0.destination == route.destination && (route.device.isEmpty || $0.device == route.device)
        }) else { throw fail("RTNETLINK answers: No such process", 2) }
        namespaces[ns]!.routes.remove(at: i)
        return ""
    }
}

extension NetworkNamespace {
    /// The name of a namespace under /var/run/netns.
    var netnsName: String? {
        guard case .path(let p) = self, p.hasPrefix("/var/run/netns/") else { return nil }
        return String(p.dropFirst("/var/run/netns/".count))
    }

    var pathString: String {
        switch self {
        case .current: return "/proc/self/ns/net"
        case .path(let p): return p
        }
    }
}
