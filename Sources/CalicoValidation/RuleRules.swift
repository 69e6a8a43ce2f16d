import CalicoAPI
import CalicoSelector

/// Which list a rule sits in.
enum RuleDirection { case ingress, egress }

/// Checks one rule (policy or profile), per the rule model of the API.
enum RuleRules {
    /// Rule-level checks only. The direction-specific restrictions (no `source.services` or
    /// `http` in egress rules, no `destination.services` in ingress rules) are policy-level
    /// and live in `PolicyRules`: profiles do not get them.
    static func validate(_ rule: Rule, direction: RuleDirection, path: FieldPath, into p: inout Problems) {
        // Action.
        switch rule.action {
        case nil, "":
            p.add(path["action"], "action is required (Allow, Deny, Log or Pass)")
        case let a? where RuleAction(rawValue: a) == nil:
            p.add(path["action"], a, "action must be one of Allow, Deny, Log, Pass")
        default: break
        }
        if let v = rule.ipVersion, v != 4, v != 6 {
            p.add(path["ipVersion"], String(v), "ipVersion must be 4 or 6")
        }
        if let proto = rule.protocol { validateProtocol(proto, path: path["protocol"], into: &p) }
        if let proto = rule.notProtocol { validateProtocol(proto, path: path["notProtocol"], into: &p) }

        // ICMP.
        if let icmp = rule.icmp {
            validateICMP(icmp, path: path["icmp"], into: &p)
            let ok: Bool
            if case .name(let n)? = rule.protocol { ok = n == "ICMP" || n == "ICMPv6" } else { ok = false }
            if !ok { p.add(path["icmp"], "icmp requires protocol ICMP or ICMPv6") }
        }
        if let icmp = rule.notICMP { validateICMP(icmp, path: path["notICMP"], into: &p) }
        for (field, proto) in [("protocol", rule.protocol), ("notProtocol", rule.notProtocol)] {
            guard case .name(let n)?? = Optional(proto), let v = rule.ipVersion else { continue }
            if n == "ICMP" && v != 4 { p.add(path[field], n, "protocol ICMP requires ipVersion 4") }
            if n == "ICMPv6" && v != 6 { p.add(path[field], n, "protocol ICMPv6 requires ipVersion 6") }
        }

        // Ports need a protocol that has ports.
        let hasPorts = [rule.source?.ports, rule.source?.notPorts, rule.destination?.ports, rule.destination?.notPorts]
            .contains { !($0 ?? []).isEmpty }
        if hasPorts && !(rule.protocol?.supportsPorts ?? false) {
            p.add(path["protocol"], rule.protocol?.description ?? "", "ports are only allowed with protocol TCP, UDP or SCTP (or 6, 17, 132)")
        }

        // Nets: one family across all lists, matching ipVersion.
        var families = Set<IPAddress.Family>()
        for (side, entity) in [("source", rule.source), ("destination", rule.destination)] {
            guard let entity else { continue }
            validateEntity(entity, side: side, path: path[side], families: &families, into: &p)
        }
        if families.count > 1 {
            p.add(path, "rule mixes IPv4 and IPv6 nets")
        } else if let f = families.first, let v = rule.ipVersion, f.rawValue != v {
            p.add(path["ipVersion"], String(v), "nets are IPv\(f.rawValue) but ipVersion is \(v)")
        }

        if let http = rule.http { validateHTTP(http, rule: rule, path: path["http"], into: &p) }
        if let annotations = rule.metadata?.annotations {
            MetadataRules.validateAnnotations(annotations, path: path["metadata"]["annotations"], into: &p)
        }
    }

    static func validateProtocol(_ proto: IPProtocol, path: FieldPath, into p: inout Problems) {
        switch proto {
        case .number(let n) where !(1...255).contains(n):
            p.add(path, String(n), "protocol number must be 1-255")
        case .name(let s) where !IPProtocol.validNames.contains(s):
            p.add(path, s, "protocol must be a number 1-255 or one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite")
        default: break
        }
    }

    static func validateICMP(_ icmp: ICMPFields, path: FieldPath, into p: inout Problems) {
        if let t = icmp.type, !(0...254).contains(t) { p.add(path["type"], String(t), "ICMP type must be 0-254") }
        if let c = icmp.code {
            if !(0...255).contains(c) { p.add(path["code"], String(c), "ICMP code must be 0-255") }
            if icmp.type == nil { p.add(path["code"], String(c), "ICMP code requires a type") }
        }
    }

    static func validatePort(_ port: Port, path: FieldPath, into p: inout Problems) {
        if let name = port.name {
            if let problem = Port.nameProblem(name) { p.add(path, name, problem) }
            if port.minPort != 0 || port.maxPort != 0 { p.add(path, name, "a named port must not have a number") }
        } else if port.minPort < 1 || port.maxPort > 65535 || port.minPort > port.maxPort {
            p.add(path, port.description, "port must be 1-65535")
        }
    }

