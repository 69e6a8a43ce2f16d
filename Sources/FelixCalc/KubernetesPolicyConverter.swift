import CalicoAPI
import CalicoSelector

/// A problem met while converting a Kubernetes NetworkPolicy. A problem with a rule means
/// that rule was dropped from the converted policy (the rest of the policy is kept).
public struct ConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `namespace/name` of the Kubernetes policy (just `name` without a namespace).
    public var policy: String
    /// The rule list the dropped rule came from; nil for a problem with the policy's own
    /// `podSelector` (the policy is still returned, with the selector as printed).
    public var direction: PolicyType?
    /// Index of the dropped rule within `spec.ingress` / `spec.egress`.
    public var ruleIndex: Int?
    /// Why.
    public var reason: String

    public init(policy: String, direction: PolicyType?, ruleIndex: Int?, reason: String) {
        self.policy = policy
        self.direction = direction
        self.ruleIndex = ruleIndex
        self.reason = reason
    }

    public var description: String {
        if let direction, let ruleIndex {
            let list = direction == .ingress ? "ingress" : "egress"
            return "Kubernetes NetworkPolicy \(policy): \(list) rule \(ruleIndex) dropped: \(reason)"
        }
        return "Kubernetes NetworkPolicy \(policy): podSelector: \(reason)"
    }
}

/// Kubernetes `NetworkPolicy` → Calico `NetworkPolicy`, as libcalico-go's
/// `K8sNetworkPolicyToCalico` does it (spec §7). Pure: no datastore, no logging.
public enum KubernetesPolicyConverter {
    /// Prefix of the converted policy's name.
    public static let namePrefix = "knp.default."
    /// Order every converted policy gets.
    public static let policyOrder: Double = 1000
    /// The tier converted policies live in.
    public static let tier = "default"
    /// The clause every pod selector starts with.
    public static let orchestratorClause = "projectcalico.org/orchestrator == 'k8s'"
    /// Protocols a Kubernetes port entry may name.
    static let portProtocols: Set<String> = ["TCP", "UDP", "SCTP"]

    /// `knp.default.<name>` in the same namespace, tier default, order 1000, selector from
    /// `podSelector`, types from `policyTypes` (none → `[Ingress]`), one Allow rule per
    /// (protocol, peer) of each Kubernetes rule. Rules that cannot be converted are dropped
    /// and reported.
    public static func convert(_ policy: KubernetesNetworkPolicy) -> (NetworkPolicy, [ConversionError]) {
        let s = policy.spec
        let (spec, errors) = convertSpec(policyID: id(policy.metadata), podSelector: s.podSelector, ingress: s.ingress,
                                         egress: s.egress, policyTypes: s.policyTypes)
        return (NetworkPolicy(metadata: calicoMetadata(policy.metadata), spec: spec), errors)
    }

    /// Staged-K8s: the same conversion, name `knp.default.N`, returned as a
    /// StagedNetworkPolicy carrying the stagedAction. A `Delete` previews the removal of the
    /// enforced policy, so its converted spec is just the action and the tier (as a staged
    /// Delete must be).
    public static func convert(_ policy: StagedKubernetesNetworkPolicy) -> (StagedNetworkPolicy, [ConversionError]) {
        let s = policy.spec
        var staged = StagedNetworkPolicySpec()
        staged.stagedAction = s.stagedAction
        staged.tier = tier
        let metadata = calicoMetadata(policy.metadata)
        if s.stagedAction == .delete {
            return (StagedNetworkPolicy(metadata: metadata, spec: staged), [])
        }
        let (spec, errors) = convertSpec(policyID: id(policy.metadata), podSelector: s.podSelector, ingress: s.ingress,
                                         egress: s.egress, policyTypes: s.policyTypes)
        staged.order = spec.order
        staged.selector = spec.selector
        staged.types = spec.types
        staged.ingress = spec.ingress
        staged.egress = spec.egress
        return (StagedNetworkPolicy(metadata: metadata, spec: staged), errors)
    }

