import FelixCalc

/// The base chains, Felix's static chains, failsafes and host-endpoint dispatch (pure).
struct StaticChains {
    var family: IPFamily
    var settings: FelixSettings

    static let baseChains: [(String, BaseChainHook, String?)] = [
        ("raw-PREROUTING", BaseChainHook(type: "filter", hook: "prerouting", priority: -300), "raw-cali-PREROUTING"),
        ("raw-OUTPUT", BaseChainHook(type: "filter", hook: "output", priority: -300), "raw-cali-OUTPUT"),
        ("mangle-PREROUTING", BaseChainHook(type: "filter", hook: "prerouting", priority: -150), "mangle-cali-PREROUTING"),
        ("mangle-POSTROUTING", BaseChainHook(type: "filter", hook: "postrouting", priority: -150), "mangle-cali-POSTROUTING"),
        ("filter-INPUT", BaseChainHook(type: "filter", hook: "input", priority: 0), "filter-cali-INPUT"),
        ("filter-FORWARD", BaseChainHook(type: "filter", hook: "forward", priority: 0), "filter-cali-FORWARD"),
        ("filter-OUTPUT", BaseChainHook(type: "filter", hook: "output", priority: 0), "filter-cali-OUTPUT"),
    ]

    var prefixMatch: String {
        let p = settings.interfacePrefixes.map { "\"\($0)*\"" }
        return p.count == 1 ? p[0] : "{ " + p.joined(separator: ", ") + " }"
    }

    var acceptIfMarked: String { "\(Marks.isSet(Marks.accept)) accept" }

    func chains(hosts: [EndpointUpdate], cluster: ClusterChains? = nil) -> [NftChain] {
        var out: [NftChain] = []
        for (name, hook, jump) in Self.baseChains {
            var rules = jump.map { ["jump \($0)"] } ?? []
            if name == "filter-FORWARD" {
                rules += [acceptIfMarked, Marks.set(Marks.accept)]
            }
            out.append(NftChain(name: name, rules: rules, hook: hook))
        }
        let iif = "iifname \(prefixMatch)", oif = "oifname \(prefixMatch)"
        let allClear = Marks.clear(Marks.all)
        out.append(NftChain(name: "raw-cali-PREROUTING", rules: [
            allClear,
            "\(iif) \(Marks.set(Marks.scratch0))",
            "\(Marks.isClear(Marks.scratch0)) jump raw-cali-from-host-endpoint",
            acceptIfMarked,
        ]))
        out.append(NftChain(name: "raw-cali-OUTPUT", rules: [allClear, "jump raw-cali-to-host-endpoint", acceptIfMarked]))
        out.append(NftChain(name: "mangle-cali-PREROUTING", rules: [
            "ct state established,related accept", acceptIfMarked, "jump mangle-cali-from-host-endpoint", acceptIfMarked,
        ]))
        out.append(NftChain(name: "mangle-cali-POSTROUTING", rules: ["\(Marks.isSet(Marks.accept)) return"]))
        out.append(NftChain(name: "filter-cali-INPUT", rules: (cluster?.inputRules ?? []) + [
            "\(iif) goto filter-cali-wl-to-host", acceptIfMarked, allClear, "jump filter-cali-from-host-endpoint", acceptIfMarked,
        ]))
        var toHost: [String] = []
        if family == .v6 { toHost.append("meta l4proto 58 icmpv6 type { 130, 131, 132, 133, 135, 136 } accept") }
        toHost.append("jump \(ChainNames.fromWorkloadDispatch)")
        switch settings.defaultEndpointToHostAction {
        case "ACCEPT": toHost.append("accept")
        case "RETURN": toHost.append("return")
        default: toHost.append("drop")
        }
        out.append(NftChain(name: "filter-cali-wl-to-host", rules: toHost))
        out.append(NftChain(name: "filter-cali-FORWARD", rules: [
            Marks.clear(Marks.all & ~Marks.accept),
            "\(Marks.isClear(Marks.accept)) jump filter-cali-from-hep-forward",
            "\(iif) jump \(ChainNames.fromWorkloadDispatch)",
            "\(oif) jump \(ChainNames.toWorkloadDispatch)",
            "jump filter-cali-to-hep-forward",
        ]))
        out.append(NftChain(name: "filter-cali-OUTPUT", rules: [acceptIfMarked, "\(oif) return"] + (cluster?.outputRules ?? []) + [
            allClear, "ct status != dnat jump filter-cali-to-host-endpoint", acceptIfMarked,
        ]))
        // Workload dispatch: unknown interfaces are dropped (fail closed).
        out.append(NftChain(name: ChainNames.toWorkloadDispatch, rules: ["oifname vmap @\(ChainNames.toWorkloadMap)", "drop"]))
        out.append(NftChain(name: ChainNames.fromWorkloadDispatch, rules: ["iifname vmap @\(ChainNames.fromWorkloadMap)", "drop"]))
        out += failsafes()
        out += hostDispatch(hosts)
        return out
    }

