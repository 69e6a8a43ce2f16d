import CalicoAPI

/// The `ps` (default) and `wide` tables of `calicoctl get`.
///
/// Upstream builds, per kind, a Go template whose every cell (the last one included) is
/// followed by a tab, and runs it through `tabwriter.NewWriter(out, 5, 1, 3, ' ', 0)`; a
/// blank line follows each table. Cells here are computed directly from the typed
/// resources, with the same zero-value renderings as those templates (`<nil>` for unset
/// pointer fields, `0`/`false` for unset numbers/booleans).
enum TablePrinter {
    /// One table: a header row, a row per resource, then a blank line.
    static func render(_ resources: [any CalicoResource], kind: ResourceKind, wide: Bool, showNamespace: Bool,
                       globalASNumber: String = "64512", endpointCounts: [String: Int] = [:]) -> String {
        var headings = columns(kind: kind, wide: wide)
        if showNamespace && kind.isNamespaced { headings.insert("NAMESPACE", at: 0) }
        return table(resources, headings: headings, globalASNumber: globalASNumber, endpointCounts: endpointCounts)
    }

    /// Formats `headings` and one row per resource (unknown cells are empty), plus the
    /// trailing blank line.
    /// `endpointCounts`: the ENDPOINTS column (a QoSPolicy's selected endpoints), by name.
    static func table(_ resources: [any CalicoResource], headings: [String], globalASNumber: String, endpointCounts: [String: Int] = [:]) -> String {
        var rows: [[String]] = [headings]
        for r in resources {
            rows.append(headings.map { h in
                h == "ENDPOINTS" ? String(endpointCounts[r.name] ?? 0) : cell(r, column: h, globalASNumber: globalASNumber) ?? ""
            })
        }
        return TabWriter.format(rows) + "\n"
    }

    /// The default headings of a kind (`ps` or `wide`).
    static func columns(kind: ResourceKind, wide: Bool) -> [String] {
        let c = Self.headings(kind)
        return wide ? c.wide : c.ps
    }

    /// Every heading a kind knows, as offered to `-o custom-columns`: the wide headings,
    /// then any `ps`-only ones, then `ORCHESTRATOR` (WorkloadEndpoint) and `NAMESPACE`
    /// (namespaced kinds).
    static func allColumns(kind: ResourceKind) -> [String] {
        let c = Self.headings(kind)
        var out = c.wide
        for h in c.ps + c.extra where !out.contains(h) { out.append(h) }
        if kind.isNamespaced && !out.contains("NAMESPACE") { out.append("NAMESPACE") }
        return out
    }

    private static let policyColumns = (ps: ["NAME", "TIER"], wide: ["NAME", "TIER", "ORDER", "SELECTOR"], extra: [String]())