    /// The Calico selector text for a Kubernetes LabelSelector, exactly as upstream prints it:
    /// the orchestrator clause (when asked for), then `key == 'v'` per matchLabels entry (keys
    /// in byte order), then the expressions in order (`k in { 'a', 'b' }`, `k not in { 'a' }`,
    /// `has(k)`, `! has(k)`; other operators are skipped), joined with ` && `.
    /// Without the orchestrator clause (a namespace selector) a nil selector is `""` and an
    /// empty one `all()`.
    public static func selector(_ s: LabelSelector?, includeOrchestrator: Bool) -> String {
        var terms: [String] = includeOrchestrator ? [orchestratorClause] : []
        guard let s else { return terms.joined(separator: " && ") }
        let labels = s.matchLabels ?? [:]
        let expressions = s.matchExpressions ?? []
        if !includeOrchestrator && labels.isEmpty && expressions.isEmpty { return "all()" }
        for key in labels.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            terms.append("\(key) == '\(labels[key]!)'")
        }
        for e in expressions {
            let values = (e.values ?? []).joined(separator: "', '")
            switch e.operator {
            case "In": terms.append("\(e.key) in { '\(values)' }")
            case "NotIn": terms.append("\(e.key) not in { '\(values)' }")
            case "Exists": terms.append("has(\(e.key))")
            case "DoesNotExist": terms.append("! has(\(e.key))")
            default: break
            }
        }
        return terms.joined(separator: " && ")
    }

    // MARK: - Policy

    static func id(_ meta: ObjectMeta) -> String {
        let name = meta.name ?? ""
        guard let ns = meta.namespace, !ns.isEmpty else { return name }
        return "\(ns)/\(name)"
    }

    /// Name, namespace and the bookkeeping fields upstream carries over.
    static func calicoMetadata(_ meta: ObjectMeta) -> ObjectMeta {
        var out = ObjectMeta(name: namePrefix + (meta.name ?? ""), namespace: meta.namespace)
        out.creationTimestamp = meta.creationTimestamp
        out.resourceVersion = meta.resourceVersion
        return out
    }

    static func convertSpec(policyID: String, podSelector: LabelSelector?, ingress: [K8sNetworkPolicyIngressRule]?,
                            egress: [K8sNetworkPolicyEgressRule]?, policyTypes: [PolicyType]?) -> (NetworkPolicySpec, [ConversionError]) {
        var errors: [ConversionError] = []
        let policySelector = selector(podSelector ?? LabelSelector(), includeOrchestrator: true)
        if let problem = selectorProblem(podSelector, printed: policySelector) {
            errors.append(ConversionError(policy: policyID, direction: nil, ruleIndex: nil, reason: problem))
        }

        var ingressRules: [Rule] = []
        for (i, r) in (ingress ?? []).enumerated() {
            do throws(RuleProblem) {
                ingressRules += try convertRule(peers: r.from, ports: r.ports, ingress: true)
            } catch {
                errors.append(ConversionError(policy: policyID, direction: .ingress, ruleIndex: i, reason: error.reason))
            }
        }
        var egressRules: [Rule] = []
        for (i, r) in (egress ?? []).enumerated() {
            do throws(RuleProblem) {
                egressRules += try convertRule(peers: r.to, ports: r.ports, ingress: false)
            } catch {
                errors.append(ConversionError(policy: policyID, direction: .egress, ruleIndex: i, reason: error.reason))
            }
        }

        // Upstream lists Ingress before Egress whatever the input order, once each.
        let listed = Set(policyTypes ?? [])
        var types: [PolicyType] = []
        if listed.contains(.ingress) { types.append(.ingress) }
        if listed.contains(.egress) { types.append(.egress) }
        if types.isEmpty { types = [.ingress] }

        let spec = NetworkPolicySpec(tier: tier, order: policyOrder, selector: policySelector, types: types,
                                     ingress: ingressRules.isEmpty ? nil : ingressRules,
                                     egress: egressRules.isEmpty ? nil : egressRules)
        return (spec, errors)
    }

    // MARK: - Rules

    struct RuleProblem: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// The ports allowed for one protocol.
    enum PortSet {
        case all
        case some([Port])
    }

    /// One Kubernetes rule → Calico rules: one per (protocol, peer), protocols in name order.
    static func convertRule(peers: [K8sNetworkPolicyPeer]?, ports: [K8sNetworkPolicyPort]?, ingress: Bool) throws(RuleProblem) -> [Rule] {
        // Peers first so that a bad peer is reported whatever the ports are.
        var entities: [EntityRule] = []
        for peer in peers ?? [] { entities.append(try peerEntity(peer)) }
        if entities.isEmpty { entities = [EntityRule()] }

        // "" = no protocol and no ports (an empty or absent ports list).
        var byProtocol: [String: PortSet] = [:]
        let entries = ports ?? []
        if entries.isEmpty { byProtocol[""] = .all }
        for entry in entries {
            let proto = entry.protocol ?? "TCP"
            guard portProtocols.contains(proto) else {
                throw RuleProblem("unsupported protocol \"\(proto)\": must be TCP, UDP or SCTP")
            }
            guard let port = try calicoPort(entry) else {
                byProtocol[proto] = .all
                continue
            }
            switch byProtocol[proto] {
            case nil: byProtocol[proto] = .some([port])
            case .some(let existing)?: byProtocol[proto] = .some(existing + [port])
            case .all?: break  // all ports already allowed
            }
        }

        var rules: [Rule] = []
        for proto in byProtocol.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let protocolValue: IPProtocol? = proto.isEmpty ? nil : .name(proto)
            let calicoPorts: [Port]?
            switch byProtocol[proto]! {
            case .all: calicoPorts = nil
            case .some(let list): calicoPorts = simplifyPorts(list)
            }
            for peer in entities {
                if ingress {
                    rules.append(Rule(action: .allow, protocol: protocolValue, source: peer,
                                      destination: EntityRule(ports: calicoPorts)))
                } else {
                    var destination = peer
                    destination.ports = calicoPorts
                    rules.append(Rule(action: .allow, protocol: protocolValue, source: EntityRule(), destination: destination))
                }
            }
        }
        return rules
    }

    /// A port entry's Calico port: `port` (with `endPort` → `port:endPort`), or nil for
    /// "every port of the protocol" when the entry has no port.
    static func calicoPort(_ entry: K8sNetworkPolicyPort) throws(RuleProblem) -> Port? {
        guard let port = entry.port else { return nil }
        var text = port.description
        if let end = entry.endPort { text += ":\(end)" }
        let parsed: Port
        do {
            parsed = try Port(parsing: text)
        } catch {
            throw RuleProblem("invalid port \"\(text)\": \(error.message)")
        }
        if let name = parsed.name {
            if let problem = Port.nameProblem(name) { throw RuleProblem("invalid port \"\(text)\": \(problem)") }
        } else if parsed.minPort < 1 {
            throw RuleProblem("invalid port \"\(text)\": port must be 1-65535")
        }
        return parsed
    }

    /// The minimal set of ports covering `ports`: named ports first (as given), then the
    /// numeric ports merged into ascending, non-overlapping, non-adjacent ranges.
    static func simplifyPorts(_ ports: [Port]) -> [Port] {
        if ports.count <= 1 { return ports }
        var named: [Port] = []
        var ranges: [(min: Int, max: Int)] = []
        for p in ports {
            if p.name != nil { named.append(p) } else { ranges.append((p.minPort, p.maxPort)) }
        }
        ranges.sort { $0.min != $1.min ? $0.min < $1.min : $0.max < $1.max }
        var merged: [(min: Int, max: Int)] = []
        for r in ranges {
            if let last = merged.last, r.min <= last.max + 1 {
                merged[merged.count - 1].max = Swift.max(last.max, r.max)
            } else {
                merged.append(r)
            }
        }
        return named + merged.map { $0.min == $0.max ? Port($0.min) : Port(min: $0.min, max: $0.max) }
    }

    // MARK: - Peers

    /// A peer's selector / namespaceSelector / nets / notNets (the ports are added later).
    static func peerEntity(_ peer: K8sNetworkPolicyPeer) throws(RuleProblem) -> EntityRule {
        if let block = peer.ipBlock {
            // Upstream: an unparsable cidr leaves the peer empty (matches everything); an
            // unparsable except ends the except list there.
            guard let net = IPNet(block.cidr, allowBareIP: false) else { return EntityRule() }
            var notNets: [String] = []
            for text in block.except ?? [] {
                guard let except = IPNet(text, allowBareIP: false) else { break }
                guard except.family == net.family else {
                    throw RuleProblem("ipBlock except \"\(text)\" is not in the IP family of cidr \"\(block.cidr)\"")
                }
                guard except.prefixLength > 0 else {
                    throw RuleProblem("ipBlock except \"\(text)\" excludes every address")
                }
                notNets.append(except.network.description)
            }
            return EntityRule(nets: [net.network.description], notNets: notNets.isEmpty ? nil : notNets)
        }
        let podSelector = selector(peer.podSelector, includeOrchestrator: true)
        if let problem = selectorProblem(peer.podSelector, printed: podSelector) {
            throw RuleProblem("podSelector: \(problem)")
        }
        let namespaceSelector = selector(peer.namespaceSelector, includeOrchestrator: false)
        if let problem = selectorProblem(peer.namespaceSelector, printed: namespaceSelector) {
            throw RuleProblem("namespaceSelector: \(problem)")
        }
        return EntityRule(selector: podSelector, namespaceSelector: namespaceSelector.isEmpty ? nil : namespaceSelector)
    }

    /// Why a printed selector would not do: an operator upstream silently drops, or text
    /// that is not a valid Calico selector (label keys or values Kubernetes would reject).
    static func selectorProblem(_ s: LabelSelector?, printed: String) -> String? {
        for e in s?.matchExpressions ?? [] where !["In", "NotIn", "Exists", "DoesNotExist"].contains(e.operator) {
            return "unsupported operator \"\(e.operator)\" for key \"\(e.key)\""
        }
        do {
            _ = try Selector.parse(printed)
        } catch {
            return "\"\(printed)\" is not a valid selector: \(error)"
        }
        return nil
    }
}
