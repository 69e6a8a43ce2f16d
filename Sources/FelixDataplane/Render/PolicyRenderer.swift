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
        return [NftChain(name: ChainNames.policy(id, inbound: true, layer: layer), rules: policy.inbound.flatMap(r.render)),
                NftChain(name: ChainNames.policy(id, inbound: false, layer: layer), rules: policy.outbound.flatMap(r.render))]
    }

    func profileChains(_ name: String, inbound: [ParsedRule], outbound: [ParsedRule]) -> [NftChain] {
        let r = RuleRenderer(family: family, settings: settings)
        return [NftChain(name: ChainNames.profile(name, inbound: true), rules: inbound.flatMap(r.render)),
                NftChain(name: ChainNames.profile(name, inbound: false), rules: outbound.flatMap(r.render))]
    }
}
