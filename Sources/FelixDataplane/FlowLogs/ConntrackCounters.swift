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
    /// Read as bytes (a busy node's table has tens of thousands of lines, every flush).
    public static func parse(_ text: String) -> [ConntrackTuple: ConntrackEntry] {
        var out: [ConntrackTuple: ConntrackEntry] = [:]
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            if let (tuple, entry) = line(bytes, start, end) { out[tuple] = entry }
            start = end + 1
        }
        return out
    }

    /// One line: the original direction's fields, then the reply's (each starts at `src=`).
    static func line(_ b: [UInt8], _ from: Int, _ to: Int) -> (ConntrackTuple, ConntrackEntry)? {
        func text(_ s: Int, _ e: Int) -> String { String(decoding: b[s..<e], as: UTF8.self) }
        func number(_ s: Int, _ e: Int) -> Int64? {
            guard s < e else { return nil }
            var v: Int64 = 0
            for i in s..<e {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v &* 10 &+ Int64(b[i] - 48)
            }
            return v
        }
        func equals(_ s: Int, _ e: Int, _ word: StaticString) -> Bool {
            guard e - s == word.utf8CodeUnitCount else { return false }
            return word.withUTF8Buffer { w in (0..<w.count).allSatisfy { b[s + $0] == w[$0] } }
        }
        var word = 0, p = from
        var proto: Int?
        var side = -1
        var state = "", src = "", dst = ""
        var sport: Int64 = 0, dport: Int64 = 0
        var packets: (Int64, Int64) = (0, 0), bytes: (Int64, Int64) = (0, 0)
        while p < to {
            while p < to && b[p] == 32 { p += 1 }
            let ws = p
            while p < to && b[p] != 32 { p += 1 }
            guard ws < p else { break }
            word += 1
            if word == 2 { proto = number(ws, p).map(Int.init) }
            if word <= 3 { continue }
            guard let eq = (ws..<p).first(where: { b[$0] == 61 }) else {
                if side < 0, (ws..<p).allSatisfy({ (b[$0] >= 65 && b[$0] <= 90) || b[$0] == 95 }) { state = text(ws, p) }
                continue
            }
            let v = eq + 1
            if equals(ws, eq, "src") {
                side += 1
                if side == 0 { src = text(v, p) }
            } else if side == 0 && equals(ws, eq, "dst") {
                dst = text(v, p)
            } else if side == 0 && equals(ws, eq, "sport") {
                sport = number(v, p) ?? 0
            } else if side == 0 && equals(ws, eq, "dport") {
                dport = number(v, p) ?? 0
            } else if equals(ws, eq, "packets") {
                if side == 0 { packets.0 = number(v, p) ?? 0 } else if side == 1 { packets.1 = number(v, p) ?? 0 }
            } else if equals(ws, eq, "bytes") {
                if side == 0 { bytes.0 = number(v, p) ?? 0 } else if side == 1 { bytes.1 = number(v, p) ?? 0 }
            }
        }
        guard let proto, side >= 0, !src.isEmpty, !dst.isEmpty else { return nil }
        return (ConntrackTuple(source: src, destination: dst, proto: proto, sourcePort: Int(sport), destinationPort: Int(dport)),
                ConntrackEntry(originalPackets: packets.0, originalBytes: bytes.0, replyPackets: packets.1, replyBytes: bytes.1, state: state))
    }
}
