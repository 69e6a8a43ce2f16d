import CalicoAPI
import CalicoDatastore
import CalicoSelector
import Foundation

/// Errors of IPAM operations, with upstream's wording where scripts match on it.
extension IPAMClient {
    // MARK: Release

    /// Releases addresses; returns those that were not allocated.
    @discardableResult
    public func releaseIPs(_ ips: [IPAddress]) async throws -> [IPAddress] {
        try await releaseIPs(ips.map { ReleaseOptions(address: $0) })
    }

    /// An address to release, only while it is still held by `handle` under `sequenceNumber`
    /// when they are given (upstream's ReleaseOptions: a report's leak is not released once the
    /// address was allocated again).
    public struct ReleaseOptions: Sendable, Hashable {
        public var address: IPAddress
        public var handle: String?
        public var sequenceNumber: UInt64?
        public init(address: IPAddress, handle: String? = nil, sequenceNumber: UInt64? = nil) {
            self.address = address
            self.handle = handle
            self.sequenceNumber = sequenceNumber
        }
    }

    /// Releases addresses; returns those that were not allocated (or no longer as given).
    @discardableResult
    public func releaseIPs(_ options: [ReleaseOptions]) async throws -> [IPAddress] {
        var notAllocated: [IPAddress] = []
        let blocks = try await allBlocks()
        var byBlock: [IPNet: [ReleaseOptions]] = [:]
        for o in options {
            guard let cidr = blocks.first(where: { $0.net?.contains(o.address) ?? false })?.net else {
                notAllocated.append(o.address)
                continue
            }
            byBlock[cidr, default: []].append(o)
        }
        for (cidr, wanted) in byBlock {
            notAllocated += try await release(in: cidr) { block, ordinal in
                wanted.contains { o in
                    guard block.ordinal(of: o.address) == ordinal, let index = block.allocations[ordinal] else { return false }
                    if let h = o.handle, index < block.attributes.count, block.attributes[index].handleID != h { return false }
                    if let seq = o.sequenceNumber, let now = block.sequenceNumberForAllocation?[String(ordinal)], now != seq { return false }
                    return true
                }
            }.notAllocated(wanted.map(\.address))
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
        try await retryingOnConflict { () async throws -> Released? in
            guard let (block, revision) = try await readBlock(cidr) else { return Released(ordinals: [], addresses: []) }
            var b = block
            let (freed, handles) = b.release(where: select)
            guard !freed.isEmpty else { return Released(ordinals: [], addresses: []) }
            do {
                if b.isEmpty && b.affinity == nil {
                    _ = try await kv.delete(IPAMKeys.block(cidr), expectedRevision: revision)
                } else {
                    _ = try await kv.update(IPAMKeys.block(cidr), value: try encode(b), expectedRevision: revision)
                }
            } catch KVError.conflict {
                return nil
            }
            for (h, n) in handles { try await adjustHandle(h, block: cidr, by: -n) }
            return Released(ordinals: freed, addresses: freed.compactMap { block.address($0) })
        }
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
}
