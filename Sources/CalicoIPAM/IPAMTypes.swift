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
