import CalicoAPI
import CalicoDatastore
import Foundation

/// Whose a host interface is, by what this node's WorkloadEndpoints record, so that no ADD or
/// DEL removes the interface of another endpoint. Asked only when an interface of the name is
/// actually there (rare: a name collision or a stale interface), so the list is no cost on the
/// usual path.
struct InterfaceOwnership {
    let datastore: Datastore
    let node: String

    static let wepKind = ResourceRegistry.kind(named: "workloadendpoint")!

    /// The endpoint on this node, other than `own` (the endpoint this command writes or
    /// removes), that records `interface` for another container, if any.
    func otherOwner(of interface: String, containerID: String, own: ResourceID) async throws -> WorkloadEndpoint? {
        let (items, _, _) = try await datastore.listSkippingCorrupt(Self.wepKind)
        return items.lazy.compactMap { $0.resource as? WorkloadEndpoint }.first { wep in
            wep.spec.node == node && wep.spec.interfaceName == interface
                && (wep.spec.containerID ?? "") != containerID
                && !(wep.metadata.namespace == own.namespace && wep.metadata.name == own.name)
        }
    }

    /// The error an ADD fails with when another endpoint's interface has the name it needs.
    static func taken(_ interface: String, by owner: WorkloadEndpoint) -> CNIError {
        let who = "\(owner.metadata.namespace ?? "default")/\(owner.metadata.name ?? "")"
        return CNIError(CNIError.dataplaneFailure,
                        "host interface \(interface) belongs to workload endpoint \(who) (container \(owner.spec.containerID ?? "unknown")); not touching it",
                        details: "two workloads map to the same interface name; remove the other workload (or its stale endpoint) first")
    }
}
