import CalicoAPI

/// FelixConfiguration field rules (the "Allowed / validation" column of the API notes).
enum FelixConfigurationRules {
    typealias R = OtherKindRules

    static func validate(_ s: FelixConfigurationSpec, into p: inout Problems) {
        let spec = FieldPath("spec")

        // Durations.
        for (field, path) in FelixConfigurationSpec.durationFields { R.duration(s[keyPath: path], spec[field], into: &p) }

        // Left unchecked as upstream's validator leaves them (its CRD schema takes any case of
        // the known values; Felix reads them so): chainInsertMode, bpfMapSizeConntrackScaling,
        // bpfEnforceRPF. routeSource only has to compile as a regular expression, as upstream.
        R.regex(s.routeSource, spec["routeSource"], tag: "routeSource", into: &p)

        // Enumerated strings (exact case, as upstream's validator).
        let enabledDisabled = ["Enabled", "Disabled"]
        let enums: [(String, String?, [String])] = [
            ("iptablesBackend", s.iptablesBackend, ["Legacy", "NFT", "Auto"]),
            ("defaultEndpointToHostAction", s.defaultEndpointToHostAction, ["Drop", "Accept", "Return"]),
            ("iptablesFilterAllowAction", s.iptablesFilterAllowAction, ["Accept", "Return"]),
            ("iptablesMangleAllowAction", s.iptablesMangleAllowAction, ["Accept", "Return"]),
            ("iptablesFilterDenyAction", s.iptablesFilterDenyAction, ["Drop", "Reject"]),
            ("natOutgoingExclusions", s.natOutgoingExclusions, ["IPPoolsOnly", "IPPoolsAndHostIPs"]),
            ("programClusterRoutes", s.programClusterRoutes, enabledDisabled),
            ("ipForwarding", s.ipForwarding, enabledDisabled),
            ("nftablesMode", s.nftablesMode, ["Disabled", "Enabled", "Auto"]),
            ("nftablesFilterAllowAction", s.nftablesFilterAllowAction, ["Accept", "Return"]),
            ("nftablesMangleAllowAction", s.nftablesMangleAllowAction, ["Accept", "Return"]),
            ("nftablesFilterDenyAction", s.nftablesFilterDenyAction, ["Drop", "Reject"]),
            ("bpfLogLevel", s.bpfLogLevel, ["Off", "Info", "Debug"]),
            ("bpfConntrackLogLevel", s.bpfConntrackLogLevel, ["Off", "Debug"]),
            ("bpfConntrackMode", s.bpfConntrackMode, ["Auto", "Userspace", "BPFProgram"]),
            ("bpfCTLBLogFilter", s.bpfCTLBLogFilter, ["all"]),
            ("bpfConnectTimeLoadBalancing", s.bpfConnectTimeLoadBalancing, ["TCP", "Enabled", "Disabled"]),
            ("bpfHostNetworkedNATWithoutCTLB", s.bpfHostNetworkedNATWithoutCTLB, enabledDisabled),
            ("bpfExternalServiceMode", s.bpfExternalServiceMode, ["Tunnel", "DSR"]),
            ("bpfRedirectToPeer", s.bpfRedirectToPeer, ["Enabled", "Disabled", "L2Only"]),
            ("bpfAttachType", s.bpfAttachType, ["TC", "TCX"]),
            ("bpfProfiling", s.bpfProfiling, enabledDisabled),
            ("bpfJITHardening", s.bpfJITHardening, ["Auto", "Strict"]),
            ("awsSrcDstCheck", s.awsSrcDstCheck, ["DoNothing", "Enable", "Disable"]),
            ("serviceLoopPrevention", s.serviceLoopPrevention, ["Drop", "Reject", "Disabled"]),
            ("workloadSourceSpoofing", s.workloadSourceSpoofing, ["Disabled", "Any"]),
            ("floatingIPs", s.floatingIPs, enabledDisabled),
            ("windowsManageFirewallRules", s.windowsManageFirewallRules, enabledDisabled),
            ("flowLogsLocalReporter", s.flowLogsLocalReporter, enabledDisabled),
            ("flowLogsPolicyEvaluationMode", s.flowLogsPolicyEvaluationMode, ["None", "Continuous"]),
        ]
        for (field, value, allowed) in enums {
            R.oneOf(value, allowed, spec[field], tag: untaggedEnums.contains(field) ? nil : enumTags[field] ?? "oneof", into: &p)
        }

        // Log settings.
        for (field, value) in [("logSeverityFile", s.logSeverityFile), ("logSeverityScreen", s.logSeverityScreen),
                               ("logSeveritySys", s.logSeveritySys)] {
            R.logLevel(value, spec[field], into: &p)
        }
        // No validator tag upstream for the next two (a CRD pattern only).
        if let v = s.logPrefix, !isLogPrefix(v) {
            p.add(spec["logPrefix"], v, "log prefix may only contain letters, digits, spaces and % : / _ -")
        }
        if let v = s.logActionRateLimit, !v.isEmpty, !isRateLimit(v) {
            p.add(spec["logActionRateLimit"], v, "must be N/second, N/minute, N/hour or N/day with N between 1 and 9999")
        }
        R.intRange(s.logActionRateLimitBurst, 0...9999, spec["logActionRateLimitBurst"], upstream: false, into: &p)

        // Regular expressions.
        for (field, value) in [("logDebugFilenameRegex", s.logDebugFilenameRegex), ("bpfDataIfacePattern", s.bpfDataIfacePattern),
                               ("bpfL3IfacePattern", s.bpfL3IfacePattern), ("bpfDisableGROForIfaces", s.bpfDisableGROForIfaces),
                               ("mtuIfacePattern", s.mtuIfacePattern)] {
            R.regex(value, spec[field], into: &p)
        }

        // Key/value lists.
        if let v = s.featureDetectOverride, !v.isEmpty {
            if !Formats.isKeyValueList(v) {
                p.tag(spec["featureDetectOverride"], v, "must be a comma-separated list of key=value pairs", tag: "keyValueList")
            } else if !keyValueValues(v).allSatisfy({ ["true", "false", ""].contains($0) }) {
                p.add(spec["featureDetectOverride"], v, "each feature override value must be true, false or empty")
            }
        }
        if let v = s.featureGates, !v.isEmpty, !Formats.isKeyValueList(v) {
            p.tag(spec["featureGates"], v, "must be a comma-separated list of key=value pairs", tag: "keyValueList")
        }

        if let v = s.openstackRegion, !v.isEmpty, v.utf8.count > 46 || !Formats.isDNSLabel(Substring(v)) {
            p.report(spec["openstackRegion"], v, "OpenStack region must be a lowercase DNS-1123 label of at most 46 characters",
                     as: "OpenstackRegion", v.utf8.count > 46 ? "is too long" : "must be a valid DNS label")
        }

        // Health and Prometheus.
        for (i, o) in (s.healthTimeoutOverrides ?? []).enumerated() {
            let at = spec["healthTimeoutOverrides"][i]
            if o.name.isEmpty || !o.name.utf8.allSatisfy({ Formats.isAlnum($0) || $0 == 95 || $0 == 32 || $0 == 45 }) {
                p.report(at["name"], o.name, "name must be one or more letters, digits, '_', ' ' or '-'",
                         as: "HealthTimeoutOverride.Name", "name should match regex ^[a-zA-Z0-9_ -]+$",
                         upstreamValue: "{\(o.name) \(o.timeout)}")
            }
            if let secs = Formats.durationSeconds(o.timeout), !o.timeout.isEmpty {
                if secs < 0 {
                    p.report(at["timeout"], o.timeout, "timeout must not be negative", as: "HealthTimeoutOverride.Timeout",
                             "Timeout should not be negative", upstreamValue: "{\(o.name) \(o.timeout)}")
                }
            } else {
                p.add(at["timeout"], o.timeout, "timeout must be a duration such as 30s or 2m")
            }
        }
        if let v = s.prometheusMetricsHost, !v.isEmpty, !Formats.isPrometheusHost(v) {
            p.tag(spec["prometheusMetricsHost"], v, "must be a host name or IP: 1-64 characters of [a-zA-Z0-9:._+-]", tag: "prometheusHost")
        }

        // Ports.
        for (field, list) in [("failsafeInboundHostPorts", s.failsafeInboundHostPorts), ("failsafeOutboundHostPorts", s.failsafeOutboundHostPorts)] {
            for (i, pp) in (list ?? []).enumerated() { validateProtoPort(pp, spec[field][i], into: &p) }
        }
        if let ranges = s.kubeNodePortRanges {
            if ranges.count > 7 {
                p.report(spec["kubeNodePortRanges"], nil, "at most 7 node port ranges are allowed, got \(ranges.count)",
                         as: "KubeNodePortRanges", "node port ranges list is too long (max 7)", upstreamValue: Upstream.list(ranges))
            }
            for (i, port) in ranges.enumerated() {
                if let name = port.name {
                    p.report(spec["kubeNodePortRanges"][i], name, "node port ranges must be numeric; named ports are not allowed",
                             as: "KubeNodePortRanges", "node port ranges should not contain named ports", upstreamValue: Upstream.list(ranges))
                } else {
                    RuleRules.validatePort(port, path: spec["kubeNodePortRanges"][i], into: &p)
                }
            }
        }
        for (field, value) in [("natPortRange", s.natPortRange), ("bpfPSNATPorts", s.bpfPSNATPorts)] {
            if let port = value { RuleRules.validatePort(port, path: spec[field], into: &p) }
        }
        R.intRange(s.debugPort, 0...65535, spec["debugPort"], into: &p)
        R.intRange(s.bpfKubeProxyHealthzPort, 1...65535, spec["bpfKubeProxyHealthzPort"], upstream: false, into: &p)
        R.intRange(s.wireguardListeningPort, 1...65535, spec["wireguardListeningPort"], lowTag: "gt", into: &p)
        R.intRange(s.wireguardListeningPortV6, 1...65535, spec["wireguardListeningPortV6"], lowTag: "gt", into: &p)

        validateAddresses(s, spec, into: &p)

        // Interfaces.
        if let v = s.iptablesNATOutgoingInterfaceFilter, !v.isEmpty, !Formats.isInterfaceFilter(v) {
            p.tag(spec["iptablesNATOutgoingInterfaceFilter"], v, "interface filter must be 1-15 characters of [a-zA-Z0-9:._+-]",
                  tag: "ifaceFilter")
        }
        let forceTrack = s.bpfForceTrackPacketsFromIfaces ?? []
        for (i, v) in forceTrack.enumerated() where !Formats.isInterfaceFilter(v) {
            p.tag(spec["bpfForceTrackPacketsFromIfaces"][i], v, "interface filter must be 1-15 characters of [a-zA-Z0-9:._+-]",
                  tag: "ifaceFilterSlice", field: "BPFForceTrackPacketsFromIfaces", upstreamValue: Upstream.list(forceTrack))
        }
        for (field, value) in [("wireguardInterfaceName", s.wireguardInterfaceName), ("wireguardInterfaceNameV6", s.wireguardInterfaceNameV6)] {
            if let v = value, !v.isEmpty, !Formats.isInterface(v) {
                p.tag(spec[field], v, "interface name must be 1-15 characters of [a-zA-Z0-9_.-]", tag: "interface")
            }
        }
        if let filters = s.bpfLogFilters {
            for key in filters.keys.sorted() where !Formats.isInterface(key) {
                p.tag(spec["bpfLogFilters"][key], key, "log filter keys must be interface names (1-15 characters of [a-zA-Z0-9_.-]) or '*'",
                      tag: "bpfLogFilters", field: "BPFLogFilters", upstreamValue: Upstream.map(filters))
            }
        }

        // eBPF.
        if let t = s.bpfConntrackTimeouts {
            let timeouts: [(String, String?)] = [
                ("creationGracePeriod", t.creationGracePeriod), ("tcpSynSent", t.tcpSynSent), ("tcpEstablished", t.tcpEstablished),
                ("tcpFinsSeen", t.tcpFinsSeen), ("tcpResetSeen", t.tcpResetSeen), ("udpTimeout", t.udpTimeout),
                ("genericTimeout", t.genericTimeout), ("icmpTimeout", t.icmpTimeout),
            ]
            for (field, value) in timeouts {
                guard let v = value, v != "Auto", v.isEmpty || !Formats.isDuration(v) else { continue }
                p.add(spec["bpfConntrackTimeouts"][field], v, "must be a duration such as 30s or 1h, or Auto")
            }
        }
        R.intRange(s.bpfExtToServiceConnmark, 0...4_294_967_295, spec["bpfExtToServiceConnmark"], into: &p)
        R.intRange(s.bpfMapSizeConntrackCleanupQueue, 1...Int.max, spec["bpfMapSizeConntrackCleanupQueue"], into: &p)
        R.intRange(s.bpfExportBufferSizeMB, 1...Int.max, spec["bpfExportBufferSizeMB"], upstream: false, into: &p)

        validateRouteTables(s, spec, into: &p)

        // WireGuard and Go runtime.
        R.intRange(s.wireguardRoutingRulePriority, 1...32765, spec["wireguardRoutingRulePriority"], lowTag: "gt", highTag: "lt", into: &p)
        for (field, value) in [("goGCThreshold", s.goGCThreshold), ("goMemoryLimitMB", s.goMemoryLimitMB), ("goMaxProcs", s.goMaxProcs)] {
            R.intRange(value, -1...Int.max, spec[field], into: &p)
        }
    }