    private static func headings(_ kind: ResourceKind) -> (ps: [String], wide: [String], extra: [String]) {
        if ObjectIdentifier(kind.type) == ObjectIdentifier(KubernetesNetworkPolicy.self) {
            return (["NAME"], ["NAME", "PODSELECTOR"], [])
        }
        switch kind.kind {
        case BGPConfiguration.kindName:
            let c = ["NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"]
            return (c, c, [])
        case BGPFilter.kindName:
            let c = ["NAME", "NUMEXPORTV4", "NUMIMPORTV4", "NUMEXPORTV6", "NUMIMPORTV6"]
            return (c, c, [])
        case BGPPeer.kindName:
            let c = ["NAME", "PEERIP", "NODE", "ASN"]
            return (c, c, [])
        case ClusterInformation.kindName:
            let c = ["NAME", "CLUSTERGUID", "CLUSTERTYPE", "CALICOVERSION", "DATASTOREREADY"]
            return (c, c, [])
        case GlobalNetworkPolicy.kindName, NetworkPolicy.kindName,
             StagedGlobalNetworkPolicy.kindName, StagedNetworkPolicy.kindName:
            return policyColumns
        case GlobalNetworkSet.kindName, NetworkSet.kindName:
            return (["NAME"], ["NAME", "NETS"], [])
        case HostEndpoint.kindName:
            return (["NAME", "NODE"], ["NAME", "NODE", "INTERFACE", "IPS", "PROFILES"], [])
        case IPAMConfiguration.kindName:
            let c = ["NAME", "STRICTAFFINITY", "MAXBLOCKSPERHOST"]
            return (c, c, [])
        case IPPool.kindName:
            return (["NAME", "CIDR", "SELECTOR"],
                    ["NAME", "CIDR", "NAT", "IPIPMODE", "VXLANMODE", "DISABLED", "DISABLEBGPEXPORT", "SELECTOR", "ASSIGNMENTMODE"], [])
        case IPReservation.kindName:
            return (["NAME"], ["NAME", "CIDRS"], [])
        case Node.kindName:
            return (["NAME"], ["NAME", "ASN", "IPV4", "IPV6"], [])
        case Profile.kindName:
            return (["NAME"], ["NAME", "LABELS"], [])
        case StagedKubernetesNetworkPolicy.kindName:
            return (["NAME"], ["NAME", "PODSELECTOR"], [])
        case QoSPolicy.kindName:
            return (["NAME", "ORDER", "SELECTOR"], ["NAME", "ORDER", "SELECTOR", "INGRESSBANDWIDTH", "EGRESSBANDWIDTH", "DSCP", "ENDPOINTS"], [])
        case Tier.kindName:
            let c = ["NAME", "ORDER"]
            return (c, c, [])
        case WorkloadEndpoint.kindName:
            return (["WORKLOAD", "NODE", "NETWORKS", "INTERFACE"],
                    ["NAME", "WORKLOAD", "NODE", "NETWORKS", "INTERFACE", "PROFILES", "NATS"], ["ORCHESTRATOR"])
        default:
            // FelixConfiguration, KubeControllersConfiguration and anything else: the name only.
            return (["NAME"], ["NAME"], [])
        }
    }

