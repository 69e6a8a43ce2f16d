import CalicoAPI
import CalicoSelector

/// One BGP session of this node, as BIRD's `protocol bgp` renders it (upstream confd's peer
/// JSON, resolved).
public struct BIRDPeer: Sendable, Equatable {
    public enum Kind: String, Sendable { case mesh = "Mesh", global = "Global", node = "Node" }
    public var kind: Kind
    public var address: String
    public var port: Int?
    public var asNumber: ASNumber
    /// `localASNumber` of the peering (nil: this node's AS).
    public var localAS: ASNumber?
    public var passive = false
    public var rrClient = false
    public var ttlSecurity: Int?
    /// `source address` (this node's address, unless `sourceAddress: None`).
    public var sourceAddress: String?
    /// `next hop self` / `next hop keep`.
    public var nextHop: String?
    public var restartTime: Int?
    public var allowLocalAS: Int?
    public var reachableBy: String?
    public var filters: [String] = []
    public var password: String?
    /// What the session comes from (`BGPPeer tor`, `the node-to-node mesh`), for the log.
    public var origin = ""

    /// `Mesh_198_51_100_2`, `Global_fd00__1_port_1790`, …
    public var name: String {
        let id = address.map { $0 == "." || $0 == ":" ? "_" : $0 }
        return "\(kind.rawValue)_\(String(id))" + (port.map { "_port_\($0)" } ?? "")
    }
}

/// Upstream's peer computation (`updatePeersV1`) for one node and family: the node-to-node
/// mesh, then global peers, then node-scoped ones (and automatic reverse peerings); the first
/// session of a name wins. `problems` names what was skipped and why.
public struct BGPPeerCalculator {
    public let inputs: BGPInputs
    public let family: BGPFamily

    public init(_ inputs: BGPInputs, family: BGPFamily) {
        self.inputs = inputs
        self.family = family
    }

