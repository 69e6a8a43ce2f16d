import CalicoAPI

/// KubeControllersConfiguration rules; `status.runningConfig` is checked like the spec.
enum KubeControllersRules {
    typealias R = OtherKindRules

    static func validate(_ r: KubeControllersConfiguration, into p: inout Problems) {
        validate(r.spec, at: FieldPath("spec"), into: &p)
        if let running = r.status?.runningConfig {
            validate(running, at: FieldPath("status")["runningConfig"], into: &p)
        }
    }

    static func validate(_ s: KubeControllersConfigurationSpec, at spec: FieldPath, into p: inout Problems) {
        let enabledDisabled = ["Enabled", "Disabled"]
        R.logLevel(s.logSeverityScreen, spec["logSeverityScreen"], into: &p)
        R.oneOf(s.healthChecks, enabledDisabled, spec["healthChecks"], into: &p)
        R.duration(s.etcdV3CompactionPeriod, spec["etcdV3CompactionPeriod"], into: &p)
        // CRD bounds only upstream.
        R.intRange(s.prometheusMetricsPort, 0...65535, spec["prometheusMetricsPort"], upstream: false, into: &p)
        R.intRange(s.debugProfilePort.map(Int.init), 0...65535, spec["debugProfilePort"], upstream: false, into: &p)
        guard let c = s.controllers else { return }
        let ctl = spec["controllers"]
        if let node = c.node {
            let at = ctl["node"]
            R.duration(node.reconcilerPeriod, at["reconcilerPeriod"], into: &p)
            R.oneOf(node.syncLabels, enabledDisabled, at["syncLabels"], into: &p)
            R.duration(node.leakGracePeriod, at["leakGracePeriod"], into: &p)
            if let hep = node.hostEndpoint { validate(hep, at: at["hostEndpoint"], into: &p) }
        }
        for (field, config) in [("policy", c.policy), ("workloadEndpoint", c.workloadEndpoint),
                                ("serviceAccount", c.serviceAccount), ("namespace", c.namespace)] {
            R.duration(config?.reconcilerPeriod, ctl[field]["reconcilerPeriod"], into: &p)
        }
        R.oneOf(c.loadBalancer?.assignIPs, ["AllServices", "RequestedServicesOnly"], ctl["loadBalancer"]["assignIPs"], tag: "assignIPs", into: &p)
    }

    static func validate(_ h: AutoHostEndpointConfig, at: FieldPath, into p: inout Problems) {
        R.oneOf(h.autoCreate, ["Enabled", "Disabled"], at["autoCreate"], into: &p)
        R.oneOf(h.createDefaultHostEndpoint, ["Enabled", "Disabled"], at["createDefaultHostEndpoint"], tag: "createDefaultHostEndpoint", into: &p)
        var seen = Set<String>()
        for (i, t) in (h.templates ?? []).enumerated() {
            let tp = at["templates"][i]
            if let name = t.generateName, !name.isEmpty {
                if name.utf8.count > 253 {
                    p.add(tp["generateName"], name, "generateName must be no more than 253 characters")
                } else {
                    R.name(name, tp["generateName"], into: &p)
                }
                if !seen.insert(name).inserted {
                    p.add(tp["generateName"], name, "generateName must be unique across templates")
                }
            } else {
                p.add(tp["generateName"], "generateName is required")  // client-side upstream
            }
            // Upstream: the `cidrs` tag on the whole list.
            let cidrs = t.interfaceCIDRs ?? []
            for (j, cidr) in cidrs.enumerated() where IPNet(cidr) == nil {
                p.tag(tp["interfaceCIDRs"][j], cidr, cidr.isEmpty ? "must be an IP address or CIDR" : "must be an IP address or CIDR, such as 10.0.0.0/8",
                      tag: "cidrs", field: "InterfaceCIDRs", upstreamValue: Upstream.list(cidrs))
            }
            R.regex(t.interfacePattern, tp["interfacePattern"], into: &p)
            MetadataRules.validateLabels(t.labels, path: tp["labels"], style: .tag("labels"), into: &p)
            R.selector(t.nodeSelector, tp["nodeSelector"], into: &p)
        }
    }
}
