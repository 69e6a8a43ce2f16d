import CalicoNetlink
import Foundation

/// A VXLAN device of Felix's: one per IP family.
public enum VXLANDevice: Sendable, CaseIterable {
    case v4, v6

    public var name: String { self == .v4 ? "vxlan.calico" : "vxlan-v6.calico" }
    /// Encapsulation overhead: outer IP + UDP + VXLAN + inner Ethernet.
    var overhead: Int { self == .v4 ? 50 : 70 }
    var family: Int { self == .v4 ? 4 : 6 }
    var hostPrefix: Int { self == .v4 ? 32 : 128 }
}

/// A VXLAN device as the kernel has it (`ip -j -d link show`).
struct VXLANLinkState: Equatable {
    var vni: Int?
    var local: String?
    var port: Int?
    var mac: String?
    var mtu: Int
    var isUp: Bool
    var parentIndex: Int?
}

/// One route of Felix's (protocol 80), as `ip -j route show proto 80` reports it.
struct OwnedRoute: Equatable {
    var destination: String
    var blackhole: Bool
    var gateway: String?
    var device: String?
    var onlink: Bool
}

/// Reading the kernel objects Felix's cluster managers own, through the network seam.
struct KernelState {
    let net: any NetworkCommands

    func vxlan(_ name: String) throws -> VXLANLinkState? {
        let out: String
        do {
            out = try net.ip(["-j", "-d", "link", "show", "dev", name], in: .current)
        } catch let e as CommandError where e.stderr.contains("does not exist") {
            return nil
        }
        guard let o = Self.objects(out).first else { return nil }
        let info = ((o["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]) ?? [:]
        return VXLANLinkState(vni: info["id"] as? Int, local: (info["local"] as? String) ?? (info["local6"] as? String),
                              port: info["port"] as? Int, mac: (o["address"] as? String)?.lowercased(), mtu: o["mtu"] as? Int ?? 0,
                              isUp: (o["flags"] as? [String] ?? []).contains("UP"), parentIndex: info["link"] as? Int)
    }

    /// The interface holding `address`, with its MTU.
    func interface(holding address: String) throws -> (name: String, mtu: Int)? {
        for o in Self.objects(try net.ip(["-j", "addr", "show"], in: .current)) {
            let addrs = (o["addr_info"] as? [[String: Any]] ?? []).compactMap { $0["local"] as? String }
            if addrs.contains(address), let name = o["ifname"] as? String { return (name, o["mtu"] as? Int ?? 1500) }
        }
        return nil
    }

    /// Addresses on a device (host-scope and link-local ones included).
    func addresses(of device: String) throws -> [String] {
        try net.addresses(of: device, in: .current).map { "\($0.address)/\($0.prefixLength)" }
    }

    /// Permanent neighbours on a device: address → MAC.
    func neighbours(of device: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for o in Self.objects(try net.ip(["-j", "neigh", "show", "dev", device], in: .current)) {
            if let dst = o["dst"] as? String, let mac = o["lladdr"] as? String { out[dst] = mac.lowercased() }
        }
        return out
    }

    /// FDB entries with a remote (`dst`) on a device: MAC → remote address.
    func fdb(of device: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for o in Self.objects(try net.bridge(["-j", "fdb", "show", "dev", device], in: .current)) {
            if let mac = o["mac"] as? String, let dst = o["dst"] as? String { out[mac.lowercased()] = dst }
        }
        return out
    }

    /// Felix's routes (protocol 80) of one family.
    func ownedRoutes(family: Int) throws -> [OwnedRoute] {
        Self.objects(try net.ip(["-j", family == 6 ? "-6" : "-4", "route", "show", "proto", "80"], in: .current)).compactMap { o in
            guard let dst = o["dst"] as? String else { return nil }
            return OwnedRoute(destination: Self.withPrefix(dst), blackhole: (o["type"] as? String) == "blackhole",
                              gateway: o["gateway"] as? String, device: o["dev"] as? String,
                              onlink: (o["flags"] as? [String] ?? []).contains("onlink"))
        }
    }

    static func withPrefix(_ dst: String) -> String {
        dst.contains("/") ? dst : dst + (dst.contains(":") ? "/128" : "/32")
    }

    static func objects(_ text: String) -> [[String: Any]] {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty, let data = t.data(using: .utf8) else { return [] }
        return (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
    }
}
