import CalicoAPI

enum IPAMRules {
    static let modes: Set<String> = ["Always", "CrossSubnet", "Never"]
    static let linkLocalV4 = IPNet("169.254.0.0/16")!
    static let linkLocalV6 = IPNet("fe80::/10")!

    static func validate(_ pool: IPPool, into p: inout Problems) {
        let spec = FieldPath("spec")
        let s = pool.spec
        var family: IPAddress.Family?
        if let cidr = s.cidr, !cidr.isEmpty {
            if let net = IPNet(cidr) {
                family = net.family
                if !net.isMasked { p.add(spec["cidr"], cidr, "CIDR has host bits set; use \(net.network)") }
                if net.overlaps(linkLocalV4) || net.overlaps(linkLocalV6) {
                    p.add(spec["cidr"], cidr, "IP pool must not overlap the link-local range")
                }
                let defaultBlock = net.family == .v4 ? 26 : 122
                let block = s.blockSize ?? defaultBlock
                if net.prefixLength > block && !(s.disabled ?? false) {
                    p.add(spec["cidr"], cidr, "IP pool size is too small (prefix /\(net.prefixLength) is longer than block size /\(block)) unless the pool is disabled")
                }
                if let bs = s.blockSize {
                    let range = net.family == .v4 ? 20...32 : 116...128
                    if !range.contains(bs) { p.add(spec["blockSize"], String(bs), "block size must be \(range.lowerBound)-\(range.upperBound) for IPv\(net.family.rawValue)") }
                }
            } else {
                p.add(spec["cidr"], cidr, "must be a valid CIDR")
            }
        } else {
            p.add(spec["cidr"], "cidr is required")
        }
        for (field, mode) in [("ipipMode", s.ipipMode), ("vxlanMode", s.vxlanMode)] {
            if let m = mode, !m.isEmpty, !modes.contains(m) { p.add(spec[field], m, "must be Always, CrossSubnet or Never") }
        }
        let ipipOn = s.ipipMode.map { $0 != "Never" && !$0.isEmpty } ?? false
        let vxlanOn = s.vxlanMode.map { $0 != "Never" && !$0.isEmpty } ?? false
        if ipipOn && vxlanOn { p.add(spec["vxlanMode"], "IPIP and VXLAN cannot both be enabled on one pool") }
        if family == .v6 && (s.ipipMode ?? "") != "Never" {
            p.add(spec["ipipMode"], s.ipipMode ?? "", "IPIP is not supported on IPv6 pools; set ipipMode: Never")
        }
        if let sel = s.nodeSelector {
            RuleRules.selector(sel, path: spec["nodeSelector"], allowGlobal: false, into: &p)
        }
        if let sel = s.namespaceSelector {
            RuleRules.selector(sel, path: spec["namespaceSelector"], allowGlobal: false, into: &p)
        }
        let uses = s.allowedUses ?? []
        for (i, u) in uses.enumerated() where !["Workload", "Tunnel", "LoadBalancer"].contains(u) {
            p.add(spec["allowedUses"][i], u, "must be Workload, Tunnel or LoadBalancer")
        }
        if uses.contains("LoadBalancer") {
            if uses.count > 1 { p.add(spec["allowedUses"], "LoadBalancer cannot be combined with other uses") }
            if ipipOn || vxlanOn { p.add(spec["allowedUses"], "a LoadBalancer pool cannot use IPIP or VXLAN") }
            if s.disableBGPExport ?? false { p.add(spec["disableBGPExport"], "a LoadBalancer pool must not disable BGP export") }
            // No defaulting offline: an absent nodeSelector is "", not all().
            if (s.nodeSelector ?? "") != "all()" {
                p.add(spec["nodeSelector"], s.nodeSelector ?? "", "a LoadBalancer pool's nodeSelector must be all()")
            }
        }
        if uses.contains("Tunnel"), let ns = s.namespaceSelector, !ns.isEmpty {
            p.add(spec["namespaceSelector"], ns, "namespaceSelector is not allowed on a pool used for tunnels")
        }
        if let m = s.assignmentMode, !["Automatic", "Manual"].contains(m) {
            p.add(spec["assignmentMode"], m, "must be Automatic or Manual")
        }
        if let legacy = s.ipip, !(legacy.isNull || legacy == .scalar("false", plain: true, mark: nil)) {
            p.add(spec["ipip"], "the v1 ipip field is not supported; use ipipMode")
        }
        if s.natOutgoingV1 == true { p.add(spec["nat-outgoing"], "the v1 nat-outgoing field is not supported; use natOutgoing") }
    }

    static func validate(_ r: IPReservation, into p: inout Problems) {
        for (i, c) in (r.spec.reservedCIDRs ?? []).enumerated() where IPNet(c) == nil {
            p.add(FieldPath("spec")["reservedCIDRs"][i], c, "must be an IP address or CIDR")
        }
    }

    static func validate(_ c: IPAMConfiguration, into p: inout Problems) {
        if let m = c.spec.maxBlocksPerHost, m < 0 {
            p.add(FieldPath("spec")["maxBlocksPerHost"], String(m), "must be 0 (unlimited) or more")
        }
    }
}
