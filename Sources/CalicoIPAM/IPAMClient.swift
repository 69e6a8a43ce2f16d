import CalicoAPI
import CalicoDatastore
import CalicoSelector
import Foundation

/// Errors of IPAM operations, with upstream's wording where scripts match on it.
public struct IPAMClient: Sendable {
    public let datastore: Datastore
    var kv: any KVStore { datastore.kv }
    static let maxRetries = 100
    static let defaultBlockLimit = 20

    public init(datastore: Datastore) { self.datastore = datastore }

    // MARK: Configuration

    public func settings() async throws -> IPAMSettings {
        var s = IPAMSettings()
        let kind = ResourceRegistry.kind(named: "ipamconfiguration")!
        if let c = try? await datastore.get(kind, namespace: nil, name: "default").resource as? IPAMConfiguration {
            s.strictAffinity = c.spec.strictAffinity ?? false
            s.autoAllocateBlocks = c.spec.autoAllocateBlocks ?? true
            s.maxBlocksPerHost = Int(c.spec.maxBlocksPerHost ?? 0)
        }
        return s
    }

    public func setSettings(_ s: IPAMSettings) async throws {
        if !s.strictAffinity && !s.autoAllocateBlocks {
            throw IPAMError.invalidConfig("Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time")
        }
        if s.maxBlocksPerHost > 0 && !s.strictAffinity {
            throw IPAMError.invalidConfig("MaxBlocksPerHost requires StrictAffinity to be enabled")
        }
        var c = IPAMConfiguration(metadata: ObjectMeta(name: "default"),
                                  spec: IPAMConfigurationSpec(strictAffinity: s.strictAffinity, maxBlocksPerHost: Int32(s.maxBlocksPerHost)))
        c.spec.autoAllocateBlocks = s.autoAllocateBlocks
        _ = try await datastore.apply(c)
    }

    // MARK: Pools and reservations

    public func pools() async throws -> [IPPool] {
        let kind = ResourceRegistry.kind(named: "ippool")!
        return try await datastore.list(kind, namespace: nil).items.compactMap { $0.resource as? IPPool }
    }

    func reservations() async throws -> [IPNet] {
        let kind = ResourceRegistry.kind(named: "ipreservation")!
        let items = try await datastore.list(kind, namespace: nil).items.compactMap { $0.resource as? IPReservation }
        return items.flatMap { ($0.spec.reservedCIDRs ?? []).compactMap { IPNet($0)?.network } }
    }

    func nodeLabels(_ host: String) async -> [String: String] {
        let kind = ResourceRegistry.kind(named: "node")!
        return (try? await datastore.get(kind, namespace: nil, name: host).resource.metadata.labels ?? [:]) ?? [:]
    }

    /// The pools a request may use for one family, in order, from `pools` (read once per
    /// request). The node's labels are read into `nodeLabels` when first needed: one read for
    /// both families, none when no pool selects nodes.
    func usablePools(_ family: IPAddress.Family, from pools: [IPPool], requested: [String], use: String, host: String,
                     namespaceLabels: [String: String]?,
                     nodeLabels cachedLabels: inout [String: String]?) async throws -> [(pool: IPPool, net: IPNet, blockSize: Int)] {
        let all = pools.compactMap { p -> (IPPool, IPNet, Int)? in
            guard let net = p.spec.cidr.flatMap({ IPNet($0) }), net.family == family, !(p.spec.disabled ?? false) else { return nil }
            return (p, net, p.spec.blockSize ?? (family == .v4 ? 26 : 122))
        }
        if !requested.isEmpty {
            return try requested.map { want in
                let wantNet = IPNet(want)?.network
                guard let match = all.first(where: { candidate in candidate.0.name == want || wantNet == candidate.1 }) else {
                    throw IPAMError.invalidConfig("the requested pool \(want) is not an enabled IPv\(family.rawValue) pool")
                }
                return match
            }
        }
        // The node's labels matter only to a selector other than all() (the default).
        let selective = all.contains { pool, _, _ in
            let sel = (pool.spec.nodeSelector ?? "").trimmingCharacters(in: .whitespaces)
            return !sel.isEmpty && sel != "all()"
        }
        let labels: [String: String]
        if let cachedLabels {
            labels = cachedLabels
        } else if selective {
            labels = await nodeLabels(host)
            cachedLabels = labels
        } else {
            labels = [:]
        }
        return all.filter { pool, _, _ in
            if (pool.spec.assignmentMode ?? "Automatic") != "Automatic" { return false }
            if let sel = pool.spec.nodeSelector, !sel.isEmpty, !((try? Selector.parse(sel))?.matches(labels) ?? false) { return false }
            if let sel = pool.spec.namespaceSelector, !sel.isEmpty {
                guard let ns = namespaceLabels, (try? Selector.parse(sel))?.matches(ns) ?? false else { return false }
            }
            return (pool.spec.allowedUses ?? ["Workload", "Tunnel"]).contains(use)
        }
    }

    // MARK: Assignment

