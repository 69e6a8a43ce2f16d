import CalicoAPI
import FelixCalc
import Foundation

/// One token bucket (tc TBF) as the bandwidth controls ask for it (spec §2.13): `rate` and
/// `peakrate` in bit/s, `burst` in bits, `minburst` in bytes; 25 ms latency, from which tc
/// derives the queue limit (the smaller of the rate's and the peak rate's, as tc does).
public struct TBFParams: Hashable, Sendable {
    public var rate: Int64
    public var burst: Int64
    public var peakrate: Int64?
    public var minburst: Int64?

    public static let latency = "25ms"

    /// The ingress (to the workload) or egress (from it) bucket of `q`, nil without a
    /// bandwidth. A peak rate without a minburst gets one full frame: the interface MTU (as
    /// Felix does) plus the Ethernet header, which the qdisc counts too — with the MTU alone
    /// every full-size packet would be larger than the peak bucket and dropped.
    public static func of(_ q: QoSControls?, ingress: Bool, mtu: Int) -> TBFParams? {
        guard let q, let rate = ingress ? q.ingressBandwidth : q.egressBandwidth else { return nil }
        let burst = (ingress ? q.ingressBurst : q.egressBurst) ?? 4_294_967_296
        let peak = ingress ? q.ingressPeakrate : q.egressPeakrate
        let minburst = peak == nil ? nil : ((ingress ? q.ingressMinburst : q.egressMinburst) ?? Int64(mtu + 14))
        return TBFParams(rate: rate, burst: burst, peakrate: peak, minburst: minburst)
    }

    /// The qdisc's handle major, derived from every parameter: reading it back tells whether
    /// the kernel's bucket is this one (tc's JSON shows neither the peak rate nor the burst
    /// as given), so a restart leaves right qdiscs alone. Never 0 or `ffff` (ingress).
    public var handle: String {
        let h = StableHash.hex("tbf \(rate) \(burst) \(peakrate ?? 0) \(minburst ?? 0)")
        let n = Int(h.prefix(4), radix: 16)! % 0xfffe + 1
        return String(n, radix: 16)
    }

    /// `tc qdisc replace dev <dev> root handle <h>: tbf …`.
    public func replace(dev: String) -> [String] {
        var args = ["qdisc", "replace", "dev", dev, "root", "handle", handle + ":", "tbf",
                    "rate", "\(rate)bit", "burst", "\(max(burst / 8, 1))b", "latency", Self.latency]
        if let p = peakrate, let m = minburst { args += ["peakrate", "\(p)bit", "minburst", "\(m)b"] }
        return args
    }
}

/// What the kernel has that bandwidth limiting uses, read with `tc -j qdisc show`,
/// `tc -j filter show dev <veth> ingress` and `ip -j link show`.
public struct TCState: Sendable, Equatable {
    public struct Qdisc: Sendable, Equatable {
        public var kind: String
        /// Major number in hex, no colon (`8001`, `ffff`).
        public var handle: String
        public var root: Bool
        /// Bytes per second (TBF).
        public var rate: Int64?
    }

    public var qdiscs: [String: [Qdisc]] = [:]
    /// Devices whose ingress filter redirects to a device: device → target.
    public var redirects: [String: String] = [:]
    /// Every link with its MTU.
    public var mtus: [String: Int] = [:]
    /// Links that are up.
    public var up: Set<String> = []

    public init() {}

    public func root(_ dev: String) -> Qdisc? { qdiscs[dev]?.first { $0.root } }
    public func hasIngress(_ dev: String) -> Bool { qdiscs[dev]?.contains { $0.kind == "ingress" } ?? false }

    /// `tc -j qdisc show` → qdiscs by device.
    static func qdiscs(json: String) -> [String: [Qdisc]] {
        var out: [String: [Qdisc]] = [:]
        for o in KernelState.objects(json) {
            guard let dev = o["dev"] as? String, let kind = o["kind"] as? String else { continue }
            let handle = ((o["handle"] as? String) ?? "").split(separator: ":").first.map(String.init) ?? ""
            let rate = ((o["options"] as? [String: Any])?["rate"] as? Int).map(Int64.init)
            out[dev, default: []].append(Qdisc(kind: kind, handle: handle, root: o["root"] as? Bool ?? false, rate: rate))
        }
        return out
    }

    /// `tc -j filter show dev <d> ingress` → the device a mirred action redirects to.
    static func redirect(json: String) -> String? {
        for o in KernelState.objects(json) {
            for a in ((o["options"] as? [String: Any])?["actions"] as? [[String: Any]]) ?? [] {
                if a["kind"] as? String == "mirred", let to = a["to_dev"] as? String { return to }
            }
        }
        return nil
    }
}

/// The bandwidth limits of one workload interface (pure): what is wanted, and the commands
/// that bring the kernel from `state` to it. Ingress (to the workload) is a TBF at the root of
/// its host-side veth; egress (from it) an `ingress` qdisc on the veth whose match-all u32
/// filter redirects to an IFB device (`bwcali<hash>`, the veth's MTU) carrying the TBF.
public struct BandwidthPlan: Sendable, Equatable {
    public var interface: String
    public var ingress: TBFParams?
    public var egress: TBFParams?

    public enum Step: Sendable, Equatable {
        case tc([String])
        case ip([String])
    }

    static let ifbPrefix = "bwcali"

    /// `bwcali` and 9 hex digits of the interface name's hash: 15 characters, the kernel's limit.
    public static func ifbName(_ interface: String) -> String {
        ifbPrefix + StableHash.hex("ifb " + interface).prefix(9)
    }
    public var ifb: String { Self.ifbName(interface) }

    static func matches(_ q: TCState.Qdisc?, _ p: TBFParams) -> Bool {
        guard let q, q.kind == "tbf", q.handle == p.handle else { return false }
        return q.rate.map { $0 == p.rate / 8 } ?? true
    }

    /// The commands, in order; empty when the kernel already matches.
    public func steps(_ state: TCState) -> [Step] {
        let dev = interface
        var out: [Step] = []
        if let p = ingress {
            if !Self.matches(state.root(dev), p) { out.append(.tc(p.replace(dev: dev))) }
        } else if state.root(dev)?.kind == "tbf" {
            out.append(.tc(["qdisc", "del", "dev", dev, "root"]))
        }
        if let p = egress {
            let mtu = state.mtus[dev] ?? 1500
            if let have = state.mtus[ifb] {
                if have != mtu { out.append(.ip(["link", "set", "dev", ifb, "mtu", "\(mtu)"])) }
            } else {
                out.append(.ip(["link", "add", ifb, "mtu", "\(mtu)", "type", "ifb"]))
            }
            if !state.up.contains(ifb) {
                out.append(.ip(["link", "set", "dev", ifb, "up"]))
            }
            if !Self.matches(state.root(ifb), p) { out.append(.tc(p.replace(dev: ifb))) }
            if !state.hasIngress(dev) { out.append(.tc(["qdisc", "add", "dev", dev, "handle", "ffff:", "ingress"])) }
            if state.redirects[dev] != ifb {
                out.append(.tc(["filter", "replace", "dev", dev, "parent", "ffff:", "protocol", "all", "prio", "1", "u32",
                                "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb]))
            }
        } else {
            if state.hasIngress(dev) { out.append(.tc(["qdisc", "del", "dev", dev, "ingress"])) }
            if state.mtus[ifb] != nil { out.append(.ip(["link", "del", ifb])) }
        }
        return out
    }
}
