import CalicoAPI
import CalicoValidation
import Foundation

/// A resource read from the store, with its stored revision.
public struct StoredResource: Sendable {
    public var resource: any CalicoResource
    public var revision: Int64
    public var id: ResourceID { ResourceID(kind: resource.kind, namespace: resource.namespace, name: resource.name) }
}

/// A stored value that does not decode as its kind: written around the client (another
/// tool, an older version, etcdctl) or damaged.
public struct CorruptValue: Sendable {
    public var key: String
    /// Why it does not decode (names the key and the field).
    public var reason: String
    /// The stored bytes, as they are.
    public var value: [UInt8]
}

/// A change to a resource, from `Datastore.watch`.
public enum ResourceEvent: Sendable {
    case put(StoredResource)
    case delete(ResourceID, revision: Int64)

    public var revision: Int64 {
        switch self {
        case .put(let r): return r.revision
        case .delete(_, let rev): return rev
        }
    }
}

/// The resource-level datastore every component uses: typed CRUD with client defaults,
/// validation and compare-and-swap, over any `KVStore` backend. Values are the upstream
/// etcdv3 JSON (the v3 object without `resourceVersion`); `resourceVersion` is the key's
/// modRevision.
public final class Datastore: Sendable {
    public let kv: any KVStore

    public init(kv: any KVStore) { self.kv = kv }

    public var endpoint: String { kv.endpoint }

    // MARK: Reads

    public func get(_ kind: ResourceKind, namespace: String?, name: String) async throws -> StoredResource {
        let stored = ClientRules.lookupName(kind, name)
        let ns = kind.isNamespaced ? (namespace ?? "default") : nil
        guard let pair = try await call({ try await self.kv.get(ResourcePaths.key(kind, namespace: ns, name: stored)) }) else {
            throw DatastoreError.notFound(ResourceID(kind: kind.kind, namespace: ns, name: name))
        }
        return try decode(pair, kind: kind)
    }

    /// Objects of a kind, in one namespace or all (`namespace == nil`), optionally only
    /// names starting with `namePrefix`; sorted by namespace then name.
    /// With `storedNames`, policies keep their stored (tier-prefixed) names, as watch events
    /// carry them.
    public func list(_ kind: ResourceKind, namespace: String?, namePrefix: String? = nil,
                     storedNames: Bool = false) async throws -> (items: [StoredResource], revision: Int64) {
        let (items, corrupt, revision) = try await listSkippingCorrupt(kind, namespace: namespace, namePrefix: namePrefix, storedNames: storedNames)
        if let first = corrupt.first { throw DatastoreError.corrupt(first.reason) }
        return (items, revision)
    }

    /// Like `list`, but a stored value that no longer decodes (written by another client,
    /// or by an older version) is reported in `corrupt`, with its key, the reason and the
    /// raw value, instead of failing the whole listing.
    public func listSkippingCorrupt(_ kind: ResourceKind, namespace: String? = nil, namePrefix: String? = nil,
                                    storedNames: Bool = false) async throws
        -> (items: [StoredResource], corrupt: [CorruptValue], revision: Int64) {
        let prefix = ResourcePaths.prefix(kind, namespace: kind.isNamespaced ? namespace : nil)
        let (pairs, revision) = try await call { try await self.kv.list(prefix: prefix) }
        var items: [StoredResource] = []
        var corrupt: [CorruptValue] = []
        for pair in pairs {
            do {
                let item = try decode(pair, kind: kind, restoreName: !storedNames)
                if let namePrefix, !item.resource.name.hasPrefix(namePrefix) { continue }
                items.append(item)
            } catch {
                corrupt.append(CorruptValue(key: pair.key, reason: "\(error)", value: pair.value))
            }
        }
        return (items, corrupt, revision)
    }

    // MARK: Writes

