import CalicoAPI
import CalicoNetlink
import Foundation

/// A link of the in-memory network: `lo` or one end of a veth pair.
struct MemoryLink: Sendable {
    var index: Int
    var name: String
    /// `veth`; nil for `lo`.
    var kind: String?
    var mtu: Int
    var mac: String
    var isUp: Bool
    /// The other end of a veth: its namespace and index.
    var peer: (namespace: NetworkNamespace, index: Int)?
    var addresses: [AddressInfo] = []
    /// Interface sysctls that were written, by template (`ipv4/conf/proxy_arp`).
    var sysctls: [String: String] = [:]

    static let loopback = MemoryLink(index: 1, name: "lo", kind: nil, mtu: 65536, mac: "00:00:00:00:00:00", isUp: false, peer: nil)
}

/// A route added with `ip route add` (subnet routes of addresses are derived, not stored).
struct MemoryRoute: Sendable, Equatable {
    /// The destination, masked; prefix 0 is `default`.
    var destination: IPNet
    var device: String
    var gateway: IPAddress?
    var scopeLink: Bool
    /// Derived from an address on an up link (`proto kernel`).
    var isKernel = false

    var family: Int { destination.family.rawValue }
}

/// One network namespace: links in creation order, routes, namespace-wide sysctls.
struct MemoryNamespace: Sendable {
    var links: [MemoryLink] = [.loopback]
    var routes: [MemoryRoute] = []
    var sysctls: [String: String] = [:]

    func link(named name: String) -> Int? { links.firstIndex { $0.name == name } }
}

/// What a `MemoryNetwork` holds: every namespace (`.current` is the host's), the next interface
/// index, the failures to inject and every command run.
struct MemoryNetworkState: Sendable {
    var namespaces: [NetworkNamespace: MemoryNamespace] = [.current: MemoryNamespace.host]
    var nextIndex = 2
    var failures: [MemoryNetwork.Failure] = []
    var commandLines: [String] = []

    /// The namespace `ns`, or the error `IPRoute2` gives when it cannot enter it.
    func existing(_ ns: NetworkNamespace, _ argv: [String]) throws -> MemoryNamespace {
        guard let n = namespaces[ns] else {
            throw CommandError(command: ns.wrap(argv), status: -1, stderr: "cannot enter network namespace \(ns): No such file or directory")
        }
        return n
    }

    /// Records `argv` run in `ns`, and throws the injected failure it matches, if any.
    mutating func record(_ argv: [String], in ns: NetworkNamespace) throws {
        let line = argv.joined(separator: " ")
        commandLines.append(ns.wrap(argv).joined(separator: " "))
        guard let i = failures.firstIndex(where: { line.contains($0.text) && ($0.namespace == nil || $0.namespace == ns) }) else { return }
        let failure = failures[i]
        failures[i].times -= 1
        if failures[i].times <= 0 { failures.remove(at: i) }
        throw CommandError(command: ns.wrap(argv), status: 2, stderr: failure.stderr)
    }

    // MARK: Links

    /// Removes a link and, for a veth, its peer: with them go their addresses, routes and sysctls.
    mutating func deleteLink(at index: Int, in ns: NetworkNamespace) {
        guard let link = namespaces[ns]?.links[index] else { return }
        namespaces[ns]!.links.remove(at: index)
        namespaces[ns]!.routes.removeAll { $0.device == link.name }
        if let peer = link.peer, let i = namespaces[peer.namespace]?.links.firstIndex(where: { $0.index == peer.index }) {
            deleteLink(at: i, in: peer.namespace)
        }
    }

    /// Sets a link up or down. Down drops its routes and its IPv6 link-local address; both
    /// ends of a veth up (carrier) gives each end its link-local address.
    mutating func setUp(_ up: Bool, link i: Int, in ns: NetworkNamespace) {
        namespaces[ns]!.links[i].isUp = up
        let link = namespaces[ns]!.links[i]
        if !up {
            namespaces[ns]!.routes.removeAll { $0.device == link.name }
            namespaces[ns]!.links[i].addresses.removeAll { $0.scope == "link" }
            return
        }
        if link.kind == nil && link.name == "lo" && link.addresses.isEmpty {
            namespaces[ns]!.links[i].addresses = [AddressInfo(address: "127.0.0.1", prefixLength: 8, family: 4, scope: "host"),
                                                  AddressInfo(address: "::1", prefixLength: 128, family: 6, scope: "host")]
        }
        guard let peer = link.peer, let j = namespaces[peer.namespace]?.links.firstIndex(where: { $0.index == peer.index }),
              namespaces[peer.namespace]!.links[j].isUp else { return }
        addLinkLocal(link: i, in: ns)
        addLinkLocal(link: j, in: peer.namespace)
    }

