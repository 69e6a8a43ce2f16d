import CalicoAPI
import Foundation

// v1 endpoints, nodes, pools and peers → projectcalico.org/v3 (see V1Converters.swift).

enum V1EndpointConverters {
    /// Named `<node>.<name>` (normalized); expected IPs IPv4 first, then IPv6.
    static func hostEndpoint(_ h: V1HostEndpoint) throws(ConvertError) -> HostEndpoint {
        let m = h.metadata ?? V1HostEndpointMetadata(), s = h.spec ?? V1HostEndpointSpec()
        var v4: [String] = [], v6: [String] = []
        for text in s.expectedIPs ?? [] {
            let ip = try V1Parse.ip(text)
            if ip.family == .v4 { v4.append(ip.description) } else { v6.append(ip.description) }
        }
        let node = V1Names.normalize(m.node ?? "")
        let ports = (s.ports ?? []).map { EndpointPort(name: $0.name, protocol: $0.protocol.map(V1Rules.proto), port: $0.port) }
        let spec = HostEndpointSpec(node: Omit.empty(node), interfaceName: Omit.empty(s.interfaceName), expectedIPs: Omit.empty(v4 + v6),
                                    profiles: Omit.empty((s.profiles ?? []).map(V1Names.profile)), ports: Omit.empty(ports))
        let meta = ObjectMeta(name: V1Names.convert("\(node).\(m.name ?? "")"), labels: Omit.empty(m.labels))
        return HostEndpoint(metadata: meta, spec: spec)
    }

    /// Namespace `default` (a Kubernetes pod's own namespace for orchestrator `k8s`), the
    /// name built from node, orchestrator, workload/pod/container and endpoint.
    static func workloadEndpoint(_ w: V1WorkloadEndpoint) throws(ConvertError) -> WorkloadEndpoint {
        let m = w.metadata ?? V1WorkloadEndpointMetadata(), s = w.spec ?? V1WorkloadEndpointSpec()
        var v4: [String] = [], v6: [String] = []
        for text in s.ipNetworks ?? [] {
            let net = try V1Parse.net(text).network
            if net.family == .v4 { v4.append(net.description) } else { v6.append(net.description) }
        }
        var nat4: [IPNAT] = [], nat6: [IPNAT] = []
        for n in s.ipNATs ?? [] {
            let inside = try V1Parse.ip(n.internalIP ?? ""), external = try V1Parse.ip(n.externalIP ?? "")
            let nat = IPNAT(internalIP: inside.description, externalIP: external.description)
            if inside.family == .v4 { nat4.append(nat) } else { nat6.append(nat) }
        }
        var spec = WorkloadEndpointSpec()
        spec.ipNetworks = Omit.empty(v4 + v6)
        spec.ipNATs = Omit.empty(nat4 + nat6)
        spec.ipv4Gateway = try s.ipv4Gateway.map { text throws(ConvertError) in try V1Parse.ip(text).description }
        spec.ipv6Gateway = try s.ipv6Gateway.map { text throws(ConvertError) in try V1Parse.ip(text).description }
        spec.mac = try s.mac.map { text throws(ConvertError) in try V1Parse.mac(text) }

        var labels = m.labels ?? [:]
        if let ns = labels.removeValue(forKey: "calico/k8s_ns") { labels[V1Rules.namespaceLabel] = ns }
        var namespace = "default"
        let workloadID = m.workload ?? ""
        switch m.orchestrator ?? "" {
        case "k8s":
            guard let dot = workloadID.firstIndex(of: ".") else {
                throw ConvertError("malformed k8s workload ID '\(workloadID)': workload was not added through the Calico CNI plugin "
                    + "and cannot be converted")
            }
            namespace = String(workloadID[..<dot])
            spec.pod = Omit.empty(String(workloadID[workloadID.index(after: dot)...]))
            spec.containerID = Omit.empty(m.activeInstanceID)
        case "cni": spec.containerID = Omit.empty(workloadID)
        case "libnetwork": spec.workload = "libnetwork"
        default: spec.workload = Omit.empty(V1Names.convert(workloadID))
        }
        spec.orchestrator = Omit.empty(V1Names.convert(m.orchestrator ?? ""))
        spec.node = Omit.empty(V1Names.normalize(m.node ?? ""))
        spec.endpoint = Omit.empty(V1Names.convert(m.name ?? ""))
        spec.profiles = Omit.empty((s.profiles ?? []).map(V1Names.profile))
        spec.interfaceName = Omit.empty(s.interfaceName)
        // Ports keep their protocol as written, as upstream's converter does.
        spec.ports = Omit.empty((s.ports ?? []).map { WorkloadEndpointPort(name: $0.name, protocol: $0.protocol, port: $0.port) })
        let meta = ObjectMeta(name: try name(spec), namespace: namespace, labels: Omit.empty(labels))
        return WorkloadEndpoint(metadata: meta, spec: spec)
    }

