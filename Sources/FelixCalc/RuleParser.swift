import CalicoAPI
import CalicoSelector

/// What an IP set contains, before its members are computed.
enum IPSetSpec: Hashable, Sendable {
    /// Addresses of endpoints and CIDRs of network sets matching the selector.
    case selector(Selector)
    /// `addr,proto:port` of matching endpoints that declare the named port.
    case namedPort(Selector, proto: String, name: String)

    var id: String {
        switch self {
        case .selector(let s): return "s:" + StableHash.hex(s.canonical)
        case let .namedPort(s, proto, name): return "n:" + StableHash.hex("\(s.canonical)|\(proto)|\(name)")
        }
    }

    var type: IPSetType {
        if case .namedPort = self { return .ipAndPort }
        return .net
    }
}

/// 64-bit FNV-1a as hex: stable ids for selectors and rules, and the dataplane's rule hashes.
public enum StableHash {
    public static func hex(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        let t = String(h, radix: 16)
        return String(repeating: "0", count: 16 - t.count) + t
    }
}

/// Turns translated rules into `ParsedRule`s and the IP sets they need (pure).
enum RuleParser {
    static func action(_ a: String?) -> String {
        switch a {
        case "Allow": return "allow"
        case "Deny": return "deny"
        case "Log": return "log"
        case "Pass": return "next-tier"
        default: return "deny"
        }
    }

    static func proto(_ p: IPProtocol?) -> String? {
        guard let p else { return nil }
        switch p {
        case .number(let n): return String(n)
        case .name(let s): return s.lowercased()
        }
    }

    static func nets(_ list: [String]?) -> [String] {
        (list ?? []).compactMap { IPNet($0)?.network.description }
    }

    static func parse(_ t: TranslatedRule, index: Int, owner: String, sets: inout Set<IPSetSpec>) -> ParsedRule {
        let r = t.rule
        var p = ParsedRule(action: action(r.action))
        p.ipVersion = r.ipVersion
        p.protocol = proto(r.protocol)
        p.notProtocol = proto(r.notProtocol)
        p.icmpType = r.icmp?.type
        p.icmpCode = r.icmp?.code
        p.notICMPType = r.notICMP?.type
        p.notICMPCode = r.notICMP?.code
        p.srcNets = nets(r.source?.nets)
        p.notSrcNets = nets(r.source?.notNets)
        p.dstNets = nets(r.destination?.nets)
        p.notDstNets = nets(r.destination?.notNets)
        let namedProto = (p.protocol == "udp" || p.protocol == "sctp") ? p.protocol! : "tcp"

        func portSplit(_ ports: [Port]?, selector: Selector?) -> ([String], [String]) {
            var numeric: [String] = [], named: [String] = []
            for port in ports ?? [] {
                if let name = port.name {
                    let spec = IPSetSpec.namedPort(selector ?? .all, proto: namedProto, name: name)
                    sets.insert(spec)
                    named.append(spec.id)
                } else {
                    numeric.append(port.description)
                }
            }
            return (numeric, named)
        }
        (p.srcPorts, p.srcNamedPortIPSetIDs) = portSplit(r.source?.ports, selector: t.srcSelector)
        (p.notSrcPorts, p.notSrcNamedPortIPSetIDs) = portSplit(r.source?.notPorts, selector: t.srcSelector)
        (p.dstPorts, p.dstNamedPortIPSetIDs) = portSplit(r.destination?.ports, selector: t.dstSelector)
        (p.notDstPorts, p.notDstNamedPortIPSetIDs) = portSplit(r.destination?.notPorts, selector: t.dstSelector)

        func set(_ s: Selector?) -> [String] {
            guard let s else { return [] }
            let spec = IPSetSpec.selector(s)
            sets.insert(spec)
            return [spec.id]
        }
        // A named-port match already carries the selector; no separate selector set then.
        p.srcIPSetIDs = p.srcNamedPortIPSetIDs.isEmpty ? set(t.srcSelector) : []
        p.dstIPSetIDs = p.dstNamedPortIPSetIDs.isEmpty ? set(t.dstSelector) : []
        p.notSrcIPSetIDs = set(t.notSrcSelector)
        p.notDstIPSetIDs = set(t.notDstSelector)
        p.originalSrcSelector = t.srcSelector?.canonical
        p.originalDstSelector = t.dstSelector?.canonical
        p.ruleID = StableHash.hex("\(owner)|\(index)|\(p.action)")
        return p
    }
}

extension IPSetSpec {
    /// The selector whose matches feed the set.
    var selector: Selector {
        switch self {
        case .selector(let s), .namedPort(let s, _, _): return s
        }
    }
}
