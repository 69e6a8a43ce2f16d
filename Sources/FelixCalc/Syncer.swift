import CalicoAPI
import CalicoDatastore

/// Feeds a `CalcGraph` from the datastore: lists every kind the graph uses, reports in-sync,
/// then (optionally) follows the watch; a watch that fell behind compaction resyncs.
public struct Syncer: Sendable {
    public let datastore: Datastore

    public init(datastore: Datastore) { self.datastore = datastore }

    public static let kinds: [ResourceKind] = [
        "workloadendpoint", "hostendpoint", "profile", "tier", "networkset", "globalnetworkset", "networkpolicy",
        "globalnetworkpolicy", "stagednetworkpolicy", "stagedglobalnetworkpolicy", "stagedkubernetesnetworkpolicy", "knp",
        "felixconfiguration",
    ].compactMap { ResourceRegistry.kind(named: $0) }

    /// Every resource the graph uses, and the revision the listing reflects.
    public func snapshot() async throws -> (events: [CalcEvent], revision: Int64) {
        var events: [CalcEvent] = []
        var revision: Int64 = 0
        for kind in Self.kinds {
            let (items, rev) = try await datastore.list(kind, namespace: nil, storedNames: true)
            revision = max(revision, rev)
            events += items.map { .put($0.resource) }
        }
        events.append(.inSync)
        return (events, revision)
    }
}

extension Syncer {
    /// Lists everything into `graph`, reports in-sync, then follows the watch: after each
    /// batch of events `deliver` gets the graph's updates. A watch that fell behind
    /// compaction starts over with a fresh list (the graph keeps its state, so only the
    /// differences come out). Returns when the task is cancelled.
    public func run(_ graph: CalcGraph, deliver: @Sendable ([DataplaneUpdate]) async -> Void) async throws {
        while !Task.isCancelled {
            let (events, revision) = try await snapshot()
            // Resync: delete what the graph knows but the listing no longer has.
            let listed = Set(events.compactMap { e -> String? in
                if case .put(let r) = e { return CalcGraph.key(kindName(r), r.metadata.namespace, r.name) }
                return nil
            })
            for (kind, ns, name) in graph.knownResources() where !listed.contains(CalcGraph.key(kind, ns, name)) {
                graph.apply(.delete(kind: kind, namespace: ns, name: name))
            }
            for e in events { graph.apply(e) }
            await deliver(graph.flush())
            do {
                for try await event in datastore.watch(kinds: Self.kinds, afterRevision: revision) {
                    switch event {
                    case .put(let stored): graph.apply(.put(stored.resource))
                    case .delete(let id, _):
                        graph.apply(.delete(kind: id.kind == "NetworkPolicy.networking.k8s.io" ? "KubernetesNetworkPolicy" : id.kind,
                                            namespace: id.namespace, name: id.name))
                    }
                    await deliver(graph.flush())
                }
                return
            } catch KVError.compacted {
                continue
            }
        }
    }

    func kindName(_ r: any CalicoResource) -> String {
        r.apiVersion == "networking.k8s.io/v1" ? "KubernetesNetworkPolicy" : r.kind
    }
}
