import FelixCalc

/// One piece of Felix's dataplane (nftables rules, workload routes, and later VXLAN, NAT,
/// QoS, flow logs): it receives every update of the calculation graph, keeps what it needs,
/// and on `apply()` brings its part of the kernel to that state. The daemon feeds every
/// manager every update and applies them in order.
public protocol DataplaneManager: AnyObject {
    func onUpdate(_ update: DataplaneUpdate)
    /// Brings the kernel to the state the updates asked for; throws when it could not (the
    /// daemon retries with backoff).
    @discardableResult
    func apply() throws -> ApplyOutcome
}

extension DataplaneManager {
    public func onUpdates(_ updates: [DataplaneUpdate]) {
        for u in updates { onUpdate(u) }
    }
}
