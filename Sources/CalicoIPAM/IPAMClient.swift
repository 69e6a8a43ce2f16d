import CalicoAPI
import CalicoDatastore
import CalicoSelector
import Foundation

/// Errors of IPAM operations, with upstream's wording where scripts match on it.
public enum IPAMError: Error, Sendable, CustomStringConvertible, Equatable {
    case noPools(family: Int)
    case exhausted(family: Int, requested: Int, assigned: Int, detail: String)
    case blockLimit(host: String, limit: Int)
    case notInPool(String)
    case alreadyAllocated(String)
    case notAllocated(String)
    case tooManyRetries
    case invalidConfig(String)

    public var description: String {
        switch self {
        case .noPools(let f): return "no configured Calico pools for node usable for IPv\(f) (check pools are enabled, selectors match the node, and allowedUses)"
        case let .exhausted(f, req, got, detail): return "Assigned \(got) out of \(req) requested IPv\(f) addresses; \(detail)"
        case let .blockLimit(host, limit): return "cannot allocate a new block for host \(host): limit of \(limit) affine blocks per host reached"
        case .notInPool(let ip): return "the IP address \(ip) is not in a configured pool"
        case .alreadyAllocated(let ip): return "the provided IP address \(ip) is already assigned"
        case .notAllocated(let ip): return "\(ip) is not assigned"
        case .tooManyRetries: return "Max retries hit - excessive concurrent IPAM requests"
        case .invalidConfig(let m): return m
        }
    }
}

/// What to allocate.
public struct AutoAssignRequest: Sendable {
    public var num4: Int
    public var num6: Int
    public var handleID: String
    public var attributes: [String: String]
    public var hostname: String
    /// Explicit pools (CIDRs or pool names); empty = choose by selectors.
    public var ipv4Pools: [String]
    public var ipv6Pools: [String]
    public var intendedUse: String
    /// Labels of the workload's namespace, for pools' namespaceSelector.
    public var namespaceLabels: [String: String]?
    public var maxBlocksPerHost: Int

    public init(num4: Int = 1, num6: Int = 0, handleID: String, attributes: [String: String] = [:], hostname: String,
                ipv4Pools: [String] = [], ipv6Pools: [String] = [], intendedUse: String = "Workload",
                namespaceLabels: [String: String]? = nil, maxBlocksPerHost: Int = 0) {
        self.num4 = num4
        self.num6 = num6
        self.handleID = handleID
        self.attributes = attributes
        self.hostname = hostname
        self.ipv4Pools = ipv4Pools
        self.ipv6Pools = ipv6Pools
        self.intendedUse = intendedUse
        self.namespaceLabels = namespaceLabels
        self.maxBlocksPerHost = maxBlocksPerHost
    }
}

/// Addresses assigned, each with its block's mask (e.g. `10.244.5.7/26`).
public struct AutoAssignResult: Sendable, Equatable {
    public var ipv4: [IPNet] = []
    public var ipv6: [IPNet] = []
}

/// The effective IPAM configuration.
public struct IPAMSettings: Sendable, Equatable {
    public var strictAffinity = false
    public var autoAllocateBlocks = true
    public var maxBlocksPerHost = 0
    public init() {}
}

