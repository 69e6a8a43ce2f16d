import CalicoAPI

/// The Felix parameters of cluster networking (routes, VXLAN, NAT outgoing, forwarding).
/// They take effect in place: a change reprograms the kernel without restarting Felix.
public struct ClusterSettings: Equatable, Sendable {
    /// `programClusterRoutes: Enabled`: Felix programs routes to other nodes' blocks for
    /// no-encap pools (VXLAN routes are always Felix's).
    public var programClusterRoutes = false
    /// `vxlanEnabled`: nil = automatic (a VXLAN pool and a tunnel address on this node).
    public var vxlanEnabled: Bool? = nil
    public var vxlanVNI = 4096
    public var vxlanPort = 4789
    /// 0 = the parent interface's MTU less the encapsulation (50 bytes; 70 for IPv6).
    public var vxlanMTU = 0
    public var vxlanMTUV6 = 0
    /// `IPPoolsOnly` (default) or `IPPoolsAndHostIPs`.
    public var natOutgoingExclusions = "IPPoolsOnly"
    /// SNAT to this address instead of masquerading (empty: masquerade).
    public var natOutgoingAddress = ""
    /// `first:last` source ports for NAT outgoing (nil: the kernel's choice).
    public var natPortRange: ClosedRange<Int>? = nil
    /// Only NAT traffic leaving through interfaces matching this (`eth+` style; empty: all).
    public var natOutgoingInterfaceFilter = ""
    /// `ipForwarding: Enabled` (default): Felix turns on IPv4 (and IPv6) forwarding.
    public var ipForwarding = true
    /// Protocol of the workload routes (`deviceRouteProtocol`, default 3 = boot); Felix's
    /// cluster routes use 80, as upstream.
    public var deviceRouteProtocol = 3
    public static let clusterRouteProtocol = 80
    /// `mtuIfacePattern`: the host interfaces whose smallest MTU is the host MTU.
    public var mtuInterfacePattern = "^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)"
    /// Where Felix writes the pod MTU for the CNI plugin (upstream's fixed path; ours can be
    /// moved with `FELIX_MTUFILEPATH`, as the lab does for its nodes on one machine).
    public var mtuFilePath = MTUFile.defaultPath

    public init() {}

    /// Reads the parameters from the merged layers; a bad value is a problem and keeps the default.
    init(_ text: (String) -> String?, problems: inout [String]) {
        func enabled(_ key: String, _ apply: (Bool) -> Void) {
            guard let v = text(key) else { return }
            switch v.lowercased() {
            case "enabled", "true": apply(true)
            case "disabled", "false": apply(false)
            default: problems.append("\(key)=\(v): not Enabled or Disabled; using the default")
            }
        }
        func int(_ key: String, _ range: ClosedRange<Int>, _ apply: (Int) -> Void) {
            guard let v = text(key) else { return }
            if let n = Int(v), range.contains(n) { apply(n) } else { problems.append("\(key)=\(v): not an integer in \(range); using the default") }
        }
        enabled("programclusterroutes") { programClusterRoutes = $0 }
        enabled("vxlanenabled") { vxlanEnabled = $0 }
        int("vxlanvni", 0...16_777_215) { vxlanVNI = $0 }
        int("vxlanport", 1...65535) { vxlanPort = $0 }
        int("vxlanmtu", 0...65535) { vxlanMTU = $0 }
        int("vxlanmtuv6", 0...65535) { vxlanMTUV6 = $0 }
        if let v = text("mtuifacepattern") {
            if (try? Regex(v)) != nil { mtuInterfacePattern = v } else { problems.append("mtuifacepattern=\(v): not a regular expression; using the default") }
        }
        if let v = text("mtufilepath") {
            if v.hasPrefix("/") { mtuFilePath = v } else { problems.append("mtufilepath=\(v): not an absolute path; using the default") }
        }
        if let v = text("natoutgoingexclusions") {
            if let hit = ["IPPoolsOnly", "IPPoolsAndHostIPs"].first(where: { $0.caseInsensitiveCompare(v) == .orderedSame }) {
                natOutgoingExclusions = hit
            } else {
                problems.append("natoutgoingexclusions=\(v): not IPPoolsOnly or IPPoolsAndHostIPs; using the default")
            }
        }
        if let v = text("natoutgoingaddress") {
            if IPAddress(v)?.family == .v4 { natOutgoingAddress = v } else { problems.append("natoutgoingaddress=\(v): not an IPv4 address; using the default") }
        }
        if let v = text("natportrange") {
            let parts = v.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            if parts.count == 2, let lo = parts[0], let hi = parts[1], 1 <= lo, lo <= hi, hi <= 65535 {
                natPortRange = lo...hi
            } else if parts.count == 1, let p = parts[0], (1...65535).contains(p) {
                natPortRange = p...p
            } else {
                problems.append("natportrange=\(v): not a port range first:last; using the default")
            }
        }
        for key in ["iptablesnatoutgoinginterfacefilter", "natoutgoinginterfacefilter"] {
            if let v = text(key) {
                if v.allSatisfy({ $0.isLetter || $0.isNumber || "-_.+".contains($0) }) {
                    natOutgoingInterfaceFilter = v
                } else {
                    problems.append("\(key)=\(v): not an interface name or prefix (letters, digits, -_.+); using the default")
                }
            }
        }
        enabled("ipforwarding") { ipForwarding = $0 }
        int("devicerouteprotocol", 0...255) { deviceRouteProtocol = $0 }
    }
}
