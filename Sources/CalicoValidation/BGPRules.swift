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
        // CRD enums upstream's validator does not check.
        R.oneOf(s.serviceLoadBalancerAggregation, ["Enabled", "Disabled"], spec["serviceLoadBalancerAggregation"], tag: nil, into: &p)
        R.oneOf(s.bindMode, ["None", "NodeIP"], spec["bindMode"], tag: nil, into: &p)
        R.oneOf(s.programClusterRoutes, ["Enabled", "Disabled"], spec["programClusterRoutes"], tag: nil, into: &p)
        if let port = s.listenPort, !(1...65535).contains(port) {
            p.tag(spec["listenPort"], String(port), "listen port must be between 1 and 65535", tag: "gt")
        }
        for (i, iface) in (s.ignoredInterfaces ?? []).enumerated() where !Formats.isIgnoredInterface(iface) {
            p.tag(spec["ignoredInterfaces"][i], iface, "must be 1-15 characters of [a-zA-Z0-9_.*-] and not just '*'", tag: "ignoredInterface")
        }
        R.ip(s.localWorkloadPeeringIPV4, family: .v4, spec["localWorkloadPeeringIPV4"], into: &p)
        R.ip(s.localWorkloadPeeringIPV6, family: .v6, spec["localWorkloadPeeringIPV6"], into: &p)

        R.duration(s.nodeMeshMaxRestartTime, spec["nodeMeshMaxRestartTime"], into: &p)
        if s.nodeToNodeMeshEnabled == false {
            if s.nodeMeshPassword != nil {
                p.report(spec["nodeMeshPassword"], nil, "nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false",
                         as: "Spec.NodeMeshPassword", "spec.NodeMeshPassword cannot be set if spec.NodeToNodeMesh is disabled")
            }
            if s.nodeMeshMaxRestartTime != nil {
                p.report(spec["nodeMeshMaxRestartTime"], s.nodeMeshMaxRestartTime,
                         "nodeMeshMaxRestartTime cannot be set when nodeToNodeMeshEnabled is false",
                         as: "Spec.NodeMeshMaxRestartTime", "spec.NodeMeshMaxRestartTime cannot be set if spec.NodeToNodeMesh is disabled")
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
                p.tag(at["name"], "", "community name is required", tag: "required")
            }
            if let value = c.value, !value.isEmpty {
                if !isCommunity(value) {
                    p.report(at["value"], value, communityReason, as: "Spec.Communities[].Value",
                             communityUpstreamReason(value) ?? "invalid community value or format used.")
                }
            } else {
                p.tag(at["value"], "", "community value is required", tag: "required")
            }
        }
        if let communities = s.communities, !communities.isEmpty, (s.prefixAdvertisements ?? []).isEmpty {
            let printed = communities.map { "{\($0.name ?? "") \($0.value ?? "")}" }
            p.report(spec["communities"], nil, "communities are defined but no prefixAdvertisements use them", as: "Spec.Communities[]",
                     "communities are defined but not used in Spec.PrefixAdvertisement[].", upstreamValue: "[" + printed.joined(separator: " ") + "]")
        }
        for (i, adv) in (s.prefixAdvertisements ?? []).enumerated() {
            let at = spec["prefixAdvertisements"][i]
            if let cidr = adv.cidr, !cidr.isEmpty {
                if IPNet(cidr) == nil { p.tag(at["cidr"], cidr, "must be an IP address or CIDR", tag: "net") }
            } else {
                p.tag(at["cidr"], "", "cidr is required", tag: "required")
            }
            for (j, c) in (adv.communities ?? []).enumerated() where !isCommunity(c) && !defined.contains(c) {
                p.report(at["communities"][j], c,
                         "must be a community value (aa:nn with 16-bit parts or aa:nn:mm with 32-bit parts) or the name of a community defined in spec.communities",
                         as: "Spec.PrefixAdvertisement[].Communities[]",
                         communityUpstreamReason(c) ?? "community used is invalid or not defined.")
            }
        }
    }

    static let communityReason = "community value must be aa:nn (each part 0-65535) or aa:nn:mm (each part 0-4294967295)"

    /// Upstream's reason for a community of the right shape whose numbers are too large
    /// (nil when the shape itself is wrong).
    static func communityUpstreamReason(_ v: String) -> String? {
        let parts = v.split(separator: ":", omittingEmptySubsequences: false)
        guard [2, 3].contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }) else {
            return nil
        }
        return "invalid community value, expected \(parts.count == 2 ? 16 : 32) bit value"
    }

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
                p.tag(spec["peerIP"], peerIP, "must be an IP address, optionally with a port: a.b.c.d, a.b.c.d:PORT or [ipv6]:PORT with PORT 1-65535",
                      tag: "IP:port")
            }
        }
        R.oneOf(s.nextHopMode, ["Auto", "Self", "Keep"], spec["nextHopMode"], tag: nil, into: &p)
        R.oneOf(s.sourceAddress, ["UseNodeIP", "None"], spec["sourceAddress"], tag: "sourceAddress", into: &p)
        R.oneOf(s.reversePeering, ["Auto", "Manual"], spec["reversePeering"], tag: nil, into: &p)
        R.duration(s.maxRestartTime, spec["maxRestartTime"], into: &p)
        if let ttl = s.ttlSecurity, !(0...255).contains(ttl) {
            p.add(spec["ttlSecurity"], String(ttl), "ttlSecurity is a hop count and must be between 0 and 255")  // upstream: decode error (uint8)
        }
        for (i, f) in (s.filters ?? []).enumerated() {
            if f.isEmpty { p.tag(spec["filters"][i], f, "filter name must not be empty", tag: "name") } else { R.name(f, spec["filters"][i], into: &p) }
        }

        let has = { (v: String?) in !(v ?? "").isEmpty }
        let asNumber = s.asNumber?.value ?? 0
        if has(s.node) && has(s.nodeSelector) {
            p.report(spec["node"], s.node, "node must be empty when nodeSelector is set", as: "Node",
                     "Node field must be empty when NodeSelector is specified")
        }
        if has(s.peerIP) && has(s.peerSelector) {
            p.report(spec["peerIP"], s.peerIP, "peerIP must be empty when peerSelector is set", as: "PeerIP",
                     "PeerIP field must be empty when PeerSelector is specified")
        }
        if asNumber != 0 && has(s.peerSelector) {
            p.report(spec["asNumber"], String(asNumber), "asNumber must be empty when peerSelector is set (peers use their own node AS number)",
                     as: "ASNumber", "ASNumber field must be empty when PeerSelector is specified")
        }
        if has(s.localWorkloadSelector) {
            if asNumber == 0 {
                p.report(spec["asNumber"], nil, "asNumber is required when localWorkloadSelector is set", as: "ASNumber",
                         "ASNumber field must NOT be empty when LocalWorkloadSelector is specified", upstreamValue: "0")
            }
            if has(s.peerIP) {
                p.report(spec["peerIP"], s.peerIP, "peerIP must be empty when localWorkloadSelector is set", as: "PeerIP",
                         "PeerIP field must be empty when LocalWorkloadSelector is specified")
            }
            if has(s.peerSelector) {
                // Upstream prints peerIP here.
                p.report(spec["peerSelector"], s.peerSelector, "peerSelector must be empty when localWorkloadSelector is set",
                         as: "PeerSelector", "PeerSelector field must be empty when LocalWorkloadSelector is specified",
                         upstreamValue: s.peerIP ?? "")
            }
        }
        if let reach = s.reachableBy, !reach.isEmpty {
            if let r = IPAddress(reach) {
                if !has(s.peerIP) {
                    p.report(spec["reachableBy"], reach, "reachableBy requires peerIP to be set", as: "ReachableBy",
                             "ReachablyBy field must be empty when PeerIP is empty")
                } else if let peer = peerAddress, peer.family != r.family {
                    p.report(spec["reachableBy"], reach, "reachableBy must be the same IP family as peerIP (IPv\(peer.family.rawValue))",
                             as: "ReachableBy", "ReachableBy and PeerIP address family mismatched")
                }
            } else {
                p.tag(spec["reachableBy"], reach, "must be an IP address", tag: "reachableBy")
            }
        }
        if s.keepOriginalNextHop == true && has(s.nextHopMode) {
            // Upstream prints peerIP here.
            p.report(spec["keepOriginalNextHop"], "true", "keepOriginalNextHop cannot be combined with nextHopMode; use nextHopMode: Keep",
                     as: "KeepOriginalNextHop",
                     "The KeepOriginalNextHop field is deprecated. It must not be set to true when NextHopMode is configured.",
                     upstreamValue: s.peerIP ?? "")
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
        R.oneOf(r.matchOperator, ["Equal", "NotEqual", "In", "NotIn"], at["matchOperator"], tag: "matchOperator", into: &p)
        R.oneOf(r.source, ["RemotePeers"], at["source"], into: &p)
        if let iface = r.interface, !iface.isEmpty, !Formats.isBGPFilterInterface(iface) {
            p.tag(at["interface"], iface, "interface must be '*' or 1-15 characters of [a-zA-Z0-9_.*-]", tag: "bgpFilterInterface")
        }
        switch r.action {
        case nil, "": p.tag(at["action"], "", "action is required (Accept or Reject)", tag: "required")
        case let a?: R.oneOf(a, ["Accept", "Reject"], at["action"], tag: "filterAction", into: &p)
        }
        if hasCIDR && !hasOperator {
            p.report(at["matchOperator"], nil, "matchOperator is required when cidr is set", as: "CIDR",
                     "MatchOperator cannot be empty when CIDR is not", upstreamValue: r.cidr)
        }
        if hasOperator && !hasCIDR {
            p.report(at["cidr"], nil, "cidr is required when matchOperator is set", as: "MatchOperator",
                     "CIDR cannot be empty when MatchOperator is not", upstreamValue: r.matchOperator)
        }
        if let pl = r.prefixLength {
            let maxLen = Int32(family == .v4 ? 32 : 128)
            for (field, value) in [("min", pl.min), ("max", pl.max)] {
                if let v = value, !(0...maxLen).contains(v) {
                    p.tag(at["prefixLength"][field], String(v), "prefix length must be between 0 and \(maxLen) for IPv\(family.rawValue)",
                          tag: "bgpFilterPrefixLengthV\(family.rawValue)")
                }
            }
            if !hasCIDR {
                p.report(at["prefixLength"], nil, "prefixLength requires cidr to be set", as: "PrefixLength",
                         "CIDR cannot be empty when PrefixLength is not")
            }
        }
    }
}
