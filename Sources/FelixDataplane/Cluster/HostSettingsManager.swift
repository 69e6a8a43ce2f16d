import Foundation
import CalicoNetlink
import FelixCalc

/// The node's forwarding settings, as upstream Felix owns them (`ipForwarding: Enabled`):
/// IPv4 forwarding, and IPv6 forwarding when IPv6 is supported. Applied when the settings
/// change; `Disabled` leaves them as they are.
public final class HostSettingsManager: DataplaneManager, @unchecked Sendable {
    public var settings = ClusterSettings() { didSet { if settings != oldValue { dirty = true } } }
    public var ipv6 = true { didSet { if ipv6 != oldValue { dirty = true } } }
    private var dirty = true
    let net: any NetworkCommands

    public init(net: any NetworkCommands = IPRoute2()) { self.net = net }

    public func onUpdate(_ update: DataplaneUpdate) {}

    @discardableResult
    public func apply() throws -> ApplyOutcome {
        guard dirty else { return ApplyOutcome(commands: 0, seconds: 0, resynced: false) }
        var n = 0
        if settings.ipForwarding {
            for (key, wanted) in [("net/ipv4/ip_forward", true), ("net/ipv6/conf/all/forwarding", ipv6)] where wanted {
                // IPv6 may be off in this kernel: then there is nothing to forward.
                guard let v = try? net.sysctl(key, in: .current) else { continue }
                if v.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
                    try net.setSysctl(key, "1", in: .current)
                    n += 1
                }
            }
        }
        dirty = false
        return ApplyOutcome(commands: n, seconds: 0, resynced: false)
    }
}