    public func peers() -> (peers: [BIRDPeer], problems: [String]) {
        guard let me = inputs.me, let mine = family.address(of: me) else { return ([], []) }
        var out: [BIRDPeer] = []
        var names: Set<String> = []
        var problems: [String] = []
        func add(_ session: BIRDPeer, from resource: String) {
            guard session.address != mine.address.description else { return }
            var p = session
            p.origin = resource
            if names.insert(p.name).inserted { out.append(p) } else if p.kind != .mesh {
                problems.append("\(resource): a session named \(p.name) exists already; skipped")
            }
        }
        let myAS = inputs.asNumber(of: me)
        let myCluster = me.spec.bgp?.routeReflectorClusterID
        let myIP = mine.address.description

        if inputs.meshEnabled && myCluster == nil {
            let (meshPassword, problem) = inputs.password(inputs.meshPassword, of: "BGPConfiguration nodeMeshPassword")
            if let problem, inputs.nodes.count > 1 { problems.append(problem) }
            for n in inputs.nodes.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) where n.metadata.name != inputs.hostname {
                guard n.spec.bgp?.routeReflectorClusterID == nil, let a = family.address(of: n) else { continue }
                let ip = a.address.description
                let port = inputs.listenPort(n.metadata.name ?? "")
                var p = BIRDPeer(kind: .mesh, address: ip, port: port == BGPInputs.defaultPort ? nil : port, asNumber: inputs.asNumber(of: n))
                p.sourceAddress = myIP
                p.passive = ip > myIP
                p.restartTime = duration(inputs.global?.nodeMeshMaxRestartTime)
                p.password = meshPassword
                add(p, from: "the node-to-node mesh")
            }
        }
        let ordered = inputs.peers.filter { $0.spec.node == nil && $0.spec.nodeSelector == nil }
            + inputs.peers.filter { $0.spec.node != nil || $0.spec.nodeSelector != nil }
        for bgpPeer in ordered {
            let resource = "BGPPeer \(bgpPeer.metadata.name ?? "")"
            let s = bgpPeer.spec
            let global = s.node == nil && s.nodeSelector == nil
            let localSide: (Node) -> Bool
            do {
                localSide = try selects(node: s.node, selector: s.nodeSelector)
            } catch {
                problems.append("\(resource): \(error); skipped")
                continue
            }
            // Remote side: a selector of nodes, or an address.
            let passwordProblem = inputs.password(s.password, of: resource).problem
            let sessionsBefore = out.count
            defer { if let passwordProblem, out.count > sessionsBefore { problems.append(passwordProblem) } }
            var remotes: [(ip: String, port: Int?, asNumber: ASNumber, cluster: String?, calicoNode: Bool)] = []
            if let sel = s.peerSelector {
                guard let selector = try? Selector.parse(sel) else {
                    problems.append("\(resource): peerSelector \(sel) does not parse; skipped")
                    continue
                }
                // Reverse peering: a node the peer selects peers back with the local side's nodes.
                if s.reversePeering != "Manual", selector.matches(me.metadata.labels ?? [:]) {
                    for n in inputs.nodes where n.metadata.name != inputs.hostname && localSide(n) {
                        guard let a = family.address(of: n) else { continue }
                        let port = inputs.listenPort(n.metadata.name ?? "")
                        var p = peer(kind: .node, ip: a.address.description, port: port == BGPInputs.defaultPort ? nil : port,
                                     peerAS: inputs.asNumber(of: n), cluster: n.spec.bgp?.routeReflectorClusterID, calicoNode: true,
                                     spec: s, myIP: myIP, myAS: myAS, myCluster: myCluster)
                        p.localAS = nil
                        add(p, from: resource)
                    }
                }
                guard localSide(me) else { continue }
                for n in inputs.nodes where n.metadata.name != inputs.hostname && selector.matches(n.metadata.labels ?? [:]) {
                    guard let a = family.address(of: n) else { continue }
                    let port = inputs.listenPort(n.metadata.name ?? "")
                    remotes.append((a.address.description, port == BGPInputs.defaultPort ? nil : port, inputs.asNumber(of: n),
                                    n.spec.bgp?.routeReflectorClusterID, true))
                }
            } else if let text = s.peerIP {
                guard localSide(me) else { continue }
                guard let (ip, port) = Self.parsePeerIP(text) else {
                    problems.append("\(resource): peerIP \(text) is not an address or address:port; skipped")
                    continue
                }
                guard family.contains(ip) else { continue }
                let node = inputs.nodes.first { n in BGPFamily.allCases.contains { $0.address(of: n)?.address.description == ip } }
                remotes.append((ip, port, s.asNumber ?? node.map(inputs.asNumber(of:)) ?? inputs.globalAS,
                                node?.spec.bgp?.routeReflectorClusterID, node != nil))
            }
            for r in remotes {
                add(peer(kind: global ? .global : .node, ip: r.ip, port: r.port, peerAS: r.asNumber, cluster: r.cluster,
                         calicoNode: r.calicoNode, spec: s, myIP: myIP, myAS: myAS, myCluster: myCluster), from: resource)
            }
        }
        return (out, problems)
    }

    private func selects(node: String?, selector: String?) throws -> (Node) -> Bool {
        if let node { return { $0.metadata.name == node } }
        if let text = selector {
            let sel = try Selector.parse(text)
            return { sel.matches($0.metadata.labels ?? [:]) }
        }
        return { _ in true }
    }

    private func peer(kind: BIRDPeer.Kind, ip: String, port: Int?, peerAS: ASNumber, cluster: String?, calicoNode: Bool,
                      spec s: BGPPeerSpec, myIP: String, myAS: ASNumber, myCluster: String?) -> BIRDPeer {
        var p = BIRDPeer(kind: kind, address: ip, port: port, asNumber: peerAS)
        p.localAS = s.localASNumber
        let localAS = s.localASNumber ?? myAS
        p.passive = kind == .global && calicoNode && ip > myIP
        p.rrClient = peerAS == localAS && myCluster != nil && cluster != myCluster
        p.ttlSecurity = s.ttlSecurity.flatMap { $0 > 0 ? $0 : nil }
        p.sourceAddress = s.sourceAddress == "None" ? nil : myIP
        switch s.nextHopMode {
        case "Self": p.nextHop = "self"
        case "Keep": p.nextHop = "keep"
        default: if s.keepOriginalNextHop == true && peerAS != localAS { p.nextHop = "keep" }
        }
        p.restartTime = duration(s.maxRestartTime)
        p.allowLocalAS = s.numAllowedLocalASNumbers.flatMap { $0 > 0 ? Int($0) : nil }
        p.reachableBy = s.reachableBy
        p.filters = s.filters ?? []
        p.password = inputs.password(s.password, of: "").password
        return p
    }

    /// `10.0.0.1`, `10.0.0.1:1790`, `fd00::1`, `[fd00::1]:1790`.
    static func parsePeerIP(_ text: String) -> (String, Int?)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let ip = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard IPAddress(ip) != nil else { return nil }
            if rest.isEmpty { return (ip, nil) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return (ip, port)
        }
        if IPAddress(text) != nil { return (text, nil) }
        let parts = text.split(separator: ":")
        guard parts.count == 2, IPAddress(String(parts[0])) != nil, let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return (String(parts[0]), port)
    }

    /// `120s`, `2m`, `1h30m` → whole seconds.
    func duration(_ text: String?) -> Int? {
        guard let text, !text.isEmpty else { return nil }
        return GoDuration.seconds(text).map { Int($0) }
    }
}
