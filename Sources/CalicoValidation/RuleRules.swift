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
            p.tag(path["action"], "", "action is required (Allow, Deny, Log or Pass)", tag: "action")
        case let a? where RuleAction(rawValue: a) == nil:
            p.tag(path["action"], a, "action must be one of Allow, Deny, Log, Pass", tag: "action")
        default: break
        }
        if let v = rule.ipVersion, v != 4, v != 6 {
            p.tag(path["ipVersion"], String(v), "ipVersion must be 4 or 6", tag: "ipVersion")
        }
        if let proto = rule.protocol { validateProtocol(proto, path: path["protocol"], into: &p) }
        if let proto = rule.notProtocol { validateProtocol(proto, path: path["notProtocol"], into: &p) }

        // ICMP.
        if let icmp = rule.icmp {
            validateICMP(icmp, path: path["icmp"], into: &p)
            let ok: Bool
            if case .name(let n)? = rule.protocol { ok = n == "ICMP" || n == "ICMPv6" } else { ok = false }
            if !ok {
                p.report(path["icmp"], nil, "icmp requires protocol ICMP or ICMPv6", as: "ICMP",
                         "rules that specify ICMP fields must set protocol to ICMP")
            }
        }
        if let icmp = rule.notICMP { validateICMP(icmp, path: path["notICMP"], into: &p) }
        let icmpValue = rule.icmp == nil ? "<nil>" : nil
        for (field, proto) in [("protocol", rule.protocol), ("notProtocol", rule.notProtocol)] {
            guard case .name(let n)?? = Optional(proto), let v = rule.ipVersion else { continue }
            if n == "ICMP" && v != 4 {
                p.report(path[field], n, "protocol ICMP requires ipVersion 4", as: "IPVersion",
                         "must set ipversion to '4' with protocol icmp", upstreamValue: icmpValue)
            }
            if n == "ICMPv6" && v != 6 {
                p.report(path[field], n, "protocol ICMPv6 requires ipVersion 6", as: "IPVersion",
                         "must set ipversion to '6' with protocol icmpv6", upstreamValue: icmpValue)
            }
        }

        // Ports need a protocol that has ports (upstream names the first list that has any).
        let portLists: [(String, [Port]?)] = [
            ("Source.Ports", rule.source?.ports), ("Source.NotPorts", rule.source?.notPorts),
            ("Destination.Ports", rule.destination?.ports), ("Destination.NotPorts", rule.destination?.notPorts),
        ]
        if let (name, ports) = portLists.first(where: { !($0.1 ?? []).isEmpty }), !(rule.protocol?.supportsPorts ?? false) {
            p.report(path["protocol"], rule.protocol?.description ?? "", "ports are only allowed with protocol TCP, UDP or SCTP (or 6, 17, 132)",
                     as: name, "rules that specify ports must set protocol to TCP or UDP or SCTP", upstreamValue: Upstream.list(ports ?? []))
        }

        // Nets: one family across all lists, matching ipVersion.
        var families = Set<IPAddress.Family>()
        for (side, entity) in [("source", rule.source), ("destination", rule.destination)] {
            guard let entity else { continue }
            validateEntity(entity, side: side, path: path[side], families: &families, into: &p)
        }
        let netLists = netListsOf(rule)
        if families.count > 1 {
            // Upstream names the first list that makes the rule inconsistent.
            var seen = Set<IPAddress.Family>()
            var culprit = netLists[0]
            for list in netLists {
                let fams = Set(list.1.compactMap { IPNet($0, allowBareIP: false)?.family })
                if !fams.isEmpty && fams.union(seen).count > 1 { culprit = list; break }
                seen.formUnion(fams)
            }
            p.report(path, nil, "rule mixes IPv4 and IPv6 nets", as: culprit.0, "rule contains both IPv4 and IPv6 CIDRs",
                     upstreamValue: Upstream.list(culprit.1))
        } else if let f = families.first, let v = rule.ipVersion, f.rawValue != v {
            let name = netLists.first { list in list.1.contains { IPNet($0, allowBareIP: false)?.family == f } }?.0 ?? "Source.Nets"
            // Upstream prints source.nets whichever list it names.
            p.report(path["ipVersion"], String(v), "nets are IPv\(f.rawValue) but ipVersion is \(v)", as: name,
                     "rule IP version doesn't match CIDR version", upstreamValue: Upstream.list(rule.source?.nets ?? []))
        }

        if let http = rule.http { validateHTTP(http, rule: rule, path: path["http"], into: &p) }
        if let annotations = rule.metadata?.annotations {
            MetadataRules.validateAnnotations(annotations, path: path["metadata"]["annotations"], into: &p)
        }
    }

    /// The rule's four net lists in upstream's order, with upstream's names.
    static func netListsOf(_ rule: Rule) -> [(String, [String])] {
        [("Source.Nets", rule.source?.nets ?? []), ("Source.NotNets", rule.source?.notNets ?? []),
         ("Destination.Nets", rule.destination?.nets ?? []), ("Destination.NotNets", rule.destination?.notNets ?? [])]
    }

    /// Upstream's numorstring.Protocol struct check, reported as `Protocol` for both fields.
    static func validateProtocol(_ proto: IPProtocol, path: FieldPath, into p: inout Problems) {
        switch proto {
        case .number(let n) where !(1...255).contains(n):
            p.report(path, String(n), "protocol number must be 1-255", as: "Protocol", "protocol number invalid")
        case .name(let s) where !IPProtocol.validNames.contains(s):
            p.report(path, s, "protocol must be a number 1-255 or one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite",
                     as: "Protocol", "protocol name invalid")
        default: break
        }
    }

    static func validateICMP(_ icmp: ICMPFields, path: FieldPath, into p: inout Problems) {
        if let t = icmp.type, !(0...254).contains(t) {
            p.tag(path["type"], String(t), "ICMP type must be 0-254", tag: t < 0 ? "gte" : "lte")
        }
        if let c = icmp.code {
            if !(0...255).contains(c) { p.tag(path["code"], String(c), "ICMP code must be 0-255", tag: c < 0 ? "gte" : "lte") }
            if icmp.type == nil {
                p.report(path["code"], String(c), "ICMP code requires a type", as: "Code", "ICMP code specified without an ICMP type")
            }
        }
    }

    /// Upstream's numorstring.Port checks (the `portName` tag and the `Port` struct check).
    static func validatePort(_ port: Port, path: FieldPath, into p: inout Problems) {
        if let name = port.name {
            if let problem = Port.nameProblem(name) { p.tag(path, name, problem, tag: "portName", field: "PortName") }
            if port.minPort != 0 || port.maxPort != 0 {
                p.report(path, name, "a named port must not have a number", as: "Port",
                         "named port invalid, if name is specified, min and max should be 0")
            }
        } else if port.minPort > port.maxPort {
            p.report(path, port.description, "port must be 1-65535", as: "Port", "port range invalid",
                     upstreamValue: String(port.maxPort))
        } else if port.minPort < 1 {
            p.report(path, port.description, "port must be 1-65535", as: "Port",
                     "port range invalid, port number must be between 1 and 65535", upstreamValue: String(port.minPort))
        } else if port.maxPort > 65535 {
            // Cannot reach upstream's validator: such a port fails to decode.
            p.add(path, port.description, "port must be 1-65535")
        }
    }

    static func validateEntity(_ e: EntityRule, side: String, path: FieldPath,
                               families: inout Set<IPAddress.Family>, into p: inout Problems) {
        let goSide = Upstream.goName(side)
        for (field, nets) in [("nets", e.nets), ("notNets", e.notNets)] {
            for (i, net) in (nets ?? []).enumerated() {
                let at = path[field][i]
                guard let parsed = IPNet(net, allowBareIP: false) else {
                    if IPNet(net) != nil {
                        // A bare address passes the `net` tag but not the rule's CIDR parse.
                        p.report(at, net, "must be a CIDR such as 10.0.0.0/8 or fd00::/64",
                                 as: "\(goSide).\(Upstream.goName(field))", "invalid CIDR")
                    } else {
                        p.tag(at, net, "must be a CIDR such as 10.0.0.0/8 or fd00::/64", tag: "net")
                    }
                    continue
                }
                if !parsed.isMasked { p.tag(at, net, "CIDR has host bits set; use \(parsed.network)", tag: "net") }
                families.insert(parsed.family)
                if field == "notNets" && (net == "0.0.0.0/0" || (parsed.family == .v6 && parsed.prefixLength == 0)) {
                    p.add(at, net, "notNets must not match all addresses")
                }
            }
        }
        if let s = e.selector {
            selector(s, path: path["selector"], allowGlobal: false, globalUpstream: ("Selector field", s), into: &p)
        }
        if let s = e.notSelector {
            selector(s, path: path["notSelector"], allowGlobal: false, into: &p)
        }
        if let s = e.namespaceSelector {
            if let err = Formats.selectorProblem(s) {
                p.tag(path["namespaceSelector"], s, err.description, tag: "selector")
            } else if let sel = try? Selector.parse(s), sel.expression.containsGlobal, sel.expression != .global {
                p.report(path["namespaceSelector"], s, "global() may only be used alone in a namespaceSelector",
                         as: "NamespaceSelector field", "global() cannot be combined with other selectors")
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
        if let svc = e.services { validateServices(svc, e, side: side, path: path, into: &p) }
    }

    static func validateServices(_ svc: ServiceMatch, _ e: EntityRule, side: String, path: FieldPath, into p: inout Problems) {
        let sp = path["services"]
        let value = Upstream.services(svc)
        if (svc.name ?? "").isEmpty {
            p.report(sp["name"], nil, "services match requires a name", as: "Services field", "must specify a service name",
                     upstreamValue: value)
        } else if !Formats.isName(svc.name!) {
            p.tag(sp["name"], svc.name!, "service name must be a DNS-1123 subdomain", tag: "name")
        }
        if let ns = svc.namespace, !ns.isEmpty, !Formats.isName(ns) {
            p.tag(sp["namespace"], ns, "service namespace must be a DNS-1123 subdomain", tag: "name")
        }
        let selectorClash = "cannot specify Selector/NotSelector and Services on the same rule"
        let netsClash = "cannot specify Nets/NotNets and Services on the same rule"
        let conflicts: [(String, Bool, String)] = [
            ("selector", e.selector != nil && e.selector != "", selectorClash),
            ("notSelector", e.notSelector != nil && e.notSelector != "", selectorClash),
            ("namespaceSelector", e.namespaceSelector != nil && e.namespaceSelector != "",
             "cannot specify NamespaceSelector and Services on the same rule"),
            ("serviceAccounts", e.serviceAccounts != nil, "cannot specify ServiceAccounts and Services on the same rule"),
            ("nets", !(e.nets ?? []).isEmpty, netsClash), ("notNets", !(e.notNets ?? []).isEmpty, netsClash),
        ]
        for (field, set, upstream) in conflicts where set {
            p.report(path[field], nil, "cannot be combined with services", as: "Services field", upstream, upstreamValue: value)
        }
        if side == "destination" {
            if let ports = e.ports, !ports.isEmpty {
                p.report(path["ports"], nil, "destination ports cannot be combined with destination services",
                         as: "Destination.Ports", "cannot specify ports with a service selector", upstreamValue: Upstream.list(ports))
            }
            if let ports = e.notPorts, !ports.isEmpty {
                p.report(path["notPorts"], nil, "destination notPorts cannot be combined with destination services",
                         as: "Destination.NotPorts", "cannot specify notports with a service selector", upstreamValue: Upstream.list(ports))
            }
        }
    }

    /// A selector that must parse (upstream's `selector` tag). Where `global()` is refused,
    /// `globalUpstream` names upstream's matching check (field name and printed value), if any.
    static func selector(_ s: String, path: FieldPath, allowGlobal: Bool, globalUpstream: (name: String, value: String)? = nil,
                         upstream: Bool = true, into p: inout Problems) {
        if let err = Formats.selectorProblem(s) {
            if upstream { p.tag(path, s, err.description, tag: "selector") } else { p.add(path, s, err.description) }
        } else if !allowGlobal, let sel = try? Selector.parse(s), sel.expression.containsGlobal {
            if let g = globalUpstream {
                p.report(path, s, "global() is not allowed here", as: g.name, Upstream.globalOnlyInNamespaceSelector, upstreamValue: g.value)
            } else {
                p.add(path, s, "global() is not allowed here")
            }
        }
    }

    static func validateHTTP(_ http: HTTPMatch, rule: Rule, path: FieldPath, into p: inout Problems) {
        if rule.action != "Allow" {
            p.report(path, nil, "http match is only allowed on Allow rules", as: "HTTP", "only valid for Allow rules",
                     upstreamValue: Upstream.http(http))
        }
        switch rule.protocol {
        case nil: break
        case .name("TCP")?: break
        case let proto?:
            p.report(path, proto.description, "http match requires protocol TCP (or no protocol)", as: "Protocol",
                     "rules that specify HTTP fields must set protocol to TCP or empty")
        }
        let methods = http.methods ?? []
        var seen = Set<String>()
        for (i, m) in methods.enumerated() where !seen.insert(m).inserted {
            p.report(path["methods"][i], m, "duplicate HTTP method", as: "Methods",
                     "Invalid methods (duplicates): \(Upstream.list(methods))", upstreamValue: Upstream.list(methods))
        }
        let paths = Upstream.paths(http.paths ?? [])
        for (i, hp) in (http.paths ?? []).enumerated() {
            let at = path["paths"][i]
            switch (hp.exact, hp.prefix) {
            case (nil, nil), (.some, .some):
                let upstream = hp.exact == nil ? "Invalid path match. Either 'exact' or 'prefix' must be set"
                    : "Invalid path match. Both 'exact' and 'prefix' are set"
                p.report(at, nil, "an HTTP path must set exactly one of exact or prefix", as: "Paths", upstream, upstreamValue: paths)
            case let (v?, nil), let (nil, v?):
                let upstream = "Invalid path \(v). (must start with `/` and not contain `?` or `#`"
                if !v.hasPrefix("/") { p.report(at, v, "HTTP path must start with '/'", as: "Paths", upstream, upstreamValue: paths) }
                if v.contains("?") || v.contains("#") || v.contains(" ") {
                    p.report(at, v, "HTTP path must not contain '?', '#' or spaces", as: "Paths", upstream, upstreamValue: paths)
                }
            }
        }
    }
}
