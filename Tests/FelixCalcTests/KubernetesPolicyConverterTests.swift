import Testing
import CalicoAPI
import CalicoSelector
@testable import FelixCalc

// Kubernetes NetworkPolicy → Calico NetworkPolicy (api-and-validation.md §7 and §15 rows
// 77–79). Every case reads real YAML and checks the whole converted spec.

private let orch = "projectcalico.org/orchestrator == 'k8s'"

private func read(_ yaml: String) throws -> any CalicoResource {
    let docs = try ResourceReader.read(yaml, source: "t.yaml")
    try #require(docs.count == 1)
    return try docs[0].result.get()
}

/// A Kubernetes NetworkPolicy named `name` in `ns1` with the given (unindented) spec body.
private func knp(_ spec: String, name: String = "p", namespace: String = "ns1") throws -> KubernetesNetworkPolicy {
    let body = spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    let yaml = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: \(name)
      namespace: \(namespace)
    spec:
    \(body)
    """
    return try #require(try read(yaml) as? KubernetesNetworkPolicy)
}

/// Converts, checks there were no errors, and that everything is well-formed.
private func convertClean(_ p: KubernetesNetworkPolicy) -> NetworkPolicy {
    let (np, errors) = KubernetesPolicyConverter.convert(p)
    #expect(errors.isEmpty, "unexpected errors: \(errors)")
    expectWellFormed(np.spec)
    return np
}

/// Selectors parse; ports only with a protocol that has them; nets of one family.
private func expectWellFormed(_ spec: NetworkPolicySpec) {
    #expect((try? Selector.parse(spec.selector ?? "")) != nil, "bad selector \(spec.selector ?? "")")
    for rule in (spec.ingress ?? []) + (spec.egress ?? []) {
        #expect(rule.action == "Allow")
        for e in [rule.source, rule.destination].compactMap({ $0 }) {
            for s in [e.selector, e.namespaceSelector].compactMap({ $0 }) {
                #expect((try? Selector.parse(s)) != nil, "bad selector \(s)")
            }
            if !(e.ports ?? []).isEmpty { #expect(rule.protocol?.supportsPorts == true) }
            let families = Set(((e.nets ?? []) + (e.notNets ?? [])).compactMap { IPNet($0, allowBareIP: false)?.family.rawValue })
            #expect(families.count <= 1)
            for n in (e.nets ?? []) + (e.notNets ?? []) { #expect(IPNet(n, allowBareIP: false)?.isMasked == true, "\(n)") }
        }
    }
}

private func spec(selector: String = orch, types: [PolicyType] = [.ingress], ingress: [Rule]? = nil, egress: [Rule]? = nil) -> NetworkPolicySpec {
    NetworkPolicySpec(tier: "default", order: 1000, selector: selector, types: types, ingress: ingress, egress: egress)
}

/// Ingress: the peer in source, ports in destination.
private func inRule(_ proto: IPProtocol? = nil, from peer: EntityRule = EntityRule(), ports: [Port]? = nil) -> Rule {
    Rule(action: .allow, protocol: proto, source: peer, destination: EntityRule(ports: ports))
}

/// Egress: peer and ports both in destination.
private func outRule(_ proto: IPProtocol? = nil, to peer: EntityRule = EntityRule(), ports: [Port]? = nil) -> Rule {
    var destination = peer
    destination.ports = ports
    return Rule(action: .allow, protocol: proto, source: EntityRule(), destination: destination)
}

private func pods(_ terms: String? = nil) -> EntityRule {
    EntityRule(selector: terms.map { "\(orch) && \($0)" } ?? orch)
}

@Suite struct KubernetesPolicyConverterTests {
    // MARK: Policy level

    @Test func row77NameOrderAndEmptyPodSelector() throws {
        let (np, errors) = KubernetesPolicyConverter.convert(try knp("podSelector: {}", name: "test.policy"))
        #expect(errors.isEmpty)
        #expect(np.kind == "NetworkPolicy")
        #expect(np.apiVersion == "projectcalico.org/v3")
        #expect(np.metadata.name == "knp.default.test.policy")
        #expect(np.metadata.namespace == "ns1")
        #expect(np.spec == spec())
        #expect(np.spec.order == 1000)
        #expect(np.spec.selector == "projectcalico.org/orchestrator == 'k8s'")
        #expect(np.spec.ingress == nil && np.spec.egress == nil)
    }

    @Test func absentPodSelectorIsTheOrchestratorClause() throws {
        let p = try knp("policyTypes: [Ingress]")
        #expect(p.spec.podSelector == nil)
        #expect(convertClean(p).spec == spec())
    }

    @Test func matchLabelsKeysSorted() throws {
        let np = convertClean(try knp("""
        podSelector:
          matchLabels:
            tier: db
            app: shop
            Zone: a
        """))
        #expect(np.spec.selector == "\(orch) && Zone == 'a' && app == 'shop' && tier == 'db'")
    }

    @Test func matchExpressionsInOrderAfterLabels() throws {
        let np = convertClean(try knp("""
        podSelector:
          matchExpressions:
          - {key: role, operator: NotIn, values: [admin]}
          - {key: env, operator: In, values: [prod, staging]}
          - {key: debug, operator: DoesNotExist}
          - {key: team, operator: Exists}
          matchLabels:
            app: web
        """))
        #expect(np.spec == spec(selector:
            "\(orch) && app == 'web' && role not in { 'admin' } && env in { 'prod', 'staging' } && ! has(debug) && has(team)"))
    }

    @Test func selectorFunction() {
        typealias C = KubernetesPolicyConverter
        #expect(C.selector(nil, includeOrchestrator: true) == orch)
        #expect(C.selector(nil, includeOrchestrator: false) == "")
        #expect(C.selector(LabelSelector(), includeOrchestrator: true) == orch)
        #expect(C.selector(LabelSelector(), includeOrchestrator: false) == "all()")
        #expect(C.selector(LabelSelector(matchLabels: [:], matchExpressions: []), includeOrchestrator: false) == "all()")
        #expect(C.selector(LabelSelector(matchLabels: ["b": "2", "a": "1"]), includeOrchestrator: false) == "a == '1' && b == '2'")
        let exprs = LabelSelector(matchExpressions: [
            LabelSelectorRequirement(key: "k", operator: "In", values: ["a", "b"]),
            LabelSelectorRequirement(key: "k2", operator: "NotIn", values: ["a"]),
            LabelSelectorRequirement(key: "h", operator: "Exists"),
            LabelSelectorRequirement(key: "n", operator: "DoesNotExist"),
        ])
        #expect(C.selector(exprs, includeOrchestrator: false) == "k in { 'a', 'b' } && k2 not in { 'a' } && has(h) && ! has(n)")
        #expect(C.selector(exprs, includeOrchestrator: true) == "\(orch) && k in { 'a', 'b' } && k2 not in { 'a' } && has(h) && ! has(n)")
    }

    @Test func policyTypesDefaultToIngressEvenWithEgressRules() throws {
        // No policyTypes: [Ingress]; upstream still carries the egress rules.
        let np = convertClean(try knp("""
        podSelector: {}
        egress:
        - {}
        """))
        #expect(np.spec == spec(types: [.ingress], egress: [outRule()]))
    }

    @Test func policyTypesIngressThenEgressOnce() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        policyTypes: [Egress, Ingress]
        """))
        #expect(np.spec == spec(types: [.ingress, .egress]))
        let egressOnly = convertClean(try knp("""
        podSelector: {}
        policyTypes: [Egress]
        """))
        #expect(egressOnly.spec == spec(types: [.egress]))
    }

    @Test func metadataCarriesNamespaceAndBookkeeping() throws {
        let yaml = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: web
          namespace: prod
          resourceVersion: "42"
          creationTimestamp: "2024-01-02T03:04:05Z"
          labels: {a: b}
        spec:
          podSelector: {}
        """
        let p = try #require(try read(yaml) as? KubernetesNetworkPolicy)
        let np = convertClean(p)
        #expect(np.metadata.name == "knp.default.web")
        #expect(np.metadata.namespace == "prod")
        #expect(np.metadata.resourceVersion == "42")
        #expect(np.metadata.creationTimestamp == "2024-01-02T03:04:05Z")
        #expect(np.metadata.labels == nil)
    }

    // MARK: Peers

    @Test func emptyIngressRuleAllowsEverything() throws {
        let np = convertClean(try knp("""
        podSelector: {matchLabels: {app: db}}
        ingress:
        - {}
        """))
        #expect(np.spec == spec(selector: "\(orch) && app == 'db'", ingress: [inRule()]))
        let rule = try #require(np.spec.ingress?.first)
        #expect(rule.protocol == nil && rule.source == EntityRule() && rule.destination == EntityRule())
    }

    @Test func explicitEmptyFromAndPortsAllowEverything() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from: []
          ports: []
        """))
        #expect(np.spec == spec(ingress: [inRule()]))
    }

    @Test func podSelectorPeerHasNoNamespaceSelector() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from:
          - podSelector:
              matchLabels: {role: frontend}
        """))
        #expect(np.spec == spec(ingress: [inRule(from: EntityRule(selector: "\(orch) && role == 'frontend'"))]))
        #expect(np.spec.ingress?[0].source?.namespaceSelector == nil)
    }

    @Test func emptyPodSelectorPeerIsOrchestratorOnly() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from:
          - podSelector: {}
        """))
        #expect(np.spec == spec(ingress: [inRule(from: pods())]))
    }

    @Test func row78NamespaceSelectorEmptyIsAllAbsentIsUnset() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from:
          - namespaceSelector: {}
          - podSelector: {matchLabels: {a: b}}
        """))
        #expect(np.spec == spec(ingress: [
            inRule(from: EntityRule(selector: orch, namespaceSelector: "all()")),
            inRule(from: EntityRule(selector: "\(orch) && a == 'b'")),
        ]))
    }

    @Test func namespaceAndPodSelectorPeer() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from:
          - namespaceSelector:
              matchLabels: {project: myproject, env: prod}
              matchExpressions:
              - {key: tier, operator: In, values: [gold, silver]}
            podSelector:
              matchLabels: {role: client}
        """))
        #expect(np.spec == spec(ingress: [inRule(from: EntityRule(
            selector: "\(orch) && role == 'client'",
            namespaceSelector: "env == 'prod' && project == 'myproject' && tier in { 'gold', 'silver' }"))]))
    }

    @Test func ipBlockWithExcept() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from:
          - ipBlock:
              cidr: 172.17.0.0/16
              except: [172.17.1.0/24, 172.17.2.0/24]
        """))
        #expect(np.spec == spec(ingress: [inRule(from: EntityRule(nets: ["172.17.0.0/16"], notNets: ["172.17.1.0/24", "172.17.2.0/24"]))]))
        #expect(np.spec.ingress?[0].source?.selector == nil)
    }

    @Test func ipBlockNormalisedToNetwork() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from:
          - ipBlock: {cidr: 10.1.2.3/8, except: [10.1.2.3/16]}
          - ipBlock: {cidr: "2001:db8:0:0::1/32"}
        """))
        #expect(np.spec == spec(ingress: [
            inRule(from: EntityRule(nets: ["10.0.0.0/8"], notNets: ["10.1.0.0/16"])),
            inRule(from: EntityRule(nets: ["2001:db8::/32"])),
        ]))
    }

    @Test func unparsableIPBlockIsAnEmptyPeer() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from:
          - ipBlock: {cidr: not-a-cidr}
          - ipBlock: {cidr: 10.0.0.1}
        """))
        #expect(np.spec == spec(ingress: [inRule(), inRule()]))
    }

    @Test func unparsableExceptEndsTheExceptList() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - from:
          - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, bogus, 10.2.0.0/16]}
        """))
        #expect(np.spec == spec(ingress: [inRule(from: EntityRule(nets: ["10.0.0.0/8"], notNets: ["10.1.0.0/16"]))]))
    }

    // MARK: Ports

    @Test func portDefaultsToTCP() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - ports:
          - port: 80
        """))
        #expect(np.spec == spec(ingress: [inRule(.tcp, ports: [Port(80)])]))
        #expect(np.spec.ingress?[0].source == EntityRule())
    }

    @Test func portAndEndPortIsARange() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - ports:
          - {protocol: UDP, port: 32000, endPort: 32768}
        """))
        #expect(np.spec == spec(ingress: [inRule(.udp, ports: [Port(min: 32000, max: 32768)])]))
    }

    @Test func protocolWithoutPortIsAllPorts() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - ports:
          - protocol: UDP
          - {}
        """))
        // `{}` = all TCP; protocols in name order.
        #expect(np.spec == spec(ingress: [inRule(.tcp), inRule(.udp)]))
        #expect(np.spec.ingress?[0].destination?.ports == nil)
    }

    @Test func allPortsWinsOverSpecificPortsEitherOrder() throws {
        for order in [["- port: 80", "- protocol: TCP"], ["- protocol: TCP", "- port: 80"]] {
            let np = convertClean(try knp("podSelector: {}\ningress:\n- ports:\n  \(order[0])\n  \(order[1])"))
            #expect(np.spec == spec(ingress: [inRule(.tcp)]))
        }
    }

    @Test func namedPortsPassThrough() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - ports:
          - port: http
          - {protocol: UDP, port: dns}
        """))
        #expect(np.spec == spec(ingress: [inRule(.tcp, ports: [Port(named: "http")]), inRule(.udp, ports: [Port(named: "dns")])]))
    }

    @Test func numericStringPortIsNumeric() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - ports:
          - port: "8080"
        """))
        #expect(np.spec == spec(ingress: [inRule(.tcp, ports: [Port(8080)])]))
    }

    @Test func portsMergedIntoMinimalRanges() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - ports:
          - port: 82
          - port: 9090
          - port: web
          - port: 80
          - port: 81
          - {port: 1500, endPort: 2500}
          - port: 79
          - {port: 1000, endPort: 2000}
          - port: dns-tcp
          - port: 2501
          - port: 9092
        """))
        #expect(np.spec == spec(ingress: [inRule(.tcp, ports: [
            Port(named: "web"), Port(named: "dns-tcp"), Port(min: 79, max: 82), Port(min: 1000, max: 2501), Port(9090), Port(9092),
        ])]))
    }

    @Test func fanOutOneRulePerProtocolAndPeer() throws {
        let np = convertClean(try knp("""
        podSelector: {matchLabels: {app: dns}}
        ingress:
        - from:
          - podSelector: {matchLabels: {role: a}}
          - ipBlock: {cidr: 10.0.0.0/24}
          ports:
          - {protocol: UDP, port: 53}
          - {protocol: TCP, port: 53}
          - {protocol: SCTP, port: 9000}
          - {protocol: TCP, port: 54}
        """))
        let a = pods("role == 'a'")
        let net = EntityRule(nets: ["10.0.0.0/24"])
        #expect(np.spec == spec(selector: "\(orch) && app == 'dns'", ingress: [
            inRule(.sctp, from: a, ports: [Port(9000)]),
            inRule(.sctp, from: net, ports: [Port(9000)]),
            inRule(.tcp, from: a, ports: [Port(min: 53, max: 54)]),
            inRule(.tcp, from: net, ports: [Port(min: 53, max: 54)]),
            inRule(.udp, from: a, ports: [Port(53)]),
            inRule(.udp, from: net, ports: [Port(53)]),
        ]))
    }

    @Test func emptyPortsListWithPeersHasNoProtocol() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - ports: []
          from:
          - podSelector: {}
          - namespaceSelector: {matchLabels: {team: x}}
        """))
        #expect(np.spec == spec(ingress: [
            inRule(from: pods()),
            inRule(from: EntityRule(selector: orch, namespaceSelector: "team == 'x'")),
        ]))
        #expect(np.spec.ingress?.allSatisfy { $0.protocol == nil && $0.destination?.ports == nil } == true)
    }

    // MARK: Egress

    @Test func egressPeerAndPortsInDestination() throws {
        let np = convertClean(try knp("""
        podSelector: {matchLabels: {app: web}}
        policyTypes: [Egress]
        egress:
        - to:
          - podSelector: {matchLabels: {app: db}}
            namespaceSelector: {}
          ports:
          - port: 5432
        """))
        #expect(np.spec == spec(selector: "\(orch) && app == 'web'", types: [.egress], egress: [
            Rule(action: .allow, protocol: .tcp, source: EntityRule(),
                 destination: EntityRule(selector: "\(orch) && app == 'db'", namespaceSelector: "all()", ports: [Port(5432)])),
        ]))
    }

    @Test func egressToIPBlockWithExcept() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        policyTypes: [Ingress, Egress]
        ingress:
        - from:
          - podSelector: {}
        egress:
        - to:
          - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 192.168.0.0/16]}
          ports:
          - {protocol: TCP, port: 443}
          - {protocol: UDP, port: 53}
        - {}
        """))
        let internet = EntityRule(nets: ["0.0.0.0/0"], notNets: ["10.0.0.0/8", "192.168.0.0/16"])
        #expect(np.spec == spec(types: [.ingress, .egress], ingress: [inRule(from: pods())], egress: [
            outRule(.tcp, to: internet, ports: [Port(443)]),
            outRule(.udp, to: internet, ports: [Port(53)]),
            outRule(),
        ]))
    }

    // MARK: Bad rules

    @Test func row79BadPortDropsTheRule() throws {
        let (np, errors) = KubernetesPolicyConverter.convert(try knp("""
        podSelector: {}
        ingress:
        - ports:
          - port: 80
          - port: "-50:-1"
        - ports:
          - port: 443
        """, name: "bad"))
        #expect(np.spec == spec(ingress: [inRule(.tcp, ports: [Port(443)])]))
        try #require(errors.count == 1)
        #expect(errors[0].direction == .ingress)
        #expect(errors[0].ruleIndex == 0)
        #expect(errors[0].policy == "ns1/bad")
        #expect(errors[0].reason.contains("-50:-1"))
        #expect(errors[0].description.contains("ingress rule 0"))
        #expect(errors[0].description.contains("-50:-1"))
    }

    @Test func onlyRuleDroppedLeavesNoRules() throws {
        let (np, errors) = KubernetesPolicyConverter.convert(try knp("""
        podSelector: {}
        ingress:
        - ports:
          - port: "-50:-1"
        """))
        #expect(np.spec == spec(ingress: nil))
        #expect(errors.count == 1)
    }

    @Test func badEgressRuleNamedByIndex() throws {
        let (np, errors) = KubernetesPolicyConverter.convert(try knp("""
        podSelector: {}
        policyTypes: [Egress]
        egress:
        - ports: [{port: 53, protocol: UDP}]
        - ports: [{port: 90, endPort: 80}]
        - ports: [{port: http, endPort: 90}]
        - ports: [{port: 0}]
        - ports: [{protocol: ICMP}]
        - ports: [{port: Not_A_Name}]
        """))
        #expect(np.spec == spec(types: [.egress], egress: [outRule(.udp, ports: [Port(53)])]))
        #expect(errors.map(\.ruleIndex) == [1, 2, 3, 4, 5])
        #expect(errors.allSatisfy { $0.direction == .egress })
        #expect(errors[0].description.contains("egress rule 1"))
        #expect(errors[0].reason.contains("90:80"))
        #expect(errors[3].reason.contains("ICMP"))
    }

    @Test func badPeersDropTheRule() throws {
        let (np, errors) = KubernetesPolicyConverter.convert(try knp("""
        podSelector: {}
        ingress:
        - from:
          - ipBlock: {cidr: 10.0.0.0/8, except: ["fd00::/64"]}
        - from:
          - podSelector:
              matchExpressions: [{key: a, operator: Gt, values: ["1"]}]
        - from:
          - namespaceSelector: {matchLabels: {"bad key": x}}
        - from:
          - ipBlock: {cidr: 10.0.0.0/8}
        """))
        #expect(np.spec == spec(ingress: [inRule(from: EntityRule(nets: ["10.0.0.0/8"]))]))
        #expect(errors.map(\.ruleIndex) == [0, 1, 2])
        #expect(errors[1].reason.contains("Gt"))
        #expect(errors[2].reason.contains("namespaceSelector"))
    }

    // MARK: Staged

    @Test func stagedSetIsTheSameConversion() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: StagedKubernetesNetworkPolicy
        metadata:
          name: web
          namespace: ns2
        spec:
          stagedAction: Set
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Ingress]
          ingress:
          - from:
            - namespaceSelector: {}
            ports:
            - port: 80
            - port: 81
        """
        let staged = try #require(try read(yaml) as? StagedKubernetesNetworkPolicy)
        let (snp, errors) = KubernetesPolicyConverter.convert(staged)
        #expect(errors.isEmpty)
        #expect(snp.kind == "StagedNetworkPolicy")
        #expect(snp.metadata.name == "knp.default.web")
        #expect(snp.metadata.namespace == "ns2")
        var expected = StagedNetworkPolicySpec()
        expected.stagedAction = .set
        expected.tier = "default"
        expected.order = 1000
        expected.selector = "\(orch) && app == 'web'"
        expected.types = [.ingress]
        expected.ingress = [inRule(.tcp, from: EntityRule(selector: orch, namespaceSelector: "all()"), ports: [Port(min: 80, max: 81)])]
        #expect(snp.spec == expected)

        // The same spec as the enforced conversion.
        var enforced = KubernetesNetworkPolicy(metadata: staged.metadata)
        enforced.spec = KubernetesNetworkPolicySpec(podSelector: staged.spec.podSelector, ingress: staged.spec.ingress,
                                                    egress: staged.spec.egress, policyTypes: staged.spec.policyTypes)
        let (np, _) = KubernetesPolicyConverter.convert(enforced)
        #expect(np.spec.selector == snp.spec.selector && np.spec.ingress == snp.spec.ingress && np.spec.types == snp.spec.types)
    }

    @Test func stagedWithoutActionAndWithBadRule() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: StagedKubernetesNetworkPolicy
        metadata: {name: x, namespace: ns1}
        spec:
          podSelector: {}
          egress:
          - ports: [{port: "-50:-1"}]
          - to: [{podSelector: {}}]
          policyTypes: [Egress]
        """
        let staged = try #require(try read(yaml) as? StagedKubernetesNetworkPolicy)
        let (snp, errors) = KubernetesPolicyConverter.convert(staged)
        #expect(snp.spec.stagedAction == nil)
        #expect(snp.metadata.name == "knp.default.x")
        #expect(snp.spec.types == [.egress])
        #expect(snp.spec.egress == [outRule(to: pods())])
        #expect(snp.spec.ingress == nil)
        #expect(errors.map(\.ruleIndex) == [0])
        #expect(errors.first?.direction == .egress)
    }

    @Test func stagedDeleteCarriesOnlyActionAndTier() throws {
        let yaml = """
        apiVersion: projectcalico.org/v3
        kind: StagedKubernetesNetworkPolicy
        metadata: {name: gone, namespace: ns1}
        spec:
          stagedAction: Delete
        """
        let staged = try #require(try read(yaml) as? StagedKubernetesNetworkPolicy)
        let (snp, errors) = KubernetesPolicyConverter.convert(staged)
        #expect(errors.isEmpty)
        #expect(snp.metadata.name == "knp.default.gone")
        var expected = StagedNetworkPolicySpec()
        expected.stagedAction = .delete
        expected.tier = "default"
        #expect(snp.spec == expected)
    }

    // MARK: Whole policy

    @Test func upstreamStyleMultiRulePolicy() throws {
        let np = convertClean(try knp("""
        podSelector:
          matchLabels: {role: db}
        policyTypes: [Ingress, Egress]
        ingress:
        - from:
          - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24]}
          - namespaceSelector: {matchLabels: {project: myproject}}
          - podSelector: {matchLabels: {role: frontend}}
          ports:
          - {protocol: TCP, port: 6379}
        egress:
        - to:
          - ipBlock: {cidr: 10.0.0.0/24}
          ports:
          - {protocol: TCP, port: 5978}
        """, name: "test-network-policy", namespace: "default"))
        #expect(np.metadata.name == "knp.default.test-network-policy")
        #expect(np.metadata.namespace == "default")
        #expect(np.spec == spec(selector: "\(orch) && role == 'db'", types: [.ingress, .egress], ingress: [
            inRule(.tcp, from: EntityRule(nets: ["172.17.0.0/16"], notNets: ["172.17.1.0/24"]), ports: [Port(6379)]),
            inRule(.tcp, from: EntityRule(selector: orch, namespaceSelector: "project == 'myproject'"), ports: [Port(6379)]),
            inRule(.tcp, from: pods("role == 'frontend'"), ports: [Port(6379)]),
        ], egress: [
            outRule(.tcp, to: EntityRule(nets: ["10.0.0.0/24"]), ports: [Port(5978)]),
        ]))
    }

    @Test func outputRoundTripsThroughYAML() throws {
        let np = convertClean(try knp("""
        podSelector: {}
        ingress:
        - ports: [{port: 80}, {port: 81}, {port: http}]
          from: [{namespaceSelector: {}}]
        """))
        let yaml = try ResourceWriter.yaml(np)
        let back = try #require(try read(yaml) as? NetworkPolicy)
        #expect(back == np)
    }
}
