import CalicoNetlink
import Foundation

/// One conntrack entry's counters (needs `net.netfilter.nf_conntrack_acct=1`).
public struct ConntrackEntry: Sendable, Equatable {
    public var originalPackets: Int64
    public var originalBytes: Int64
    public var replyPackets: Int64
    public var replyBytes: Int64
    /// TCP state (`ESTABLISHED`, `TIME_WAIT`, …); empty for other protocols.
    public var state: String
}

/// The 5-tuple conntrack's original direction is keyed by.
public struct ConntrackTuple: Sendable, Hashable {
    public var source: String
    public var destination: String
    public var proto: Int
    public var sourcePort: Int
    public var destinationPort: Int
}

/// Reading conntrack's counters (`conntrack -L`; `parse` is pure).
public enum ConntrackCounters {
    /// Turns on conntrack's byte and packet accounting in this namespace (flow logs need it).
    public static func enableAccounting() {
        try? "1\n".write(toFile: "/proc/sys/net/netfilter/nf_conntrack_acct", atomically: false, encoding: .utf8)
    }

    /// Every entry of this namespace's table, by its original tuple (empty when `conntrack`
    /// cannot be run).
    public static func read() -> [ConntrackTuple: ConntrackEntry] {
        var out: [ConntrackTuple: ConntrackEntry] = [:]
        for family in ["ipv4", "ipv6"] {
            guard let r = try? CommandRunner.run(["conntrack", "-L", "-f", family]), r.status == 0 else { continue }
            out.merge(parse(r.stdout)) { a, _ in a }
        }
        return out
    }

    /// `tcp 6 431999 ESTABLISHED src=… dst=… sport=… dport=… packets=… bytes=… src=… … [ASSURED] …`
    public static func parse(_ text: String) -> [ConntrackTuple: ConntrackEntry] {
        var out: [ConntrackTuple: ConntrackEntry] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count > 3, let proto = Int(words[1]) else { continue }
            var sides: [[String: String]] = []
            var state = ""
            for w in words.dropFirst(3) {
                if let eq = w.firstIndex(of: "=") {
                    let k = String(w[..<eq]), v = String(w[w.index(after: eq)...])
                    if k == "src" { sides.append([:]) }
                    if !sides.isEmpty { sides[sides.count - 1][k] = v }
                } else if sides.isEmpty, w.allSatisfy({ $0.isUppercase || $0 == "_" }) {
                    state = String(w)
                }
            }
            guard let o = sides.first, let src = o["src"], let dst = o["dst"] else { continue }
            let r = sides.count > 1 ? sides[1] : [:]
            let tuple = ConntrackTuple(source: src, destination: dst, proto: proto, sourcePort: Int(o["sport"] ?? "") ?? 0,
                                       destinationPort: Int(o["dport"] ?? "") ?? 0)
            out[tuple] = ConntrackEntry(originalPackets: Int64(o["packets"] ?? "") ?? 0, originalBytes: Int64(o["bytes"] ?? "") ?? 0,
                                        replyPackets: Int64(r["packets"] ?? "") ?? 0, replyBytes: Int64(r["bytes"] ?? "") ?? 0, state: state)
        }
        return out
    }
}
