import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoSelector
import Foundation

/// `calico-node -allocate-tunnel-addrs` (upstream `node/pkg/allocateip`): gives this node a
/// tunnel address of each kind its pools call for — VXLAN (IPv4 and IPv6) and IPIP — from
/// IPAM, with upstream's handle (`vxlan-tunnel-addr-<node>` …) and attributes (`node`,
/// `type`), and writes it to the Node; releases it (and clears the field) when no pool
/// needs it any more. An address that is still in a matching pool and still allocated to
/// the handle is kept, so a restart changes nothing. `run` reconciles, then again on every
/// change of Nodes, IP pools or IPAM data.
public struct TunnelAddressAllocator: Sendable {
    public let datastore: Datastore
    public let nodeName: String
    public let log: @Sendable (String) -> Void

    public init(datastore: Datastore, nodeName: String, log: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.datastore = datastore
        self.nodeName = nodeName
        self.log = log
    }

    /// One kind of tunnel address.
    public enum Tunnel: CaseIterable, Sendable {
        case vxlan, vxlanV6, ipip

        public var family: IPAddress.Family { self == .vxlanV6 ? .v6 : .v4 }
        public func handle(_ node: String) -> String {
            switch self {
            case .vxlan: return "vxlan-tunnel-addr-\(node)"
            case .vxlanV6: return "vxlan-v6-tunnel-addr-\(node)"
            case .ipip: return "ipip-tunnel-addr-\(node)"
            }
        }
        public var attributeType: String {
            switch self {
            case .vxlan: return "vxlanTunnelAddress"
            case .vxlanV6: return "vxlanV6TunnelAddress"
            case .ipip: return "ipipTunnelAddress"
            }
        }
        func mode(_ p: IPPool) -> String? { self == .ipip ? p.spec.ipipMode : p.spec.vxlanMode }
        func address(_ n: Node) -> String? {
            let v: String? = switch self {
            case .vxlan: n.spec.ipv4VXLANTunnelAddr
            case .vxlanV6: n.spec.ipv6VXLANTunnelAddr
            case .ipip: n.spec.bgp?.ipv4IPIPTunnelAddr
            }
            return v.flatMap { $0.isEmpty ? nil : $0 }
        }
        func set(_ n: inout Node, _ address: String?) {
            switch self {
            case .vxlan: n.spec.ipv4VXLANTunnelAddr = address
            case .vxlanV6: n.spec.ipv6VXLANTunnelAddr = address
            case .ipip:
                if n.spec.bgp == nil && address == nil { return }
                n.spec.bgp = n.spec.bgp ?? NodeBGPSpec()
                n.spec.bgp?.ipv4IPIPTunnelAddr = address
            }
        }
        /// The node needs an underlay address of the family for the tunnel to make sense.
        func nodeHasAddress(_ n: Node) -> Bool {
            let a = family == .v4 ? n.spec.bgp?.ipv4Address : n.spec.bgp?.ipv6Address
            return !(a ?? "").isEmpty
        }
    }

    /// The pools a tunnel address of `tunnel` may come from for `node` (pure): enabled, of the
    /// family, with the encapsulation on, selecting the node, allowing tunnel use.
    public static func pools(for tunnel: Tunnel, node: Node, from pools: [IPPool]) -> [IPNet] {
        guard tunnel.nodeHasAddress(node) else { return [] }
        let labels = node.metadata.labels ?? [:]
        return pools.compactMap { p -> IPNet? in
            guard !(p.spec.disabled ?? false), let net = p.spec.cidr.flatMap({ IPNet($0) }), net.family == tunnel.family else { return nil }
            guard let mode = tunnel.mode(p), !mode.isEmpty, mode != "Never" else { return nil }
            guard (p.spec.allowedUses ?? ["Workload", "Tunnel"]).contains("Tunnel") else { return nil }
            if let sel = p.spec.nodeSelector, !sel.isEmpty, !((try? Selector.parse(sel))?.matches(labels) ?? false) { return nil }
            return net
        }.sorted { $0.description < $1.description }
    }

