import CalicoNetlink
import FelixCalc
import Foundation

/// Felix's routes to the cluster (upstream's VXLAN and no-encap route managers), protocol 80:
/// for each remote block (and borrowed address) a route via its node — directly for a
/// no-encap pool (with `programClusterRoutes: Enabled`) or a VXLAN CrossSubnet pool when the
/// node shares this node's subnet, else through the VXLAN device to the node's tunnel
/// address (`onlink`) — and a blackhole route for each of this node's own blocks. Only
/// protocol-80 routes are read and removed; others are never touched. Programmed with
/// replace semantics, so a restart that wants the same routes changes nothing. The kernel's
/// routes are read on the first apply, every `refreshInterval` and after a failure; between
/// those a change is diffed against what this manager last programmed (one `ip -batch`).
public final class ClusterRouteManager: DataplaneManager, @unchecked Sendable {
    public let hostname: String
    public var settings = ClusterSettings() { didSet { if settings != oldValue { dirty = true } } }
    public var refreshInterval: Double = 90
    /// Whether the VXLAN device of a family exists (from the VXLAN manager).
    public var vxlanDevice: (VXLANDevice) -> Bool = { _ in false }
    private(set) var routes: [String: RouteUpdate] = [:]
    /// Pools whose encapsulation this kernel cannot provide (IPIP), for readiness.
    public var problems: [String] {
        guard !Self.kernelHasIPIP else { return [] }
        return routes.values.filter { $0.kind == .cidrInfo && $0.poolType == "IPIP" }.map(\.dst).sorted().map {
            "IPPool \($0) uses IPIP, but this kernel has no ipip module: its cross-node traffic is not routed"
        }
    }
    static let kernelHasIPIP = FileManager.default.fileExists(atPath: "/sys/module/ipip")
    private(set) var vteps: [String: VTEP] = [:]
    private var dirty = true
    private var nextRefresh = Date.distantPast
    /// What the kernel holds after the last successful apply; nil: read it.
    private var programmed: [String: Target]?
    let net: any NetworkCommands

    public init(hostname: String, net: any NetworkCommands = IPRoute2()) {
        self.hostname = hostname
        self.net = net
    }

    public var nextDue: Date { nextRefresh }

    public func onUpdate(_ update: DataplaneUpdate) {
        switch update {
        case .routeUpdate(let r):
            if routes[r.dst] != r { routes[r.dst] = r; dirty = true }
        case .routeRemove(let dst):
            if routes.removeValue(forKey: dst) != nil { dirty = true }
        case .vtepUpdate(let v):
            if vteps[v.node] != v { vteps[v.node] = v; dirty = true }
        case .vtepRemove(let node):
            if vteps.removeValue(forKey: node) != nil { dirty = true }
        default: break
        }
    }

    /// What a route points at.
    enum Target: Equatable {
        case blackhole
        /// Directly via the node's address (the kernel picks the interface).
        case via(String)
        /// Through a VXLAN device to a tunnel address.
        case tunnel(String, device: String)
    }

    /// The routes wanted now (pure over the manager's state).
    func wanted() -> [String: Target] {
        var out: [String: Target] = [:]
        for r in routes.values {
            let v6 = r.dst.contains(":")
            let device: VXLANDevice = v6 ? .v6 : .v4
            let vxlan = r.poolType == "VXLAN" && settings.vxlanEnabled != false
            switch r.kind {
            case .localWorkload:
                // This node's blocks (not its workloads' own addresses).
                guard r.interfaceName == nil, !r.dst.hasSuffix("/32"), !r.dst.hasSuffix("/128") else { continue }
                if settings.programClusterRoutes || vxlan { out[r.dst] = .blackhole }
            case .remoteWorkload:
                if vxlan {
                    if r.vxlanMode == "CrossSubnet", r.sameSubnet, let ip = r.dstNodeIP {
                        out[r.dst] = .via(ip)
                    } else if vxlanDevice(device), let node = r.dstNodeName, let vtep = vteps[node],
                              let tunnel = v6 ? vtep.tunnelIPv6 : vtep.tunnelIPv4 {
                        out[r.dst] = .tunnel(tunnel, device: device.name)
                    }
                } else if r.poolType == "NO_ENCAP", settings.programClusterRoutes, r.sameSubnet, let ip = r.dstNodeIP {
                    out[r.dst] = .via(ip)
                }
            case .cidrInfo:
                continue
            }
        }
        return out
    }