    static func validateEntity(_ e: EntityRule, side: String, path: FieldPath,
                               families: inout Set<IPAddress.Family>, into p: inout Problems) {
        for (field, nets) in [("nets", e.nets), ("notNets", e.notNets)] {
            for (i, net) in (nets ?? []).enumerated() {
                let at = path[field][i]
                guard let parsed = IPNet(net, allowBareIP: false) else {
                    p.add(at, net, "must be a CIDR such as 10.0.0.0/8 or fd00::/64")
                    continue
                }
                if !parsed.isMasked { p.add(at, net, "CIDR has host bits set; use \(parsed.network)") }
                families.insert(parsed.family)
                if field == "notNets" && (net == "0.0.0.0/0" || (parsed.family == .v6 && parsed.prefixLength == 0)) {
                    p.add(at, net, "notNets must not match all addresses")
                }
            }
        }
        if let s = e.selector {
            selector(s, path: path["selector"], allowGlobal: false, into: &p)
        }
        if let s = e.notSelector {
            selector(s, path: path["notSelector"], allowGlobal: false, into: &p)
        }
        if let s = e.namespaceSelector {
            if let err = Formats.selectorProblem(s) {
                p.add(path["namespaceSelector"], s, err.description)
            } else if let sel = try? Selector.parse(s), sel.expression.containsGlobal, sel.expression != .global {
                p.add(path["namespaceSelector"], s, "global() may only be used alone in a namespaceSelector")
            }
        }
        for (field, ports) in [("ports", e.ports), ("notPorts", e.notPorts)] {
            for (i, port) in (ports ?? []).enumerated() { validatePort(port, path: path[field][i], into: &p) }
        }
        if let sa = e.serviceAccounts {
            for (i, n) in (sa.names ?? []).enumerated() where !Formats.isName(n) {
                p.add(path["serviceAccounts"]["names"][i], n, "service account name must be a DNS-1123 subdomain")
            }
            if let s = sa.selector { selector(s, path: path["serviceAccounts"]["selector"], allowGlobal: false, into: &p) }
        }
        if let svc = e.services {
            let sp = path["services"]
            if (svc.name ?? "").isEmpty {
                p.add(sp["name"], "services match requires a name")
            } else if !Formats.isName(svc.name!) {
                p.add(sp["name"], svc.name!, "service name must be a DNS-1123 subdomain")
            }
            if let ns = svc.namespace, !ns.isEmpty, !Formats.isName(ns) {
                p.add(sp["namespace"], ns, "service namespace must be a DNS-1123 subdomain")
            }
            let conflicts: [(String, Bool)] = [
                ("selector", e.selector != nil && e.selector != ""), ("notSelector", e.notSelector != nil && e.notSelector != ""),
                ("namespaceSelector", e.namespaceSelector != nil && e.namespaceSelector != ""),
                ("serviceAccounts", e.serviceAccounts != nil), ("nets", !(e.nets ?? []).isEmpty), ("notNets", !(e.notNets ?? []).isEmpty),
            ]
            for (field, set) in conflicts where set {
                p.add(path[field], "cannot be combined with services")
            }
            if side == "destination" {
                if !(e.ports ?? []).isEmpty { p.add(path["ports"], "destination ports cannot be combined with destination services") }
                if !(e.notPorts ?? []).isEmpty { p.add(path["notPorts"], "destination notPorts cannot be combined with destination services") }
            }
        }
    }

    static func selector(_ s: String, path: FieldPath, allowGlobal: Bool, into p: inout Problems) {
        if let err = Formats.selectorProblem(s) {
            p.add(path, s, err.description)
        } else if !allowGlobal, let sel = try? Selector.parse(s), sel.expression.containsGlobal {
            p.add(path, s, "global() is not allowed here")
        }
    }

    static func validateHTTP(_ http: HTTPMatch, rule: Rule, path: FieldPath, into p: inout Problems) {
        if rule.action != "Allow" { p.add(path, "http match is only allowed on Allow rules") }
        switch rule.protocol {
        case nil: break
        case .name("TCP")?: break
        case let proto?: p.add(path, proto.description, "http match requires protocol TCP (or no protocol)")
        }
        var seen = Set<String>()
        for (i, m) in (http.methods ?? []).enumerated() where !seen.insert(m).inserted {
            p.add(path["methods"][i], m, "duplicate HTTP method")
        }
        for (i, hp) in (http.paths ?? []).enumerated() {
            let at = path["paths"][i]
            switch (hp.exact, hp.prefix) {
            case (nil, nil), (.some, .some):
                p.add(at, "an HTTP path must set exactly one of exact or prefix")
            case let (v?, nil), let (nil, v?):
                if !v.hasPrefix("/") { p.add(at, v, "HTTP path must start with '/'") }
                if v.contains("?") || v.contains("#") || v.contains(" ") {
                    p.add(at, v, "HTTP path must not contain '?', '#' or spaces")
                }
            }
        }
    }
}