    /// Checks a resource as a write would (defaults, client rules, validation) without writing.
    public func prepare(_ resource: any CalicoResource) throws -> (key: String, value: [UInt8], resource: any CalicoResource) {
        guard let kind = ResourceRegistry.kind(of: resource) else {
            throw DatastoreError.notSupported(operation: "write", identifier: "\(id(resource))", reason: "unknown resource type \(resource.kind) (\(resource.apiVersion))")
        }
        var r = ClientRules.applyDefaults(resource)
        if r.apiVersion == calicoCRDAPIVersion { r.apiVersion = calicoAPIVersion }
        if kind.isNamespaced && (r.metadata.namespace ?? "").isEmpty { r.metadata.namespace = "default" }
        let errors = ClientRules.check(r) + Validator.validate(r)
        if !errors.isEmpty { throw DatastoreError.validation(id(r), errors) }
        var stored = r
        let userName = r.name
        if let tier = ClientRules.tier(of: r) {
            let backend = ClientRules.backendName(userName, tier: tier)
            if backend != userName {
                stored.metadata.name = backend
                var annotations = stored.metadata.annotations ?? [:]
                annotations[ClientRules.metadataAnnotation] = "{\"name\":\(Emitter.jsonString(userName))}"
                stored.metadata.annotations = annotations
            }
        }
        stored.metadata.resourceVersion = nil
        let key = ResourcePaths.key(kind, namespace: stored.metadata.namespace, name: stored.name)
        let value = Array(Emitter.json(try TreeEncoder().encode(stored), indent: 0).utf8)
        return (key, value, r)
    }

    /// Checks that need other stored objects: a policy's tier must exist; IP pools must not
    /// overlap and keep their CIDR and block size.
    public func checkReferences(_ resource: any CalicoResource, pendingTiers: Set<String> = []) async throws {
        let r = ClientRules.applyDefaults(resource)
        if let tier = ClientRules.tier(of: r), tier != "default", !pendingTiers.contains(tier) {
            let tierKind = ResourceRegistry.kind(named: "tier")!
            do {
                _ = try await get(tierKind, namespace: nil, name: tier)
            } catch DatastoreError.notFound {
                throw DatastoreError.validation(id(r), [FieldError(field: "spec.tier", value: tier, reason: "tier \(tier) does not exist; create it first")])
            }
        }
        if let pool = r as? IPPool, let cidr = pool.spec.cidr, let net = IPNet(cidr) {
            let (pools, _) = try await list(ResourceRegistry.kind(named: "ippool")!, namespace: nil)
            for case let other as IPPool in pools.map(\.resource) {
                guard let otherNet = other.spec.cidr.flatMap({ IPNet($0) }) else { continue }
                if other.name == pool.name {
                    if otherNet.network != net.network {
                        throw DatastoreError.validation(id(r), [FieldError(field: "spec.cidr", value: cidr, reason: "the CIDR of an IP pool cannot change (it is \(otherNet))")])
                    }
                    if let a = other.spec.blockSize, let b = pool.spec.blockSize, a != b {
                        throw DatastoreError.validation(id(r), [FieldError(field: "spec.blockSize", value: String(b), reason: "the block size of an IP pool cannot change (it is \(a))")])
                    }
                } else if otherNet.overlaps(net) {
                    throw DatastoreError.validation(id(r), [FieldError(field: "spec.cidr", value: cidr, reason: "IPPool(\(pool.name)) CIDR overlaps with IPPool(\(other.name)) CIDR \(otherNet)")])
                }
            }
        }
    }

    /// The metadata the datastore owns, as upstream's client sets it: the UID and creation time
    /// are the store's (a writer's own values are replaced), and selfLink, generation and
    /// finalizers are not stored.
    static func serverManaged(_ meta: inout ObjectMeta, uid: String?, created: String?) {
        meta.uid = uid
        meta.creationTimestamp = created
        meta.selfLink = nil
        meta.generation = nil
        meta.finalizers = nil
    }

    public func create(_ resource: any CalicoResource) async throws -> StoredResource {
        try await checkReferences(resource)
        var r = resource
        Self.serverManaged(&r.metadata, uid: UUID().uuidString.lowercased(), created: Self.timestamp())
        let (key, value, prepared) = try prepare(r)
        do {
            let pair = try await call { try await self.kv.create(key, value: value) }
            return StoredResource(resource: withVersion(prepared, pair.modRevision), revision: pair.modRevision)
        } catch KVError.alreadyExists {
            throw DatastoreError.alreadyExists(id(prepared))
        }
    }

