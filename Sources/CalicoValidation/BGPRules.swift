import CalicoAPI

/// BGPConfiguration, BGPPeer and BGPFilter rules.
enum BGPRules {
    typealias R = OtherKindRules

    // MARK: BGPConfiguration

    static func validate(_ s: BGPConfigurationSpec, into p: inout Problems) {
        let spec = FieldPath("spec")
        R.logLevel(s.logSeverityScreen, spec["logSeverityScreen"], into: &p)
        for (field, blocks) in [("serviceClusterIPs", s.serviceClusterIPs), ("serviceExternalIPs", s.serviceExternalIPs),
                                ("serviceLoadBalancerIPs", s.serviceLoadBalancerIPs)] {
            for (i, block) in (blocks ?? []).enumerated() {
                R.network(block.cidr, family: nil, strict: true, spec[field][i]["cidr"], into: &p)
            }
        }
        R.oneOf(s.serviceLoadBalancerAggregation, ["Enabled", "Disabled"], spec["serviceLoadBalancerAggregation"], into: &p)
        R.oneOf(s.bindMode, ["None", "NodeIP"], spec["bindMode"], into: &p)
        R.oneOf(s.programClusterRoutes, ["Enabled", "Disabled"], spec["programClusterRoutes"], into: &p)
        if let port = s.listenPort, !(1...65535).contains(port) {
            p.add(spec["listenPort"], String(port), "listen port must be between 1 and 65535")
        }
        for (i, iface) in (s.ignoredInterfaces ?? []).enumerated() where !Formats.isIgnoredInterface(iface) {
            p.add(spec["ignoredInterfaces"][i], iface, "must be 1-15 characters of [a-zA-Z0-9_.*-] and not just '*'")
        }
        R.ip(s.localWorkloadPeeringIPV4, family: .v4, spec["localWorkloadPeeringIPV4"], into: &p)
        R.ip(s.localWorkloadPeeringIPV6, family: .v6, spec["localWorkloadPeeringIPV6"], into: &p)

        R.duration(s.nodeMeshMaxRestartTime, spec["nodeMeshMaxRestartTime"], into: &p)
        if s.nodeToNodeMeshEnabled == false {
            if s.nodeMeshPassword != nil {
                p.add(spec["nodeMeshPassword"], "nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false")
            }
            if s.nodeMeshMaxRestartTime != nil {
                p.add(spec["nodeMeshMaxRestartTime"], s.nodeMeshMaxRestartTime,
                      "nodeMeshMaxRestartTime cannot be set when nodeToNodeMeshEnabled is false")
            }
        }

        // Communities and prefix advertisements.
        var defined = Set<String>()
        for (i, c) in (s.communities ?? []).enumerated() {
            let at = spec["communities"][i]
            if let name = c.name, !name.isEmpty {
                R.name(name, at["name"], into: &p)
                defined.insert(name)
            } else {
                p.add(at["name"], "community name is required")
            }
            if let value = c.value, !value.isEmpty {
                if !isCommunity(value) { p.add(at["value"], value, communityReason) }
            } else {
                p.add(at["value"], "community value is required")
            }
        }
        if !(s.communities ?? []).isEmpty && (s.prefixAdvertisements ?? []).isEmpty {
            p.add(spec["communities"], "communities are defined but no prefixAdvertisements use them")
        }
        for (i, adv) in (s.prefixAdvertisements ?? []).enumerated() {
            let at = spec["prefixAdvertisements"][i]
            if let cidr = adv.cidr, !cidr.isEmpty {
                if IPNet(cidr) == nil { p.add(at["cidr"], cidr, "must be an IP address or CIDR") }
            } else {
                p.add(at["cidr"], "cidr is required")
            }
            for (j, c) in (adv.communities ?? []).enumerated() where !isCommunity(c) && !defined.contains(c) {
                p.add(at["communities"][j], c,
                      "must be a community value (aa:nn with 16-bit parts or aa:nn:mm with 32-bit parts) or the name of a community defined in spec.communities")
            }
        }
    }

    static let communityReason = "community value must be aa:nn (each part 0-65535) or aa:nn:mm (each part 0-4294967295)"

