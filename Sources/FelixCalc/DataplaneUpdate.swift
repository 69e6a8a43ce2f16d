import CalicoAPI

/// Identifies a policy for the dataplane: its tier and its stored name (namespaced policies as
/// `<namespace>/<name>`, staged ones prefixed `staged:`).
public struct PolicyID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var tier: String
    public var name: String
    public init(tier: String, name: String) {
        self.tier = tier
        self.name = name
    }
    public static func < (a: PolicyID, b: PolicyID) -> Bool { (a.tier, a.name) < (b.tier, b.name) }
    public var description: String { "\(tier)/\(name)" }
}

/// A local endpoint's identity.
public enum EndpointID: Hashable, Sendable, Comparable, CustomStringConvertible {
    case workload(namespace: String, name: String)
    case host(name: String)

    public var description: String {
        switch self {
        case let .workload(ns, name): return "wep:\(ns)/\(name)"
        case let .host(name): return "hep:\(name)"
        }
    }
    public static func < (a: EndpointID, b: EndpointID) -> Bool { a.description < b.description }
}

/// What an IP set holds.
public enum IPSetType: String, Sendable {
    /// CIDRs and addresses (selector sets).
    case net
    /// `addr,proto:port` members (named ports).
    case ipAndPort
}

/// A rule with its selectors turned into IP-set ids, as the dataplane renders it.
public struct ParsedRule: Hashable, Sendable {
    public var action: String  // allow, deny, log, next-tier
    public var ipVersion: Int?
    public var `protocol`: String?
    public var notProtocol: String?
    public var srcNets: [String] = []
    public var notSrcNets: [String] = []
    public var dstNets: [String] = []
    public var notDstNets: [String] = []
    public var srcPorts: [String] = []
    public var notSrcPorts: [String] = []
    public var dstPorts: [String] = []
    public var notDstPorts: [String] = []
    public var srcNamedPortIPSetIDs: [String] = []
    public var notSrcNamedPortIPSetIDs: [String] = []
    public var dstNamedPortIPSetIDs: [String] = []
    public var notDstNamedPortIPSetIDs: [String] = []
    public var srcIPSetIDs: [String] = []
    public var notSrcIPSetIDs: [String] = []
    public var dstIPSetIDs: [String] = []
    public var notDstIPSetIDs: [String] = []
    public var icmpType: Int?
    public var icmpCode: Int?
    public var notICMPType: Int?
    public var notICMPCode: Int?
    /// Selectors as translated (for flow logs and debugging).
    public var originalSrcSelector: String?
    public var originalDstSelector: String?
    public var ruleID: String = ""

    public init(action: String) { self.action = action }
}

/// A policy as the dataplane needs it.
public struct ActivePolicy: Hashable, Sendable {
    public var namespace: String?
    public var inbound: [ParsedRule]
    public var outbound: [ParsedRule]
    public var untracked: Bool
    public var preDNAT: Bool
    /// Staged policies are sent (for pending-verdict computation) but never enforced.
    public var staged: Bool
    public var originalSelector: String

    public init(namespace: String?, inbound: [ParsedRule], outbound: [ParsedRule], untracked: Bool, preDNAT: Bool, staged: Bool, originalSelector: String) {
        self.namespace = namespace
        self.inbound = inbound
        self.outbound = outbound
        self.untracked = untracked
        self.preDNAT = preDNAT
        self.staged = staged
        self.originalSelector = originalSelector
    }
}

/// One tier's policies applying to an endpoint, in order.
public struct TierInfo: Hashable, Sendable {
    public var name: String
    public var ingressPolicies: [PolicyID]
    public var egressPolicies: [PolicyID]
    /// `Deny` or `Pass`.
    public var defaultAction: String

    public init(name: String, ingressPolicies: [PolicyID], egressPolicies: [PolicyID], defaultAction: String) {
        self.name = name
        self.ingressPolicies = ingressPolicies
        self.egressPolicies = egressPolicies
        self.defaultAction = defaultAction
    }
}

/// A local endpoint with its ordered tiers.
public struct EndpointUpdate: Equatable, Sendable {
    public var id: EndpointID
    /// Interface name (`*` for an all-interfaces host endpoint).
    public var interfaceName: String
    public var mac: String?
    public var profileIDs: [String]
    public var ipv4Nets: [String]
    public var ipv6Nets: [String]
    public var tiers: [TierInfo]
    /// Host endpoints only.
    public var untrackedTiers: [TierInfo] = []
    public var preDNATTiers: [TierInfo] = []
    public var forwardTiers: [TierInfo] = []
    /// Effective QoS controls: the endpoint's own annotations over matching QoSPolicies.
    public var qosControls: QoSControls?
    /// Where each set QoS field came from (`ingressBandwidth` → `QoSPolicy voice`).
    public var qosSources: [String: QoSSource] = [:]

    public init(id: EndpointID, interfaceName: String, mac: String?, profileIDs: [String], ipv4Nets: [String], ipv6Nets: [String],
                tiers: [TierInfo], qosControls: QoSControls? = nil) {
        self.id = id
        self.interfaceName = interfaceName
        self.mac = mac
        self.profileIDs = profileIDs
        self.ipv4Nets = ipv4Nets
        self.ipv6Nets = ipv6Nets
        self.tiers = tiers
        self.qosControls = qosControls
    }
}

