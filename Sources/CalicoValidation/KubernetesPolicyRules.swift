import CalicoAPI

/// Shape checks of `networking.k8s.io/v1 NetworkPolicy` (and the staged variant's spec).
enum KubernetesPolicyRules {
    static func validate(podSelector: LabelSelector?, ingress: [K8sNetworkPolicyIngressRule]?, egress: [K8sNetworkPolicyEgressRule]?,
                         policyTypes: [PolicyType]?, into p: inout Problems) {
        let spec = FieldPath("spec")
        if let s = podSelector { validate(s, path: spec["podSelector"], into: &p) }
        var seen = Set<PolicyType>()
        for (i, t) in (policyTypes ?? []).enumerated() where !seen.insert(t).inserted {
            p.add(spec["policyTypes"][i], t.rawValue, "policy type is repeated")
        }
        for (i, rule) in (ingress ?? []).enumerated() {
            for (j, port) in (rule.ports ?? []).enumerated() { validate(port, path: spec["ingress"][i]["ports"][j], into: &p) }
            for (j, peer) in (rule.from ?? []).enumerated() { validate(peer, path: spec["ingress"][i]["from"][j], into: &p) }
        }
        for (i, rule) in (egress ?? []).enumerated() {
            for (j, port) in (rule.ports ?? []).enumerated() { validate(port, path: spec["egress"][i]["ports"][j], into: &p) }
            for (j, peer) in (rule.to ?? []).enumerated() { validate(peer, path: spec["egress"][i]["to"][j], into: &p) }
        }
    }

    static func validate(_ s: LabelSelector, path: FieldPath, into p: inout Problems) {
        MetadataRules.validateLabels(s.matchLabels, path: path["matchLabels"], style: .ours, into: &p)
        for (i, e) in (s.matchExpressions ?? []).enumerated() {
            let at = path["matchExpressions"][i]
            if let problem = Formats.qualifiedNameProblem(e.key) { p.add(at["key"], e.key, problem) }
            switch e.operator {
            case "In", "NotIn":
                if (e.values ?? []).isEmpty { p.add(at["values"], "must be specified when operator is In or NotIn") }
            case "Exists", "DoesNotExist":
                if !(e.values ?? []).isEmpty { p.add(at["values"], "may not be specified when operator is Exists or DoesNotExist") }
            default:
                p.add(at["operator"], e.operator, "must be In, NotIn, Exists or DoesNotExist")
            }
            for (j, v) in (e.values ?? []).enumerated() {
                if let problem = Formats.labelValueProblem(v) { p.add(at["values"][j], v, problem) }
            }
        }
    }

    static func validate(_ port: K8sNetworkPolicyPort, path: FieldPath, into p: inout Problems) {
        if let proto = port.protocol, !["TCP", "UDP", "SCTP"].contains(proto) {
            p.add(path["protocol"], proto, "must be TCP, UDP or SCTP")
        }
        switch port.port {
        case .int(let n)?:
            if !(1...65535).contains(n) { p.add(path["port"], String(n), "port must be 1-65535") }
            if let end = port.endPort, end < n || end > 65535 {
                p.add(path["endPort"], String(end), "endPort must be between port and 65535")
            }
        case .string(let name)?:
            if let problem = Port.nameProblem(name) { p.add(path["port"], name, problem) }
            if port.endPort != nil { p.add(path["endPort"], "endPort requires a numeric port") }
        case nil:
            if port.endPort != nil { p.add(path["endPort"], "endPort requires port") }
        }
    }

    static func validate(_ peer: K8sNetworkPolicyPeer, path: FieldPath, into p: inout Problems) {
        if let block = peer.ipBlock {
            if peer.podSelector != nil || peer.namespaceSelector != nil {
                p.add(path["ipBlock"], "ipBlock cannot be combined with podSelector or namespaceSelector")
            }
            guard let net = IPNet(block.cidr, allowBareIP: false) else {
                p.add(path["ipBlock"]["cidr"], block.cidr, "must be a CIDR")
                return
            }
            for (i, e) in (block.except ?? []).enumerated() {
                guard let ex = IPNet(e, allowBareIP: false) else {
                    p.add(path["ipBlock"]["except"][i], e, "must be a CIDR")
                    continue
                }
                if ex.family != net.family || ex.prefixLength < net.prefixLength || !net.contains(ex.address) {
                    p.add(path["ipBlock"]["except"][i], e, "must be within \(block.cidr)")
                }
            }
        } else if peer.podSelector == nil && peer.namespaceSelector == nil {
            p.add(path, "must specify a peer (podSelector, namespaceSelector or ipBlock)")
        }
        if let s = peer.podSelector { validate(s, path: path["podSelector"], into: &p) }
        if let s = peer.namespaceSelector { validate(s, path: path["namespaceSelector"], into: &p) }
    }
}
