import CalicoAPI
import Foundation

// Calico v1 → projectcalico.org/v3, as libcalico-go's upgrade converters do it (via the v1
// backend model): names normalized, tags merged into selectors and labels, `calico/k8s_ns`
// renamed `projectcalico.org/namespace`, protocols and actions in their v3 spelling.

extension ConvertError {
    /// A problem upstream finds while reading the file (decoding or v1 validation), before any
    /// conversion: reported as `Failed to create resources from file: …`.
    static func load(_ message: String) -> ConvertError {
        var e = ConvertError(message)
        e.atLoad = true
        return e
    }
}

/// Names as the upgrade converters derive them.
enum V1Names {
    /// Lowercase; `/` → `.`; each run of characters outside `[-.a-z0-9]` → `-`; each run of
    /// `.`/`-` holding a dot → `.`; leading and trailing dots and dashes removed.
    static func normalize(_ name: String) -> String {
        var replaced = ""
        var inRun = false
        for u in name.lowercased().replacingOccurrences(of: "/", with: ".").unicodeScalars {
            let ok = ("a"..."z").contains(u) || ("0"..."9").contains(u) || u == "-" || u == "."
            if ok {
                replaced.unicodeScalars.append(u)
                inRun = false
            } else if !inRun {
                replaced += "-"
                inRun = true
            }
        }
        var out = ""
        var run = ""
        func flush() {
            out += run.contains(".") ? "." : run
            run = ""
        }
        for c in replaced {
            if c == "." || c == "-" {
                run.append(c)
            } else {
                flush()
                out.append(c)
            }
        }
        flush()
        let trimmed = out.drop { $0 == "." || $0 == "-" }
        return String(trimmed.reversed().drop { $0 == "." || $0 == "-" }.reversed())
    }

    /// The name unchanged when it is already normal, else the normal form and `-` and the
    /// first 8 hex digits of the SHA-1 of the original.
    static func qualified(_ original: String, _ final: String) -> String {
        if original == final { return original }
        let digest = SHA1.hash(Array(original.utf8)).prefix(4).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
        return "\(final)-\(digest)"
    }

    static func convert(_ name: String) -> String { qualified(name, normalize(name)) }

    static func convertNoDots(_ name: String) -> String {
        qualified(name, normalize(name).replacingOccurrences(of: ".", with: "-"))
    }

    /// `k8s_ns.<ns>` profiles are `kns.<ns>` in v3.
    static func profile(_ name: String) -> String {
        name.hasPrefix("k8s_ns.") ? convert("kns." + name.dropFirst("k8s_ns.".count)) : convert(name)
    }

    /// `1-2-3-4`, or eight zero-padded IPv6 groups joined by `-`.
    static func ip(_ ip: IPAddress) -> String {
        switch ip.family {
        case .v4: return ip.description.replacingOccurrences(of: ".", with: "-")
        case .v6:
            return stride(from: 0, to: 16, by: 2).map { i in
                [ip.bytes[i], ip.bytes[i + 1]].map { b in
                    let hex = String(b, radix: 16)
                    return hex.count == 1 ? "0" + hex : hex
                }.joined()
            }.joined(separator: "-")
        }
    }

    /// An IP pool's name: the CIDR with `.`, `:` and `/` turned into `-`.
    static func cidr(_ cidr: String) -> String {
        cidr.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: "/", with: "-")
    }
}

/// Parsing of v1 address fields, with the words of libcalico-go's decoders.
enum V1Parse {
    /// An address with its prefix (a bare address is a host route), as written: not masked.
    static func net(_ text: String) throws(ConvertError) -> IPNet {
        guard let net = IPNet(text, allowBareIP: true) else { throw .load("invalid CIDR address: \(text)") }
        return net
    }

    static func ip(_ text: String) throws(ConvertError) -> IPAddress {
        guard let ip = IPAddress(text) else { throw .load("invalid IP address: \(text)") }
        return ip
    }

    /// A MAC address in Go's `net.HardwareAddr` form (lowercase, colon-separated).
    static func mac(_ text: String) throws(ConvertError) -> String {
        let parts = text.split(separator: text.contains("-") ? "-" : ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else {
            throw .load("address \(text): invalid MAC address")
        }
        return parts.map { $0.lowercased() }.joined(separator: ":")
    }
}

enum V1Rules {
    static let namespaceLabel = "projectcalico.org/namespace"

    /// v1 selectors name the namespace label `calico/k8s_ns`.
    static func selector(_ s: String) -> String {
        s.replacingOccurrences(of: "calico/k8s_ns", with: namespaceLabel)
    }

    /// Tags are labels in v3: `tag == ''`, and-ed with the selector.
    static func merge(_ selector: String, tag: String?) -> String {
        guard let tag, !tag.isEmpty else { return selector }
        return selector.isEmpty ? "\(tag) == ''" : "(\(selector)) && \(tag) == ''"
    }

    /// v1 protocol names are lowercase; v3 spells them `TCP`, `ICMPv6`, `UDPLite`…
    static func proto(_ p: IPProtocol) -> IPProtocol {
        guard case .name(let s) = p else { return p }
        let v3: [String: String] = ["tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6", "sctp": "SCTP", "udplite": "UDPLite"]
        return v3[s.lowercased()].map(IPProtocol.name) ?? p
    }

    static func action(_ a: String) -> String {
        if a.isEmpty { return RuleAction.allow.rawValue }
        if a == "next-tier" { return RuleAction.pass.rawValue }
        for action in [RuleAction.allow, .deny, .log, .pass] where action.rawValue.lowercased() == a.lowercased() {
            return action.rawValue
        }
        return a
    }

