import CalicoAPI

/// A local endpoint's tiers (upstream's policy resolver): the policies that select it grouped
/// by tier, tiers by order then name, policies by order then name, split by direction, with
/// each tier's end-of-tier action. Pure over the tiers it is given.
struct PolicyResolver {
    struct TierOrder {
        var order: Double
        var name: String
        var defaultAction: String
    }

    let tiers: [String: Tier]

    /// A tier's place and end-of-tier action; built-in tiers exist without an object. Nil
    /// when the tier does not exist.
    func tierOrder(_ name: String) -> TierOrder? {
        if let t = tiers[name] {
            return TierOrder(order: t.spec.order ?? Tier.defaultOrder(for: name), name: name, defaultAction: (t.spec.defaultAction ?? .deny).rawValue)
        }
        guard let order = Tier.reservedOrders[name] else { return nil }
        return TierOrder(order: order, name: name, defaultAction: name == "default" ? "Deny" : "Pass")
    }

    func endpointUpdate(_ e: EndpointRecord, matching: [PolicyModel]) -> EndpointUpdate {
        var u = EndpointUpdate(id: e.id, interfaceName: e.interfaceName, mac: e.mac, profileIDs: e.profileIDs,
                               ipv4Nets: e.ipv4, ipv6Nets: e.ipv6, tiers: [], qosControls: e.qos)
        let normal = matching.filter { !$0.doNotTrack && !$0.preDNAT }
        u.tiers = tierInfos(normal)
        if e.isHost {
            u.untrackedTiers = tierInfos(matching.filter(\.doNotTrack), defaultAction: "Pass")
            u.preDNATTiers = tierInfos(matching.filter(\.preDNAT), defaultAction: "Pass")
            u.forwardTiers = tierInfos(normal.filter(\.applyOnForward))
        }
        return u
    }

    private func tierInfos(_ policies: [PolicyModel], defaultAction: String? = nil) -> [TierInfo] {
        let byTier = Dictionary(grouping: policies, by: \.tier)
        let ordered = byTier.keys.compactMap { tierOrder($0) }.sorted { ($0.order, $0.name) < ($1.order, $1.name) }
        return ordered.map { t in
            let ps = byTier[t.name]!.sorted { a, b in
                let oa = a.order ?? .infinity, ob = b.order ?? .infinity
                return oa != ob ? oa < ob : a.sortName < b.sortName
            }
            return TierInfo(name: t.name, ingressPolicies: ps.filter { $0.types.contains(.ingress) }.map(\.id),
                            egressPolicies: ps.filter { $0.types.contains(.egress) }.map(\.id),
                            defaultAction: defaultAction ?? t.defaultAction)
        }
    }
}
