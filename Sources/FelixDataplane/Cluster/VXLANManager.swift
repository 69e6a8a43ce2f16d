import CalicoNetlink
import FelixCalc
import Foundation

/// Felix's VXLAN devices (`vxlan.calico`, `vxlan-v6.calico`), as upstream's VXLAN manager:
/// the device exists while this node has a tunnel address of that family (and VXLAN is not
/// switched off); it carries the tunnel address, the node's VTEP MAC, the configured VNI and
/// port, on the interface holding the node's address, with the MTU less the encapsulation.
/// Every remote VTEP gets a permanent neighbour (tunnel address → MAC) and a permanent FDB
/// entry (MAC → node address). Only these devices' entries are touched; what is wrong is
/// repaired on the next apply (on a change, and every `refreshInterval`).
public final class VXLANManager: DataplaneManager, @unchecked Sendable {
    public let hostname: String
    public var settings = ClusterSettings() { didSet { if settings != oldValue { dirty = true } } }
    public var refreshInterval: Double = 90
    private(set) var vteps: [String: VTEP] = [:]
    private var dirty = true
    private var nextRefresh = Date.distantPast
    let net: any NetworkCommands
    /// Problems of the last apply (a missing parent interface …), for readiness.
    public private(set) var problems: [String] = []

    public init(hostname: String, net: any NetworkCommands = IPRoute2()) {
        self.hostname = hostname
        self.net = net
    }

    public var nextDue: Date { nextRefresh }

    public func onUpdate(_ update: DataplaneUpdate) {
        switch update {
        case .vtepUpdate(let v):
            if vteps[v.node] != v { vteps[v.node] = v; dirty = true }
        case .vtepRemove(let node):
            if vteps.removeValue(forKey: node) != nil { dirty = true }
        default: break
        }
    }

    /// Whether this node has a device of `family` now.
    public func hasDevice(_ d: VXLANDevice) -> Bool { Self.local(vteps[hostname], d) != nil && settings.vxlanEnabled != false }

    static func local(_ v: VTEP?, _ d: VXLANDevice) -> (tunnel: String, mac: String, parent: String)? {
        guard let v else { return nil }
        switch d {
        case .v4:
            guard let t = v.tunnelIPv4, let m = v.macV4, let p = v.parentIPv4 else { return nil }
            return (t, m, p)
        case .v6:
            guard let t = v.tunnelIPv6, let m = v.macV6, let p = v.parentIPv6 else { return nil }
            return (t, m, p)
        }
    }

    @discardableResult
    public func apply() throws -> ApplyOutcome {
        let start = Date()
        guard dirty || start >= nextRefresh else { return ApplyOutcome(commands: 0, seconds: 0, resynced: false) }
        let refresh = !dirty
        var count = 0
        var problems: [String] = []
        let kernel = KernelState(net: net)
        for d in VXLANDevice.allCases {
            let current = try kernel.vxlan(d.name)
            guard hasDevice(d), let me = Self.local(vteps[hostname], d) else {
                if current != nil {
                    try net.ip(["link", "del", d.name], in: .current)
                    count += 1
                }
                continue
            }
            guard let parent = try kernel.interface(holding: me.parent) else {
                problems.append("\(d.name): no interface holds this node's address \(me.parent)")
                continue
            }
            let want = VXLANLinkState(vni: settings.vxlanVNI, local: me.parent, port: settings.vxlanPort, mac: me.mac.lowercased(),
                                      mtu: d == .v4 ? (settings.vxlanMTU > 0 ? settings.vxlanMTU : parent.mtu - d.overhead)
                                                    : (settings.vxlanMTUV6 > 0 ? settings.vxlanMTUV6 : parent.mtu - d.overhead),
                                      isUp: true, parentIndex: nil)
            let link = Self.linkCommands(d, want: want, parent: parent.name, current: current)
            if !link.isEmpty { try net.ipBatch(link, in: .current) }
            count += link.count
            let addr = Self.addressCommands(d, tunnel: me.tunnel, current: try kernel.addresses(of: d.name))
            if !addr.isEmpty { try net.ipBatch(addr, in: .current) }
            count += addr.count
            let remotes = vteps.values.filter { $0.node != hostname }.compactMap { Self.local($0, d) }
            let neigh = Self.neighbourCommands(d, remotes: remotes, current: try kernel.neighbours(of: d.name))
            if !neigh.isEmpty { try net.ipBatch(neigh, in: .current) }
            let fdb = Self.fdbCommands(d, remotes: remotes, current: try kernel.fdb(of: d.name))
            if !fdb.isEmpty { try net.bridgeBatch(fdb, in: .current) }
            count += neigh.count + fdb.count
        }
        self.problems = problems
        dirty = false
        nextRefresh = Date().addingTimeInterval(refreshInterval)
        return ApplyOutcome(commands: count, seconds: Date().timeIntervalSince(start), resynced: refresh)
    }

