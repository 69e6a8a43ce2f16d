import CalicoAPI

enum EndpointRules {
    static func validate(_ hep: HostEndpoint, into p: inout Problems) {
        let spec = FieldPath("spec")
        let s = hep.spec
        if (s.node ?? "").isEmpty {
            p.add(spec["node"], "node is required")
        } else if !Formats.isName(s.node!) {
            p.add(spec["node"], s.node!, "node must be a DNS-1123 name")
        }
        if let iface = s.interfaceName, !iface.isEmpty, !Formats.isInterface(iface) {
            p.add(spec["interfaceName"], iface, "interface name must be '*' or 1-15 characters of [a-zA-Z0-9_.-]")
        }
        if (s.interfaceName ?? "").isEmpty && (s.expectedIPs ?? []).isEmpty {
            p.add(spec["interfaceName"], "either interfaceName or expectedIPs must be set")
        }
        for (i, ip) in (s.expectedIPs ?? []).enumerated() where IPAddress(ip) == nil {
            p.add(spec["expectedIPs"][i], ip, "must be an IP address")
        }
        for (i, profile) in (s.profiles ?? []).enumerated() where !Formats.isName(profile) {
            p.add(spec["profiles"][i], profile, "profile name must be a DNS-1123 name")
        }
        for (i, port) in (s.ports ?? []).enumerated() {
            validateEndpointPort(name: port.name, nameRequired: true, protocol: port.protocol, port: port.port,
                                 path: spec["ports"][i], into: &p)
        }
        QoSRules.validateAnnotations(hep.metadata.annotations, path: FieldPath("metadata")["annotations"], into: &p)
    }

    static func validateEndpointPort(name: String?, nameRequired: Bool, protocol proto: IPProtocol?, port: Int?,
                                     path: FieldPath, into p: inout Problems) {
        if let name, !name.isEmpty {
            if let problem = Port.nameProblem(name) { p.add(path["name"], name, problem) }
        } else if nameRequired {
            p.add(path["name"], "port name is required")
        }
        if let proto {
            RuleRules.validateProtocol(proto, path: path["protocol"], into: &p)
            if !proto.supportsPorts { p.add(path["protocol"], proto.description, "protocol must be TCP, UDP or SCTP") }
        } else {
            p.add(path["protocol"], "protocol is required")
        }
        if let port, !(1...65535).contains(port) {
            p.add(path["port"], String(port), "port must be 1-65535")
        } else if port == nil {
            p.add(path["port"], "port is required")
        }
    }

    static func validate(_ wep: WorkloadEndpoint, into p: inout Problems) {
        let spec = FieldPath("spec")
        let s = wep.spec
        for (field, value) in [("node", s.node), ("serviceAccountName", s.serviceAccountName)] {
            if let v = value, !v.isEmpty, !Formats.isName(v) { p.add(spec[field], v, "must be a DNS-1123 name") }
        }
        if let c = s.containerID, !c.isEmpty, !Formats.isContainerID(c) {
            p.add(spec["containerID"], c, "container ID must be alphanumeric with inner '-'")
        }
        if (s.interfaceName ?? "").isEmpty {
            p.add(spec["interfaceName"], "interfaceName is required")
        } else if !Formats.isInterface(s.interfaceName!) || s.interfaceName == "*" {
            p.add(spec["interfaceName"], s.interfaceName!, "interface name must be 1-15 characters of [a-zA-Z0-9_.-]")
        }
        if let mac = s.mac, !mac.isEmpty, !Formats.isMAC(mac) { p.add(spec["mac"], mac, "invalid MAC address") }
        var networks: [IPNet] = []
        for (i, n) in (s.ipNetworks ?? []).enumerated() {
            guard let net = IPNet(n) else {
                p.add(spec["ipNetworks"][i], n, "must be an IP address or CIDR")
                continue
            }
            if net.prefixLength != net.address.bitLength {
                p.add(spec["ipNetworks"][i], n, "must be a single address (/32 or /128)")
            }
            networks.append(net)
        }
        for (i, nat) in (s.ipNATs ?? []).enumerated() {
            let at = spec["ipNATs"][i]
            let internalIP = nat.internalIP.flatMap(IPAddress.init)
            let externalIP = nat.externalIP.flatMap(IPAddress.init)
            if internalIP == nil { p.add(at["internalIP"], nat.internalIP ?? "", "must be an IP address") }
            if externalIP == nil { p.add(at["externalIP"], nat.externalIP ?? "", "must be an IP address") }
            if let a = internalIP, let b = externalIP, a.family != b.family {
                p.add(at, "internal and external IP must be the same IP version")
            }
            if let a = internalIP, !networks.contains(where: { $0.contains(a) }) {
                p.add(at["internalIP"], nat.internalIP!, "internal IP must be one of the endpoint's ipNetworks")
            }
        }
        if let g = s.ipv4Gateway, !g.isEmpty, IPAddress(g)?.family != .v4 { p.add(spec["ipv4Gateway"], g, "must be an IPv4 address") }
        if let g = s.ipv6Gateway, !g.isEmpty, IPAddress(g)?.family != .v6 { p.add(spec["ipv6Gateway"], g, "must be an IPv6 address") }
        for (i, profile) in (s.profiles ?? []).enumerated() where !Formats.isName(profile) {
            p.add(spec["profiles"][i], profile, "profile name must be a DNS-1123 name")
        }
        for (i, port) in (s.ports ?? []).enumerated() {
            let at = spec["ports"][i]
            validateEndpointPort(name: port.name, nameRequired: (port.hostPort ?? 0) == 0, protocol: port.protocol,
                                 port: port.port, path: at, into: &p)
            if let hp = port.hostPort, !(0...65535).contains(hp) { p.add(at["hostPort"], String(hp), "hostPort must be 0-65535") }
            if let hip = port.hostIP, !hip.isEmpty, IPAddress(hip) == nil { p.add(at["hostIP"], hip, "must be an IP address") }
        }
        for (i, c) in (s.allowSpoofedSourcePrefixes ?? []).enumerated() where IPNet(c) == nil {
            p.add(spec["allowSpoofedSourcePrefixes"][i], c, "must be a CIDR")
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
        MetadataRules.validateLabels(profile.spec.labelsToApply, path: spec["labelsToApply"], into: &p)
    }

    static func validateNetworkSet(_ meta: ObjectMeta, _ spec: NetworkSetSpec, into p: inout Problems) {
        if meta.labels?["projectcalico.org/namespace"] != nil {
            p.add(FieldPath("metadata")["labels"]["projectcalico.org/namespace"], "label projectcalico.org/namespace is reserved")
        }
        for (i, n) in (spec.nets ?? []).enumerated() where IPNet(n) == nil {
            p.add(FieldPath("spec")["nets"][i], n, "must be an IP address or CIDR")
        }
    }
}