    /// The text of one cell; nil when the resource's kind has no such column.
    static func cell(_ r: any CalicoResource, column: String, globalASNumber: String) -> String? {
        let column = column.uppercased()
        switch column {
        case "NAME": return r.name
        case "NAMESPACE": return type(of: r).isNamespaced ? (r.metadata.namespace ?? "") : nil
        default: break
        }
        switch r {
        case let r as BGPConfiguration:
            switch column {
            case "LOGSEVERITY": return r.spec.logSeverityScreen ?? ""
            case "MESHENABLED": return r.spec.nodeToNodeMeshEnabled.map { String($0) } ?? "-"
            case "ASNUMBER": return r.spec.asNumber.map { String($0.value) } ?? "-"
            default: return nil
            }
        case let r as BGPFilter:
            switch column {
            case "NUMEXPORTV4": return String(r.spec.exportV4?.count ?? 0)
            case "NUMIMPORTV4": return String(r.spec.importV4?.count ?? 0)
            case "NUMEXPORTV6": return String(r.spec.exportV6?.count ?? 0)
            case "NUMIMPORTV6": return String(r.spec.importV6?.count ?? 0)
            default: return nil
            }
        case let r as BGPPeer:
            switch column {
            case "PEERIP": return r.spec.peerIP ?? ""
            case "NODE":
                if let node = r.spec.node, !node.isEmpty { return node }
                if let sel = r.spec.nodeSelector, !sel.isEmpty { return sel }
                return "(global)"
            case "ASN": return String(r.spec.asNumber?.value ?? 0)
            default: return nil
            }
        case let r as ClusterInformation:
            switch column {
            case "CLUSTERGUID": return r.spec.clusterGUID ?? ""
            case "CLUSTERTYPE": return r.spec.clusterType ?? ""
            case "CALICOVERSION": return r.spec.calicoVersion ?? ""
            case "DATASTOREREADY": return pointer(r.spec.datastoreReady)
            default: return nil
            }
        case let r as GlobalNetworkPolicy:
            return policyCell(column, tier: r.spec.tier, order: r.spec.order, selector: r.spec.selector)
        case let r as NetworkPolicy:
            return policyCell(column, tier: r.spec.tier, order: r.spec.order, selector: r.spec.selector)
        case let r as StagedGlobalNetworkPolicy:
            return policyCell(column, tier: r.spec.tier, order: r.spec.order, selector: r.spec.selector)
        case let r as StagedNetworkPolicy:
            return policyCell(column, tier: r.spec.tier, order: r.spec.order, selector: r.spec.selector)
        case let r as GlobalNetworkSet:
            return column == "NETS" ? joinAndTruncate(r.spec.nets ?? [], ",", 80) : nil
        case let r as NetworkSet:
            return column == "NETS" ? joinAndTruncate(r.spec.nets ?? [], ",", 80) : nil
        case let r as HostEndpoint:
            switch column {
            case "NODE": return r.spec.node ?? ""
            case "INTERFACE": return r.spec.interfaceName ?? ""
            case "IPS": return (r.spec.expectedIPs ?? []).joined(separator: ",")
            case "PROFILES": return (r.spec.profiles ?? []).joined(separator: ",")
            default: return nil
            }
        case let r as IPAMConfiguration:
            switch column {
            case "STRICTAFFINITY": return String(r.spec.strictAffinity ?? false)
            case "MAXBLOCKSPERHOST": return String(r.spec.maxBlocksPerHost ?? 0)
            default: return nil
            }
        case let r as IPPool:
            switch column {
            case "CIDR": return r.spec.cidr ?? ""
            case "SELECTOR": return r.spec.nodeSelector ?? ""
            case "NAT": return String(r.spec.natOutgoing ?? false)
            case "IPIPMODE": return nonEmpty(r.spec.ipipMode) ?? "Never"
            case "VXLANMODE": return nonEmpty(r.spec.vxlanMode) ?? "Never"
            case "DISABLED": return String(r.spec.disabled ?? false)
            case "DISABLEBGPEXPORT": return String(r.spec.disableBGPExport ?? false)
            case "ASSIGNMENTMODE": return pointer(r.spec.assignmentMode)
            default: return nil
            }
        case let r as IPReservation:
            return column == "CIDRS" ? joinAndTruncate(r.spec.reservedCIDRs ?? [], ",", 80) : nil
        case let r as Node:
            switch column {
            case "ASN":
                guard let bgp = r.spec.bgp else { return "" }
                return bgp.asNumber.map { String($0.value) } ?? "(\(globalASNumber))"
            case "IPV4": return r.spec.bgp?.ipv4Address ?? ""
            case "IPV6": return r.spec.bgp?.ipv6Address ?? ""
            default: return nil
            }
        case let r as Profile:
            guard column == "LABELS" else { return nil }
            return (r.spec.labelsToApply ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        case let r as StagedKubernetesNetworkPolicy:
            return column == "PODSELECTOR" ? formatLabelSelector(r.spec.podSelector) : nil
        case let r as KubernetesNetworkPolicy:
            return column == "PODSELECTOR" ? formatLabelSelector(r.spec.podSelector) : nil
        case let r as Tier:
            return column == "ORDER" ? r.spec.order.map(GoFormat.float) ?? "<nil>" : nil
        case let r as QoSPolicy:
            switch column {
            case "ORDER": return r.spec.order.map(GoFormat.float) ?? "<nil>"
            case "SELECTOR": return r.spec.selector ?? ""
            case "INGRESSBANDWIDTH": return r.spec.ingressBandwidth ?? ""
            case "EGRESSBANDWIDTH": return r.spec.egressBandwidth ?? ""
            case "DSCP": return r.spec.dscp?.description ?? ""
            default: return nil
            }
        case let r as WorkloadEndpoint:
            switch column {
            case "WORKLOAD": return nonEmpty(r.spec.workload) ?? r.spec.pod ?? ""
            case "NODE": return r.spec.node ?? ""
            case "NETWORKS": return (r.spec.ipNetworks ?? []).joined(separator: ",")
            case "INTERFACE": return r.spec.interfaceName ?? ""
            case "PROFILES": return (r.spec.profiles ?? []).joined(separator: ",")
            case "NATS":
                // Go prints the IPNAT struct with fmt.Sprint: `{<internal> <external>}`.
                return (r.spec.ipNATs ?? []).map { "{\($0.internalIP ?? "") \($0.externalIP ?? "")}" }.joined(separator: ",")
            case "ORCHESTRATOR": return r.spec.orchestrator ?? ""
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func policyCell(_ column: String, tier: String?, order: Double?, selector: String?) -> String? {
        switch column {
        case "TIER": return tier ?? ""
        case "ORDER": return order.map(GoFormat.float) ?? "<nil>"
        case "SELECTOR": return selector ?? ""
        default: return nil
        }
    }

    /// How Go's template prints an optional (pointer) field: its value, or `<nil>`.
    private static func pointer<T>(_ v: T?) -> String {
        v.map { "\($0)" } ?? "<nil>"
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }

    /// calicoctl's `joinAndTruncate`: joins, and once longer than `maxLength` (if > 0) cuts
    /// to `maxLength - 3` bytes plus `...`.
    static func joinAndTruncate(_ items: [String], _ separator: String, _ maxLength: Int) -> String {
        var buffer: [UInt8] = []
        for (i, item) in items.enumerated() {
            if i > 0 { buffer += Array(separator.utf8) }
            buffer += Array(item.utf8)
            if maxLength > 0 && buffer.count > maxLength {
                return String(decoding: buffer.prefix(max(maxLength - 3, 0)), as: UTF8.self) + "..."
            }
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// A Kubernetes label selector in kubectl's textual form (`<none>` when it selects everything).
    static func formatLabelSelector(_ selector: LabelSelector?) -> String {
        var parts: [(key: String, text: String)] = []
        for (k, v) in selector?.matchLabels ?? [:] { parts.append((k, "\(k)=\(v)")) }
        for e in selector?.matchExpressions ?? [] {
            let values = (e.values ?? []).sorted().joined(separator: ",")
            switch e.operator {
            case "In": parts.append((e.key, "\(e.key) in (\(values))"))
            case "NotIn": parts.append((e.key, "\(e.key) notin (\(values))"))
            case "Exists": parts.append((e.key, e.key))
            case "DoesNotExist": parts.append((e.key, "!\(e.key)"))
            default: parts.append((e.key, "\(e.key) \(e.operator) (\(values))"))
            }
        }
        // As labels.Selector prints: requirements sorted by key.
        let sorted = parts.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element.text)
        return sorted.isEmpty ? "<none>" : sorted.joined(separator: ",")
    }
}

/// Go's `text/tabwriter` as calicoctl configures it (min width 5, tab width 1, padding 3,
/// pad char space, no flags), fed rows whose every cell is tab-terminated: each column is
/// `max(5, widest cell + 3)` wide, the last one included.
enum TabWriter {
    static let minWidth = 5
    static let padding = 3

    static func format(_ rows: [[String]]) -> String {
        let columnCount = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: minWidth, count: columnCount)
        for row in rows {
            for (i, cell) in row.enumerated() {
                widths[i] = max(widths[i], cell.unicodeScalars.count + padding)
            }
        }
        var out = ""
        for row in rows {
            for (i, cell) in row.enumerated() {
                out += cell
                out += String(repeating: " ", count: widths[i] - cell.unicodeScalars.count)
            }
            out += "\n"
        }
        return out
    }
}

/// Go `fmt` renderings shared by the table and template printers.
enum GoFormat {
    /// `fmt.Sprint(float64)`: `%g` with the shortest precision, in exponent form when the
    /// decimal exponent is < -4 or >= 6 (Go's shortest `%g` decides with precision 6).
    static func float(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        let (negative, digits, pointPosition) = decimalDigits(d)
        let sign = negative ? "-" : ""
        let exp = pointPosition - 1
        if exp < -4 || exp >= 6 {
            var mantissa = String(digits.first!)
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let e = abs(exp)
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let idx = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<idx] + "." + digits[idx...]
    }

    /// The shortest round-tripping decimal digits of `d` (no leading/trailing zeros) and
    /// the position of the decimal point relative to them.
    static func decimalDigits(_ d: Double) -> (negative: Bool, digits: String, point: Int) {
        var text = "\(abs(d))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        let fracPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = intPart + fracPart
        var point = intPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { digits = "0"; point = 1 }
        return (d < 0, digits, point)
    }
}
