import FelixCalc
import FelixDataplane
import Foundation

/// The cluster-networking managers of one node, applied in order: forwarding settings, VXLAN
/// devices, the routes (some go through those devices), the pod MTU file, then the workloads'
/// bandwidth limits (tc).
final class ClusterManagers {
    let host: HostSettingsManager
    let vxlan: VXLANManager
    let routes: ClusterRouteManager
    let mtu: PodMTUManager
    let bandwidth: BandwidthManager

    init(hostname: String) {
        host = HostSettingsManager()
        vxlan = VXLANManager(hostname: hostname)
        routes = ClusterRouteManager(hostname: hostname)
        mtu = PodMTUManager()
        bandwidth = BandwidthManager(log: { FelixDaemon.log($0, $1) })
        routes.vxlanDevice = { [vxlan] in vxlan.hasDevice($0) }
        mtu.vxlanDevice = { [vxlan] in vxlan.hasDevice($0) }
    }

    var all: [any DataplaneManager] { [host, vxlan, routes, mtu, bandwidth] }

    var nextDue: Date { min(vxlan.nextDue, routes.nextDue, bandwidth.nextDue) }

    func configure(_ s: FelixSettings) {
        host.settings = s.cluster
        host.ipv6 = s.ipv6Support
        vxlan.settings = s.cluster
        vxlan.refreshInterval = s.routeRefreshInterval
        routes.settings = s.cluster
        routes.refreshInterval = s.routeRefreshInterval
        bandwidth.refreshInterval = s.routeRefreshInterval
        mtu.settings = s.cluster
    }

    /// Applies every manager; returns what keeps the node from being ready.
    func apply(log: (String, String) -> Void) -> [String] {
        var problems: [String] = []
        for (name, m) in [("forwarding", host as any DataplaneManager), ("VXLAN", vxlan), ("cluster routes", routes), ("pod MTU file", mtu), ("QoS bandwidth", bandwidth)] {
            do {
                let n = try m.apply().commands
                if n > 0 { log("INFO", "\(name): \(n) changes") }
            } catch {
                problems.append("\(name): \(error)")
            }
        }
        return problems + vxlan.problems + routes.problems + bandwidth.problems.keys.sorted().map { bandwidth.problems[$0]! }
    }
}