    func failsafes() -> [NftChain] {
        func rules(_ ports: [FailsafePort], inbound: Bool, raw: Bool) -> [String] {
            ports.compactMap { p -> String? in
                guard let proto = RuleRenderer.protocolNumbers[p.proto] else { return nil }
                var peer = ""
                if let net = p.net {
                    guard family.contains(net) else { return nil }
                    peer = "\(family.addressKeyword) \(inbound ? "saddr" : "daddr") \(net) "
                }
                var out = "meta l4proto \(proto) \(peer)th \(inbound ? "dport" : "dport") \(p.port) accept"
                if raw {
                    // Pre-conntrack: the replies of failsafe connections too.
                    let back = p.net.map { "\(family.addressKeyword) \(inbound ? "daddr" : "saddr") \($0) " } ?? ""
                    out += "\nmeta l4proto \(proto) \(back)th sport \(p.port) accept"
                }
                return out
            }.flatMap { $0.split(separator: "\n").map(String.init) }
        }
        var out: [NftChain] = []
        for layer in [ChainNames.Layer.filter, .mangle, .raw] {
            out.append(NftChain(name: ChainNames.name(layer, "cali-failsafe-in"), rules: rules(settings.failsafeInbound, inbound: true, raw: layer == .raw)))
            out.append(NftChain(name: ChainNames.name(layer, "cali-failsafe-out"), rules: rules(settings.failsafeOutbound, inbound: false, raw: layer == .raw)))
        }
        return out
    }

    /// `iifname X goto <chain>` per host endpoint (wildcard last), in each layer.
    func hostDispatch(_ hosts: [EndpointUpdate]) -> [NftChain] {
        let named = hosts.filter { $0.interfaceName != "*" }.sorted { $0.interfaceName < $1.interfaceName }
        let wildcard = hosts.contains { $0.interfaceName == "*" }
        let oif = "oifname \(prefixMatch)"
        func dispatch(_ name: String, _ kind: String, _ layer: ChainNames.Layer, ingress: Bool, wildcardAllowed: Bool, skipWorkloads: Bool) -> NftChain {
            let key = ingress ? "iifname" : "oifname"
            var rules = named.map { "\(key) \"\($0.interfaceName)\" goto \(ChainNames.endpoint(kind, $0.interfaceName, layer: layer))" }
            if wildcard && wildcardAllowed {
                if skipWorkloads { rules.append("\(oif) return") }
                rules.append("goto \(ChainNames.endpoint(kind, "*", layer: layer))")
            }
            return NftChain(name: ChainNames.name(layer, name), rules: rules)
        }
        return [
            dispatch("cali-from-host-endpoint", "fh", .filter, ingress: true, wildcardAllowed: true, skipWorkloads: false),
            dispatch("cali-to-host-endpoint", "th", .filter, ingress: false, wildcardAllowed: true, skipWorkloads: true),
            dispatch("cali-from-hep-forward", "fhfw", .filter, ingress: true, wildcardAllowed: true, skipWorkloads: false),
            dispatch("cali-to-hep-forward", "thfw", .filter, ingress: false, wildcardAllowed: true, skipWorkloads: false),
            dispatch("cali-from-host-endpoint", "fh", .mangle, ingress: true, wildcardAllowed: true, skipWorkloads: false),
            dispatch("cali-from-host-endpoint", "fh", .raw, ingress: true, wildcardAllowed: false, skipWorkloads: false),
            dispatch("cali-to-host-endpoint", "th", .raw, ingress: false, wildcardAllowed: false, skipWorkloads: false),
        ]
    }
}