    /// Enumerated fields whose upstream tag is a validator of their own rather than `oneof`.
    static let enumTags: [String: String] = [
        "iptablesBackend": "iptablesBackend", "defaultEndpointToHostAction": "dropAcceptReturn",
        "iptablesFilterAllowAction": "acceptReturn", "iptablesMangleAllowAction": "acceptReturn",
        "iptablesFilterDenyAction": "dropReject", "nftablesFilterAllowAction": "acceptReturn",
        "nftablesMangleAllowAction": "acceptReturn", "nftablesFilterDenyAction": "dropReject",
        "bpfLogLevel": "bpfLogLevel", "bpfExternalServiceMode": "bpfServiceMode",
    ]

    /// Enumerated fields upstream's validator does not check (a CRD enum only; the last two are
    /// new in 3.31 and their tags are not in the stored upstream source).
    static let untaggedEnums: Set<String> = [
        "programClusterRoutes", "ipForwarding", "nftablesMode", "flowLogsPolicyEvaluationMode", "bpfRedirectToPeer",
        "flowLogsLocalReporter", "bpfProfiling", "bpfCTLBLogFilter", "floatingIPs", "bpfAttachType", "bpfJITHardening",
    ]

    /// Addresses: upstream's struct checks for the single addresses and the external nodes
    /// list; the `cidrs` tag (whole list printed) for the BPF CIDR lists.
    static func validateAddresses(_ s: FelixConfigurationSpec, _ spec: FieldPath, into p: inout Problems) {
        for (field, goName, value, family) in [("natOutgoingAddress", "NATOutgoingAddress", s.natOutgoingAddress, IPAddress.Family.v4),
                                               ("deviceRouteSourceAddress", "DeviceRouteSourceAddress", s.deviceRouteSourceAddress, .v4),
                                               ("deviceRouteSourceAddressIPv6", "DeviceRouteSourceAddressIPv6", s.deviceRouteSourceAddressIPv6, .v6)] {
            guard let v = value, !v.isEmpty else { continue }
            let upstream = "is not a valid IPv\(family.rawValue) address"
            if let addr = IPAddress(v) {
                if addr.family != family {
                    p.report(spec[field], v, "must be an IPv\(family.rawValue) address, not IPv\(addr.family.rawValue)", as: goName, upstream)
                }
            } else {
                p.report(spec[field], v, "must be an IPv\(family.rawValue) address", as: goName, upstream)
            }
        }
        for (i, v) in (s.externalNodesList ?? []).enumerated() {
            if let net = IPNet(v) {
                if net.family != .v4 {
                    p.report(spec["externalNodesList"][i], v, "must be an IPv4 address or CIDR, not IPv6", as: "ExternalNodesCIDRList",
                             "has invalid IPv6 CIDR")
                }
            } else {
                p.report(spec["externalNodesList"][i], v, v.isEmpty ? "must be an IPv4 address or CIDR" : "must be an IPv4 address or CIDR, such as 10.0.0.0/8",
                         as: "ExternalNodesCIDRList", "has invalid CIDR(s)")
            }
        }
        for (field, list) in [("bpfDSROptoutCIDRs", s.bpfDSROptoutCIDRs), ("bpfExcludeCIDRsFromNAT", s.bpfExcludeCIDRsFromNAT)] {
            guard let list else { continue }
            for (i, v) in list.enumerated() where IPNet(v) == nil {
                p.tag(spec[field][i], v, v.isEmpty ? "must be an IP address or CIDR" : "must be an IP address or CIDR, such as 10.0.0.0/8", tag: "cidrs", field: Upstream.goName(field),
                      upstreamValue: Upstream.list(list))
            }
        }
    }