    /// Replaces a resource. With `metadata.resourceVersion` set, only if it is still the
    /// stored version (compare-and-swap).
    public func update(_ resource: any CalicoResource) async throws -> StoredResource {
        try await checkReferences(resource)
        let expected = try expectedRevision(resource)
        let kind = ResourceRegistry.kind(of: resource)
        var r = resource
        // Keep what the store set at creation.
        if let kind, let current = try? await get(kind, namespace: r.metadata.namespace, name: r.name) {
            Self.serverManaged(&r.metadata, uid: current.resource.metadata.uid, created: current.resource.metadata.creationTimestamp)
        } else {
            Self.serverManaged(&r.metadata, uid: r.metadata.uid, created: r.metadata.creationTimestamp)
        }
        let (key, value, prepared) = try prepare(r)
        do {
            let pair = try await call { try await self.kv.update(key, value: value, expectedRevision: expected) }
            return StoredResource(resource: withVersion(prepared, pair.modRevision), revision: pair.modRevision)
        } catch KVError.notFound {
            throw DatastoreError.notFound(id(prepared))
        } catch let KVError.conflict(_, e, actual) {
            if actual == nil { throw DatastoreError.notFound(id(prepared)) }
            throw DatastoreError.conflict(id(prepared), given: String(e), current: actual.map(String.init))
        }
    }

    /// Creates, or replaces when it exists (calicoctl apply).
    public func apply(_ resource: any CalicoResource) async throws -> StoredResource {
        do {
            return try await create(resource)
        } catch DatastoreError.alreadyExists {
            return try await update(resource)
        }
    }

    /// Deletes a resource and returns what was stored, or nil when the stored value no
    /// longer decoded (it is deleted all the same: that is how a bad value is removed).
    @discardableResult
    public func delete(_ kind: ResourceKind, namespace: String?, name: String, resourceVersion: String? = nil) async throws -> StoredResource? {
        let ns = kind.isNamespaced ? (namespace ?? "default") : nil
        let rid = ResourceID(kind: kind.kind, namespace: ns, name: name)
        if kind.kind == ClusterInformation.kindName { throw DatastoreError.notSupported(operation: "delete", identifier: "ClusterInformation", reason: nil) }
        if kind.kind == Tier.kindName, ["default", "adminnetworkpolicy"].contains(name) {
            throw DatastoreError.notSupported(operation: "delete", identifier: "\(rid)", reason: "tier \(name) cannot be deleted")
        }
        if kind.kind == Tier.kindName, try await tierHasPolicies(name) {
            throw DatastoreError.notSupported(operation: "delete", identifier: "\(rid)", reason: "tier \(name) still has policies; delete them first")
        }
        let expected = try resourceVersion.map { v -> Int64 in
            guard let r = Int64(v) else { throw DatastoreError.conflict(rid, given: v, current: nil) }
            return r
        }
        let key = ResourcePaths.key(kind, namespace: ns, name: ClientRules.lookupName(kind, name))
        do {
            let pair = try await call { try await self.kv.delete(key, expectedRevision: expected) }
            return try? decode(pair, kind: kind)
        } catch KVError.notFound {
            throw DatastoreError.notFound(rid)
        } catch let KVError.conflict(_, e, actual) {
            if actual == nil { throw DatastoreError.notFound(rid) }
            throw DatastoreError.conflict(rid, given: String(e), current: actual.map(String.init))
        }
    }

    func tierHasPolicies(_ tier: String) async throws -> Bool {
        for kindName in [NetworkPolicy.kindName, GlobalNetworkPolicy.kindName, StagedNetworkPolicy.kindName, StagedGlobalNetworkPolicy.kindName] {
            let kind = ResourceRegistry.kind(apiVersion: calicoAPIVersion, kind: kindName)!
            let (items, _) = try await list(kind, namespace: nil)
            if items.contains(where: { ClientRules.tier(of: $0.resource) == tier }) { return true }
        }
        return false
    }

