import CalicoAPI

/// BGPFilters as BIRD functions, one per filter, direction and family
/// (`'bgp_<name>_importFilterV4'`, …): each rule an `if (<conditions>) then { accept; | reject; }`,
/// the conditions joined by `&&`; no rule matching falls through to what follows (the next
/// filter, then Calico's own export function or `accept` on import).
enum BIRDFilters {
    enum Direction: String { case `import`, export }

    /// The function's name as a quoted symbol; names longer than 64 characters are cut and end
    /// in `_` + 16 hex digits of SHA-256 of the whole name.
    static func functionName(_ filter: String, _ direction: Direction, _ family: BGPFamily) -> String {
        let full = "bgp_\(filter)_\(direction.rawValue)Filter\(family == .v4 ? "V4" : "V6")"
        guard full.count > 64 else { return "'\(full)'" }
        let hex = SHA256.hash(Array(full.utf8)).prefix(8).map { b in (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) }.joined()
        return "'\(full.prefix(64 - 17))_\(hex)'"
    }

    static func rules(_ f: BGPFilter, _ direction: Direction, _ family: BGPFamily) -> [BGPFilterRule] {
        switch (direction, family) {
        case (.import, .v4): return f.spec.importV4 ?? []
        case (.export, .v4): return f.spec.exportV4 ?? []
        case (.import, .v6): return f.spec.importV6 ?? []
        case (.export, .v6): return f.spec.exportV6 ?? []
        }
    }

    /// Every filter's functions for a family (empty functions for directions without rules).
    static func functions(_ filters: [BGPFilter], family: BGPFamily) -> [String] {
        var out: [String] = []
        for f in filters.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            out.append("# From BGPFilter \(f.metadata.name ?? "")")
            for d in [Direction.import, .export] {
                out.append("function \(functionName(f.metadata.name ?? "", d, family))() {")
                for r in rules(f, d, family) {
                    guard let action = r.action.map({ $0.lowercased() }), action == "accept" || action == "reject" else { continue }
                    let conditions = Self.conditions(r, family: family)
                    if conditions.isEmpty {
                        out.append("  \(action);")
                    } else {
                        out.append("  if (\(conditions.joined(separator: " && "))) then { \(action); }")
                    }
                }
                out.append("}")
            }
        }
        return out
    }

    static func conditions(_ r: BGPFilterRule, family: BGPFamily) -> [String] {
        var out: [String] = []
        if let cidr = r.cidr, !cidr.isEmpty, let net = IPNet(cidr) {
            let op: String
            switch r.matchOperator {
            case "Equal": op = "="
            case "NotEqual": op = "!="
            case "NotIn": op = "!~"
            default: op = "~"
            }
            if let pl = r.prefixLength, op == "~" || op == "!~" {
                let lo = Int(pl.min ?? Int32(net.prefixLength)), hi = Int(pl.max ?? Int32(family.maxPrefix))
                out.append("(net \(op) [ \(net.network.description){\(lo),\(hi)} ])")
            } else {
                out.append("(net \(op) \(net.network.description))")
            }
        }
        if r.source == "RemotePeers" { out.append("(source ~ [ RTS_BGP ])") }
        if let i = r.interface, !i.isEmpty { out.append("(ifname ~ \"\(i)\")") }
        return out
    }
}