    /// `aa:nn` with 16-bit parts (standard) or `aa:nn:mm` with 32-bit parts (large).
    static func isCommunity(_ v: String) -> Bool {
        let parts = v.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }) else { return false }
        switch parts.count {
        case 2: return parts.allSatisfy { UInt16($0) != nil }
        case 3: return parts.allSatisfy { UInt32($0) != nil }
        default: return false
        }
    }

    // MARK: BGPPeer

    static func validate(_ s: BGPPeerSpec, into p: inout Problems) {
        let spec = FieldPath("spec")
        R.name(s.node, spec["node"], into: &p)
        R.selector(s.nodeSelector, spec["nodeSelector"], into: &p)
        R.selector(s.peerSelector, spec["peerSelector"], into: &p)
        R.selector(s.localWorkloadSelector, spec["localWorkloadSelector"], into: &p)
        var peerAddress: IPAddress?
        if let peerIP = s.peerIP, !peerIP.isEmpty {
            if let addr = ipOfIPPort(peerIP) {
                peerAddress = addr
            } else {
                p.add(spec["peerIP"], peerIP, "must be an IP address, optionally with a port: a.b.c.d, a.b.c.d:PORT or [ipv6]:PORT with PORT 1-65535")
            }
        }
        R.oneOf(s.nextHopMode, ["Auto", "Self", "Keep"], spec["nextHopMode"], into: &p)
        R.oneOf(s.sourceAddress, ["UseNodeIP", "None"], spec["sourceAddress"], into: &p)
        R.oneOf(s.reversePeering, ["Auto", "Manual"], spec["reversePeering"], into: &p)
        R.duration(s.maxRestartTime, spec["maxRestartTime"], into: &p)
        if let ttl = s.ttlSecurity, !(0...255).contains(ttl) {
            p.add(spec["ttlSecurity"], String(ttl), "ttlSecurity is a hop count and must be between 0 and 255")
        }
        for (i, f) in (s.filters ?? []).enumerated() {
            if f.isEmpty { p.add(spec["filters"][i], f, "filter name must not be empty") } else { R.name(f, spec["filters"][i], into: &p) }
        }

        let has = { (v: String?) in !(v ?? "").isEmpty }
        let asNumber = s.asNumber?.value ?? 0
        if has(s.node) && has(s.nodeSelector) {
            p.add(spec["node"], s.node, "node must be empty when nodeSelector is set")
        }
        if has(s.peerIP) && has(s.peerSelector) {
            p.add(spec["peerIP"], s.peerIP, "peerIP must be empty when peerSelector is set")
        }
        if asNumber != 0 && has(s.peerSelector) {
            p.add(spec["asNumber"], String(asNumber), "asNumber must be empty when peerSelector is set (peers use their own node AS number)")
        }
        if has(s.localWorkloadSelector) {
            if asNumber == 0 { p.add(spec["asNumber"], "asNumber is required when localWorkloadSelector is set") }
            if has(s.peerIP) { p.add(spec["peerIP"], s.peerIP, "peerIP must be empty when localWorkloadSelector is set") }
            if has(s.peerSelector) { p.add(spec["peerSelector"], s.peerSelector, "peerSelector must be empty when localWorkloadSelector is set") }
        }
        if let reach = s.reachableBy, !reach.isEmpty {
            if let r = IPAddress(reach) {
                if !has(s.peerIP) {
                    p.add(spec["reachableBy"], reach, "reachableBy requires peerIP to be set")
                } else if let peer = peerAddress, peer.family != r.family {
                    p.add(spec["reachableBy"], reach, "reachableBy must be the same IP family as peerIP (IPv\(peer.family.rawValue))")
                }
            } else {
                p.add(spec["reachableBy"], reach, "must be an IP address")
            }
        }
        if s.keepOriginalNextHop == true && has(s.nextHopMode) {
            p.add(spec["keepOriginalNextHop"], "true", "keepOriginalNextHop cannot be combined with nextHopMode; use nextHopMode: Keep")
        }
    }

    /// The address of an `IP:port` value: `IP`, `a.b.c.d:PORT` or `[v6]:PORT` with PORT 1–65535
    /// (nil when the value is not of that form).
    static func ipOfIPPort(_ s: String) -> IPAddress? {
        func isDigits(_ x: Substring) -> Bool { !x.isEmpty && x.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        var host = Substring(s)
        var port: Substring?
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            let inner = s[s.index(after: s.startIndex)..<close]
            let rest = s[close...].dropFirst()
            if !inner.isEmpty, inner.allSatisfy({ ($0.isASCII && $0.isHexDigit) || $0 == ":" || $0 == "." }),
               rest.hasPrefix(":"), isDigits(rest.dropFirst()) {
                host = inner
                port = rest.dropFirst()
            }
        } else {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, isDigits(parts[1]) {
                host = parts[0]
                port = parts[1]
            }
        }
        if let port {
            guard let n = Int(port), (1...65535).contains(n) else { return nil }
        }
        return IPAddress(String(host))
    }

    // MARK: BGPFilter

    static func validate(_ s: BGPFilterSpec, into p: inout Problems) {
        let spec = FieldPath("spec")
        for (field, rules, family) in [("exportV4", s.exportV4, IPAddress.Family.v4), ("importV4", s.importV4, .v4),
                                       ("exportV6", s.exportV6, .v6), ("importV6", s.importV6, .v6)] {
            for (i, rule) in (rules ?? []).enumerated() { validate(rule, family: family, at: spec[field][i], into: &p) }
        }
    }

    static func validate(_ r: BGPFilterRule, family: IPAddress.Family, at: FieldPath, into p: inout Problems) {
        let hasCIDR = !(r.cidr ?? "").isEmpty
        let hasOperator = !(r.matchOperator ?? "").isEmpty
        R.network(r.cidr, family: family, strict: true, at["cidr"], into: &p)
        R.oneOf(r.matchOperator, ["Equal", "NotEqual", "In", "NotIn"], at["matchOperator"], into: &p)
        R.oneOf(r.source, ["RemotePeers"], at["source"], into: &p)
        if let iface = r.interface, !iface.isEmpty, !Formats.isBGPFilterInterface(iface) {
            p.add(at["interface"], iface, "interface must be '*' or 1-15 characters of [a-zA-Z0-9_.*-]")
        }
        switch r.action {
        case nil, "": p.add(at["action"], "action is required (Accept or Reject)")
        case let a?: R.oneOf(a, ["Accept", "Reject"], at["action"], into: &p)
        }
        if hasCIDR && !hasOperator { p.add(at["matchOperator"], "matchOperator is required when cidr is set") }
        if hasOperator && !hasCIDR { p.add(at["cidr"], "cidr is required when matchOperator is set") }
        if let pl = r.prefixLength {
            let maxLen = Int32(family == .v4 ? 32 : 128)
            for (field, value) in [("min", pl.min), ("max", pl.max)] {
                if let v = value, !(0...maxLen).contains(v) {
                    p.add(at["prefixLength"][field], String(v), "prefix length must be between 0 and \(maxLen) for IPv\(family.rawValue)")
                }
            }
            if !hasCIDR { p.add(at["prefixLength"], "prefixLength requires cidr to be set") }
        }
    }
}