    // MARK: Watch

    /// Every change to resources of `kinds` after `afterRevision`, in store order; then live.
    /// Resources carry their stored names (policies tier-prefixed), as delete events do.
    public func watch(kinds: [ResourceKind], afterRevision: Int64) -> AsyncThrowingStream<ResourceEvent, any Error> {
        let wanted = Set(kinds.map { ResourcePaths.prefix($0, namespace: nil) })
        let source = kv.watch(prefix: ResourcePaths.resourcesRoot, afterRevision: afterRevision)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in source {
                        guard let (kind, ns, name) = ResourcePaths.parse(event.key),
                              wanted.contains(ResourcePaths.prefix(kind, namespace: nil)) else { continue }
                        switch event {
                        case .put(let pair):
                            // Stored names in both puts and deletes, so consumers can match them.
                            continuation.yield(.put(try self.decode(pair, kind: kind, restoreName: false)))
                        case .delete(_, let rev):
                            continuation.yield(.delete(ResourceID(kind: kind.kind, namespace: ns, name: name), revision: rev))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The resource change a key-value event stands for (stored names), or nil for keys
    /// that are not resources (IPAM data).
    public func resourceEvent(_ event: KVEvent) throws -> ResourceEvent? {
        guard let (kind, ns, name) = ResourcePaths.parse(event.key) else { return nil }
        switch event {
        case .put(let pair): return .put(try decode(pair, kind: kind, restoreName: false))
        case .delete(_, let rev): return .delete(ResourceID(kind: kind.kind, namespace: ns, name: name), revision: rev)
        }
    }

    // MARK: Helpers

    func decode(_ pair: KVPair, kind: ResourceKind, restoreName: Bool = true) throws -> StoredResource {
        let value: Value
        do {
            value = try JSONReader.parse(pair.value)
        } catch {
            throw DatastoreError.corrupt("stored value at \(pair.key) does not parse: \(error)")
        }
        var resource: any CalicoResource
        do {
            resource = try StrictDecoder().decode(kind.type, from: value)
        } catch {
            throw DatastoreError.corrupt("stored value at \(pair.key) is not a valid \(kind.kind): \(error)")
        }
        // Restore the name the user gave (policies are stored tier-prefixed).
        if restoreName, let meta = resource.metadata.annotations?[ClientRules.metadataAnnotation],
           let doc = try? DocumentReader.documents(in: meta).first, case let .scalar(name, _, _)? = doc["name"] {
            resource.metadata.name = name
            resource.metadata.annotations?[ClientRules.metadataAnnotation] = nil
            if resource.metadata.annotations?.isEmpty == true { resource.metadata.annotations = nil }
        }
        return StoredResource(resource: withVersion(resource, pair.modRevision), revision: pair.modRevision)
    }

    func withVersion(_ r: any CalicoResource, _ revision: Int64) -> any CalicoResource {
        var r = r
        r.metadata.resourceVersion = String(revision)
        return r
    }

    func expectedRevision(_ r: any CalicoResource) throws -> Int64? {
        guard let v = r.metadata.resourceVersion, !v.isEmpty else { return nil }
        guard let rev = Int64(v) else {
            throw DatastoreError.validation(id(r), [FieldError(field: "metadata.resourceVersion", value: v, reason: "not a resourceVersion of this datastore")])
        }
        return rev
    }

    func id(_ r: any CalicoResource) -> ResourceID {
        ResourceID(kind: r.apiVersion == "networking.k8s.io/v1" ? "NetworkPolicy.networking.k8s.io" : r.kind, namespace: type(of: r).isNamespaced ? (r.metadata.namespace ?? "default") : nil, name: r.name)
    }

    /// Maps backend reachability errors to `DatastoreError`.
    func call<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let KVError.unavailable(endpoint, reason) {
            throw DatastoreError.unavailable(endpoint: endpoint, reason: reason)
        } catch let KVError.corrupt(message) {
            throw DatastoreError.corrupt(message)
        }
    }

    public static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}
