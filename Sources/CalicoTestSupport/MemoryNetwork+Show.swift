import CalicoAPI
import CalicoNetlink
import Foundation

/// `ip [-j] [-d] link show`, `ip [-j] addr show` and `ip [-j] route show` of the in-memory
/// network, in iproute2's layout (the JSON fields `IPJSON` reads; the text lines
/// `link/ether <mac>`, `inet <cidr>`).
extension MemoryNetworkState {
    enum Listing { case links, addresses }

    func show(_ what: Listing, device: String?, json: Bool, details: Bool, in ns: NetworkNamespace,
              _ fail: (String, Int32) -> CommandError) throws -> String {
        let n = namespaces[ns]!
        var links = n.links
        if let device {
            guard let i = n.link(named: device) else { throw fail("Device \"\(device)\" does not exist.", 1) }
            links = [n.links[i]]
        }
        if json {
            return Self.json(links.map { object($0, addresses: what == .addresses, details: details) })
        }
        return links.map { text($0, addresses: what == .addresses) }.joined()
    }

    func flags(_ link: MemoryLink) -> [String] {
        var flags = link.kind == nil ? ["LOOPBACK"] : ["BROADCAST", "MULTICAST"]
        if link.isUp { flags += hasCarrier(link) ? ["UP", "LOWER_UP"] : ["UP", "NO-CARRIER"] }
        return flags
    }

    func state(_ link: MemoryLink) -> String {
        link.kind == nil ? (link.isUp ? "UNKNOWN" : "DOWN") : !link.isUp ? "DOWN" : hasCarrier(link) ? "UP" : "LOWERLAYERDOWN"
    }

    func object(_ link: MemoryLink, addresses: Bool, details: Bool) -> [String: Any] {
        var o: [String: Any] = ["ifindex": link.index, "ifname": link.name, "flags": flags(link), "mtu": link.mtu,
                                "operstate": state(link), "link_type": link.kind == nil ? "loopback" : "ether", "address": link.mac]
        if details, let kind = link.kind { o["linkinfo"] = ["info_kind": kind] }
        if addresses {
            o["addr_info"] = link.addresses.map { a -> [String: Any] in
                ["family": a.family == 6 ? "inet6" : "inet", "local": a.address, "prefixlen": a.prefixLength, "scope": a.scope ?? "global"]
            }
        }
        return o
    }

    func text(_ link: MemoryLink, addresses: Bool) -> String {
        let name = link.name + (link.peer.map { "@if\($0.index)" } ?? "")
        var s = "\(link.index): \(name): <\(flags(link).joined(separator: ","))> mtu \(link.mtu) state \(state(link))\n"
        s += "    link/\(link.kind == nil ? "loopback" : "ether") \(link.mac) brd \(link.kind == nil ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff")\n"
        if addresses {
            for a in link.addresses {
                s += "    \(a.family == 6 ? "inet6" : "inet") \(a) scope \(a.scope ?? "global")\(a.family == 4 ? " \(link.name)" : "")\n"
            }
        }
        return s
    }

    func showRoutes(family: Int, json: Bool, in ns: NetworkNamespace) -> String {
        let list = routes(family: family, in: ns)
        if json {
            return Self.json(list.map { r -> [String: Any] in
                var o: [String: Any] = ["dst": Self.destination(r), "dev": r.device, "flags": [String]()]
                if let gateway = r.gateway { o["gateway"] = gateway.description }
                if r.isKernel { o["protocol"] = "kernel" }
                if r.scopeLink && family == 4 { o["scope"] = "link" }
                return o
            })
        }
        return list.map { r in
            var s = Self.destination(r)
            if let gateway = r.gateway { s += " via \(gateway)" }
            s += " dev \(r.device)"
            if r.isKernel { s += " proto kernel" }
            if r.scopeLink && family == 4 { s += " scope link" }
            return s + "\n"
        }.joined()
    }

    /// `default`, a bare address for a host route, else `<network>/<length>`.
    static func destination(_ r: MemoryRoute) -> String {
        if r.destination.prefixLength == 0 { return "default" }
        if r.destination.prefixLength == r.destination.address.bitLength { return r.destination.address.description }
        return r.destination.description
    }

    static func json(_ objects: [[String: Any]]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: objects)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
