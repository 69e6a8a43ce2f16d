import CalicoAPI

enum IPAMRules {
    static let modes: Set<String> = ["Always", "CrossSubnet", "Never"]
    static let linkLocalV4 = IPNet("169.254.0.0/16")!
    static let linkLocalV6 = IPNet("fe80::/10")!

    /// IPPool. Upstream checks a pool twice on create: the client's `validateAndSetDefaults`
    /// (names `IPPool.Spec.*`, printing the normalised CIDR) and then the validator's
    /// `validateIPPoolSpec` (names `IPpool.*`). Rules the client has are worded as the client.
    static func validate(_ pool: IPPool, into p: inout Problems) {
        let spec = FieldPath("spec")
        let s = pool.spec
        var family: IPAddress.Family?
        let cidrText = s.cidr ?? ""
        if let cidr = s.cidr, !cidr.isEmpty {
            if let net = IPNet(cidr) {
                family = net.family
                let normalised = net.network.description
                if !net.isMasked {
                    p.report(spec["cidr"], cidr, "CIDR has host bits set; use \(net.network)", as: "IPPool.Spec.CIDR",
                             "IPPool CIDR is not strictly masked", upstreamValue: normalised)
                }
                if net.overlaps(linkLocalV4) || net.overlaps(linkLocalV6) {
                    p.report(spec["cidr"], cidr, "IP pool must not overlap the link-local range", as: "IPPool.Spec.CIDR",
                             net.family == .v4 ? "IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16"
                                 : "IPPool CIDR overlaps with IPv6 Link Local range fe80::/10", upstreamValue: normalised)
                }
                let defaultBlock = net.family == .v4 ? 26 : 122
                let block = s.blockSize ?? defaultBlock
                if net.prefixLength > block && !(s.disabled ?? false) {
                    p.report(spec["cidr"], cidr, "IP pool size is too small (prefix /\(net.prefixLength) is longer than block size /\(block)) unless the pool is disabled",
                             as: "IPPool.Spec.CIDR", "IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.",
                             upstreamValue: normalised)
                }
                if let bs = s.blockSize {
                    let range = net.family == .v4 ? 20...32 : 116...128
                    if !range.contains(bs) {
                        p.report(spec["blockSize"], String(bs), "block size must be \(range.lowerBound)-\(range.upperBound) for IPv\(net.family.rawValue)",
                                 as: "IPPool.Spec.BlockSize",
                                 "IPv\(net.family.rawValue) block size must be between \(range.lowerBound) and \(range.upperBound)")
                    }
                }
            } else {
                p.report(spec["cidr"], cidr, "must be a valid CIDR", as: "IPPool.Spec.CIDR", "IPPool CIDR must be a valid subnet")
            }
        } else {
            p.add(spec["cidr"], nil, "cidr is required", upstream: "IPPool.Spec.CIDR", upstreamReason: "IPPool CIDR must be specified",
                  upstreamOmitsValue: true)
        }
        for (field, mode, tag) in [("ipipMode", s.ipipMode, "ipIpMode"), ("vxlanMode", s.vxlanMode, "vxlanMode")] {
            if let m = mode, !m.isEmpty, !modes.contains(m) { p.tag(spec[field], m, "must be Always, CrossSubnet or Never", tag: tag) }
        }
        let ipipOn = s.ipipMode.map { $0 != "Never" && !$0.isEmpty } ?? false
        let vxlanOn = s.vxlanMode.map { $0 != "Never" && !$0.isEmpty } ?? false
        if ipipOn && vxlanOn {
            p.report(spec["vxlanMode"], nil, "IPIP and VXLAN cannot both be enabled on one pool", as: "IPPool.Spec.VXLANMode",
                     "Cannot enable both VXLAN and IPIP on the same IPPool", upstreamValue: s.vxlanMode)
        }
        if family == .v6 && (s.ipipMode ?? "") != "Never" {
            if (s.ipipMode ?? "").isEmpty {
                // Only the bare validator sees an unset mode (the client defaults it to Never).
                p.report(spec["ipipMode"], "", "IPIP is not supported on IPv6 pools; set ipipMode: Never", as: "IPpool.IPIPMode",
                         "IPIPMode other than 'Never' is not supported on an IPv6 IP pool")
            } else {
                p.report(spec["ipipMode"], s.ipipMode, "IPIP is not supported on IPv6 pools; set ipipMode: Never", as: "IPPool.Spec.IPIPMode",
                         "IPIP is not supported on an IPv6 IP pool")
            }
        }
        if let sel = s.nodeSelector {
            RuleRules.selector(sel, path: spec["nodeSelector"], allowGlobal: false, into: &p)
        }
        if let sel = s.namespaceSelector {
            RuleRules.selector(sel, path: spec["namespaceSelector"], allowGlobal: false, into: &p)
        }
        validateUses(s, cidr: cidrText, ipipOn: ipipOn, vxlanOn: vxlanOn, into: &p)
        if let m = s.assignmentMode, !["Automatic", "Manual"].contains(m) {
            p.tag(spec["assignmentMode"], m, "must be Automatic or Manual", tag: "assignmentMode")
        }
        if let legacy = s.ipip, !(legacy.isNull || legacy == .scalar("false", plain: true, mark: nil)) {
            p.tag(spec["ipip"], nil, "the v1 ipip field is not supported; use ipipMode", tag: "mustBeNil")
        }
        if s.natOutgoingV1 == true {
            p.tag(spec["nat-outgoing"], nil, "the v1 nat-outgoing field is not supported; use natOutgoing", tag: "mustBeFalse",
                  upstreamValue: "true")
        }
    }