    // MARK: Plans (pure)

    /// `ip` commands that make the device as wanted: created (or re-created when its VNI,
    /// port or local address differ), then MAC, MTU and up.
    static func linkCommands(_ d: VXLANDevice, want: VXLANLinkState, parent: String, current: VXLANLinkState?) -> [[String]] {
        var cmds: [[String]] = []
        var have = current
        if let c = current, c.vni != want.vni || c.port != want.port || c.local != want.local {
            cmds.append(["link", "del", d.name])
            have = nil
        }
        if have == nil {
            cmds.append(["link", "add", d.name, "type", "vxlan", "id", "\(want.vni!)", "local", want.local!, "dev", parent,
                         "dstport", "\(want.port!)", "nolearning"])
        }
        if have?.mac != want.mac { cmds.append(["link", "set", "dev", d.name, "address", want.mac!]) }
        if have?.mtu != want.mtu { cmds.append(["link", "set", "dev", d.name, "mtu", "\(want.mtu)"]) }
        if have?.isUp != true { cmds.append(["link", "set", "dev", d.name, "up"]) }
        return cmds
    }

    /// The tunnel address as the device's only (non-link-local) address.
    static func addressCommands(_ d: VXLANDevice, tunnel: String, current: [String]) -> [[String]] {
        let want = "\(tunnel)/\(d.hostPrefix)"
        var cmds: [[String]] = []
        for a in current where a != want && !a.lowercased().hasPrefix("fe80:") { cmds.append(["addr", "del", a, "dev", d.name]) }
        // nodad: a tentative address is no source for about a second (DAD on a tunnel is moot).
        if !current.contains(want) { cmds.append(["addr", "replace", want, "dev", d.name] + (d == .v6 ? ["nodad"] : [])) }
        return cmds
    }

    static func neighbourCommands(_ d: VXLANDevice, remotes: [(tunnel: String, mac: String, parent: String)], current: [String: String]) -> [[String]] {
        let want = Dictionary(remotes.map { ($0.tunnel, $0.mac.lowercased()) }) { a, _ in a }
        var cmds: [[String]] = []
        for ip in current.keys.sorted() where want[ip] == nil { cmds.append(["neigh", "del", ip, "dev", d.name]) }
        for ip in want.keys.sorted() where current[ip] != want[ip] {
            cmds.append(["neigh", "replace", ip, "lladdr", want[ip]!, "dev", d.name, "nud", "permanent"])
        }
        return cmds
    }

    static func fdbCommands(_ d: VXLANDevice, remotes: [(tunnel: String, mac: String, parent: String)], current: [String: String]) -> [[String]] {
        let want = Dictionary(remotes.map { ($0.mac.lowercased(), $0.parent) }) { a, _ in a }
        var cmds: [[String]] = []
        for mac in current.keys.sorted() where want[mac] != current[mac] {
            cmds.append(["fdb", "del", mac, "dev", d.name, "dst", current[mac]!, "self"])
        }
        for mac in want.keys.sorted() where current[mac] != want[mac] {
            cmds.append(["fdb", "replace", mac, "dev", d.name, "dst", want[mac]!, "self", "permanent"])
        }
        return cmds
    }
}
