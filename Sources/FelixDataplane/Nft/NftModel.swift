import FelixCalc

/// An IP family's `calico` table: `ip calico` or `ip6 calico`.
public enum IPFamily: Int, Sendable, Hashable, CaseIterable {
    case v4 = 4
    case v6 = 6

    /// The nft family keyword (`ip`, `ip6`).
    public var nftFamily: String { self == .v4 ? "ip" : "ip6" }
    /// The address match keyword (`ip saddr`, `ip6 saddr`).
    var addressKeyword: String { self == .v4 ? "ip" : "ip6" }
    var addressType: String { self == .v4 ? "ipv4_addr" : "ipv6_addr" }
    var icmpKeyword: String { self == .v4 ? "icmp" : "icmpv6" }
    var icmpProtocolNumber: Int { self == .v4 ? 1 : 58 }
    /// The digit in IP-set names (`cali40…`, `cali60…`).
    var setDigit: String { self == .v4 ? "4" : "6" }

    func contains(_ address: String) -> Bool { (self == .v6) == address.contains(":") }
}

/// A base chain's hook.
public struct BaseChainHook: Hashable, Sendable {
    public var type: String
    public var hook: String
    public var priority: Int

    var declaration: String { "{ type \(type) hook \(hook) priority \(priority); policy accept; }" }
}

/// A chain with its full rule list (rule bodies without comments; the table adds the
/// `cali:<hash>` comment that identifies each rule).
public struct NftChain: Hashable, Sendable {
    public let name: String
    public let rules: [String]
    public let hook: BaseChainHook?
    /// One hash per rule, chained so that each depends on its position (as upstream's
    /// `cali:` comments): a changed or moved rule changes its hash and all after it.
    public let ruleHashes: [String]

    public init(name: String, rules: [String], hook: BaseChainHook? = nil) {
        self.name = name
        self.rules = rules
        self.hook = hook
        var previous = name
        ruleHashes = rules.map { body in
            let h = StableHash.hex(previous + "\u{1}" + body)
            previous = h
            return h
        }
    }
}

/// What an nft set holds.
public enum NftSetKind: String, Sendable, Hashable {
    /// Addresses and CIDRs (interval set).
    case net
    /// `address . protocol . port` (named ports).
    case addressPort
}

/// An nft set in the table, with its members in canonical text (`10.0.0.1/32`,
/// `10.0.0.0/24`, `10.0.0.1,tcp:8080`).
public struct NftSet: Hashable, Sendable {
    public var name: String
    public var kind: NftSetKind
    public var members: Set<String>
}

/// Everything Felix wants in one family's `calico` table.
public struct NftRuleset: Sendable, Equatable {
    public var chains: [String: NftChain] = [:]
    public var sets: [String: NftSet] = [:]
    /// Verdict maps (`ifname : verdict`): map name → interface → verdict (`goto <chain>`).
    public var maps: [String: [String: String]] = [:]

    public init() {}
}
