import CalicoAPI

/// What one node's BIRD configuration is rendered from (upstream confd's key space, as values):
/// every Node, the BGP configurations (`default` and `node.<name>`), peers, pools, this node's
/// confirmed block affinities and the BGP filters.
public struct BGPInputs: Sendable, Equatable {
    public var hostname: String
    public var nodes: [Node]
    public var configurations: [BGPConfiguration]
    public var peers: [BGPPeer]
    public var pools: [IPPool]
    /// CIDRs of the blocks affine to this node (confirmed).
    public var blocks: [String]
    public var filters: [BGPFilter]
    /// The secrets BGP passwords name, read: `<secret name>/<key>` → the password.
    public var secrets: [String: String]

    public init(hostname: String, nodes: [Node] = [], configurations: [BGPConfiguration] = [], peers: [BGPPeer] = [],
                pools: [IPPool] = [], blocks: [String] = [], filters: [BGPFilter] = [], secrets: [String: String] = [:]) {
        self.hostname = hostname
        self.nodes = nodes
        self.configurations = configurations
        self.peers = peers
        self.pools = pools
        self.blocks = blocks
        self.filters = filters
        self.secrets = secrets
    }

    /// `<secret name>/<key>` of a password reference, when it names both.
    public static func secretPath(_ source: SecretSource?) -> String? {
        guard let ref = source?.secretKeyRef, let name = ref.name, !name.isEmpty, let key = ref.key, !key.isEmpty else { return nil }
        return name + "/" + key
    }

    /// Every secret a password refers to: BGPPeers' `password` and the mesh password.
    public var referencedSecrets: [String] {
        Array(Set(peers.compactMap { Self.secretPath($0.spec.password) } + configurations.compactMap { Self.secretPath($0.spec.nodeMeshPassword) })).sorted()
    }

    /// A password as BIRD can take it, or why not. BIRD strings cannot hold `"` nor a line break.
    func password(_ source: SecretSource?, of resource: String) -> (password: String?, problem: String?) {
        guard source?.secretKeyRef != nil else { return (nil, nil) }
        guard let path = Self.secretPath(source) else {
            return (nil, "\(resource): password secretKeyRef needs a name and a key; the session has no password")
        }
        guard let value = secrets[path] else {
            return (nil, "\(resource): password secret \(path) cannot be read; the session has no password")
        }
        guard !value.isEmpty, !value.contains("\""), !value.contains(where: \.isNewline), value.utf8.count <= 80 else {
            return (nil, "\(resource): password secret \(path) is empty, longer than 80 bytes or holds a quote or line break, which BIRD cannot take; the session has no password")
        }
        return (value, nil)
    }

    /// The cluster default: AS 64512.
    public static let defaultAS = ASNumber(64512)
    public static let defaultPort = 179

    var global: BGPConfigurationSpec? { configurations.first { $0.metadata.name == "default" }?.spec }
    func nodeConfig(_ name: String) -> BGPConfigurationSpec? { configurations.first { $0.metadata.name == "node.\(name)" }?.spec }

    /// This node's Node resource.
    public var me: Node? { nodes.first { $0.metadata.name == hostname } }

    var globalAS: ASNumber { global?.asNumber ?? Self.defaultAS }
    /// A node's AS: its own, else the cluster's.
    func asNumber(of node: Node) -> ASNumber { node.spec.bgp?.asNumber ?? globalAS }
    var meshEnabled: Bool { global?.nodeToNodeMeshEnabled ?? true }
    /// The mesh password: this node's configuration's, else the cluster's.
    var meshPassword: SecretSource? { nodeConfig(hostname)?.nodeMeshPassword ?? global?.nodeMeshPassword }
    /// The listen port for a node (its own configuration, else the cluster's, else 179).
    func listenPort(_ name: String) -> Int { nodeConfig(name)?.listenPort ?? global?.listenPort ?? Self.defaultPort }
}

/// An address family of a BIRD configuration.
public enum BGPFamily: Sendable, CaseIterable {
    case v4, v6

    var channel: String { self == .v4 ? "ipv4" : "ipv6" }
    var suffix: String { self == .v4 ? "4" : "6" }
    var maxPrefix: Int { self == .v4 ? 32 : 128 }

    func address(of node: Node) -> IPNet? {
        (self == .v4 ? node.spec.bgp?.ipv4Address : node.spec.bgp?.ipv6Address).flatMap { IPNet($0) }
    }

    func contains(_ cidr: String) -> Bool { (cidr.contains(":")) == (self == .v6) }
}
