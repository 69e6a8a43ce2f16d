import FelixCalc
import Foundation

/// The host routes to local workloads, as the calculation graph computes them (its
/// LOCAL_WORKLOAD routes with an interface): applied through `RouteManager` when they change,
/// and every `refreshInterval` to repair what others changed.
public final class WorkloadRouteManager: DataplaneManager, @unchecked Sendable {
    /// Destination (`10.244.0.5/32`) → interface.
    public private(set) var wanted: [String: String] = [:]
    private var synced: [String: String]?
    private var nextRefresh = Date.distantPast
    public var interfacePrefixes: [String]
    public var refreshInterval: Double
    let sync: ([String: String], [String]) throws -> Int
    /// When the next refresh is due.
    public var nextDue: Date { nextRefresh }

    /// `sync` applies the wanted routes for the interface prefixes (default: `RouteManager`).
    public init(interfacePrefixes: [String], refreshInterval: Double,
                sync: @escaping ([String: String], [String]) throws -> Int = { try RouteManager(interfacePrefixes: $1).sync($0) }) {
        self.interfacePrefixes = interfacePrefixes
        self.refreshInterval = refreshInterval
        self.sync = sync
    }

    public func onUpdate(_ update: DataplaneUpdate) {
        switch update {
        case .routeUpdate(let r):
            if r.kind == .localWorkload, let interface = r.interfaceName { wanted[r.dst] = interface } else { wanted[r.dst] = nil }
        case .routeRemove(let dst):
            wanted[dst] = nil
        default:
            break
        }
    }

    @discardableResult
    public func apply() throws -> ApplyOutcome {
        let start = Date()
        guard wanted != synced || start >= nextRefresh else { return ApplyOutcome(commands: 0, seconds: 0, resynced: false) }
        let refresh = wanted == synced
        let changes = try sync(wanted, interfacePrefixes)
        synced = wanted
        nextRefresh = Date().addingTimeInterval(refreshInterval)
        return ApplyOutcome(commands: changes, seconds: Date().timeIntervalSince(start), resynced: refresh)
    }
}
