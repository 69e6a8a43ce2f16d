import CalicoAPI
import CalicoDatastore
import CalicoSelector
import Foundation

/// Errors of IPAM operations, with upstream's wording where scripts match on it.
extension IPAMClient {
    // MARK: Handles

    /// Adds `delta` to a handle's count for `block` (CAS, retried); a handle at zero is deleted.
    func adjustHandle(_ id: String, block cidr: IPNet, by delta: Int) async throws {
        let key = IPAMKeys.handle(id)
        try await retryingOnConflict { () async throws -> Bool? in
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
                return true
            } catch KVError.conflict, KVError.alreadyExists, KVError.notFound {
                return nil
            }
        }
    }

    /// The one compare-and-swap loop: `attempt` reads, changes and writes with the revision
    /// it read, returning nil when the write lost a race; it is tried again up to
    /// `maxRetries` times.
    @discardableResult
    func retryingOnConflict<T>(_ attempt: () async throws -> T?) async throws -> T {
        for _ in 0..<Self.maxRetries {
            if let result = try await attempt() { return result }
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