/// Calico IPAM over the datastore: blocks, affinities and handles written with
/// compare-and-swap, so racing hosts never hand out one address twice.
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
        for _ in 0..<Self.maxRetries {
            guard let (block, revision) = try await readBlock(cidr) else { return [] }
            if let requireAffinity, block.affinity != requireAffinity { return [] }
            var b = block
            var picked: [Int] = []
            var keep: [Int] = []
            for ordinal in b.unallocated {
                if picked.count < count, let ip = b.address(ordinal), !reserved.contains(where: { $0.contains(ip) }) {
                    picked.append(ordinal)
                } else {
                    keep.append(ordinal)
                }
            }
            guard !picked.isEmpty else { return [] }
            b.unallocated = keep
            let attrIndex = attributeIndex(&b, AllocationAttribute(handleID: req.handleID, secondary: req.attributes))
            let seq = (b.sequenceNumber ?? 0) + 1
            b.sequenceNumber = seq
            var seqs = b.sequenceNumberForAllocation ?? [:]
            for o in picked {
                b.allocations[o] = attrIndex
                seqs[String(o)] = seq
            }
            b.sequenceNumberForAllocation = seqs
            try await adjustHandle(req.handleID, block: cidr, by: picked.count)
            do {
                _ = try await kv.update(IPAMKeys.block(cidr), value: try encode(b), expectedRevision: revision)
            } catch KVError.conflict {
                try await adjustHandle(req.handleID, block: cidr, by: -picked.count)
                continue
            } catch {
                try? await adjustHandle(req.handleID, block: cidr, by: -picked.count)
                throw error
            }
            return picked.compactMap { b.address($0).flatMap { IPNet(address: $0, prefixLength: cidr.prefixLength) } }
        }
        throw IPAMError.tooManyRetries
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
        for _ in 0..<Self.maxRetries {
            guard let (block, revision) = try await readBlock(cidr), let ordinal = block.ordinal(of: ip) else { throw IPAMError.notInPool(ip.description) }
            if settings.strictAffinity && block.affinity != affinity { throw IPAMError.notInPool(ip.description) }
            guard block.allocations[ordinal] == nil else { throw IPAMError.alreadyAllocated(ip.description) }
            var b = block
            b.unallocated.removeAll { $0 == ordinal }
            let index = attributeIndex(&b, AllocationAttribute(handleID: handleID, secondary: attributes))
            let seq = (b.sequenceNumber ?? 0) + 1
            b.sequenceNumber = seq
            b.allocations[ordinal] = index
            b.sequenceNumberForAllocation = (b.sequenceNumberForAllocation ?? [:]).merging([String(ordinal): seq]) { $1 }
            try await adjustHandle(handleID, block: cidr, by: 1)
            do {
                _ = try await kv.update(IPAMKeys.block(cidr), value: try encode(b), expectedRevision: revision)
                return IPNet(address: ip, prefixLength: cidr.prefixLength)!
            } catch KVError.conflict {
                try await adjustHandle(handleID, block: cidr, by: -1)
            }
        }
        throw IPAMError.tooManyRetries
    }

    /// Index of an identical attribute entry, appending one when new.
    func attributeIndex(_ b: inout AllocationBlock, _ attr: AllocationAttribute) -> Int {
        if let i = b.attributes.firstIndex(of: attr) { return i }
        b.attributes.append(attr)
        return b.attributes.count - 1
    }

    // MARK: Release

    /// Releases addresses; returns those that were not allocated.
    @discardableResult
    public func releaseIPs(_ ips: [IPAddress]) async throws -> [IPAddress] {
        var notAllocated: [IPAddress] = []
        let blocks = try await allBlocks()
        var byBlock: [IPNet: [IPAddress]] = [:]
        for ip in ips {
            guard let cidr = blocks.first(where: { $0.net?.contains(ip) ?? false })?.net else {
                notAllocated.append(ip)
                continue
            }
            byBlock[cidr, default: []].append(ip)
        }
        for (cidr, addresses) in byBlock {
            notAllocated += try await release(in: cidr) { block, ordinal in
                addresses.contains { block.ordinal(of: $0) == ordinal }
            }.notAllocated(addresses)
        }
        return notAllocated
    }

    /// Releases every address of a handle and deletes the handle. Missing handle = nothing to do.
    @discardableResult
    public func releaseByHandle(_ handleID: String) async throws -> Int {
        guard let pair = try await kv.get(IPAMKeys.handle(handleID)) else { return 0 }
        let handle: IPAMHandle = try decode(pair.value)
        var released = 0
        for cidrText in handle.block.keys.sorted() {
            guard let cidr = IPNet(cidrText) else { continue }
            released += try await release(in: cidr) { block, ordinal in
                guard let index = block.allocations[ordinal] else { return false }
                return block.attributes[index].handleID == handleID
            }.count
        }
        _ = try? await kv.delete(IPAMKeys.handle(handleID), expectedRevision: nil)
        return released
    }

    struct Released {
        var ordinals: [Int]
        var addresses: [IPAddress]
        var count: Int { ordinals.count }
        func notAllocated(_ asked: [IPAddress]) -> [IPAddress] { asked.filter { !addresses.contains($0) } }
    }

    /// Frees the ordinals `select` picks in one block (CAS, retried), garbage-collects
    /// attributes, decrements handles and deletes an empty, unowned block.
    func release(in cidr: IPNet, where select: @Sendable (AllocationBlock, Int) -> Bool) async throws -> Released {
        for _ in 0..<Self.maxRetries {
            guard let (block, revision) = try await readBlock(cidr) else { return Released(ordinals: [], addresses: []) }
            var b = block
            var freed: [Int] = []
            var handles: [String: Int] = [:]
            for (ordinal, index) in b.allocations.enumerated() {
                guard let index, select(block, ordinal) else { continue }
                freed.append(ordinal)
                if let h = b.attributes[index].handleID { handles[h, default: 0] += 1 }
                b.allocations[ordinal] = nil
                b.unallocated.append(ordinal)
                b.sequenceNumberForAllocation?[String(ordinal)] = nil
            }
            guard !freed.isEmpty else { return Released(ordinals: [], addresses: []) }
            compactAttributes(&b)
            b.sequenceNumber = (b.sequenceNumber ?? 0) + 1
            do {
                if b.isEmpty && b.affinity == nil {
                    _ = try await kv.delete(IPAMKeys.block(cidr), expectedRevision: revision)
                } else {
                    _ = try await kv.update(IPAMKeys.block(cidr), value: try encode(b), expectedRevision: revision)
                }
            } catch KVError.conflict {
                continue
            }
            for (h, n) in handles { try await adjustHandle(h, block: cidr, by: -n) }
            return Released(ordinals: freed, addresses: freed.compactMap { block.address($0) })
        }
        throw IPAMError.tooManyRetries
    }

    /// Drops attribute entries no allocation refers to, renumbering the rest.
    func compactAttributes(_ b: inout AllocationBlock) {
        let used = Set(b.allocations.compactMap { $0 })
        var remap: [Int: Int] = [:]
        var kept: [AllocationAttribute] = []
        for (i, a) in b.attributes.enumerated() where used.contains(i) {
            remap[i] = kept.count
            kept.append(a)
        }
        b.attributes = kept
        b.allocations = b.allocations.map { $0.flatMap { remap[$0] } }
    }

    /// Releases a host's block affinities: empty blocks are deleted; with `mustBeEmpty` false,
    /// non-empty blocks lose their owner (their addresses stay, the block becomes borrowable).
    public func releaseHostAffinities(host: String, mustBeEmpty: Bool) async throws {
        for family in [IPAddress.Family.v4, .v6] {
            for cidr in try await affineBlocks(host: host, family: family) {
                let key = IPAMKeys.affinity(host: host, cidr: cidr)
                _ = try await kv.transaction([.put(key: key, value: try encode(BlockAffinityValue(state: "pendingDeletion")))])
                if let (block, revision) = try await readBlock(cidr) {
                    if block.isEmpty {
                        _ = try? await kv.delete(IPAMKeys.block(cidr), expectedRevision: revision)
                    } else if mustBeEmpty {
                        _ = try await kv.transaction([.put(key: key, value: try encode(BlockAffinityValue(state: "confirmed")))])
                        continue
                    } else {
                        var b = block
                        b.affinity = nil
                        _ = try? await kv.update(IPAMKeys.block(cidr), value: try encode(b), expectedRevision: revision)
                    }
                }
                _ = try? await kv.delete(key, expectedRevision: nil)
            }
        }
    }

    // MARK: Handles

    /// Adds `delta` to a handle's count for `block` (CAS, retried); a handle at zero is deleted.
    func adjustHandle(_ id: String, block cidr: IPNet, by delta: Int) async throws {
        let key = IPAMKeys.handle(id)
        for _ in 0..<Self.maxRetries {
            let current = try await kv.get(key)
            var handle = try current.map { try decode($0.value) as IPAMHandle } ?? IPAMHandle(handleID: id)
            let name = cidr.description
            handle.block[name, default: 0] += delta
            if handle.block[name]! <= 0 { handle.block[name] = nil }
            do {
                if let current {
                    if handle.block.isEmpty {
                        _ = try await kv.delete(key, expectedRevision: current.modRevision)
                    } else {
                        _ = try await kv.update(key, value: try encode(handle), expectedRevision: current.modRevision)
                    }
                } else if !handle.block.isEmpty {
                    _ = try await kv.create(key, value: try encode(handle))
                }
                return
            } catch KVError.conflict, KVError.alreadyExists, KVError.notFound {
                continue
            }
        }
        throw IPAMError.tooManyRetries
    }

    // MARK: Reads

    public func readBlock(_ cidr: IPNet) async throws -> (block: AllocationBlock, revision: Int64)? {
        guard let pair = try await kv.get(IPAMKeys.block(cidr)) else { return nil }
        return (try decode(pair.value), pair.modRevision)
    }

    public func allBlocks() async throws -> [AllocationBlock] {
        var out: [AllocationBlock] = []
        for family in [IPAddress.Family.v4, .v6] {
            let (pairs, _) = try await kv.list(prefix: IPAMKeys.blockPrefix(family))
            for pair in pairs { out.append(try decode(pair.value)) }
        }
        return out
    }

    /// Handle and attributes of an allocated address, or nil when free.
    public func allocation(of ip: IPAddress) async throws -> AllocationAttribute? {
        for block in try await allBlocks() where block.net?.contains(ip) ?? false {
            guard let o = block.ordinal(of: ip), let index = block.allocations[o] else { return nil }
            return block.attributes[index]
        }
        return nil
    }

    public func ipsByHandle(_ id: String) async throws -> [IPAddress] {
        guard let pair = try await kv.get(IPAMKeys.handle(id)) else { return [] }
        let handle: IPAMHandle = try decode(pair.value)
        var out: [IPAddress] = []
        for cidrText in handle.block.keys {
            guard let cidr = IPNet(cidrText), let (block, _) = try await readBlock(cidr) else { continue }
            for (o, index) in block.allocations.enumerated() {
                if let index, block.attributes[index].handleID == id, let ip = block.address(o) { out.append(ip) }
            }
        }
        return out.sorted()
    }

    public func handles() async throws -> [IPAMHandle] {
        let (pairs, _) = try await kv.list(prefix: IPAMKeys.root + "handle/")
        return try pairs.map { try decode($0.value) }
    }

    // MARK: Coding

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(Emitter.json(try TreeEncoder().encode(value), indent: 0).utf8)
    }

    func decode<T: Decodable>(_ bytes: [UInt8]) throws -> T {
        try StrictDecoder().decode(T.self, from: try JSONReader.parse(bytes))
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