    static func validateProtoPort(_ pp: ProtoPort, _ at: FieldPath, into p: inout Problems) {
        if !["TCP", "UDP", "SCTP"].contains(pp.protocol) {
            p.report(at["protocol"], pp.protocol, "protocol must be TCP, UDP or SCTP (case-sensitive)", as: "ProtoPort.Protocol",
                     "protocol must be 'TCP' or 'UDP' or 'SCTP'.")
        }
        R.intRange(pp.port, 0...65535, at["port"], upstream: false, into: &p)
        R.network(pp.net, family: nil, strict: false, at["net"], upstream: false, into: &p)
    }

    static func validateRouteTables(_ s: FelixConfigurationSpec, _ spec: FieldPath, into p: inout Problems) {
        if let r = s.routeTableRange {
            let at = spec["routeTableRange"]
            // Upstream: one struct check for the whole range, printing it as {min max}.
            let value = "{\(r.min) \(r.max)}", reason = "must be a range of route table indices within 1..250"
            if !(1...250).contains(r.min) {
                p.report(at["min"], String(r.min), "min must be between 1 and 250", as: "RouteTableRange", reason, upstreamValue: value)
            }
            if !(1...250).contains(r.max) {
                p.report(at["max"], String(r.max), "max must be between 1 and 250", as: "RouteTableRange", reason, upstreamValue: value)
            }
            if r.min > r.max {
                p.report(at["max"], String(r.max), "max must not be less than min (\(r.min))", as: "RouteTableRange", reason, upstreamValue: value)
            }
        }
        if let ranges = s.routeTableRanges {
            if let old = s.routeTableRange {
                p.report(spec["routeTableRanges"], nil, "routeTableRanges and the deprecated routeTableRange cannot both be set",
                         as: "RouteTableRange", "cannot be set when `RouteTableRanges` is also set", upstreamValue: "{\(old.min) \(old.max)}")
            }
            var total = 0
            for (i, r) in ranges.enumerated() {
                let at = spec["routeTableRanges"][i]
                let value = "{\(r.min) \(r.max)}"
                if r.min < 1 {
                    p.report(at["min"], String(r.min), "min must be at least 1", as: "RouteTableRange", "cannot target indices < 1",
                             upstreamValue: value)
                }
                if r.max > 4_294_967_295 {
                    p.report(at["max"], String(r.max), "max must be at most 4294967295", as: "RouteTableRange", "max index too high",
                             upstreamValue: value)
                }
                if r.min > r.max {
                    p.report(at["max"], String(r.max), "max must not be less than min (\(r.min))", as: "RouteTableRange",
                             "min value cannot be greater than max value", upstreamValue: value)
                } else {
                    total += r.max - r.min + 1
                }
            }
            if total > 65535 {
                let printed = ranges.map { "{\($0.min) \($0.max)}" }.joined(separator: " ")
                p.report(spec["routeTableRanges"], String(total), "route table ranges cover \(total) tables; at most 65535 are allowed",
                         as: "RouteTableRanges", "targets too many tables", upstreamValue: "[\(printed)]")
            }
        }
    }

    /// `[a-zA-Z0-9%: /_-]*`
    static func isLogPrefix(_ s: String) -> Bool {
        s.utf8.allSatisfy { Formats.isAlnum($0) || [37, 58, 32, 47, 95, 45].contains($0) }
    }

    /// `N/second|minute|hour|day`, N 1–9999 (no leading zero).
    static func isRateLimit(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, ["second", "minute", "hour", "day"].contains(parts[1]) else { return false }
        let n = parts[0]
        guard (1...4).contains(n.utf8.count), n.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), n.first != "0" else { return false }
        return true
    }

    /// The values of a key=value list (trimmed; empty items skipped).
    static func keyValueValues(_ s: String) -> [String] {
        s.split(separator: ",", omittingEmptySubsequences: false).compactMap { item in
            let t = item.trimmingSpaces
            guard !t.isEmpty, let eq = t.firstIndex(of: "=") else { return nil }
            return String(t[t.index(after: eq)...].trimmingSpaces)
        }
    }
}
