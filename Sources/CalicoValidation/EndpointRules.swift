import CalicoAPI

enum EndpointRules {
    static func validate(_ hep: HostEndpoint, into p: inout Problems) {
        let spec = FieldPath("spec")
        let s = hep.spec
        if (s.node ?? "").isEmpty {
            // Upstream names InterfaceName here.
            p.report(spec["node"], "", "node is required", as: "InterfaceName", "no node has been specified")
        } else if !Formats.isName(s.node!) {
            p.tag(spec["node"], s.node!, "node must be a DNS-1123 name", tag: "name")
        }
        if let iface = s.interfaceName, !iface.isEmpty, !Formats.isInterface(iface) {
            p.tag(spec["interfaceName"], iface, "interface name must be '*' or 1-15 characters of [a-zA-Z0-9_.-]", tag: "interface")
        }
        if (s.interfaceName ?? "").isEmpty && (s.expectedIPs ?? []).isEmpty {
            p.report(spec["interfaceName"], nil, "either interfaceName or expectedIPs must be set", as: "InterfaceName",
                     "no interface or expected IPs have been specified")
        }
        for (i, ip) in (s.expectedIPs ?? []).enumerated() where IPAddress(ip) == nil {
            p.tag(spec["expectedIPs"][i], ip, "must be an IP address", tag: "ip")
        }
        for (i, profile) in (s.profiles ?? []).enumerated() where !Formats.isName(profile) {
            p.tag(spec["profiles"][i], profile, "profile name must be a DNS-1123 name", tag: "name")
        }
        for (i, port) in (s.ports ?? []).enumerated() {
            validateEndpointPort(name: port.name, nameRequired: true, protocol: port.protocol, port: port.port,
                                 path: spec["ports"][i], into: &p)
        }
        QoSRules.validateAnnotations(hep.metadata.annotations, path: FieldPath("metadata")["annotations"], into: &p)
    }

    /// A host endpoint's port (upstream's EndpointPort; `workload` for a WorkloadEndpointPort,
    /// whose name may be empty when a hostPort is set).
    static func validateEndpointPort(name: String?, nameRequired: Bool, workload: Bool = false, protocol proto: IPProtocol?,
                                     port: Int?, path: FieldPath, into p: inout Problems) {
        let kind = workload ? "WorkloadEndpointPort" : "EndpointPort"
        if let name, !name.isEmpty {
            if let problem = Port.nameProblem(name) { p.tag(path["name"], name, problem, tag: "portName") }
        } else if nameRequired {
            if workload {
                p.report(path["name"], nil, "port name is required", as: "WorkloadEndpointPort.Name",
                         "WorkloadEndpointPort name must not be empty if no HostPort is specified", upstreamValue: "")
            } else {
                p.tag(path["name"], nil, "port name is required", tag: "portName", upstreamValue: "")
            }
        }
        if let proto {
            RuleRules.validateProtocol(proto, path: path["protocol"], into: &p)
            if !proto.supportsPorts {
                p.report(path["protocol"], proto.description, "protocol must be TCP, UDP or SCTP", as: "\(kind).Protocol",
                         "\(kind) protocol does not support ports.")
            }
        } else {
            // Upstream sees the zero protocol, number 0.
            p.report(path["protocol"], nil, "protocol is required", as: "Protocol", "protocol number invalid", upstreamValue: "0")
        }
        if let port, !(1...65535).contains(port) {
            p.tag(path["port"], String(port), "port must be 1-65535", tag: "gt")
        } else if port == nil {
            p.tag(path["port"], nil, "port is required", tag: "gt", upstreamValue: "0")
        }
    }

