import CalicoAPI
import FelixCalc
import GoldmaneAPI

/// A connection as policy sees it.
struct FlowTuple: Sendable, Hashable {
    var source: String
    var destination: String
    var proto: Int
    var sourcePort: Int
    var destinationPort: Int
    /// ICMP type and code (nil when unknown or not ICMP).
    var icmpType: Int? = nil
    var icmpCode: Int? = nil
}

/// The pending trace (spec §1.11, pure): what a connection would meet if staged policies were
/// enforced — the endpoint's tiers in order, each tier's policies in order (staged ones
/// included), the first Allow or Deny ends, Pass goes to the next tier, a tier where nothing
/// matches applies its default action (rule index -1, attributed to the tier's first policy);
/// then the profiles; nothing at all is the implicit deny. Rules are evaluated in user space
/// over the same parsed rules and IP sets the dataplane programs.
struct PendingTrace {
    let policies: [PolicyID: ActivePolicy]
    let profiles: [String: (inbound: [ParsedRule], outbound: [ParsedRule])]
    /// IP sets: id → members (`a.b.c.d/32`, CIDRs, or `addr,proto:port` for named ports).
    let ipSets: [String: Set<String>]

    func evaluate(_ t: FlowTuple, endpoint: EndpointUpdate, inbound: Bool) -> [Goldmane_PolicyHit] {
        var hits: [Goldmane_PolicyHit] = []
        let addresses = (IPAddress(t.source), IPAddress(t.destination))
        func matches(_ r: ParsedRule, _ t: FlowTuple) -> Bool {
            guard let src = addresses.0, let dst = addresses.1 else { return false }
            return self.matches(r, t, src, dst)
        }
        func add(_ h: Goldmane_PolicyHit) {
            var h = h
            h.policyIndex = Int64(hits.count)
            hits.append(h)
        }
        tiers: for tier in endpoint.tiers {
            let ids = inbound ? tier.ingressPolicies : tier.egressPolicies
            guard !ids.isEmpty else { continue }
            for id in ids {
                guard let p = policies[id] else { continue }
                for (i, rule) in (inbound ? p.inbound : p.outbound).enumerated() where rule.action != "log" && matches(rule, t) {
                    var h = FlowTrace.policy(id)
                    h.action = Self.action(rule.action)
                    h.ruleIndex = Int64(i)
                    add(h)
                    if h.action == .pass { continue tiers }
                    return hits
                }
            }
            var eot = Goldmane_PolicyHit()
            eot.kind = .endOfTier
            eot.tier = tier.name
            eot.action = tier.defaultAction == "Pass" ? .pass : .deny
            eot.ruleIndex = -1
            var trigger = FlowTrace.policy(ids[0])
            trigger.action = eot.action
            trigger.ruleIndex = -1
            eot.trigger = trigger
            add(eot)
            if eot.action == .deny { return hits }
        }
        for name in endpoint.profileIDs {
            guard let prof = profiles[name] else { continue }
            for (i, rule) in (inbound ? prof.inbound : prof.outbound).enumerated() where rule.action != "log" && matches(rule, t) {
                var h = Goldmane_PolicyHit()
                h.kind = .profile
                h.name = name
                h.action = Self.action(rule.action)
                h.ruleIndex = Int64(i)
                add(h)
                if h.action != .pass { return hits }
                break
            }
        }
        var none = Goldmane_PolicyHit()
        none.kind = .profile
        none.action = .deny
        none.ruleIndex = -1
        add(none)
        return hits
    }

    static func action(_ a: String) -> Goldmane_Action {
        switch a {
        case "allow": return .allow
        case "deny": return .deny
        default: return .pass
        }
    }

    static func proto(_ p: String) -> Int? { RuleRenderer.protocolNumbers[p.lowercased()] ?? Int(p) }

    /// Whether a rule matches the connection (its addresses parsed once by the caller).
    func matches(_ r: ParsedRule, _ t: FlowTuple, _ src: IPAddress, _ dst: IPAddress) -> Bool {
        if let v = r.ipVersion, v != src.family.rawValue { return false }
        if let p = r.protocol, Self.proto(p) != t.proto { return false }
        if let p = r.notProtocol, Self.proto(p) == t.proto { return false }
        func inNets(_ ip: IPAddress, _ nets: [String]) -> Bool { nets.contains { IPNet($0).map { $0.family == ip.family && $0.contains(ip) } ?? false } }
        if !r.srcNets.isEmpty && !inNets(src, r.srcNets) { return false }
        if inNets(src, r.notSrcNets) { return false }
        if !r.dstNets.isEmpty && !inNets(dst, r.dstNets) { return false }
        if inNets(dst, r.notDstNets) { return false }
        for id in r.srcIPSetIDs where !member(id, src) { return false }
        for id in r.notSrcIPSetIDs where member(id, src) { return false }
        for id in r.dstIPSetIDs where !member(id, dst) { return false }
        for id in r.notDstIPSetIDs where member(id, dst) { return false }
        let l4 = [6, 17, 132, 136].contains(t.proto)
        func inPorts(_ port: Int, _ ranges: [String]) -> Bool {
            ranges.contains { text in
                let parts = text.split(separator: ":").compactMap { Int($0) }
                return parts.count == 1 ? parts[0] == port : (parts.count == 2 && (parts[0]...max(parts[0], parts[1])).contains(port))
            }
        }
        func named(_ ids: [String], _ ip: String, _ port: Int) -> Bool {
            let p = FlowLogCollector.protoName(t.proto)
            return ids.contains { ipSets[$0]?.contains("\(ip),\(p):\(port)") ?? false }
        }
        if !r.srcPorts.isEmpty || !r.srcNamedPortIPSetIDs.isEmpty {
            guard l4, inPorts(t.sourcePort, r.srcPorts) || named(r.srcNamedPortIPSetIDs, t.source, t.sourcePort) else { return false }
        }
        if !r.dstPorts.isEmpty || !r.dstNamedPortIPSetIDs.isEmpty {
            guard l4, inPorts(t.destinationPort, r.dstPorts) || named(r.dstNamedPortIPSetIDs, t.destination, t.destinationPort) else { return false }
        }
        if l4 && (inPorts(t.sourcePort, r.notSrcPorts) || named(r.notSrcNamedPortIPSetIDs, t.source, t.sourcePort)) { return false }
        if l4 && (inPorts(t.destinationPort, r.notDstPorts) || named(r.notDstNamedPortIPSetIDs, t.destination, t.destinationPort)) { return false }
        if r.icmpType != nil || r.notICMPType != nil {
            guard t.proto == 1 || t.proto == 58 else { return false }
            // Type (and code when the rule names one) from the logged packet; unknown ones match.
            if let want = r.icmpType, let got = t.icmpType, want != got { return false }
            if r.icmpType != nil, let want = r.icmpCode, let got = t.icmpCode, want != got { return false }
            if let not = r.notICMPType, let got = t.icmpType, not == got {
                if r.notICMPCode == nil || r.notICMPCode == t.icmpCode { return false }
            }
        }
        return true
    }

    func member(_ id: String, _ ip: IPAddress) -> Bool {
        guard let members = ipSets[id] else { return false }
        if members.contains("\(ip)/\(ip.family == .v4 ? 32 : 128)") || members.contains("\(ip)") { return true }
        return members.contains { m in
            guard m.contains("/"), !m.contains(","), let net = IPNet(m) else { return false }
            return net.family == ip.family && net.contains(ip)
        }
    }
}