/// The ordered output of the calculation graph (upstream's Felix messages).
public enum DataplaneUpdate: Equatable, Sendable {
    case inSync
    case configUpdate([String: String])
    case ipSetUpdate(id: String, type: IPSetType, members: [String])
    case ipSetDelta(id: String, added: [String], removed: [String])
    case ipSetRemove(id: String)
    case activePolicyUpdate(PolicyID, ActivePolicy)
    case activePolicyRemove(PolicyID)
    case activeProfileUpdate(name: String, inbound: [ParsedRule], outbound: [ParsedRule])
    case activeProfileRemove(name: String)
    case endpointUpdate(EndpointUpdate)
    case endpointRemove(EndpointID)
    case routeUpdate(RouteUpdate)
    case routeRemove(dst: String)
    /// A Calico node's addresses (every node, this one included).
    case hostMetadataUpdate(HostMetadata)
    case hostMetadataRemove(name: String)
    /// An IP pool as NAT outgoing and encapsulation need it.
    case ipPoolUpdate(IPPoolInfo)
    case ipPoolRemove(cidr: String)
    /// A node's VXLAN tunnel endpoint (this node's too: it configures the local device).
    case vtepUpdate(VTEP)
    case vtepRemove(node: String)
}

/// A node's underlay addresses, with their prefix length (`198.51.100.1/24`).
public struct HostMetadata: Hashable, Sendable {
    public var name: String
    public var ipv4: String?
    public var ipv6: String?

    public init(name: String, ipv4: String?, ipv6: String?) {
        self.name = name
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }
}

/// An enabled IP pool (upstream's IPAMPoolUpdate).
public struct IPPoolInfo: Hashable, Sendable {
    public var cidr: String
    public var natOutgoing: Bool
    /// `Always`, `CrossSubnet` or `Never`.
    public var vxlanMode: String
    public var ipipMode: String
    /// LoadBalancer-only pools are not workload address space.
    public var workloads: Bool

    public init(cidr: String, natOutgoing: Bool, vxlanMode: String, ipipMode: String, workloads: Bool) {
        self.cidr = cidr
        self.natOutgoing = natOutgoing
        self.vxlanMode = vxlanMode
        self.ipipMode = ipipMode
        self.workloads = workloads
    }
}

/// A VXLAN tunnel endpoint (upstream's VXLANTunnelEndpointUpdate): the node's underlay
/// address (the parent), its tunnel address and the device's MAC, per family.
public struct VTEP: Hashable, Sendable {
    public var node: String
    public var parentIPv4: String?
    public var tunnelIPv4: String?
    public var macV4: String?
    public var parentIPv6: String?
    public var tunnelIPv6: String?
    public var macV6: String?

    public init(node: String, parentIPv4: String?, tunnelIPv4: String?, macV4: String?,
                parentIPv6: String? = nil, tunnelIPv6: String? = nil, macV6: String? = nil) {
        self.node = node
        self.parentIPv4 = parentIPv4
        self.tunnelIPv4 = tunnelIPv4
        self.macV4 = macV4
        self.parentIPv6 = parentIPv6
        self.tunnelIPv6 = tunnelIPv6
        self.macV6 = macV6
    }
}

/// A route the dataplane should program (or know about), as upstream's RouteUpdate.
public struct RouteUpdate: Hashable, Sendable {
    public enum Kind: String, Sendable {
        /// A block or address whose workloads live on this node.
        case localWorkload = "LOCAL_WORKLOAD"
        /// A block or borrowed address whose workloads live on another node.
        case remoteWorkload = "REMOTE_WORKLOAD"
        /// An IP pool's CIDR (for NAT and encapsulation decisions).
        case cidrInfo = "CIDR_INFO"
    }
    public var dst: String
    public var kind: Kind
    public var dstNodeName: String?
    public var dstNodeIP: String?
    /// `NONE`, `NO_ENCAP`, `VXLAN` or `IPIP`.
    public var poolType: String
    public var natOutgoing: Bool
    /// For a local workload's own /32: its interface.
    public var interfaceName: String?
    public var borrowed: Bool
    /// Whether the destination node's address is in this node's subnet (VXLAN CrossSubnet
    /// and no-encap pools route directly then).
    public var sameSubnet: Bool
    /// The pool's `vxlanMode` (`Always`, `CrossSubnet`, `Never`).
    public var vxlanMode: String

    public init(dst: String, kind: Kind, dstNodeName: String?, dstNodeIP: String?, poolType: String, natOutgoing: Bool,
                interfaceName: String?, borrowed: Bool, sameSubnet: Bool = false, vxlanMode: String = "Never") {
        self.sameSubnet = sameSubnet
        self.vxlanMode = vxlanMode
        self.dst = dst
        self.kind = kind
        self.dstNodeName = dstNodeName
        self.dstNodeIP = dstNodeIP
        self.poolType = poolType
        self.natOutgoing = natOutgoing
        self.interfaceName = interfaceName
        self.borrowed = borrowed
    }
}