    /// Brings this node's tunnel addresses to what its pools call for; returns one line per change.
    @discardableResult
    public func reconcile() async throws -> [String] {
        let ipam = IPAMClient(datastore: datastore)
        let nodeKind = ResourceRegistry.kind(named: "node")!
        var changes: [String] = []
        for attempt in 0..<5 {
            guard let stored = try? await datastore.get(nodeKind, namespace: nil, name: nodeName), var node = stored.resource as? Node else {
                throw StartupError("Node \(nodeName) does not exist (run calico-node -startup first)")
            }
            let allPools = try await ipam.pools()
            let before = node
            changes = []
            for tunnel in Tunnel.allCases {
                let wanted = Self.pools(for: tunnel, node: node, from: allPools)
                let handle = tunnel.handle(nodeName)
                let current = tunnel.address(node).flatMap { IPAddress($0) }
                if wanted.isEmpty {
                    let released = try await ipam.releaseByHandle(handle)
                    if current != nil || released > 0 {
                        tunnel.set(&node, nil)
                        changes.append("released \(tunnel.attributeType) \(current?.description ?? "") of node \(nodeName)")
                    }
                    continue
                }
                if let ip = current, wanted.contains(where: { $0.contains(ip) }) {
                    let owner = try await ipam.allocation(of: ip)
                    if owner?.handleID == handle { continue }
                    if owner == nil, (try? await ipam.assignIP(ip, handleID: handle, attributes: attributes(tunnel), hostname: nodeName)) != nil {
                        changes.append("re-claimed \(tunnel.attributeType) \(ip) for node \(nodeName)")
                        continue
                    }
                }
                // None, outside the pools, or taken by someone else: a new one.
                _ = try await ipam.releaseByHandle(handle)
                let req = AutoAssignRequest(num4: tunnel.family == .v4 ? 1 : 0, num6: tunnel.family == .v6 ? 1 : 0, handleID: handle,
                                            attributes: attributes(tunnel), hostname: nodeName,
                                            ipv4Pools: tunnel.family == .v4 ? wanted.map(\.description) : [],
                                            ipv6Pools: tunnel.family == .v6 ? wanted.map(\.description) : [], intendedUse: "Tunnel")
                let result = try await ipam.autoAssign(req)
                guard let ip = (tunnel.family == .v4 ? result.ipv4 : result.ipv6).first?.address else { continue }
                tunnel.set(&node, ip.description)
                changes.append("assigned \(tunnel.attributeType) \(ip) to node \(nodeName)")
            }
            guard node != before else { return changes }
            do {
                _ = try await datastore.update(node)
                return changes
            } catch DatastoreError.conflict where attempt < 4 {
                continue  // the Node changed meanwhile: read it again
            }
        }
        return changes
    }

    func attributes(_ t: Tunnel) -> [String: String] { ["node": nodeName, "type": t.attributeType] }

    /// Reconciles now and after every change of Nodes, pools or IPAM data (bursts settle
    /// for 100 ms first), until cancelled. Failures are logged and retried.
    public func run() async {
        var revision: Int64 = 0
        while !Task.isCancelled {
            do {
                revision = try await datastore.kv.revision()
                for line in try await reconcile() { log(line) }
                let watch = datastore.kv.watch(prefix: "/calico/", afterRevision: revision)
                var due: ContinuousClock.Instant? = nil
                for try await event in watch {
                    guard Self.relevant(event.key) else { continue }
                    if due == nil { due = .now + .milliseconds(100) }
                    try await Task.sleep(until: due!)
                    due = nil
                    for line in try await reconcile() { log(line) }
                }
            } catch is CancellationError {
                return
            } catch {
                log("allocate-tunnel-addrs: \(error); retrying in 1 s")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    static func relevant(_ key: String) -> Bool {
        key.hasPrefix("/calico/ipam/") || key.contains("/nodes/") || key.contains("/ippools/")
    }
}