    public func autoAssign(_ req: AutoAssignRequest) async throws -> AutoAssignResult {
        var result = AutoAssignResult()
        // Configuration, reservations, pools and the node's labels: read once for the whole request.
        let settings = try await settings()
        let reserved = try await reservations()
        let allPools = try await pools()
        var nodeLabels: [String: String]? = nil
        for (family, count, requested) in [(IPAddress.Family.v4, req.num4, req.ipv4Pools), (.v6, req.num6, req.ipv6Pools)] where count > 0 {
            let pools = try await usablePools(family, from: allPools, requested: requested, use: req.intendedUse, host: req.hostname,
                                              namespaceLabels: req.namespaceLabels, nodeLabels: &nodeLabels)
            guard !pools.isEmpty else { throw IPAMError.noPools(family: family.rawValue) }
            let ips = try await assign(family: family, count: count, req: req, pools: pools, settings: settings, reserved: reserved)
            if family == .v4 { result.ipv4 = ips } else { result.ipv6 = ips }
        }
        return result
    }

    func affinityString(_ req: AutoAssignRequest) -> String {
        req.intendedUse == "LoadBalancer" ? "virtual:load-balancer" : "host:\(req.hostname)"
    }

    func assign(family: IPAddress.Family, count: Int, req: AutoAssignRequest, pools: [(pool: IPPool, net: IPNet, blockSize: Int)],
                settings: IPAMSettings, reserved: [IPNet]) async throws -> [IPNet] {
        var out: [IPNet] = []
        let affinity = affinityString(req)
        func inUsablePool(_ cidr: IPNet) -> Bool { pools.contains { $0.net.contains(cidr.address) } }
        // 1. This host's affine blocks.
        let affine = try await affineBlocks(host: req.hostname, family: family)
        for cidr in affine where out.count < count && inUsablePool(cidr) {
            out += try await assignFromBlock(cidr, count: count - out.count, req: req, reserved: reserved, requireAffinity: affinity)
        }
        // 2. New blocks.
        var limit = Self.defaultBlockLimit
        let limits = [req.maxBlocksPerHost, settings.maxBlocksPerHost].filter { $0 > 0 }
        if let m = limits.min() { limit = m }
        var ownedBlocks = affine.count
        while out.count < count && settings.autoAllocateBlocks {
            if ownedBlocks >= limit {
                if out.isEmpty && settings.strictAffinity { throw IPAMError.blockLimit(host: req.hostname, limit: limit) }
                break
            }
            guard let cidr = try await claimNewBlock(pools: pools, host: req.hostname, affinity: affinity, reserved: reserved) else { break }
            ownedBlocks += 1
            out += try await assignFromBlock(cidr, count: count - out.count, req: req, reserved: reserved, requireAffinity: affinity)
        }
        // 3. Borrow from any block of a usable pool (not with strict affinity).
        if out.count < count && !settings.strictAffinity {
            let (pairs, _) = try await kv.list(prefix: IPAMKeys.blockPrefix(family))
            for pair in pairs where out.count < count {
                guard let cidr = IPAMKeys.blockCIDR(fromKey: pair.key), inUsablePool(cidr) else { continue }
                out += try await assignFromBlock(cidr, count: count - out.count, req: req, reserved: reserved, requireAffinity: nil)
            }
        }
        if out.count < count {
            if out.count > 0 { _ = try? await releaseIPs(out.map(\.address)) }
            let detail = settings.strictAffinity && ownedBlocks >= limit
                ? "No more free affine blocks and strict affinity enabled"
                : "No IPs available in pools: \(pools.map { $0.net.description })"
            throw IPAMError.exhausted(family: family.rawValue, requested: count, assigned: 0, detail: detail)
        }
        return out
    }

    /// CIDRs of the blocks affine to `host` (confirmed or pending claims of this host).
    public func affineBlocks(host: String, family: IPAddress.Family) async throws -> [IPNet] {
        let (pairs, _) = try await kv.list(prefix: IPAMKeys.affinityPrefix(host: host, family: family))
        return pairs.compactMap { IPAMKeys.blockCIDR(fromKey: $0.key) }
    }

    /// Picks an unclaimed block CIDR in the pools (walking from a host-seeded random start) and
    /// claims it: pending affinity → create block → confirmed affinity.
    func claimNewBlock(pools: [(pool: IPPool, net: IPNet, blockSize: Int)], host: String, affinity: String,
                       reserved: [IPNet]) async throws -> IPNet? {
        for (_, net, blockSize) in pools {
            let (existing, _) = try await kv.list(prefix: IPAMKeys.blockPrefix(net.family))
            let taken = Set(existing.map(\.key))
            let n = IPMath.blockCount(in: net, blockSize: blockSize)
            var rng = SplitMix64(seed: fnv1(host))
            let start = Int(rng.next() % UInt64(n))
            for step in 0..<min(n, 1 << 20) {
                guard let cidr = IPMath.block(in: net, blockSize: blockSize, index: (start + step) % n) else { continue }
                if taken.contains(IPAMKeys.block(cidr)) { continue }
                if reserved.contains(where: { $0.prefixLength <= cidr.prefixLength && $0.contains(cidr.address) }) { continue }
                if try await claim(cidr, host: host, affinity: affinity) { return cidr }
            }
        }
        return nil
    }

