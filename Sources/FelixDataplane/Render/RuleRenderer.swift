import CalicoAPI
import FelixCalc

/// Renders one policy rule into nft rule bodies for one family (pure).
///
/// A rule that cannot match in the family (IPv6-only nets, `ipVersion`, ICMPv6 in the v4
/// table) renders to nothing. OR-alternatives a single nft rule cannot say (numeric ports or
/// named-port sets, a negated ICMP type+code) become several rules with the same verdict,
/// which is equivalent because the first match ends the rule list (allow/deny/pass return).
struct RuleRenderer {
    var family: IPFamily
    var settings: FelixSettings

    static let protocolNumbers: [String: Int] = ["tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132, "udplite": 136]

    func protocolNumber(_ p: String) -> Int? { Self.protocolNumbers[p.lowercased()] ?? Int(p) }

    /// The IP-set name of a calc-graph set id in this family.
    static func setName(_ id: String, _ family: IPFamily) -> String {
        String(("cali" + family.setDigit + "0" + id.replacingOccurrences(of: ":", with: "-")).prefix(31))
    }

    /// The matches of `rule`: nil when it cannot match here, else the alternatives (each a
    /// list of match expressions, all of which must hold).
    func matches(_ rule: ParsedRule) -> [[String]]? {
        if let v = rule.ipVersion, v != family.rawValue { return nil }
        var m: [String] = []
        let addr = family.addressKeyword
        if let p = rule.protocol {
            guard let n = protocolNumber(p) else { return nil }
            if n == 1 && family == .v6 || n == 58 && family == .v4 { return nil }
            m.append("meta l4proto \(n)")
        }
        if let p = rule.notProtocol, let n = protocolNumber(p) { m.append("meta l4proto != \(n)") }
        for (nets, notNets, dir) in [(rule.srcNets, rule.notSrcNets, "saddr"), (rule.dstNets, rule.notDstNets, "daddr")] {
            if !nets.isEmpty {
                let mine = Self.disjoint(nets.filter { family.contains($0) })
                if mine.isEmpty { return nil }
                m.append("\(addr) \(dir) \(Self.setLiteral(mine))")
            }
            let notMine = Self.disjoint(notNets.filter { family.contains($0) })
            if !notMine.isEmpty { m.append("\(addr) \(dir) != \(Self.setLiteral(notMine))") }
        }
        for id in rule.srcIPSetIDs { m.append("\(addr) saddr @\(Self.setName(id, family))") }
        for id in rule.notSrcIPSetIDs { m.append("\(addr) saddr != @\(Self.setName(id, family))") }
        for id in rule.dstIPSetIDs { m.append("\(addr) daddr @\(Self.setName(id, family))") }
        for id in rule.notDstIPSetIDs { m.append("\(addr) daddr != @\(Self.setName(id, family))") }
        if !rule.notSrcPorts.isEmpty { m.append("th sport != \(Self.setLiteral(Self.portRanges(rule.notSrcPorts)))") }
        for id in rule.notSrcNamedPortIPSetIDs { m.append("\(addr) saddr . meta l4proto . th sport != @\(Self.setName(id, family))") }
        if !rule.notDstPorts.isEmpty { m.append("th dport != \(Self.setLiteral(Self.portRanges(rule.notDstPorts)))") }
        for id in rule.notDstNamedPortIPSetIDs { m.append("\(addr) daddr . meta l4proto . th dport != @\(Self.setName(id, family))") }

        // Alternatives: source ports × destination ports × ICMP.
        func portAlternatives(_ numeric: [String], _ named: [String], _ dir: String, _ addrDir: String) -> [[String]] {
            var alts: [[String]] = []
            if !numeric.isEmpty { alts.append(["th \(dir) \(Self.setLiteral(Self.portRanges(numeric)))"]) }
            for id in named { alts.append(["\(addr) \(addrDir) . meta l4proto . th \(dir) @\(Self.setName(id, family))"]) }
            return alts.isEmpty ? [[]] : alts
        }
        let icmp = family.icmpKeyword
        var icmpAlts: [[String]] = [[]]
        if let t = rule.icmpType {
            icmpAlts = [["\(icmp) type \(t)"] + (rule.icmpCode.map { ["\(icmp) code \($0)"] } ?? [])]
        }
        if let t = rule.notICMPType {
            if let c = rule.notICMPCode {
                icmpAlts = icmpAlts.flatMap { base in [base + ["\(icmp) type != \(t)"], base + ["\(icmp) type \(t)", "\(icmp) code != \(c)"]] }
            } else {
                icmpAlts = icmpAlts.map { $0 + ["\(icmp) type != \(t)"] }
            }
        }
        if (rule.icmpType != nil || rule.notICMPType != nil) && rule.protocol == nil {
            m.append("meta l4proto \(family.icmpProtocolNumber)")
        }
        var out: [[String]] = []
        for s in portAlternatives(rule.srcPorts, rule.srcNamedPortIPSetIDs, "sport", "saddr") {
            for d in portAlternatives(rule.dstPorts, rule.dstNamedPortIPSetIDs, "dport", "daddr") {
                for i in icmpAlts { out.append(m + s + d + i) }
            }
        }
        return out
    }

    /// The verdict statements of an action in a policy or profile chain.
    func verdict(_ action: String) -> String? {
        switch action {
        case "allow": return Marks.set(Marks.accept) + " return"
        case "next-tier", "pass": return Marks.set(Marks.pass) + " return"
        case "deny": return Marks.set(Marks.drop) + (settings.filterDenyAction == "REJECT" ? " reject" : " drop")
        case "log": return "log prefix \"\(Self.escape(settings.logPrefix)): \" level notice"
        default: return nil
        }
    }

    /// Every nft rule body for `rule`; with a flow-log `prefix`, the verdict is logged to NFLOG
    /// first (`log prefix "…" group N`).
    func render(_ rule: ParsedRule, flowLog: (prefix: String, inbound: Bool)? = nil) -> [String] {
        guard let alternatives = matches(rule), let verdict = verdict(rule.action) else { return [] }
        let log = flowLog.map { [FlowLogPrefix.statement($0.prefix, inbound: $0.inbound)] } ?? []
        return alternatives.map { ($0 + log + [verdict]).joined(separator: " ") }
    }

    static func escape(_ s: String) -> String {
        String(s.filter { $0 != "\"" && $0 != "\\" && $0 != "\n" }.prefix(60))
    }

    static func setLiteral(_ items: [String]) -> String {
        items.count == 1 ? items[0] : "{ " + items.joined(separator: ", ") + " }"
    }

    /// CIDRs with those covered by a broader one removed (nft refuses overlapping elements).
    static func disjoint(_ nets: [String]) -> [String] {
        let parsed = Array(Set(nets)).compactMap { IPNet($0) }.sorted { $0.prefixLength < $1.prefixLength }
        var kept: [IPNet] = []
        for n in parsed where !kept.contains(where: { $0.family == n.family && $0.prefixLength <= n.prefixLength && $0.contains(n.address) }) {
            kept.append(n)
        }
        return kept.map { $0.network.description }.sorted()
    }

    /// Port strings (`80`, `8000:8080`) as merged, non-overlapping nft ranges.
    static func portRanges(_ ports: [String]) -> [String] {
        var ranges: [(Int, Int)] = ports.compactMap { p in
            let parts = p.split(separator: ":").compactMap { Int($0) }
            if parts.count == 1 { return (parts[0], parts[0]) }
            if parts.count == 2 { return (min(parts[0], parts[1]), max(parts[0], parts[1])) }
            return nil
        }.sorted { $0.0 < $1.0 }
        var merged: [(Int, Int)] = []
        for r in ranges {
            if let last = merged.last, r.0 <= last.1 + 1 { merged[merged.count - 1].1 = max(last.1, r.1) } else { merged.append(r) }
        }
        ranges.removeAll()
        return merged.map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)-\($0.1)" }
    }
}
