import CalicoAPI
import Foundation

/// Upstream's `EnsureInitialized`: what every Calico writer (calico-node's startup, calicoctl's
/// create/apply/replace) makes sure exists before it writes.
extension Datastore {
    /// ClusterInformation `default` (a random 32-hex cluster GUID, `datastoreReady: true` unless
    /// set, `calicoVersion` when given, the cluster types added to those there) and the tiers
    /// `default`, `adminnetworkpolicy` and `baselineadminnetworkpolicy`. Returns what it changed.
    @discardableResult
    public func ensureInitialized(calicoVersion: String? = nil, clusterTypes: [String] = [],
                                  guid: String = Datastore.randomGUID()) async throws -> [String] {
        var changes: [String] = []
        try await ensure(ClusterInformation.self, "default", changes: &changes,
                         make: { ClusterInformation(metadata: ObjectMeta(name: "default")) }) { ci in
            if (ci.spec.clusterGUID ?? "").isEmpty { ci.spec.clusterGUID = guid }
            if let calicoVersion, !calicoVersion.isEmpty { ci.spec.calicoVersion = calicoVersion }
            var all = (ci.spec.clusterType ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
            for t in clusterTypes where !all.contains(t) { all.append(t) }
            if !all.isEmpty { ci.spec.clusterType = all.joined(separator: ",") }
            if ci.spec.datastoreReady == nil { ci.spec.datastoreReady = true }
        }
        for (name, action) in [("default", TierDefaultAction.deny), ("adminnetworkpolicy", .pass), ("baselineadminnetworkpolicy", .pass)] {
            try await ensure(Tier.self, name, changes: &changes,
                             make: { Tier(metadata: ObjectMeta(name: name), spec: TierSpec(defaultAction: action)) }) { _ in }
        }
        return changes
    }

    /// ClusterInformation `default` and its revision. Missing: `DatastoreError.notFound`; a
    /// stored value of another shape: `DatastoreError.corrupt`.
    public func clusterInformation() async throws -> (info: ClusterInformation, revision: Int64) {
        let kind = ResourceRegistry.kind(apiVersion: calicoAPIVersion, kind: ClusterInformation.kindName)!
        let stored = try await get(kind, namespace: nil, name: "default")
        guard let info = stored.resource as? ClusterInformation else {
            throw DatastoreError.corrupt("ClusterInformation default does not decode")
        }
        return (info, stored.revision)
    }

    /// 32 lower-case hex digits, as upstream encodes a random UUID for the cluster GUID.
    public static func randomGUID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// Creates a cluster-scoped resource when missing, or applies `adjust` and updates it
    /// (compare-and-swap, retried) only when that changed something.
    public func ensure<T: CalicoResource>(_ type: T.Type, _ name: String, changes: inout [String],
                                          make: () -> T, adjust: (inout T) -> Void) async throws {
        guard let kind = ResourceRegistry.kind(apiVersion: calicoAPIVersion, kind: T.kindName) else {
            throw DatastoreError.corrupt("\(T.kindName) is not a registered kind")
        }
        for _ in 0..<5 {
            let current: StoredResource
            do {
                current = try await get(kind, namespace: nil, name: name)
            } catch DatastoreError.notFound {
                var r = make()
                adjust(&r)
                do {
                    _ = try await create(r)
                    changes.append("Created \(T.kindName) \(name)")
                    return
                } catch DatastoreError.alreadyExists {
                    continue
                }
            }
            guard let stored = current.resource as? T else { throw DatastoreError.corrupt("\(T.kindName) \(name) has an unexpected type") }
            var r = stored
            adjust(&r)
            if r == stored { return }
            do {
                _ = try await update(r)
                changes.append("Updated \(T.kindName) \(name)")
                return
            } catch DatastoreError.conflict {
                continue
            } catch DatastoreError.notFound {
                continue
            }
        }
        throw DatastoreError.corrupt("too many concurrent changes to \(T.kindName) \(name)")
    }
}