    static func validateUses(_ s: IPPoolSpec, cidr: String, ipipOn: Bool, vxlanOn: Bool, into p: inout Problems) {
        let spec = FieldPath("spec")
        let uses = s.allowedUses ?? []
        let usesValue = Upstream.list(uses)
        for (i, u) in uses.enumerated() where !["Workload", "Tunnel", "LoadBalancer"].contains(u) {
            p.report(spec["allowedUses"][i], u, "must be Workload, Tunnel or LoadBalancer", as: "IPpool.AllowedUses",
                     "unknown use: \(u)", upstreamValue: usesValue)
        }
        if uses.contains("LoadBalancer") {
            if uses.count > 1 {
                let other = uses.first { $0 == "Workload" || $0 == "Tunnel" }
                if let other {
                    p.report(spec["allowedUses"], nil, "LoadBalancer cannot be combined with other uses", as: "IPpool.AllowedUses",
                             "LoadBalancer cannot be used at the same time as: \(other)", upstreamValue: usesValue)
                } else {
                    p.add(spec["allowedUses"], "LoadBalancer cannot be combined with other uses")
                }
            }
            if ipipOn || vxlanOn {
                p.report(spec["allowedUses"], nil, "a LoadBalancer pool cannot use IPIP or VXLAN", as: "IPpool.IPIPMode",
                         "Neither IPIPMode nor VXLANMode can be enabled on AllowedUses LoadBalancer IP pool", upstreamValue: s.ipipMode ?? "")
            }
            // Upstream's two LoadBalancer checks below print the pool's CIDR.
            if s.disableBGPExport ?? false {
                p.report(spec["disableBGPExport"], nil, "a LoadBalancer pool must not disable BGP export", as: "IPpool.DisableBGPExport",
                         "IP Pool with AllowedUse LoadBalancer must have DisableBGPExport set to true", upstreamValue: cidr)
            }
            // No defaulting offline: an absent nodeSelector is "", not all().
            if (s.nodeSelector ?? "") != "all()" {
                p.report(spec["nodeSelector"], s.nodeSelector ?? "", "a LoadBalancer pool's nodeSelector must be all()",
                         as: "IPpool.NodeSelector", "IP Pool with AllowedUse LoadBalancer must have node selector set to all()",
                         upstreamValue: cidr)
            }
        }
        if uses.contains("Tunnel"), let ns = s.namespaceSelector, !ns.isEmpty {
            p.add(spec["namespaceSelector"], ns, "namespaceSelector is not allowed on a pool used for tunnels")
        }
    }

    static func validate(_ r: IPReservation, into p: inout Problems) {
        // Upstream: the `cidrs` tag on the whole list.
        let cidrs = r.spec.reservedCIDRs ?? []
        for (i, c) in cidrs.enumerated() where IPNet(c) == nil {
            p.tag(FieldPath("spec")["reservedCIDRs"][i], c, "must be an IP address or CIDR", tag: "cidrs", field: "ReservedCIDRs",
                  upstreamValue: Upstream.list(cidrs))
        }
    }

    static func validate(_ c: IPAMConfiguration, into p: inout Problems) {
        if let m = c.spec.maxBlocksPerHost, m < 0 {
            p.report(FieldPath("spec")["maxBlocksPerHost"], String(m), "must be 0 (unlimited) or more", as: "MaxBlocksPerHost",
                     "must be greater than or equal to 0")
        }
    }
}