    /// What each of Felix's routes in the kernel points at (a form it would not program: nil).
    static func targets(_ current: [OwnedRoute]) -> [String: Target?] {
        var out: [String: Target?] = [:]
        for r in current {
            out[r.destination] = r.blackhole ? .blackhole
                : r.onlink && r.device != nil && r.gateway != nil ? .tunnel(r.gateway!, device: r.device!)
                : r.gateway.map { .via($0) }
        }
        return out
    }

    /// `ip` commands taking Felix's current routes to `wanted` (pure).
    static func commands(current: [OwnedRoute], wanted: [String: Target]) -> [[String]] {
        commands(have: targets(current), wanted: wanted)
    }

    /// `ip` commands taking routes that point at `have` to `wanted` (pure).
    static func commands(have current: [String: Target?], wanted: [String: Target]) -> [[String]] {
        var cmds: [[String]] = []
        var have: [String: Target] = [:]
        for (dst, t) in current.sorted(by: { $0.key < $1.key }) {
            if let t, wanted[dst] == t { have[dst] = t; continue }
            if wanted[dst] == nil {
                cmds.append(["route", "del", dst, "proto", "80"])
            }
        }
        for dst in wanted.keys.sorted() where have[dst] == nil {
            // An IPv6 `onlink` route is refused while a route of another device covers its
            // gateway, and a tunnel address lies inside its node's block: the direct route to
            // that block goes first (CrossSubnet → Always).
            if case .tunnel = wanted[dst]!, dst.contains(":"), let old = current[dst], old != wanted[dst] {
                cmds.append(["route", "del", dst, "proto", "80"])
            }
            // The family follows from the addresses (an `ip -batch` line takes no `-6`).
            switch wanted[dst]! {
            case .blackhole: cmds.append(["route", "replace", "blackhole", dst, "proto", "80"])
            case .via(let gw): cmds.append(["route", "replace", dst, "via", gw, "proto", "80"])
            case let .tunnel(gw, dev): cmds.append(["route", "replace", dst, "via", gw, "dev", dev, "onlink", "proto", "80"])
            }
        }
        return cmds
    }

    @discardableResult
    public func apply() throws -> ApplyOutcome {
        let start = Date()
        guard dirty || start >= nextRefresh else { return ApplyOutcome(commands: 0, seconds: 0, resynced: false) }
        let refresh = !dirty
        let have: [String: Target?]
        if let p = programmed, !refresh {
            have = p.mapValues { Optional($0) }
        } else {
            let kernel = KernelState(net: net)
            have = Self.targets(try kernel.ownedRoutes(family: 4) + kernel.ownedRoutes(family: 6))
        }
        let want = wanted()
        let cmds = Self.commands(have: have, wanted: want)
        // One by one when the batch fails, so one unroutable destination does not hold up the rest.
        var failed: [String] = []
        if !cmds.isEmpty {
            do {
                try net.ipBatch(cmds, in: .current)
            } catch {
                for c in cmds {
                    do { try net.ip(c, in: .current) } catch { failed.append("\(error)") }
                }
            }
        }
        dirty = !failed.isEmpty
        programmed = failed.isEmpty ? want : nil
        nextRefresh = Date().addingTimeInterval(failed.isEmpty ? refreshInterval : 1)
        if !failed.isEmpty { throw ClusterRouteError(failures: failed) }
        return ApplyOutcome(commands: cmds.count, seconds: Date().timeIntervalSince(start), resynced: refresh)
    }
}

public struct ClusterRouteError: Error, CustomStringConvertible {
    public var failures: [String]
    public var description: String { "cluster routes: " + failures.joined(separator: "; ") }
}