    static func rules(_ rules: [V1Rule]?) throws(ConvertError) -> [Rule]? {
        guard let rules, !rules.isEmpty else { return nil }
        var out: [Rule] = []
        for r in rules { out.append(try rule(r)) }
        return out
    }

    static func rule(_ r: V1Rule) throws(ConvertError) -> Rule {
        var out = Rule()
        out.action = action(r.action ?? "")
        out.ipVersion = r.ipVersion
        out.protocol = r.protocol.map(proto)
        out.notProtocol = r.notProtocol.map(proto)
        if let icmp = r.icmp, icmp.type != nil || icmp.code != nil { out.icmp = icmp }
        if let icmp = r.notICMP, icmp.type != nil || icmp.code != nil { out.notICMP = icmp }
        out.source = try entity(r.source ?? V1EntityRule())
        out.destination = try entity(r.destination ?? V1EntityRule())
        return out
    }

    /// `nets` then `net` (masked), selector with its tag merged in.
    static func entity(_ e: V1EntityRule) throws(ConvertError) -> EntityRule {
        var out = EntityRule()
        out.nets = try nets(e.nets, e.net)
        out.notNets = try nets(e.notNets, e.notNet)
        out.selector = Omit.empty(merge(selector(e.selector ?? ""), tag: e.tag))
        out.notSelector = Omit.empty(merge(selector(e.notSelector ?? ""), tag: e.notTag))
        out.ports = e.ports?.isEmpty == false ? e.ports : nil
        out.notPorts = e.notPorts?.isEmpty == false ? e.notPorts : nil
        return out
    }

    static func nets(_ nets: [String]?, _ net: String?) throws(ConvertError) -> [String]? {
        var out: [String] = []
        for text in (nets ?? []) + (net.map { [$0] } ?? []) { out.append(try V1Parse.net(text).network.description) }
        return out.isEmpty ? nil : out
    }

    /// v1's validator checks each rule's action when the file is read.
    static func check(_ rules: [V1Rule]?) throws(ConvertError) {
        for r in rules ?? [] {
            let a = r.action ?? ""
            guard ["allow", "deny", "log", "pass"].contains(a) else {
                throw .load("error with field Action = '\(a)' (Reason: failed to validate Field: Action because of Tag: action )")
            }
        }
    }
}

/// Go's `omitempty`: an empty string, list or map is left out.
enum Omit {
    static func empty(_ s: String?) -> String? { s?.isEmpty == false ? s : nil }
    static func empty<T>(_ a: [T]?) -> [T]? { a?.isEmpty == false ? a : nil }
    static func empty(_ m: [String: String]?) -> [String: String]? { m?.isEmpty == false ? m : nil }
}

enum V1PolicyConverters {
    static let tierLabel = "projectcalico.org/tier"

    /// A v1 policy is a GlobalNetworkPolicy named `<tier>.<name>` (tier `default` unless set).
    static func policy(_ p: V1Policy) throws(ConvertError) -> GlobalNetworkPolicy {
        let m = p.metadata ?? V1PolicyMetadata(), s = p.spec ?? V1PolicySpec()
        try V1Rules.check(s.ingress)
        try V1Rules.check(s.egress)
        for (i, t) in (s.types ?? []).enumerated() where t != "ingress" && t != "egress" {
            throw .load("error with field Types[\(i)] = '\(t)' (Reason: failed to validate Field: Types[\(i)] because of Tag: policyType )")
        }
        var tier = V1Names.convertNoDots(m.tier ?? "")
        if tier.isEmpty { tier = "default" }
        var spec = GlobalNetworkPolicySpec(tier: tier, order: s.order, selector: Omit.empty(V1Rules.selector(s.selector ?? "")))
        spec.ingress = try V1Rules.rules(s.ingress)
        spec.egress = try V1Rules.rules(s.egress)
        let doNotTrack = s.doNotTrack ?? false, preDNAT = s.preDNAT ?? false
        spec.doNotTrack = doNotTrack ? true : nil
        spec.preDNAT = preDNAT ? true : nil
        // DoNotTrack and PreDNAT policy applies to forwarded traffic by nature.
        spec.applyOnForward = doNotTrack || preDNAT ? true : nil
        if let types = s.types, !types.isEmpty {
            spec.types = types.map { $0 == "ingress" ? .ingress : .egress }
        } else if (s.egress ?? []).isEmpty {
            spec.types = [.ingress]
        } else if (s.ingress ?? []).isEmpty {
            spec.types = [.egress]
        } else {
            spec.types = [.ingress, .egress]
        }
        let meta = ObjectMeta(name: tier + "." + V1Names.convertNoDots(m.name ?? ""), labels: [tierLabel: tier],
                              annotations: Omit.empty(m.annotations))
        return GlobalNetworkPolicy(metadata: meta, spec: spec)
    }

    /// A v1 profile: its tags become labels to apply (value `""`), beside its labels.
    static func profile(_ p: V1Profile) throws(ConvertError) -> Profile {
        let m = p.metadata ?? V1ProfileMetadata(), s = p.spec ?? V1ProfileSpec()
        try V1Rules.check(s.ingress)
        try V1Rules.check(s.egress)
        let name = V1Names.profile(m.name ?? "")
        var labels = m.labels ?? [:]
        for tag in m.tags ?? [] {
            if let value = labels[tag] {
                throw ConvertError("Tag: '\(tag)' and Label '\(tag) == \(value)' have the same value for Profile: \(name). "
                    + "Change the Label key before proceeding")
            }
            labels[tag] = ""
        }
        let ingress = try V1Rules.rules(s.ingress), egress = try V1Rules.rules(s.egress)
        let spec = ProfileSpec(ingress: ingress, egress: egress, labelsToApply: Omit.empty(labels))
        return Profile(metadata: ObjectMeta(name: name), spec: spec)
    }
}
