import CalicoAPI

/// QoS controls: the `qos.projectcalico.org/*` (and `kubernetes.io/*-bandwidth`)
/// annotations and `WorkloadEndpoint.spec.qosControls`.
enum QoSRules {
    struct Bound {
        var min: Double
        var max: Double
        var unit: String
    }

    static let bandwidth = Bound(min: 1e3, max: 1e15, unit: "bit/s")
    static let burst = Bound(min: 1e3, max: 34_359_738_360, unit: "bits")
    static let peakrate = Bound(min: 1.01e3, max: 1.01e15, unit: "bit/s")
    static let minburst = Bound(min: 1e3, max: 1e8, unit: "bytes")
    static let packetRate = Bound(min: 1, max: 1e4, unit: "packets/s")
    static let packetBurst = Bound(min: 1, max: 1e4, unit: "packets")
    static let connections = Bound(min: 1, max: 4_294_967_295, unit: "connections")

    static let prefix = "qos.projectcalico.org/"

    /// Bound of each numeric annotation (without prefix), per direction.
    static let annotationBounds: [String: Bound] = {
        var m: [String: Bound] = [:]
        for dir in ["ingress", "egress"] {
            m["\(dir)Bandwidth"] = bandwidth
            m["\(dir)Burst"] = burst
            m["\(dir)Peakrate"] = peakrate
            m["\(dir)Minburst"] = minburst
            m["\(dir)PacketRate"] = packetRate
            m["\(dir)PacketBurst"] = packetBurst
            m["\(dir)MaxConnections"] = connections
        }
        return m
    }()

    /// QoS annotations are accepted whatever their values, as upstream takes a pod's: Felix
    /// clamps out-of-range numbers to their bounds and ignores values that do not parse or
    /// miss what they depend on, logging a warning naming the endpoint. Only a key under
    /// `qos.projectcalico.org/` that is no QoS control is refused (a typo would otherwise be
    /// silently ignored).
    static func validateAnnotations(_ annotations: [String: String]?, path: FieldPath, into p: inout Problems) {
        guard let annotations else { return }
        for key in annotations.keys.sorted() where key.hasPrefix(prefix) {
            let name = String(key.dropFirst(prefix.count))
            if name == "dscp" || annotationBounds[name] != nil { continue }
            p.add(path[key], annotations[key]!, "unknown QoS annotation; known: \(annotationBounds.keys.sorted().joined(separator: ", ")), dscp")
        }
    }

    /// What needs what, per direction (`values` by field name; the Kubernetes bandwidth
    /// annotation as `k8sIngressBandwidth` / `k8sEgressBandwidth`).
    static func dependencies(_ values: [String: Double], at path: (String) -> FieldPath, into p: inout Problems) {
        for dir in ["ingress", "egress"] {
            let bw = values["\(dir)Bandwidth"] ?? values["k8s\(dir.capitalizedFirst)Bandwidth"]
            if values["\(dir)Burst"] != nil && bw == nil {
                p.add(path("\(dir)Burst"), "\(dir)Burst requires \(dir)Bandwidth")
            }
            if let peak = values["\(dir)Peakrate"] {
                if let bw {
                    if peak <= bw { p.add(path("\(dir)Peakrate"), "\(dir)Peakrate must be greater than \(dir)Bandwidth") }
                } else {
                    p.add(path("\(dir)Peakrate"), "\(dir)Peakrate requires \(dir)Bandwidth")
                }
            }
            if values["\(dir)Minburst"] != nil && values["\(dir)Peakrate"] == nil {
                p.add(path("\(dir)Minburst"), "\(dir)Minburst requires \(dir)Peakrate")
            }
            if values["\(dir)PacketBurst"] != nil && values["\(dir)PacketRate"] == nil {
                p.add(path("\(dir)PacketBurst"), "\(dir)PacketBurst requires \(dir)PacketRate")
            }
        }
    }

    /// A QoSPolicy: a selector that parses, quantities and numbers within the annotations'
    /// bounds (refused here, where annotations are clamped), the same dependencies, a DSCP.
    static func validate(_ s: QoSPolicySpec, path: FieldPath, into p: inout Problems) {
        if let sel = s.selector { RuleRules.selector(sel, path: path["selector"], allowGlobal: true, upstream: false, into: &p) } else {
            p.add(path["selector"], "a QoSPolicy needs a selector (all() for every endpoint)")
        }
        var values: [String: Double] = [:]
        for (name, raw) in s.quantities {
            if let v = check(raw, annotationBounds[name]!, path[name], into: &p) { values[name] = v }
        }
        for (name, n) in s.counts {
            if check(String(n), annotationBounds[name]!, path[name], into: &p) != nil { values[name] = Double(n) }
        }
        dependencies(values, at: { path[$0] }, into: &p)
        if let d = s.dscp, d.codePoint == nil { p.add(path["dscp"], d.description, "DSCP must be 0-63 or one of DF, EF, AF11-AF43, CS0-CS6") }
        if s.quantities.isEmpty && s.counts.isEmpty && s.dscp == nil {
            p.add(path, "a QoSPolicy sets at least one control (a bandwidth, packet rate, connection limit or dscp)")
        }
    }

    @discardableResult
    static func check(_ raw: String, _ bound: Bound, _ path: FieldPath, into p: inout Problems) -> Double? {
        guard let v = Quantity.parse(raw) else {
            p.add(path, raw, "not a quantity (e.g. 10M, 1Gi, 500k)")
            return nil
        }
        if v < bound.min || v > bound.max {
            p.add(path, raw, "must be between \(formatDouble(bound.min)) and \(formatDouble(bound.max)) \(bound.unit)")
            return nil
        }
        return v
    }

    static func validate(_ q: QoSControls, path: FieldPath, into p: inout Problems) {
        let fields: [(String, Int64?, Bound)] = [
            ("ingressBandwidth", q.ingressBandwidth, bandwidth), ("egressBandwidth", q.egressBandwidth, bandwidth),
            ("ingressBurst", q.ingressBurst, burst), ("egressBurst", q.egressBurst, burst),
            ("ingressPeakrate", q.ingressPeakrate, peakrate), ("egressPeakrate", q.egressPeakrate, peakrate),
            ("ingressMinburst", q.ingressMinburst, minburst), ("egressMinburst", q.egressMinburst, minburst),
            ("ingressPacketRate", q.ingressPacketRate, packetRate), ("egressPacketRate", q.egressPacketRate, packetRate),
            ("ingressPacketBurst", q.ingressPacketBurst, packetBurst), ("egressPacketBurst", q.egressPacketBurst, packetBurst),
            ("ingressMaxConnections", q.ingressMaxConnections, connections), ("egressMaxConnections", q.egressMaxConnections, connections),
        ]
        for (name, value, bound) in fields {
            guard let value, value != 0 else { continue }
            if Double(value) < bound.min || Double(value) > bound.max {
                p.add(path[name], String(value), "must be between \(formatDouble(bound.min)) and \(formatDouble(bound.max)) \(bound.unit)")
            }
        }
        if let d = q.dscp, d.codePoint == nil { p.add(path["dscp"], d.description, "DSCP must be 0-63 or one of DF, EF, AF11-AF43, CS0-CS6") }
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
