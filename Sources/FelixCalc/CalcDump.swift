/// Human-readable text of what the graph would program on a node (`calico-node -felix
/// --calc-only --dump`).
public enum CalcDump {
    public static func render(_ updates: [DataplaneUpdate], skipped: [String: String], held: [String: String] = [:]) -> String {
        var endpoints: [String] = []
        var policies: [String] = []
        var profiles: [String] = []
        var sets: [String] = []
        for u in updates {
            switch u {
            case .endpointUpdate(let e):
                var s = "\(e.id)  iface=\(e.interfaceName)  ips=\((e.ipv4Nets + e.ipv6Nets).joined(separator: ","))  profiles=\(e.profileIDs.joined(separator: ","))\n"
                for (label, tiers) in [("tiers", e.tiers), ("preDNAT tiers", e.preDNATTiers), ("untracked tiers", e.untrackedTiers), ("forward tiers", e.forwardTiers)] where !tiers.isEmpty {
                    s += "  \(label):\n"
                    for t in tiers {
                        s += "    \(t.name) (end of tier: \(t.defaultAction))\n"
                        if !t.ingressPolicies.isEmpty { s += "      ingress: \(t.ingressPolicies.map(\.name).joined(separator: ", "))\n" }
                        if !t.egressPolicies.isEmpty { s += "      egress:  \(t.egressPolicies.map(\.name).joined(separator: ", "))\n" }
                    }
                }
                s += qosLines(e)
                endpoints.append(s)
            case let .activePolicyUpdate(id, p):
                var s = "\(id)\(p.staged ? "  [staged: not enforced]" : "")\(p.preDNAT ? "  [preDNAT]" : "")\(p.untracked ? "  [untracked]" : "")\n"
                for (dir, rules) in [("in", p.inbound), ("out", p.outbound)] {
                    for r in rules { s += "  \(dir): \(describe(r))\n" }
                }
                policies.append(s)
            case let .activeProfileUpdate(name, inbound, outbound):
                var s = "\(name)\n"
                for r in inbound { s += "  in: \(describe(r))\n" }
                for r in outbound { s += "  out: \(describe(r))\n" }
                profiles.append(s)
            case let .ipSetUpdate(id, type, members):
                sets.append("\(id) (\(type.rawValue), \(members.count) members)\n" + members.map { "  \($0)\n" }.joined())
            default:
                break
            }
        }
        var out = "Endpoints (\(endpoints.count)):\n" + endpoints.joined()
        out += "\nPolicies (\(policies.count)):\n" + policies.joined()
        out += "\nProfiles (\(profiles.count)):\n" + profiles.joined()
        out += "\nIP sets (\(sets.count)):\n" + sets.joined()
        if !held.isEmpty {
            out += "\nHeld (cannot be used as stored; last good version or a stand-in that drops what it selects):\n"
                + held.keys.sorted().map { "  \(held[$0]!)\n" }.joined()
        }
        if !skipped.isEmpty { out += "\nSkipped:\n" + skipped.keys.sorted().map { "  \(skipped[$0]!)\n" }.joined() }
        return out
    }

    /// `  qos: ingressBandwidth=10000000 (QoSPolicy voice), dscp=46 (endpoint)`, or nothing.
    static func qosLines(_ e: EndpointUpdate) -> String {
        guard let q = e.qosControls else { return "" }
        var parts: [String] = []
        for (name, path) in QoSPolicyResolver.fields {
            if let v = q[keyPath: path] { parts.append("\(name)=\(v) (\(e.qosSources[name]?.description ?? "endpoint"))") }
        }
        if let d = q.dscp?.codePoint { parts.append("dscp=\(d) (\(e.qosSources["dscp"]?.description ?? "endpoint"))") }
        return parts.isEmpty ? "" : "  qos: " + parts.joined(separator: ", ") + "\n"
    }

    static func describe(_ r: ParsedRule) -> String {
        var parts = [r.action]
        if let p = r.protocol { parts.append("proto=\(p)") }
        if !r.srcNets.isEmpty { parts.append("src-nets=\(r.srcNets.joined(separator: ","))") }
        if !r.notSrcNets.isEmpty { parts.append("!src-nets=\(r.notSrcNets.joined(separator: ","))") }
        if !r.dstNets.isEmpty { parts.append("dst-nets=\(r.dstNets.joined(separator: ","))") }
        if !r.notDstNets.isEmpty { parts.append("!dst-nets=\(r.notDstNets.joined(separator: ","))") }
        if !r.srcIPSetIDs.isEmpty { parts.append("src-sets=\(r.srcIPSetIDs.joined(separator: ","))") }
        if !r.notSrcIPSetIDs.isEmpty { parts.append("!src-sets=\(r.notSrcIPSetIDs.joined(separator: ","))") }
        if !r.dstIPSetIDs.isEmpty { parts.append("dst-sets=\(r.dstIPSetIDs.joined(separator: ","))") }
        if !r.notDstIPSetIDs.isEmpty { parts.append("!dst-sets=\(r.notDstIPSetIDs.joined(separator: ","))") }
        if !r.dstPorts.isEmpty { parts.append("dst-ports=\(r.dstPorts.joined(separator: ","))") }
        if !r.dstNamedPortIPSetIDs.isEmpty { parts.append("dst-named-ports=\(r.dstNamedPortIPSetIDs.joined(separator: ","))") }
        if !r.srcPorts.isEmpty { parts.append("src-ports=\(r.srcPorts.joined(separator: ","))") }
        if let t = r.icmpType { parts.append("icmp-type=\(t)\(r.icmpCode.map { "/\($0)" } ?? "")") }
        if let s = r.originalSrcSelector { parts.append("src-selector=\(s)") }
        if let s = r.originalDstSelector { parts.append("dst-selector=\(s)") }
        return parts.joined(separator: " ")
    }
}
