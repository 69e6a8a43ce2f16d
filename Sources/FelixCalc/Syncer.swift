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
    ].compactMap { ResourceRegistry.kind(named: $0) }

    /// Every resource the graph uses, and the revision the listing reflects.
    public func snapshot() async throws -> (events: [CalcEvent], revision: Int64) {
        var events: [CalcEvent] = []
        var revision: Int64 = 0
        for kind in Self.kinds {
            let (items, rev) = try await datastore.list(kind, namespace: nil)
            revision = max(revision, rev)
            events += items.map { .put($0.resource) }
        }
        events.append(.inSync)
        return (events, revision)
    }
}
