import FelixCalc

/// Renders policy and profile chains (`cali-pi-`/`cali-po-`, `cali-pri-`/`cali-pro-`), pure.
struct PolicyRenderer {
    var family: IPFamily
    var settings: FelixSettings

    /// The two chains of an enforced policy in its layer (none for staged policies).
    func chains(_ id: PolicyID, _ policy: ActivePolicy) -> [NftChain] {
        if policy.staged { return [] }
        let layer = ChainNames.policyLayer(policy)
        let r = RuleRenderer(family: family, settings: settings)
        let logs = settings.flowLogsEnabled && layer == .filter
        func rules(_ list: [ParsedRule], inbound: Bool) -> [String] {
            list.enumerated().flatMap { i, rule in
                r.render(rule, flowLog: logs ? FlowLogPrefix.policyRule(id, index: i, action: rule.action, inbound: inbound).map { ($0, inbound) } : nil)
            }
        }
        return [NftChain(name: ChainNames.policy(id, inbound: true, layer: layer), rules: rules(policy.inbound, inbound: true)),
                NftChain(name: ChainNames.policy(id, inbound: false, layer: layer), rules: rules(policy.outbound, inbound: false))]
    }

    func profileChains(_ name: String, inbound: [ParsedRule], outbound: [ParsedRule]) -> [NftChain] {
        let r = RuleRenderer(family: family, settings: settings)
        func rules(_ list: [ParsedRule], inbound: Bool) -> [String] {
            list.enumerated().flatMap { i, rule in
                r.render(rule, flowLog: settings.flowLogsEnabled
                         ? FlowLogPrefix.profileRule(name, index: i, action: rule.action, inbound: inbound).map { ($0, inbound) } : nil)
            }
        }
        return [NftChain(name: ChainNames.profile(name, inbound: true), rules: rules(inbound, inbound: true)),
                NftChain(name: ChainNames.profile(name, inbound: false), rules: rules(outbound, inbound: false))]
    }
}
