import CalicoAPI

/// Pod QoS annotations → `QoSControls`, as upstream converts them: `qos.projectcalico.org/*`
/// (overriding `kubernetes.io/{ingress,egress}-bandwidth`), out-of-range numbers clamped to
/// their bounds, unparsable values 0 (unset), dependent fields dropped when what they need is
/// missing, default burst 4Gi bits and packet burst 5.
public enum QoSAnnotations {
    static let prefix = "qos.projectcalico.org/"

    /// Each numeric annotation's bounds (upstream's ranges).
    static let bounds: [(suffix: String, min: Double, max: Double)] = [
        ("Bandwidth", 1e3, 1e15), ("Burst", 1e3, 34_359_738_360), ("Peakrate", 1.01e3, 1.01e15), ("Minburst", 1e3, 1e8),
        ("PacketRate", 1, 1e4), ("PacketBurst", 1, 1e4), ("MaxConnections", 1, 4_294_967_295),
    ]

    /// What upstream warns about in an endpoint's QoS annotations: values out of range
    /// (clamped) and values that do not parse (ignored).
    public static func warnings(annotations: [String: String]?) -> [String] {
        let a = annotations ?? [:]
        var out: [String] = []
        for dir in ["ingress", "egress"] {
            for (suffix, lo, hi) in bounds {
                var keys = [prefix + dir + suffix]
                if suffix == "Bandwidth" { keys.append("kubernetes.io/\(dir)-bandwidth") }
                for key in keys {
                    guard let text = a[key] else { continue }
                    guard let v = Quantity.parse(text), v > 0 else {
                        out.append("annotation \(key)=\(text) cannot be parsed; ignored")
                        continue
                    }
                    if v < lo || v > hi {
                        out.append("annotation \(key)=\(text) is out of range [\(Int64(lo)), \(Int64(hi))]; clamped to \(Int64(Swift.min(Swift.max(v, lo), hi)))")
                    }
                }
            }
        }
        if let d = a[prefix + "dscp"], DSCP.value(ofName: d) == nil {
            out.append("annotation \(prefix)dscp=\(d) is not a DSCP value (0-63 or a name such as EF, AF21, CS5); ignored")
        }
        return out
    }

    static func value(_ text: String?, min: Double, max: Double) -> Int64? {
        guard let text, let v = Quantity.parse(text), v > 0 else { return nil }
        return Int64(Swift.min(Swift.max(v, min), max))
    }

    /// The controls from an endpoint's annotations merged over `spec` (annotations win), or
    /// nil when there are none.
    public static func controls(annotations: [String: String]?, spec: QoSControls?) -> QoSControls? {
        let a = annotations ?? [:]
        var q = spec ?? QoSControls()
        var any = spec != nil
        for dir in ["ingress", "egress"] {
            let k8s = a["kubernetes.io/\(dir)-bandwidth"]
            let bandwidth = value(a[prefix + "\(dir)Bandwidth"] ?? k8s, min: 1e3, max: 1e15)
            var burst = value(a[prefix + "\(dir)Burst"], min: 1e3, max: 34_359_738_360)
            var peak = value(a[prefix + "\(dir)Peakrate"], min: 1.01e3, max: 1.01e15)
            var minburst = value(a[prefix + "\(dir)Minburst"], min: 1e3, max: 1e8)
            let rate = value(a[prefix + "\(dir)PacketRate"], min: 1, max: 1e4)
            var packetBurst = value(a[prefix + "\(dir)PacketBurst"], min: 1, max: 1e4)
            let connections = value(a[prefix + "\(dir)MaxConnections"], min: 1, max: 4_294_967_295)
            if bandwidth == nil { burst = nil; peak = nil }
            if let b = bandwidth, burst == nil { burst = 4_294_967_296; _ = b }
            if let p = peak, let b = bandwidth, p <= b { peak = nil }
            if peak == nil { minburst = nil }
            if rate == nil { packetBurst = nil } else if packetBurst == nil { packetBurst = 5 }
            let fields = [bandwidth, burst, peak, minburst, rate, packetBurst, connections]
            if fields.allSatisfy({ $0 == nil }) { continue }
            any = true
            if dir == "ingress" {
                q.ingressBandwidth = bandwidth ?? q.ingressBandwidth
                q.ingressBurst = burst ?? q.ingressBurst
                q.ingressPeakrate = peak ?? q.ingressPeakrate
                q.ingressMinburst = minburst ?? q.ingressMinburst
                q.ingressPacketRate = rate ?? q.ingressPacketRate
                q.ingressPacketBurst = packetBurst ?? q.ingressPacketBurst
                q.ingressMaxConnections = connections ?? q.ingressMaxConnections
            } else {
                q.egressBandwidth = bandwidth ?? q.egressBandwidth
                q.egressBurst = burst ?? q.egressBurst
                q.egressPeakrate = peak ?? q.egressPeakrate
                q.egressMinburst = minburst ?? q.egressMinburst
                q.egressPacketRate = rate ?? q.egressPacketRate
                q.egressPacketBurst = packetBurst ?? q.egressPacketBurst
                q.egressMaxConnections = connections ?? q.egressMaxConnections
            }
        }
        if let d = a[prefix + "dscp"], let code = DSCP.value(ofName: d) {
            q.dscp = .number(code)
            any = true
        }
        return any ? q : nil
    }
}
