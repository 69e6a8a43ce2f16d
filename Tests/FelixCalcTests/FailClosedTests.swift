import CalicoAPI
import Testing
@testable import FelixCalc

/// A stored policy Felix cannot use as written — it does not decode, or it decodes but does
/// not translate — never widens what is allowed: its last good version stays in force, and a
/// policy without one stands in with no rules, so what it selects is dropped at the end of
/// its tier. Regressions of issue 10 (items 2 and 3): each of these once opened traffic.
@Suite struct FailClosedTests {
    static let pod = wep("a", ip: "10.244.0.1", labels: "{app: web}")

    /// A policy under its stored (tier-prefixed) name, as the syncer delivers it.
    static func policy(_ name: String, _ spec: String) -> String {
        let name = "default.\(name)"
        return """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: \(name)}
        spec: \(spec)
        """
    }

    func start(_ docs: String...) throws -> (CalcGraph, [DataplaneUpdate]) {
        let g = CalcGraph(hostname: "node1")
        for r in try resources(([nsProfile, Self.pod] + docs).joined(separator: "\n---\n")) { g.apply(.put(r)) }
        g.apply(.inSync)
        return (g, g.flush())
    }

    func put(_ g: CalcGraph, _ yaml: String) throws {
        for r in try resources(yaml) { g.apply(.put(r)) }
    }

    func policies(_ out: [DataplaneUpdate]) -> [String: ActivePolicy] {
        var d: [String: ActivePolicy] = [:]
        for case let .activePolicyUpdate(id, p) in out { d[id.name] = p }
        return d
    }

    func tiers(_ out: [DataplaneUpdate]) -> [TierInfo]? {
        for case .endpointUpdate(let e) in out { return e.tiers }
        return nil
    }

    /// Every way a stored rule can be unusable: each, as a new policy, stands in with no
    /// rules for the endpoint it selects (which the profile alone would have allowed).
    @Test(arguments: [
        ("nets: [10.0.0.0/33]", "spec.ingress[0].source.nets[0]"),
        ("notNets: [not-a-cidr]", "spec.ingress[0].source.notNets[0]"),
        ("selector: \"app == 'web' &&\"", "spec.ingress[0].source.selector"),
    ])
    func unusableSourceStandsIn(source: String, field: String) throws {
        let (g, out) = try start(Self.policy("p", "{selector: app == 'web', ingress: [{action: Allow, source: {\(source)}}]}"))
        let p = try #require(policies(out)["default.p"])
        #expect(p.inbound.isEmpty && p.outbound.isEmpty)
        #expect(tiers(out) == [TierInfo(name: "default", ingressPolicies: [PolicyID(tier: "default", name: "default.p")], egressPolicies: [], defaultAction: "Deny")])
        #expect(g.heldPolicies.values.contains { $0.contains(field) }, "\(g.heldPolicies)")
    }

    /// A Deny with an unknown protocol (or IP version) vanished from the rules, so the Allow
    /// after it opened what the Deny forbade.
    @Test(arguments: ["protocol: GRE", "notProtocol: Bogus", "ipVersion: 5"])
    func unknownProtocolOrVersionStandsIn(field: String) throws {
        let (g, out) = try start(Self.policy("p", "{selector: all(), ingress: [{action: Deny, \(field)}, {action: Allow}]}"))
        #expect(policies(out)["default.p"]?.inbound == [])
        #expect(g.heldPolicies.count == 1)
    }

    /// An update that does not translate keeps the last good version: nothing changes in
    /// the dataplane, and the policy is reported held until a good version arrives.
    @Test func updateThatDoesNotTranslateKeepsTheLastGoodVersion() throws {
        let good = Self.policy("p", "{selector: all(), ingress: [{action: Deny, source: {nets: [10.1.0.0/16]}}, {action: Allow}]}")
        let (g, out) = try start(good)
        #expect(policies(out)["default.p"]?.inbound.count == 2)
        try put(g, Self.policy("p", "{selector: all(), ingress: [{action: Deny, source: {nets: [10.1.0.0/33]}}, {action: Allow}]}"))
        #expect(g.flush().isEmpty, "the last good version stays in force")
        #expect(g.heldPolicies["GlobalNetworkPolicy//default.p"]?.contains("spec.ingress[0].source.nets[0]") == true)
        try put(g, good)
        #expect(g.flush().isEmpty)
        #expect(g.heldPolicies.isEmpty)
    }

    /// A stored value that does not decode: with a good version seen, that stays; after a
    /// restart (no good version) the policy stands in from what its raw value tells
    /// (selector, tier, types) — the same datastore never gives a more open dataplane.
    @Test func undecodableValueHoldsOrStandsIn() throws {
        let raw = try JSONReader.parse(Array(#"{"kind":"GlobalNetworkPolicy","spec":{"order":".nan","selector":"app == 'web'","types":["Egress"]}}"#.utf8))
        let event = CalcEvent.unusable(CalcKey(GlobalNetworkPolicy.self, name: "default.p"), raw: raw, reason: "spec.order: not a number")
        // Running Felix: last good version kept.
        let (g, _) = try start(Self.policy("p", "{selector: all(), ingress: [{action: Allow}]}"))
        g.apply(event)
        #expect(g.flush().isEmpty)
        #expect(g.heldPolicies.count == 1)
        // Restarted Felix: a stand-in from the raw value.
        let (fresh, _) = try start()
        fresh.apply(event)
        let out = fresh.flush()
        #expect(policies(out)["default.p"]?.inbound == [] && policies(out)["default.p"]?.outbound == [])
        #expect(tiers(out) == [TierInfo(name: "default", ingressPolicies: [], egressPolicies: [PolicyID(tier: "default", name: "default.p")], defaultAction: "Deny")])
        // Deleting it ends the hold.
        fresh.apply(.delete(CalcKey(GlobalNetworkPolicy.self, name: "default.p")))
        #expect(policies(fresh.flush()).isEmpty)
        #expect(fresh.heldPolicies.isEmpty)
    }

    /// A value that is not even JSON: the stand-in selects everything in its namespace, in
    /// both directions, in the tier its stored name carries.
    @Test func unparsableValueStandsInForTheWholeNamespace() throws {
        let (g, _) = try start()
        g.apply(.unusable(CalcKey(NetworkPolicy.self, namespace: "default", name: "default.x"), raw: nil, reason: "does not parse"))
        let out = g.flush()
        let id = PolicyID(tier: "default", name: "default/default.x")
        #expect(tiers(out) == [TierInfo(name: "default", ingressPolicies: [id], egressPolicies: [id], defaultAction: "Deny")])
    }

    /// Staged policies are never enforced: an unusable one is left out, not held.
    @Test func unusableStagedPolicyIsOnlyReported() throws {
        let (g, out) = try start("""
            apiVersion: projectcalico.org/v3
            kind: StagedGlobalNetworkPolicy
            metadata: {name: s}
            spec: {selector: "app ==", ingress: [{action: Allow}]}
            """)
        #expect(policies(out).isEmpty)
        #expect(g.heldPolicies.isEmpty && g.skipped.count == 1)
    }
}
