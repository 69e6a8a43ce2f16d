import CalicoAPI
import FelixCalc

/// Renders the per-endpoint chains (upstream's `endpointIptablesChain`), pure.
struct EndpointRenderer {
    var settings: FelixSettings
    var activePolicies: [PolicyID: ActivePolicy]

    enum Direction {
        case ingress, egress
        var inbound: Bool { self == .ingress }
    }

    enum Flavour {
        /// Workload or host normal chains: conntrack, tiers, profiles, final drop.
        case normal
        /// Host forward chains: tiers; allow when there are none.
        case forward
        /// preDNAT (mangle) or untracked (raw): tiers that pass by default, nothing else.
        case preDNAT
        case untracked

        var layer: ChainNames.Layer {
            switch self {
            case .normal, .forward: return .filter
            case .preDNAT: return .mangle
            case .untracked: return .raw
            }
        }
    }

    /// The rule list of one endpoint chain.
    func chain(name: String, tiers: [TierInfo], profiles: [String], direction: Direction, flavour: Flavour,
               isWorkload: Bool, failsafe: String?, qos: QoSControls? = nil) -> NftChain {
        var rules: [String] = []
        let tracked = flavour != .untracked
        let limits = isWorkload && flavour == .normal ? Self.limits(qos, direction) : (rate: nil, connections: nil)
        if let rate = limits.rate { rules.append(rate) }
        if tracked && flavour != .preDNAT {
            rules.append("ct state established,related " + (settings.filterAllowAction == "RETURN" ? Marks.set(Marks.accept) + " return" : "accept"))
            if !settings.disableConntrackInvalidCheck { rules.append("ct state invalid drop") }
        }
        if let connections = limits.connections { rules.append(connections) }
        if let failsafe { rules.append("jump \(failsafe)") }
        rules.append(Marks.clear(Marks.accept | Marks.pass))
        if isWorkload && direction == .egress && flavour == .normal {
            if !settings.allowVXLANPacketsFromWorkloads { rules.append("meta l4proto 17 udp dport \(settings.vxlanPort) drop") }
            if !settings.allowIPIPPacketsFromWorkloads { rules.append("meta l4proto 4 drop") }
        }
        let layer = flavour.layer
        for tier in tiers {
            let ids = direction.inbound ? tier.ingressPolicies : tier.egressPolicies
            let enforced = ids.filter { id in activePolicies[id].map { !$0.staged } ?? false }
            if enforced.isEmpty { continue }
            rules.append(Marks.clear(Marks.pass))
            for id in enforced {
                rules.append("\(Marks.isClear(Marks.pass)) jump \(ChainNames.policy(id, inbound: direction.inbound, layer: layer))")
                if flavour == .untracked { rules.append("\(Marks.isSet(Marks.accept)) notrack") }
                rules.append("\(Marks.isSet(Marks.accept)) return")
            }
            if (flavour == .normal || flavour == .forward) && tier.defaultAction != "Pass" {
                rules.append("\(Marks.isClear(Marks.pass)) " + flowLog(FlowLogPrefix.endOfTier(tier.name, inbound: direction.inbound), direction) + denyVerdict)
            }
        }
        switch flavour {
        case .normal:
            for p in profiles {
                rules.append("jump \(ChainNames.profile(p, inbound: direction.inbound))")
                rules.append("\(Marks.isSet(Marks.accept)) return")
            }
            rules.append(flowLog(FlowLogPrefix.noProfile(inbound: direction.inbound), direction) + denyVerdict)
        case .forward:
            if tiers.allSatisfy({ (direction.inbound ? $0.ingressPolicies : $0.egressPolicies).isEmpty }) {
                rules.append(Marks.set(Marks.accept) + " return")
            }
        case .preDNAT, .untracked:
            break
        }
        return NftChain(name: name, rules: rules)
    }

    /// A workload's packet-rate limit (first in its chain: every packet) and connection limit
    /// (after the conntrack rules: new connections only) in one direction (spec §2.12).
    static func limits(_ q: QoSControls?, _ direction: Direction) -> (rate: String?, connections: String?) {
        guard let q else { return (nil, nil) }
        let rate = direction.inbound ? q.ingressPacketRate : q.egressPacketRate
        let burst = (direction.inbound ? q.ingressPacketBurst : q.egressPacketBurst) ?? 5
        let connections = direction.inbound ? q.ingressMaxConnections : q.egressMaxConnections
        return (rate.map { "limit rate over \($0)/second burst \(burst) packets drop" },
                connections.map { "ct count over \($0) reject with tcp reset" })
    }

    /// The NFLOG statement (and a space) logging a verdict, when flow logs are on.
    func flowLog(_ prefix: String, _ direction: Direction) -> String {
        settings.flowLogsEnabled ? FlowLogPrefix.statement(prefix, inbound: direction.inbound) + " " : ""
    }

    var denyVerdict: String { Marks.set(Marks.drop) + (settings.filterDenyAction == "REJECT" ? " reject" : " drop") }

    /// A workload's two chains (the dispatch maps send its interface to them).
    func workload(_ e: EndpointUpdate) -> [NftChain] {
        [chain(name: ChainNames.endpoint("tw", e.interfaceName), tiers: e.tiers, profiles: e.profileIDs, direction: .ingress, flavour: .normal,
               isWorkload: true, failsafe: nil, qos: e.qosControls),
         chain(name: ChainNames.endpoint("fw", e.interfaceName), tiers: e.tiers, profiles: e.profileIDs, direction: .egress, flavour: .normal,
               isWorkload: true, failsafe: nil, qos: e.qosControls)]
    }

    /// A host endpoint's chains in every layer it needs.
    func host(_ e: EndpointUpdate) -> [NftChain] {
        let i = e.interfaceName
        let failIn = ChainNames.name(.filter, "cali-failsafe-in"), failOut = ChainNames.name(.filter, "cali-failsafe-out")
        var out = [
            chain(name: ChainNames.endpoint("fh", i), tiers: e.tiers, profiles: e.profileIDs, direction: .ingress, flavour: .normal, isWorkload: false, failsafe: failIn),
            chain(name: ChainNames.endpoint("th", i), tiers: e.tiers, profiles: e.profileIDs, direction: .egress, flavour: .normal, isWorkload: false, failsafe: failOut),
            chain(name: ChainNames.endpoint("fhfw", i), tiers: e.forwardTiers, profiles: [], direction: .ingress, flavour: .forward, isWorkload: false, failsafe: nil),
            chain(name: ChainNames.endpoint("thfw", i), tiers: e.forwardTiers, profiles: [], direction: .egress, flavour: .forward, isWorkload: false, failsafe: nil),
            chain(name: ChainNames.endpoint("fh", i, layer: .mangle), tiers: e.preDNATTiers, profiles: [], direction: .ingress, flavour: .preDNAT,
                  isWorkload: false, failsafe: ChainNames.name(.mangle, "cali-failsafe-in")),
        ]
        if i != "*" {
            out.append(chain(name: ChainNames.endpoint("fh", i, layer: .raw), tiers: e.untrackedTiers, profiles: [], direction: .ingress, flavour: .untracked,
                             isWorkload: false, failsafe: ChainNames.name(.raw, "cali-failsafe-in")))
            out.append(chain(name: ChainNames.endpoint("th", i, layer: .raw), tiers: e.untrackedTiers, profiles: [], direction: .egress, flavour: .untracked,
                             isWorkload: false, failsafe: ChainNames.name(.raw, "cali-failsafe-out")))
        }
        return out
    }
}