    static func validate(_ wep: WorkloadEndpoint, into p: inout Problems) {
        let spec = FieldPath("spec")
        let s = wep.spec
        for (field, value) in [("node", s.node), ("serviceAccountName", s.serviceAccountName)] {
            if let v = value, !v.isEmpty, !Formats.isName(v) { p.tag(spec[field], v, "must be a DNS-1123 name", tag: "name") }
        }
        if let c = s.containerID, !c.isEmpty, !Formats.isContainerID(c) {
            p.tag(spec["containerID"], c, "container ID must be alphanumeric with inner '-'", tag: "containerID")
        }
        if (s.interfaceName ?? "").isEmpty {
            p.tag(spec["interfaceName"], "", "interfaceName is required", tag: "interface")
        } else if !Formats.isInterface(s.interfaceName!) || s.interfaceName == "*" {
            // Upstream's `interface` tag accepts "*"; refusing it here has no upstream words.
            if s.interfaceName == "*" {
                p.add(spec["interfaceName"], "*", "interface name must be 1-15 characters of [a-zA-Z0-9_.-]")
            } else {
                p.tag(spec["interfaceName"], s.interfaceName!, "interface name must be 1-15 characters of [a-zA-Z0-9_.-]", tag: "interface")
            }
        }
        if let mac = s.mac, !mac.isEmpty, !Formats.isMAC(mac) { p.tag(spec["mac"], mac, "invalid MAC address", tag: "mac") }
        var networks: [IPNet] = []
        for (i, n) in (s.ipNetworks ?? []).enumerated() {
            guard let net = IPNet(n) else {
                p.tag(spec["ipNetworks"][i], n, "must be an IP address or CIDR", tag: "net")
                continue
            }
            if net.prefixLength != net.address.bitLength {
                p.report(spec["ipNetworks"][i], n, "must be a single address (/32 or /128)", as: "IPNetworks",
                         "IP network contains multiple addresses", upstreamValue: Upstream.list(s.ipNetworks ?? []))
            }
            networks.append(net)
        }
        for (i, nat) in (s.ipNATs ?? []).enumerated() {
            let at = spec["ipNATs"][i]
            let internalIP = nat.internalIP.flatMap(IPAddress.init)
            let externalIP = nat.externalIP.flatMap(IPAddress.init)
            let internalText = nat.internalIP ?? "", externalText = nat.externalIP ?? ""
            // Upstream: the `ip` tag for a malformed address; its struct check for an empty one
            // (named InternalIP and printing the external IP, for either side).
            if internalIP == nil {
                if internalText.isEmpty {
                    p.report(at["internalIP"], "", "must be an IP address", as: "InternalIP", "invalid IP address", upstreamValue: externalText)
                } else {
                    p.tag(at["internalIP"], internalText, "must be an IP address", tag: "ip")
                }
            }
            if externalIP == nil {
                if externalText.isEmpty {
                    p.report(at["externalIP"], "", "must be an IP address", as: "InternalIP", "invalid IP address", upstreamValue: externalText)
                } else {
                    p.tag(at["externalIP"], externalText, "must be an IP address", tag: "ip")
                }
            }
            if let a = internalIP, let b = externalIP, a.family != b.family {
                p.report(at, nil, "internal and external IP must be the same IP version", as: "ExternalIP", "mismatched IP versions",
                         upstreamValue: externalText)
            }
            if let a = internalIP, !networks.contains(where: { $0.contains(a) }) {
                let nats = (s.ipNATs ?? []).map { "{\($0.internalIP ?? "") \($0.externalIP ?? "")}" }
                p.report(at["internalIP"], nat.internalIP!, "internal IP must be one of the endpoint's ipNetworks", as: "IPNATs",
                         "NAT is not in the endpoint networks", upstreamValue: "[" + nats.joined(separator: " ") + "]")
            }
        }
        if let g = s.ipv4Gateway, !g.isEmpty, IPAddress(g)?.family != .v4 {
            p.tag(spec["ipv4Gateway"], g, "must be an IPv4 address", tag: "ipv4")
        }
        if let g = s.ipv6Gateway, !g.isEmpty, IPAddress(g)?.family != .v6 {
            p.tag(spec["ipv6Gateway"], g, "must be an IPv6 address", tag: "ipv6")
        }
        for (i, profile) in (s.profiles ?? []).enumerated() where !Formats.isName(profile) {
            p.tag(spec["profiles"][i], profile, "profile name must be a DNS-1123 name", tag: "name")
        }
        for (i, port) in (s.ports ?? []).enumerated() {
            let at = spec["ports"][i]
            validateEndpointPort(name: port.name, nameRequired: (port.hostPort ?? 0) == 0, workload: true, protocol: port.protocol,
                                 port: port.port, path: at, into: &p)
            // A hostPort outside 0-65535 fails upstream's decode (uint16): no validator words.
            if let hp = port.hostPort, !(0...65535).contains(hp) { p.add(at["hostPort"], String(hp), "hostPort must be 0-65535") }
            if let hip = port.hostIP, !hip.isEmpty, IPAddress(hip) == nil { p.tag(at["hostIP"], hip, "must be an IP address", tag: "net") }
        }
        for (i, c) in (s.allowSpoofedSourcePrefixes ?? []).enumerated() where IPNet(c) == nil {
            // Upstream's tag is `ip` (it refuses CIDRs, which are accepted here).
            p.tag(spec["allowSpoofedSourcePrefixes"][i], c, "must be a CIDR", tag: "ip")
        }
        if let qos = s.qosControls { QoSRules.validate(qos, path: spec["qosControls"], into: &p) }
        QoSRules.validateAnnotations(wep.metadata.annotations, path: FieldPath("metadata")["annotations"], into: &p)
    }

    static func validate(_ profile: Profile, into p: inout Problems) {
        let spec = FieldPath("spec")
        for (i, r) in (profile.spec.ingress ?? []).enumerated() {
            RuleRules.validate(r, direction: .ingress, path: spec["ingress"][i], into: &p)
        }
        for (i, r) in (profile.spec.egress ?? []).enumerated() {
            RuleRules.validate(r, direction: .egress, path: spec["egress"][i], into: &p)
        }
        MetadataRules.validateLabels(profile.spec.labelsToApply, path: spec["labelsToApply"], style: .tag("labels"), into: &p)
    }

    static func validateNetworkSet(_ meta: ObjectMeta, _ spec: NetworkSetSpec, into p: inout Problems) {
        if meta.labels?["projectcalico.org/namespace"] != nil {
            p.report(FieldPath("metadata")["labels"]["projectcalico.org/namespace"], nil, "label projectcalico.org/namespace is reserved",
                     as: "Metadata.Labels (label)", "projectcalico.org/namespace is not a valid label name",
                     upstreamValue: "projectcalico.org/namespace")
        }
        for (i, n) in (spec.nets ?? []).enumerated() where IPNet(n) == nil {
            p.tag(FieldPath("spec")["nets"][i], n, "must be an IP address or CIDR", tag: "cidr")
        }
    }
}