    /// The EUI-64 link-local address of the link's MAC, unless IPv6 is off on it.
    mutating func addLinkLocal(link i: Int, in ns: NetworkNamespace) {
        let link = namespaces[ns]!.links[i]
        guard !link.addresses.contains(where: { $0.scope == "link" }),
              (try? sysctl("net/ipv6/conf/\(link.name)/disable_ipv6", in: ns)) == "0",
              (try? sysctl("net/ipv6/conf/all/disable_ipv6", in: ns)) == "0" else { return }
        let mac = link.mac.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        guard mac.count == 6 else { return }
        let bytes: [UInt8] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, mac[0] ^ 0x02, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]]
        guard let address = IPAddress(bytes: bytes) else { return }
        namespaces[ns]!.links[i].addresses.append(AddressInfo(address: address.description, prefixLength: 64, family: 6, scope: "link"))
    }

    /// Whether a veth end has carrier (both ends up); `lo` when up.
    func hasCarrier(_ link: MemoryLink) -> Bool {
        guard link.isUp else { return false }
        guard let peer = link.peer else { return true }
        return namespaces[peer.namespace]?.links.first { $0.index == peer.index }?.isUp ?? false
    }

    // MARK: Routes

    /// Static routes and the subnet routes of addresses on up links, of one family, in
    /// address order (`default` first).
    func routes(family: Int, in ns: NetworkNamespace) -> [MemoryRoute] {
        guard let n = namespaces[ns] else { return [] }
        var out = n.routes.filter { $0.family == family }
        for link in n.links where link.isUp {
            for a in link.addresses where a.family == family && a.scope != "host" {
                guard let net = IPNet("\(a.address)/\(a.prefixLength)"), net.prefixLength < net.address.bitLength else { continue }
                out.append(MemoryRoute(destination: net.network, device: link.name, gateway: nil, scopeLink: true, isKernel: true))
            }
        }
        return out.sorted {
            ($0.destination.address, $0.destination.prefixLength) < ($1.destination.address, $1.destination.prefixLength)
        }
    }

    // MARK: Sysctls

    /// Interface sysctls the model knows, by template, with the kernel's defaults.
    static let interfaceSysctls: [String: String] = [
        "ipv4/conf/proxy_arp": "0", "ipv4/conf/forwarding": "0", "ipv4/conf/route_localnet": "0", "ipv4/conf/rp_filter": "0",
        "ipv4/neigh/proxy_delay": "80",
        "ipv6/conf/accept_dad": "1", "ipv6/conf/disable_ipv6": "0", "ipv6/conf/proxy_ndp": "0", "ipv6/conf/forwarding": "0",
        "ipv6/conf/accept_ra": "1",
    ]
    /// Namespace-wide sysctls besides `conf/all` and `conf/default`.
    static let globalSysctls: [String: String] = ["net/ipv4/ip_forward": "0"]

    /// Where a sysctl lives: an interface's template, a namespace-wide key, or nowhere.
    enum SysctlSlot {
        case link(Int, template: String)
        case namespace(default: String)
    }

    func slot(_ key: String, in n: MemoryNamespace) -> SysctlSlot? {
        if let d = Self.globalSysctls[key] { return .namespace(default: d) }
        let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "net", ["conf", "neigh"].contains(parts[2]) else { return nil }
        let template = "\(parts[1])/\(parts[2])/\(parts[4])"
        guard let d = Self.interfaceSysctls[template] else { return nil }
        if ["all", "default"].contains(parts[3]) { return .namespace(default: d) }
        return n.link(named: parts[3]).map { .link($0, template: template) }
    }

    func sysctl(_ key: String, in ns: NetworkNamespace) throws -> String {
        let n = try existing(ns, ["sysctl", "-n", key])
        switch slot(key, in: n) {
        case .link(let i, let template)?: return n.links[i].sysctls[template] ?? Self.interfaceSysctls[template]!
        case .namespace(let d)?: return n.sysctls[key] ?? d
        case nil: throw CommandError(command: ns.wrap(["sysctl", "-n", key]), status: -1, stderr: "cannot read /proc/sys/\(key)")
        }
    }

    mutating func setSysctl(_ key: String, _ value: String, in ns: NetworkNamespace) throws {
        let argv = ["sysctl", "-w", "\(key)=\(value)"]
        let n = try existing(ns, argv)
        try record(argv, in: ns)
        switch slot(key, in: n) {
        case .link(let i, let template)?: namespaces[ns]!.links[i].sysctls[template] = value
        case .namespace?: namespaces[ns]!.sysctls[key] = value
        case nil: throw CommandError(command: ns.wrap(argv), status: -1, stderr: "cannot open /proc/sys/\(key): No such file or directory")
        }
    }
}

extension MemoryNamespace {
    /// The host's namespace: `lo`, up.
    static var host: MemoryNamespace {
        var n = MemoryNamespace()
        n.links[0].isUp = true
        n.links[0].addresses = [AddressInfo(address: "127.0.0.1", prefixLength: 8, family: 4, scope: "host"),
                                AddressInfo(address: "::1", prefixLength: 128, family: 6, scope: "host")]
        return n
    }
}
