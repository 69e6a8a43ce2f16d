import CalicoAPI

/// One allocation's owner: the handle and free-form attributes (`node`, `pod`, `namespace`,
/// `timestamp`, `type`).
public struct AllocationAttribute: Codable, Sendable, Equatable {
    public var handleID: String?
    public var secondary: [String: String]?

    enum CodingKeys: String, CodingKey {
        case handleID = "handle_id"
        case secondary
    }

    public init(handleID: String?, secondary: [String: String]?) {
        self.handleID = handleID
        self.secondary = secondary
    }
}

/// An IPAM block as upstream stores it at `/calico/ipam/v2/assignment/ipv<N>/block/<cidr-dashed>`.
public struct AllocationBlock: Codable, Sendable, Equatable {
    public var cidr: String
    /// `host:<node>`, `virtual:<name>` or nil (borrowable, unowned).
    public var affinity: String?
    public var strictAffinity: Bool?
    /// Per ordinal: nil = free, else an index into `attributes`.
    public var allocations: [Int?]
    /// Free ordinals, a FIFO: allocation takes from the front, release appends.
    public var unallocated: [Int]
    public var attributes: [AllocationAttribute]
    public var deleted: Bool?
    public var sequenceNumber: UInt64?
    public var sequenceNumberForAllocation: [String: UInt64]?

    public init(cidr: IPNet, affinity: String?, sequence: UInt64) {
        self.cidr = cidr.description
        self.affinity = affinity
        let size = 1 << (cidr.address.bitLength - cidr.prefixLength)
        allocations = Array(repeating: nil, count: size)
        unallocated = Array(0..<size)
        attributes = []
        sequenceNumber = sequence
        sequenceNumberForAllocation = [:]
        strictAffinity = false
        deleted = false
    }

    public var net: IPNet? { IPNet(cidr) }
    public var size: Int { allocations.count }
    public var inUse: Int { size - unallocated.count }
    public var isEmpty: Bool { unallocated.count == size }

    /// The address of an ordinal.
    public func address(_ ordinal: Int) -> IPAddress? {
        guard let net else { return nil }
        return IPMath.add(net.address, ordinal)
    }

    /// The ordinal of an address inside this block.
    public func ordinal(of ip: IPAddress) -> Int? {
        guard let net, net.contains(ip) else { return nil }
        return IPMath.offset(ip, from: net.address)
    }
}

/// A host's claim on a block, at `/calico/ipam/v2/<host|virtual>/<host>/ipv<N>/block/<cidr-dashed>`.
public struct BlockAffinityValue: Codable, Sendable, Equatable {
    /// `pending`, `confirmed`, `pendingDeletion` (empty = confirmed).
    public var state: String?
    public var deleted: Bool?
    public init(state: String, deleted: Bool = false) {
        self.state = state
        self.deleted = deleted
    }
}

/// The blocks a handle has addresses in, at `/calico/ipam/v2/handle/<id>`.
public struct IPAMHandle: Codable, Sendable, Equatable {
    public var handleID: String
    public var block: [String: Int]
    public var deleted: Bool?
    public init(handleID: String, block: [String: Int] = [:]) {
        self.handleID = handleID
        self.block = block
        deleted = false
    }
}

/// Key layout of the IPAM objects (upstream etcdv3).
public enum IPAMKeys {
    public static let root = "/calico/ipam/v2/"

    /// `10.244.5.0/26` → `10.244.5.0-26`
    public static func dashed(_ cidr: IPNet) -> String { "\(cidr.address)-\(cidr.prefixLength)" }

    public static func blockPrefix(_ family: IPAddress.Family) -> String {
        "\(root)assignment/ipv\(family.rawValue)/block/"
    }

    public static func block(_ cidr: IPNet) -> String { blockPrefix(cidr.family) + dashed(cidr) }

    /// Parses a block key back to its CIDR.
    public static func blockCIDR(fromKey key: String) -> IPNet? {
        guard let last = key.split(separator: "/").last, let dash = last.lastIndex(of: "-") else { return nil }
        return IPNet("\(last[..<dash])/\(last[last.index(after: dash)...])")
    }

    public static func affinityPrefix(host: String, family: IPAddress.Family, type: String = "host") -> String {
        "\(root)\(type)/\(host)/ipv\(family.rawValue)/block/"
    }

    public static func affinity(host: String, cidr: IPNet, type: String = "host") -> String {
        affinityPrefix(host: host, family: cidr.family, type: type) + dashed(cidr)
    }

    public static func handle(_ id: String) -> String { "\(root)handle/\(id)" }
}

/// Address arithmetic over `IPAddress` bytes.
public enum IPMath {
    public static func add(_ ip: IPAddress, _ n: Int) -> IPAddress? {
        var bytes = ip.bytes
        var carry = n
        var i = bytes.count - 1
        while carry > 0 && i >= 0 {
            let sum = Int(bytes[i]) + (carry & 0xff)
            bytes[i] = UInt8(sum & 0xff)
            carry = (carry >> 8) + (sum >> 8)
            i -= 1
        }
        if carry > 0 { return nil }
        return IPAddress(bytes: bytes)
    }

    /// `ip - base` when it fits an Int (block-sized offsets).
    public static func offset(_ ip: IPAddress, from base: IPAddress) -> Int? {
        guard ip.family == base.family else { return nil }
        var diff = 0
        var borrow = 0
        var factor = 1
        for i in stride(from: ip.bytes.count - 1, through: 0, by: -1) {
            var d = Int(ip.bytes[i]) - Int(base.bytes[i]) - borrow
            borrow = 0
            if d < 0 { d += 256; borrow = 1 }
            if factor > (1 << 40) {
                if d != 0 { return nil }
            } else {
                diff += d * factor
                factor *= 256
            }
        }
        return borrow == 0 ? diff : nil
    }

    /// The `index`-th block of size `/blockSize` inside `pool`.
    public static func block(in pool: IPNet, blockSize: Int, index: Int) -> IPNet? {
        let shift = pool.address.bitLength - blockSize
        guard shift >= 0, shift < 62 else { return nil }
        guard let base = add(pool.address, index << shift) else { return nil }
        return IPNet(address: base, prefixLength: blockSize)
    }

    /// Number of `/blockSize` blocks in `pool` (capped for huge IPv6 pools).
    public static func blockCount(in pool: IPNet, blockSize: Int) -> Int {
        let bits = blockSize - pool.prefixLength
        return bits >= 30 ? 1 << 30 : 1 << max(bits, 0)
    }
}
