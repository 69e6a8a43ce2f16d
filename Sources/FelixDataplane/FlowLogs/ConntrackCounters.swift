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
            // The original direction's fields, then the reply's (each starts at its `src=`).
            var side = -1
            var state = ""
            var src = "", dst = "", sport = 0, dport = 0
            var packets: (Int64, Int64) = (0, 0), bytes: (Int64, Int64) = (0, 0)
            for w in words.dropFirst(3) {
                guard let eq = w.firstIndex(of: "=") else {
                    if side < 0, w.allSatisfy({ $0.isUppercase || $0 == "_" }) { state = String(w) }
                    continue
                }
                let k = w[..<eq], v = w[w.index(after: eq)...]
                if k == "src" {
                    side += 1
                    if side == 0 { src = String(v) }
                    continue
                }
                guard side == 0 || side == 1 else { continue }
                switch k {
                case "dst" where side == 0: dst = String(v)
                case "sport" where side == 0: sport = Int(v) ?? 0
                case "dport" where side == 0: dport = Int(v) ?? 0
                case "packets": if side == 0 { packets.0 = Int64(v) ?? 0 } else { packets.1 = Int64(v) ?? 0 }
                case "bytes": if side == 0 { bytes.0 = Int64(v) ?? 0 } else { bytes.1 = Int64(v) ?? 0 }
                default: break
                }
            }
            guard side >= 0, !src.isEmpty, !dst.isEmpty else { continue }
            out[ConntrackTuple(source: src, destination: dst, proto: proto, sourcePort: sport, destinationPort: dport)] =
                ConntrackEntry(originalPackets: packets.0, originalBytes: bytes.0, replyPackets: packets.1, replyBytes: bytes.1, state: state)
        }
        return out
    }
}
