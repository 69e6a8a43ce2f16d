import CalicoNetlink
import Foundation

/// Keeps the host routes to local workloads (`<ip>/32 dev cali… scope link`): adds what is
/// missing, replaces what points elsewhere and removes routes on Calico interfaces that no
/// endpoint wants. Routes on other devices are never touched.
public struct RouteManager: Sendable {
    public var interfacePrefixes: [String]
    let net = IPRoute2()

    public init(interfacePrefixes: [String]) { self.interfacePrefixes = interfacePrefixes }

    /// Felix's routes: host routes (/32, /128, not link-local) on Calico interfaces; the
    /// kernel's own routes on those interfaces (fe80::/64) are left alone.
    func ours(_ route: RouteInfo) -> Bool {
        guard let d = route.device, interfacePrefixes.contains(where: { d.hasPrefix($0) }) else { return false }
        let dst = route.normalizedDestination
        return (dst.hasSuffix("/32") || dst.hasSuffix("/128")) && !dst.lowercased().hasPrefix("fe80:")
    }

    /// The `ip` commands (family from the address) that take `current` routes to `wanted` (destination → interface), given the interfaces that are up (pure).
    public static func commands(current: [RouteInfo], wanted: [String: String], links: Set<String>, ours: (RouteInfo) -> Bool) -> [[String]] {
        var have: [String: String] = [:]
        var cmds: [[String]] = []
        for r in current where ours(r) {
            let dst = r.normalizedDestination
            if wanted[dst] == nil {
                cmds.append(["route", "del", dst, "dev", r.device!])
            } else {
                have[dst] = r.device
            }
        }
        for (dst, dev) in wanted.sorted(by: { $0.key < $1.key }) where have[dst] != dev && links.contains(dev) {
            cmds.append(["route", "replace", dst, "dev", dev, "scope", "link"])
        }
        return cmds
    }

    /// Applies `wanted`; returns the number of changes.
    @discardableResult
    public func sync(_ wanted: [String: String]) throws -> Int {
        let current = try net.routes(family: 4) + net.routes(family: 6)
        let links = Set(try net.links().filter(\.isUp).map(\.name))
        let cmds = Self.commands(current: current, wanted: wanted, links: links, ours: ours)
        if !cmds.isEmpty { _ = try net.ipBatch(cmds, in: .current) }
        return cmds.count
    }
}
