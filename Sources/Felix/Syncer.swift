import Foundation
import CalicoAPI
import CalicoDatastore
import FelixCalc

/// Feeds a `CalcGraph` from the datastore: lists every kind the graph uses, reports in-sync,
/// then (optionally) follows the watch; a watch that fell behind compaction resyncs.
public struct Syncer: Sendable {
    public let datastore: Datastore

    public init(datastore: Datastore) { self.datastore = datastore }

    public static let kinds: [ResourceKind] = [
        "workloadendpoint", "hostendpoint", "profile", "tier", "networkset", "globalnetworkset", "networkpolicy",
        "globalnetworkpolicy", "stagednetworkpolicy", "stagedglobalnetworkpolicy", "stagedkubernetesnetworkpolicy", "knp",
        "felixconfiguration", "ippool", "node", "qospolicy",
    ].compactMap { ResourceRegistry.kind(named: $0) }

    static let blockPrefix = "/calico/ipam/v2/assignment/"

    /// Every resource the graph uses and every IPAM block, and a revision to watch from (the
    /// oldest of the listings: replaying a change twice is harmless, missing one is not).
    /// A stored value that does not decode becomes an `.unusable` event: the graph holds a
    /// policy at its last good version or, after a restart, fails closed with a stand-in.
    public func snapshot(report: @Sendable (String) -> Void = { _ in }) async throws -> (events: [CalcEvent], revision: Int64) {
        var events: [CalcEvent] = []
        var revision = Int64.max
        for kind in Self.kinds {
            let (items, corrupt, rev) = try await datastore.listSkippingCorrupt(kind, storedNames: true)
            revision = min(revision, rev)
            events += items.map { .put($0.resource) }
            for bad in corrupt {
                report("cannot use \(bad.key): \(bad.reason)")
                if let e = Self.unusable(key: bad.key, value: bad.value, reason: bad.reason) { events.append(e) }
            }
        }
        let (pairs, rev) = try await datastore.kv.list(prefix: Self.blockPrefix)
        revision = min(revision, rev)
        events += pairs.compactMap(Self.blockEvent)
        events.append(.inSync)
        return (events, revision == .max ? 0 : revision)
    }

    /// The event for a stored resource value that does not decode.
    static func unusable(key: String, value: [UInt8], reason: String) -> CalcEvent? {
        guard let (kind, ns, name) = ResourcePaths.parse(key) else { return nil }
        return .unusable(CalcKey(kind, namespace: ns, name: name), raw: try? JSONReader.parse(value), reason: reason)
    }

    /// `…/block/10.244.5.0-26` → `10.244.5.0/26`.
    static func blockCIDR(fromKey key: String) -> String? {
        guard let last = key.split(separator: "/").last, let dash = last.lastIndex(of: "-") else { return nil }
        return IPNet("\(last[..<dash])/\(last[last.index(after: dash)...])")?.description
    }

    /// An IPAM block's CIDR and owning node from its stored JSON.
    static func blockEvent(_ pair: KVPair) -> CalcEvent? {
        guard let value = try? JSONReader.parse(pair.value), let text = value["cidr"]?.scalarText,
              let cidr = IPNet(text)?.description else { return nil }
        var owner: String? = nil
        if let affinity = value["affinity"]?.scalarText, affinity.hasPrefix("host:") { owner = String(affinity.dropFirst(5)) }
        return .ipamBlock(cidr: cidr, owner: owner)
    }
}

extension Syncer {
    /// Lists everything into `graph`, reports in-sync, then follows the watch: after each
    /// batch of events `deliver` gets the graph's updates. A watch that fell behind
    /// compaction starts over with a fresh list (the graph keeps its state, so only the
    /// differences come out). Returns when the task is cancelled.
    /// A stored value that no longer decodes is reported through `report` and ignored: the
    /// graph keeps what it had for that resource (its last good version).
    public func run(_ graph: CalcGraph, report: @Sendable (String) -> Void = { _ in },
                    deliver: @Sendable ([DataplaneUpdate]) async -> Void) async throws {
        let shared = SharedGraph(graph)
        try await run(shared, report: report) { await deliver(shared.flush()) }
    }

    /// As above, but only feeds the shared graph and calls `changed` after each batch of
    /// events; the caller flushes when it wants the updates.
    public func run(_ shared: SharedGraph, report: @Sendable (String) -> Void = { _ in },
                    changed: @Sendable () async -> Void) async throws {
        // What this syncer has given the graph, so a resync can delete what disappeared.
        var record = SyncRecord()
        while !Task.isCancelled {
            let (events, revision) = try await snapshot(report: report)
            let removals = record.resync(to: events)
            shared.withGraph { graph in
                shared.revision = max(shared.revision, revision)
                for e in removals + events { graph.apply(e) }
            }
            await changed()
            do {
                let wanted = Set(Self.kinds.map { ResourcePaths.prefix($0, namespace: nil) })
                for try await event in datastore.kv.watch(prefix: "/calico/", afterRevision: revision) {
                    let calcEvent: CalcEvent
                    if event.key.hasPrefix(Self.blockPrefix) {
                        switch event {
                        case .put(let pair):
                            guard let e = Self.blockEvent(pair) else { continue }
                            calcEvent = e
                        case .delete(let key, _):
                            guard let cidr = Self.blockCIDR(fromKey: key) else { continue }
                            calcEvent = .ipamBlockRemove(cidr: cidr)
                        }
                    } else if let (kind, _, _) = ResourcePaths.parse(event.key), wanted.contains(ResourcePaths.prefix(kind, namespace: nil)) {
                        do {
                            guard let resourceEvent = try datastore.resourceEvent(event) else { continue }
                            switch resourceEvent {
                            case .put(let stored): calcEvent = .put(stored.resource)
                            case .delete(let id, _):
                                calcEvent = .delete(CalcKey(kind, namespace: id.namespace, name: id.name))
                            }
                        } catch {
                            // A value that does not decode: the graph holds or stands in.
                            report("cannot use the change of \(event.key): \(error)")
                            guard case .put(let pair) = event,
                                  let e = Self.unusable(key: event.key, value: pair.value, reason: "\(error)") else { continue }
                            calcEvent = e
                        }
                    } else {
                        continue
                    }
                    record.note(calcEvent)
                    shared.withGraph {
                        $0.apply(calcEvent)
                        shared.revision = max(shared.revision, event.revision)
                    }
                    await changed()
                }
                return
            } catch KVError.compacted {
                continue
            }
        }
    }
}
