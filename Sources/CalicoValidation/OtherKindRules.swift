import CalicoAPI

/// Rules of the configuration kinds (FelixConfiguration, BGP kinds, KubeControllersConfiguration, Node).
/// ClusterInformation has no rules. Only the offline struct rules are checked: the client-only
/// checks (such as fields allowed only on the object named `default`) are not.
enum OtherKindRules {
    static func validate(_ resource: any CalicoResource, into p: inout Problems) {
        switch resource {
        case let r as FelixConfiguration: FelixConfigurationRules.validate(r.spec, into: &p)
        case let r as BGPConfiguration: BGPRules.validate(r.spec, into: &p)
        case let r as BGPPeer: BGPRules.validate(r.spec, into: &p)
        case let r as BGPFilter: BGPRules.validate(r.spec, into: &p)
        case let r as KubeControllersConfiguration: KubeControllersRules.validate(r, into: &p)
        case let r as Node: NodeRules.validate(r, into: &p)
        default: break
        }
    }

    // MARK: Shared field checks. A nil or empty value counts as unset and is not checked.
    // Each reports upstream's struct-tag failure: the Go field name comes from the path, `tag` is
    // the failing tag (`oneof` unless the field has its own validator).

    /// The value must be one of `allowed` (exact case).
    /// `tag: nil` where upstream's validator has no tag on the field (a CRD enum only).
    static func oneOf(_ value: String?, _ allowed: [String], _ path: FieldPath, tag: String? = "oneof", into p: inout Problems) {
        guard let v = value, !v.isEmpty, !allowed.contains(v) else { return }
        let reason = "must be \(listing(allowed)) (case-sensitive)"
        if let tag { p.tag(path, v, reason, tag: tag) } else { p.add(path, v, reason) }
    }

    /// "A", "A or B", "A, B or C".
    static func listing(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + items.last!
    }

    /// Upstream has no validator for durations: a bad one fails when the YAML is decoded.
    static func duration(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty, !Formats.isDuration(v) else { return }
        p.add(path, v, "must be a duration such as 90s, 5m or 1h30m")
    }

    static func logLevel(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty, !Formats.logLevels.contains(v) else { return }
        p.tag(path, v, "log level must be one of Trace, Debug, Info, Warning, Error or Fatal (case-sensitive)", tag: "logLevel")
    }

    static func regex(_ value: String?, _ path: FieldPath, tag: String = "regexp", into p: inout Problems) {
        guard let v = value, !v.isEmpty, !Formats.isRegex(v) else { return }
        p.tag(path, v, "must be a valid regular expression", tag: tag)
    }

    /// `lowTag` is the tag that fails below the range (`gte`, or `gt` for `gt=0`-style bounds);
    /// above it, `lte`. `upstream: false` where upstream has no such tag (the value fails its
    /// decode instead).
    static func intRange(_ value: Int?, _ range: ClosedRange<Int>, _ path: FieldPath, lowTag: String = "gte",
                         highTag: String = "lte", upstream: Bool = true, into p: inout Problems) {
        guard let v = value, !range.contains(v) else { return }
        let tag = v < range.lowerBound ? lowTag : highTag
        let reason = range.upperBound == Int.max ? "must be at least \(range.lowerBound)"
            : "must be between \(range.lowerBound) and \(range.upperBound)"
        if upstream { p.tag(path, String(v), reason, tag: tag) } else { p.add(path, String(v), reason) }
    }

    /// A plain IP address (no prefix length), optionally of one family (tags `ipv4`, `ipv6`, `ip`).
    static func ip(_ value: String?, family: IPAddress.Family?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty else { return }
        let tag = family.map { "ipv\($0.rawValue)" } ?? "ip"
        guard let addr = IPAddress(v) else {
            p.tag(path, v, family.map { "must be an IPv\($0.rawValue) address" } ?? "must be an IP address", tag: tag)
            return
        }
        if let family, addr.family != family {
            p.tag(path, v, "must be an IPv\(family.rawValue) address, not IPv\(addr.family.rawValue)", tag: tag)
        }
    }

    /// `net` (strictly masked) or `cidr` (host bits allowed); a bare address means /32 or /128.
    /// Upstream's tags: `net`/`netv4`/`netv6` when strict, `cidr`/`cidrv4`/`cidrv6` otherwise.
    static func network(_ value: String?, family: IPAddress.Family?, strict: Bool, _ path: FieldPath, upstream: Bool = true,
                        into p: inout Problems) {
        guard let v = value, !v.isEmpty else { return }
        let what = family.map { "IPv\($0.rawValue) " } ?? "IP "
        let tag = (strict ? "net" : "cidr") + (family.map { "v\($0.rawValue)" } ?? "")
        func fail(_ reason: String) { if upstream { p.tag(path, v, reason, tag: tag) } else { p.add(path, v, reason) } }
        guard let net = IPNet(v) else {
            fail("must be an \(what)address or CIDR, such as \(family == .v6 ? "fd00::/64" : "10.0.0.0/8")")
            return
        }
        if let family, net.family != family {
            fail("must be an \(what)address or CIDR, not IPv\(net.family.rawValue)")
        } else if strict && !net.isMasked {
            fail("CIDR has host bits set; use \(net.network)")
        }
    }

    /// A DNS-1123 subdomain (the `name` tag).
    static func name(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty, !Formats.isName(v) else { return }
        p.tag(path, v, "must be a lowercase DNS-1123 subdomain ([a-z0-9]([-a-z0-9]*[a-z0-9])? separated by '.')", tag: "name")
    }

    static func selector(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value else { return }
        RuleRules.selector(v, path: path, allowGlobal: true, into: &p)
    }
}
