import CalicoAPI
import CalicoNetlink
import FelixCalc
import Foundation

/// Running `tc` (a seam for tests that cannot reach the kernel).
public protocol TrafficControl: Sendable {
    /// Runs `tc <args>` in the current namespace and returns its stdout; non-zero exit throws.
    @discardableResult
    func tc(_ args: [String]) throws -> String
}

/// `tc` from iproute2.
public struct TCCommand: TrafficControl {
    public init() {}
    public func tc(_ args: [String]) throws -> String { try CommandRunner.check(["tc"] + args) }
}

/// Bandwidth limits of this node's workloads (spec §2.13): keeps each workload's TBF qdiscs
/// and IFB device equal to its effective QoS controls, reconciled from what the kernel has
/// (read back on every pass, so a restart leaves right qdiscs alone and a removed control
/// removes its qdisc). Between refreshes a pass looks only at the endpoints that changed; every
/// `refreshInterval` it looks at all of them. A command the kernel refuses fails only that endpoint's limits: it is
/// in `problems` by endpoint (the daemon logs it and reports it on readiness) and retried
/// every second. IFB devices of
/// workloads that are gone are deleted.
public final class BandwidthManager: DataplaneManager, @unchecked Sendable {
    let net: any NetworkCommands
    let tcRunner: any TrafficControl
    let log: @Sendable (String, String) -> Void
    /// Seconds between passes that re-read the kernel even without changes.
    public var refreshInterval: Double = 90
    private var wanted: [EndpointID: (interface: String, qos: QoSControls?)] = [:]
    /// Endpoints changed since the last pass (a pass between refreshes looks only at them).
    private var pending: Set<EndpointID> = []
    /// An endpoint went away since the last pass (its IFB device may have to go).
    private var removed = false
    private var lastPass = Date.distantPast
    private var retrySoon = false
    private var failures: [EndpointID: String] = [:]
    /// Endpoints whose limits the kernel refused: endpoint → reason.
    public var problems: [String: String] { Dictionary(uniqueKeysWithValues: failures.map { ($0.key.description, $0.value) }) }

    public init(net: any NetworkCommands = IPRoute2(), tc: any TrafficControl = TCCommand(),
                log: @escaping @Sendable (String, String) -> Void = { _, _ in }) {
        self.net = net
        self.tcRunner = tc
        self.log = log
    }

    public var nextDue: Date { lastPass.addingTimeInterval(retrySoon || !failures.isEmpty ? 1 : refreshInterval) }

    public func onUpdate(_ update: DataplaneUpdate) {
        switch update {
        case .endpointUpdate(let e):
            guard case .workload = e.id else { return }
            let new = (e.interfaceName, Self.bandwidthOnly(e.qosControls))
            if let old = wanted[e.id], old.interface == new.0, old.qos == new.1 { return }
            wanted[e.id] = new
            pending.insert(e.id)
        case .endpointRemove(let id):
            if wanted.removeValue(forKey: id) != nil {
                pending.remove(id)
                removed = true
            }
        default:
            break
        }
    }

    /// The controls tc enforces (the rest is nftables'), nil when none.
    static func bandwidthOnly(_ q: QoSControls?) -> QoSControls? {
        guard let q, q.ingressBandwidth != nil || q.egressBandwidth != nil else { return nil }
        var b = QoSControls()
        (b.ingressBandwidth, b.ingressBurst, b.ingressPeakrate, b.ingressMinburst) = (q.ingressBandwidth, q.ingressBurst, q.ingressPeakrate, q.ingressMinburst)
        (b.egressBandwidth, b.egressBurst, b.egressPeakrate, b.egressMinburst) = (q.egressBandwidth, q.egressBurst, q.egressPeakrate, q.egressMinburst)
        return b
    }

    @discardableResult
    public func apply() throws -> ApplyOutcome {
        let full = Date() >= nextDue
        guard full || !pending.isEmpty || removed else { return ApplyOutcome(commands: 0, seconds: 0, resynced: false) }
        let start = Date()
        let scope = full ? Set(wanted.keys) : pending.filter { wanted[$0] != nil }
        pending = []
        if full {
            retrySoon = false
            lastPass = start
        }
        let state = try readState(scope: scope)
        var commands = 0
        var failures = full ? [:] : self.failures.filter { wanted[$0.key] != nil && !scope.contains($0.key) }
        for id in scope.sorted() {
            let w = wanted[id]!
            guard let mtu = state.mtus[w.interface] else {
                // The interface is not there yet: look again in a second.
                if w.qos != nil {
                    retrySoon = true
                    lastPass = start
                }
                continue
            }
            let plan = BandwidthPlan(interface: w.interface, ingress: TBFParams.of(w.qos, ingress: true, mtu: mtu),
                                     egress: TBFParams.of(w.qos, ingress: false, mtu: mtu))
            do {
                for step in plan.steps(state) {
                    switch step {
                    case .tc(let args): try tcRunner.tc(args)
                    case .ip(let args): try net.ip(args, in: .current)
                    }
                    commands += 1
                }
            } catch {
                failures[id] = "QoS of \(id) (\(w.interface)): bandwidth limits refused by the kernel: \(Self.firstLine(error))"
            }
        }
        if full || removed {
            // IFB devices nobody wants (their workload is gone or has no egress limit).
            let used = Set(wanted.values.filter { $0.qos?.egressBandwidth != nil }.map { BandwidthPlan.ifbName($0.interface) })
            for name in state.mtus.keys.sorted() where name.hasPrefix(BandwidthPlan.ifbPrefix) && !used.contains(name) {
                do {
                    try net.ip(["link", "del", name], in: .current)
                    commands += 1
                } catch {
                    log("WARNING", "QoS: cannot delete unused IFB device \(name): \(Self.firstLine(error))")
                }
            }
            removed = false
        }
        self.failures = failures
        return ApplyOutcome(commands: commands, seconds: Date().timeIntervalSince(start), resynced: full)
    }

    static func firstLine(_ error: any Error) -> String {
        let text = (error as? CommandError).map { "\($0.command.joined(separator: " ")): \($0.stderr)" } ?? "\(error)"
        return text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? text
    }

    /// The kernel's qdiscs and links, and the redirect filters of the veths in `scope` that
    /// have an ingress qdisc.
    func readState(scope: Set<EndpointID>) throws -> TCState {
        var s = TCState()
        s.qdiscs = TCState.qdiscs(json: try tcRunner.tc(["-j", "qdisc", "show"]))
        for o in KernelState.objects(try net.ip(["-j", "link", "show"], in: .current)) {
            guard let name = o["ifname"] as? String else { continue }
            s.mtus[name] = o["mtu"] as? Int ?? 1500
            if (o["flags"] as? [String] ?? []).contains("UP") { s.up.insert(name) }
        }
        for id in scope {
            guard let w = wanted[id], s.hasIngress(w.interface) else { continue }
            if let out = try? tcRunner.tc(["-j", "filter", "show", "dev", w.interface, "ingress"]) {
                s.redirects[w.interface] = TCState.redirect(json: out)
            }
        }
        return s
    }
}