    /// The claim protocol; false when another host won the block.
    func claim(_ cidr: IPNet, host: String, affinity: String) async throws -> Bool {
        let type = affinity.hasPrefix("virtual:") ? "virtual" : "host"
        let owner = String(affinity.split(separator: ":", maxSplits: 1).last ?? "")
        let affinityKey = IPAMKeys.affinity(host: owner, cidr: cidr, type: type)
        _ = try await kv.transaction([.put(key: affinityKey, value: try encode(BlockAffinityValue(state: "pending")))])
        let block = AllocationBlock(cidr: cidr, affinity: affinity, sequence: UInt64(Date().timeIntervalSince1970 * 1e9))
        do {
            _ = try await kv.create(IPAMKeys.block(cidr), value: try encode(block))
        } catch KVError.alreadyExists {
            if let current = try await readBlock(cidr), current.block.affinity == affinity {
                _ = try await kv.transaction([.put(key: affinityKey, value: try encode(BlockAffinityValue(state: "confirmed")))])
                return true
            }
            _ = try? await kv.delete(affinityKey, expectedRevision: nil)
            return false
        }
        _ = try await kv.transaction([.put(key: affinityKey, value: try encode(BlockAffinityValue(state: "confirmed")))])
        return true
    }

    /// Assigns up to `count` free, unreserved addresses of one block (CAS with retries): the
    /// handle is incremented first, then the block written.
    func assignFromBlock(_ cidr: IPNet, count: Int, req: AutoAssignRequest, reserved: [IPNet], requireAffinity: String?) async throws -> [IPNet] {
        try await retryingOnConflict { () async throws -> [IPNet]? in
            guard let (block, revision) = try await readBlock(cidr), block.isOwned(by: requireAffinity) else { return [] }
            var b = block
            let picked = b.assign(count: count, attribute: AllocationAttribute(handleID: req.handleID, secondary: req.attributes), reserved: reserved)
            guard !picked.isEmpty else { return [] }
            try await adjustHandle(req.handleID, block: cidr, by: picked.count)
            do {
                _ = try await kv.update(IPAMKeys.block(cidr), value: try encode(b), expectedRevision: revision)
            } catch KVError.conflict {
                try await adjustHandle(req.handleID, block: cidr, by: -picked.count)
                return nil
            } catch {
                try? await adjustHandle(req.handleID, block: cidr, by: -picked.count)
                throw error
            }
            return picked.compactMap { b.address($0).flatMap { IPNet(address: $0, prefixLength: cidr.prefixLength) } }
        }
    }

    /// Assigns one specific address (claiming its block for `host` when the block is new).
    public func assignIP(_ ip: IPAddress, handleID: String, attributes: [String: String], hostname: String) async throws -> IPNet {
        let settings = try await settings()
        // Any enabled pool containing the address (selectors do not apply to explicit IPs).
        let containing = try await pools().compactMap { p -> Int? in
            guard let n = p.spec.cidr.flatMap({ IPNet($0) }), n.contains(ip), !(p.spec.disabled ?? false) else { return nil }
            return p.spec.blockSize ?? (ip.family == .v4 ? 26 : 122)
        }
        guard let blockSize = containing.first else { throw IPAMError.notInPool(ip.description) }
        let cidr = IPNet(address: ip.masked(to: blockSize), prefixLength: blockSize)!
        let affinity = "host:\(hostname)"
        if try await readBlock(cidr) == nil {
            _ = try await claim(cidr, host: hostname, affinity: affinity)
        }
        return try await retryingOnConflict { () async throws -> IPNet? in
            guard let (block, revision) = try await readBlock(cidr), let ordinal = block.ordinal(of: ip) else { throw IPAMError.notInPool(ip.description) }
            if settings.strictAffinity && block.affinity != affinity { throw IPAMError.notInPool(ip.description) }
            var b = block
            try b.assign(ordinal: ordinal, attribute: AllocationAttribute(handleID: handleID, secondary: attributes), address: ip.description)
            try await adjustHandle(handleID, block: cidr, by: 1)
            do {
                _ = try await kv.update(IPAMKeys.block(cidr), value: try encode(b), expectedRevision: revision)
                return IPNet(address: ip, prefixLength: cidr.prefixLength)!
            } catch KVError.conflict {
                try await adjustHandle(handleID, block: cidr, by: -1)
                return nil
            }
        }
    }

}


/// 32-bit FNV-1 of a string (upstream seeds the block search with it).
func fnv1(_ s: String) -> UInt64 {
    var h: UInt32 = 2_166_136_261
    for b in s.utf8 {
        h = h &* 16_777_619
        h ^= UInt32(b)
    }
    return UInt64(h)
}

