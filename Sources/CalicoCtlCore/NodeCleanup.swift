import CalicoAPI
import CalicoDatastore
import CalicoIPAM

/// What deleting a Node takes with it, as upstream's client does before the Node itself: the
/// node's workload endpoints and their addresses, its tunnel addresses, its block affinities
/// (empty blocks go, others become borrowable), and its per-node FelixConfiguration and
/// BGPConfiguration (`node.<name>`). Missing pieces are fine; it can be run again.
struct NodeCleanup {
    let store: Datastore

    func run(node name: String) async throws {
        let ipam = IPAMClient(datastore: store)
        let wepKind = ResourceRegistry.kind(named: "workloadendpoint")!
        for item in try await store.list(wepKind, namespace: nil).items {
            guard let wep = item.resource as? WorkloadEndpoint, wep.spec.node == name else { continue }
            let ips = (wep.spec.ipNetworks ?? []).compactMap { IPNet($0)?.address }
            if !ips.isEmpty { _ = try await ipam.releaseIPs(ips) }
            _ = try? await store.delete(wepKind, namespace: wep.metadata.namespace, name: wep.name)
        }
        for handle in ["ipip-tunnel-addr-", "vxlan-tunnel-addr-", "vxlan-v6-tunnel-addr-", "wireguard-tunnel-addr-", "wireguard-v6-tunnel-addr-"] {
            _ = try await ipam.releaseByHandle(handle + name)
        }
        try await ipam.releaseHostAffinities(host: name, mustBeEmpty: false)
        for kindName in ["felixconfiguration", "bgpconfiguration"] {
            guard let kind = ResourceRegistry.kind(named: kindName) else { continue }
            _ = try? await store.delete(kind, namespace: nil, name: "node.\(name)")
        }
    }
}
