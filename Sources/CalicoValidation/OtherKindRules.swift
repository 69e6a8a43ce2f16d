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

    /// The value must be one of `allowed` (exact case).
    static func oneOf(_ value: String?, _ allowed: [String], _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty, !allowed.contains(v) else { return }
        p.add(path, v, "must be \(listing(allowed)) (case-sensitive)")
    }

    /// "A", "A or B", "A, B or C".
    static func listing(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + items.last!
    }

    static func duration(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty, !Formats.isDuration(v) else { return }
        p.add(path, v, "must be a duration such as 90s, 5m or 1h30m")
    }

    static func logLevel(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty, !Formats.logLevels.contains(v) else { return }
        p.add(path, v, "log level must be one of Trace, Debug, Info, Warning, Error or Fatal (case-sensitive)")
    }

    static func regex(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty, !Formats.isRegex(v) else { return }
        p.add(path, v, "must be a valid regular expression")
    }

    static func intRange(_ value: Int?, _ range: ClosedRange<Int>, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !range.contains(v) else { return }
        if range.upperBound == Int.max {
            p.add(path, String(v), "must be at least \(range.lowerBound)")
        } else {
            p.add(path, String(v), "must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }

    /// A plain IP address (no prefix length), optionally of one family.
    static func ip(_ value: String?, family: IPAddress.Family?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty else { return }
        guard let addr = IPAddress(v) else {
            p.add(path, v, family.map { "must be an IPv\($0.rawValue) address" } ?? "must be an IP address")
            return
        }
        if let family, addr.family != family { p.add(path, v, "must be an IPv\(family.rawValue) address, not IPv\(addr.family.rawValue)") }
    }

    /// `net` (strictly masked) or `cidr` (host bits allowed); a bare address means /32 or /128.
    static func network(_ value: String?, family: IPAddress.Family?, strict: Bool, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty else { return }
        let what = family.map { "IPv\($0.rawValue) " } ?? "IP "
        guard let net = IPNet(v) else {
            p.add(path, v, "must be an \(what)address or CIDR, such as \(family == .v6 ? "fd00::/64" : "10.0.0.0/8")")
            return
        }
        if let family, net.family != family {
            p.add(path, v, "must be an \(what)address or CIDR, not IPv\(net.family.rawValue)")
        } else if strict && !net.isMasked {
            p.add(path, v, "CIDR has host bits set; use \(net.network)")
        }
    }

    /// A DNS-1123 subdomain (the `name` tag).
    static func name(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value, !v.isEmpty, !Formats.isName(v) else { return }
        p.add(path, v, "must be a lowercase DNS-1123 subdomain ([a-z0-9]([-a-z0-9]*[a-z0-9])? separated by '.')")
    }

    static func selector(_ value: String?, _ path: FieldPath, into p: inout Problems) {
        guard let v = value else { return }
        RuleRules.selector(v, path: path, allowGlobal: true, into: &p)
    }
}
