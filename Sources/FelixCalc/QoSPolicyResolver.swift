import CalicoAPI
import CalicoSelector

/// Where one effective QoS field came from.
public enum QoSSource: Sendable, Equatable, CustomStringConvertible {
    /// The endpoint's own annotations (or `spec.qosControls`).
    case endpoint
    /// A QoSPolicy, by name.
    case policy(String)

    public var description: String {
        switch self {
        case .endpoint: return "endpoint"
        case .policy(let name): return "QoSPolicy \(name)"
        }
    }
}

/// An endpoint's QoS controls after both sources are resolved, and the source of each field
/// (`ingressBandwidth` → `QoSPolicy voice`).
public struct EffectiveQoS: Sendable, Equatable {
    public var controls: QoSControls
    public var sources: [String: QoSSource]
}

/// Resolves an endpoint's QoS (pure): per field its own annotation, else the matching QoSPolicy
/// with the lowest order (the name breaks ties; no order sorts last). A QoSPolicy's bandwidth
/// without a burst gets one sized to its rate — 10 ms of traffic, at least one MTU — instead of
/// the annotations' 4 Gibit, so its limit holds from the first second; a packet rate without a
/// burst gets 5. A peak rate that is no longer above the bandwidth it ends up with is dropped
/// with its minburst, as tc would refuse it.
public enum QoSPolicyResolver {
    static var fields: [(name: String, path: WritableKeyPath<QoSControls, Int64?>)] { [
        ("ingressBandwidth", \.ingressBandwidth), ("egressBandwidth", \.egressBandwidth),
        ("ingressBurst", \.ingressBurst), ("egressBurst", \.egressBurst),
        ("ingressPeakrate", \.ingressPeakrate), ("egressPeakrate", \.egressPeakrate),
        ("ingressMinburst", \.ingressMinburst), ("egressMinburst", \.egressMinburst),
        ("ingressPacketRate", \.ingressPacketRate), ("egressPacketRate", \.egressPacketRate),
        ("ingressPacketBurst", \.ingressPacketBurst), ("egressPacketBurst", \.egressPacketBurst),
        ("ingressMaxConnections", \.ingressMaxConnections), ("egressMaxConnections", \.egressMaxConnections),
    ] }

    /// The controls one QoSPolicy sets (values that do not parse are left out; validation
    /// refuses them at the API), with its default bursts.
    public static func controls(of spec: QoSPolicySpec, mtu: Int = 1500) -> QoSControls {
        var q = QoSControls()
        let quantities = Dictionary(spec.quantities.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let counts = Dictionary(spec.counts.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        for (name, path) in fields {
            if let text = quantities[name], let v = Quantity.parse(text), v > 0 { q[keyPath: path] = Int64(v) }
            if let n = counts[name], n > 0 { q[keyPath: path] = n }
        }
        for (rate, burst, packetRate, packetBurst) in [(\QoSControls.ingressBandwidth, \QoSControls.ingressBurst, \QoSControls.ingressPacketRate, \QoSControls.ingressPacketBurst),
                                                       (\.egressBandwidth, \.egressBurst, \.egressPacketRate, \.egressPacketBurst)] {
            if let r = q[keyPath: rate], q[keyPath: burst] == nil { q[keyPath: burst] = max(r / 100, Int64(mtu) * 8) }
            if q[keyPath: packetRate] != nil, q[keyPath: packetBurst] == nil { q[keyPath: packetBurst] = 5 }
        }
        if let d = spec.dscp, let code = d.codePoint { q.dscp = .number(code) }
        return q
    }

    /// The effective controls of an endpoint with `labels` and its own controls, or nil when
    /// neither source sets anything.
    public static func resolve(endpoint own: QoSControls?, labels: [String: String], policies: [QoSPolicy], mtu: Int = 1500) -> EffectiveQoS? {
        resolve(endpoint: own, matching: policies.filter { p in
            guard let text = p.spec.selector, let sel = try? Selector.parse(text) else { return false }
            return sel.matches(labels)
        }, mtu: mtu)
    }

    /// The effective controls from the endpoint's own and the QoSPolicies that select it
    /// (in any order), or nil when neither sets anything.
    public static func resolve(endpoint own: QoSControls?, matching: [QoSPolicy], mtu: Int = 1500) -> EffectiveQoS? {
        let matching = matching.sorted { a, b in
            let (oa, ob) = (a.spec.order ?? .infinity, b.spec.order ?? .infinity)
            return oa != ob ? oa < ob : (a.metadata.name ?? "") < (b.metadata.name ?? "")
        }
        var out = EffectiveQoS(controls: QoSControls(), sources: [:])
        let layers: [(QoSSource, QoSControls)] = (own.map { [(.endpoint, $0)] } ?? [])
            + matching.map { (.policy($0.metadata.name ?? ""), controls(of: $0.spec, mtu: mtu)) }
        for (source, q) in layers {
            for (name, path) in fields where out.controls[keyPath: path] == nil {
                if let v = q[keyPath: path] {
                    out.controls[keyPath: path] = v
                    out.sources[name] = source
                }
            }
            if out.controls.dscp == nil, let d = q.dscp {
                out.controls.dscp = d
                out.sources["dscp"] = source
            }
        }
        for (bw, peak, minburst) in [(\QoSControls.ingressBandwidth, \QoSControls.ingressPeakrate, \QoSControls.ingressMinburst),
                                     (\.egressBandwidth, \.egressPeakrate, \.egressMinburst)] {
            if let p = out.controls[keyPath: peak], p <= (out.controls[keyPath: bw] ?? .max) {
                out.controls[keyPath: peak] = nil
                out.controls[keyPath: minburst] = nil
            }
        }
        for (name, path) in fields where out.controls[keyPath: path] == nil { out.sources[name] = nil }
        return out.sources.isEmpty ? nil : out
    }
}