    /// `<node>-<orchestrator>-<pod|containerID|workload>-<endpoint>`, each part's dashes doubled.
    static func name(_ spec: WorkloadEndpointSpec) throws(ConvertError) -> String {
        guard let node = spec.node else { throw ConvertError("error with field node = '<nil>' (field should be assigned)") }
        let orchestrator = spec.orchestrator ?? ""
        let third: (String, String?)
        switch orchestrator {
        case "k8s": third = ("pod", spec.pod)
        case "cni": third = ("containerID", spec.containerID)
        case "libnetwork": third = ("orchestrator", orchestrator)
        default: third = ("workload", spec.workload)
        }
        var parts: [String] = []
        let segments: [(String, String?)] = [("node", node), ("orchestrator", orchestrator), third, ("endpoint", spec.endpoint)]
        for (field, value) in segments {
            let v = value ?? ""
            guard !v.isEmpty else { throw ConvertError("error with field \(field) = '' (field should be assigned)") }
            if v.hasPrefix("-") { throw ConvertError("error with field \(field) = '\(v)' (field must not begin with a '-')") }
            if v.hasSuffix("-") { throw ConvertError("error with field \(field) = '\(v)' (field must not end with a '-')") }
            parts.append(v.replacingOccurrences(of: "-", with: "--"))
        }
        return parts.joined(separator: "-")
    }

    /// A node's BGP addresses keep their host part (`10.0.0.5/24`); a bare address is a /32 or /128.
    static func node(_ n: V1Node) throws(ConvertError) -> Node {
        let m = n.metadata ?? V1NodeMetadata(), s = n.spec ?? V1NodeSpec()
        var spec = NodeSpec()
        if let bgp = s.bgp {
            guard bgp.ipv4Address != nil || bgp.ipv6Address != nil else { throw ConvertError("Invalid NodeBGPSpec, missing address") }
            var out = NodeBGPSpec()
            out.asNumber = bgp.asNumber
            out.ipv4Address = try bgp.ipv4Address.map { text throws(ConvertError) in try V1Parse.net(text).description }
            out.ipv6Address = try bgp.ipv6Address.map { text throws(ConvertError) in try V1Parse.net(text).description }
            spec.bgp = out
        }
        spec.orchRefs = Omit.empty((s.orchRefs ?? []).map { OrchRef(nodeName: Omit.empty($0.nodeName), orchestrator: $0.orchestrator ?? "") })
        return Node(metadata: ObjectMeta(name: V1Names.normalize(m.name ?? "")), spec: spec, status: NodeStatus())
    }

    /// Named after its CIDR; IPIP from `ipip` (`cross-subnet` → CrossSubnet), VXLAN never,
    /// block size 26 or 122, all nodes, workloads and tunnels, automatic assignment.
    static func ipPool(_ p: V1IPPool) throws(ConvertError) -> IPPool {
        let m = p.metadata ?? V1IPPoolMetadata(), s = p.spec ?? V1IPPoolSpec()
        let cidr = try V1Parse.net(m.cidr ?? "")
        var spec = IPPoolSpec(cidr: cidr.description)
        if let ipip = s.ipip, ipip.enabled == true {
            spec.ipipMode = (ipip.mode ?? "").lowercased() == "cross-subnet" ? "CrossSubnet" : "Always"
        } else {
            spec.ipipMode = "Never"
        }
        spec.vxlanMode = "Never"
        spec.natOutgoing = s.natOutgoing == true ? true : nil
        spec.disabled = s.disabled == true ? true : nil
        spec.nodeSelector = "all()"
        spec.allowedUses = ["Workload", "Tunnel"]
        spec.blockSize = cidr.family == .v4 ? 26 : 122
        spec.assignmentMode = Omit.empty(s.assignmentMode) ?? "Automatic"
        return IPPool(metadata: ObjectMeta(name: V1Names.cidr(cidr.description)), spec: spec)
    }

    /// A global peer is named after its IP (`192-20-30-40`); a node's peer `<node>.<ip>`.
    static func bgpPeer(_ b: V1BGPPeer) throws(ConvertError) -> BGPPeer {
        let m = b.metadata ?? V1BGPPeerMetadata()
        let scope = m.scope ?? ""
        guard scope == "global" || scope == "node" else {
            if scope.isEmpty { throw ConvertError("insufficient identifiers, missing 'scope'") }
            throw .load("error with field Scope = '\(scope)' (Reason: failed to validate Field: Scope because of Tag: scopeglobalornode )")
        }
        guard let peer = m.peerIP, !peer.isEmpty else { throw ConvertError("no PeerIP is set, invalid BGPPeer") }
        let ip = try V1Parse.ip(peer)
        var spec = BGPPeerSpec()
        spec.peerIP = ip.description
        spec.asNumber = b.spec?.asNumber
        let node = m.node ?? ""
        if scope == "global" {
            guard node.isEmpty else { throw ConvertError("With Global scope having a Node is invalid") }
            return BGPPeer(metadata: ObjectMeta(name: V1Names.ip(ip)), spec: spec)
        }
        guard !node.isEmpty else { throw ConvertError("With Node scope a Node must be defined") }
        spec.node = V1Names.normalize(node)
        return BGPPeer(metadata: ObjectMeta(name: V1Names.normalize(node) + "." + V1Names.ip(ip)), spec: spec)
    }
}
