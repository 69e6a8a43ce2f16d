import CalicoAPI
import Foundation

/// A failsafe port: protocol, port and an optional CIDR the peer must be in.
public struct FailsafePort: Hashable, Sendable {
    public var proto: String
    public var port: Int
    public var net: String?
}

/// The Felix parameters this dataplane uses, resolved from every configuration layer.
/// Values arrive as text keyed by the lower-cased parameter name (FelixConfiguration field
/// names and `FELIX_*` names agree once lower-cased).
public struct FelixSettings: Equatable, Sendable {
    public var defaultEndpointToHostAction = "DROP"
    public var filterAllowAction = "ACCEPT"
    public var filterDenyAction = "DROP"
    public var failsafeInbound: [FailsafePort] = FelixSettings.parsePorts("tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667")
    public var failsafeOutbound: [FailsafePort] = FelixSettings.parsePorts("udp:53,udp:67,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667")
    public var logPrefix = "calico-packet"
    public var disableConntrackInvalidCheck = false
    public var ipv6Support = true
    public var interfacePrefixes = ["cali"]
    public var allowVXLANPacketsFromWorkloads = false
    public var allowIPIPPacketsFromWorkloads = false
    public var vxlanPort = 4789
    public var healthEnabled = false
    public var healthHost = "localhost"
    public var healthPort = 9099
    public var prometheusMetricsEnabled = false
    public var prometheusMetricsHost = ""
    public var prometheusMetricsPort = 9091
    public var refreshInterval: Double = 180
    public var routeRefreshInterval: Double = 90
    public var logSeverityScreen = "INFO"
    /// `host:port` of Goldmane; empty: no flow logs (and no NFLOG rules).
    public var flowLogsGoldmaneServer = ""
    /// Seconds between flow-log flushes (upstream's default 300 s; the lab uses 15).
    public var flowLogsFlushInterval: Double = 300
    /// `Continuous`: each flow's pending trace (staged policies as enforced) is computed; `None`: not.
    public var flowLogsPolicyEvaluationMode = "Continuous"
    /// Felix's client certificate, key and CA (upstream's Typha settings), also used for Goldmane.
    public var typhaCertFile: String?
    public var typhaKeyFile: String?
    public var typhaCAFile: String?
    /// Routes, VXLAN, NAT outgoing and forwarding: changed in place, without a restart.
    public var cluster = ClusterSettings()
    /// Problems met while resolving (parameter, value, reason): reported, value left at default.
    public var problems: [String] = []

    public init() {}

    /// Resolves `layers` (lowest precedence first: datastore, file, environment).
    public init(layers: [[String: String]]) {
        var merged: [String: String] = [:]
        for layer in layers {
            for (k, v) in layer {
                let key = k.lowercased()
                if v.trimmingCharacters(in: .whitespaces).isEmpty { continue }  // empty = unset
                merged[key] = v
            }
        }
        func text(_ key: String) -> String? { merged[key]?.trimmingCharacters(in: .whitespaces) }
        func choice(_ key: String, _ allowed: [String], _ apply: (String) -> Void) {
            guard let v = text(key) else { return }
            if let hit = allowed.first(where: { $0.caseInsensitiveCompare(v) == .orderedSame }) { apply(hit) } else {
                problems.append("\(key)=\(v): not one of \(allowed.joined(separator: ", ")); using the default")
            }
        }
        func bool(_ key: String, _ apply: (Bool) -> Void) {
            guard let v = text(key)?.lowercased() else { return }
            switch v {
            case "true", "1", "yes", "y", "t", "enabled": apply(true)
            case "false", "0", "no", "n", "f", "disabled", "none": apply(false)
            default: problems.append("\(key)=\(v): not a boolean; using the default")
            }
        }
        func int(_ key: String, _ range: ClosedRange<Int>, _ apply: (Int) -> Void) {
            guard let v = text(key) else { return }
            if let n = Int(v), range.contains(n) { apply(n) } else { problems.append("\(key)=\(v): not an integer in \(range); using the default") }
        }
        func duration(_ key: String, _ apply: (Double) -> Void) {
            guard let v = text(key) else { return }
            if let d = Self.parseDuration(v) { apply(d) } else { problems.append("\(key)=\(v): not a duration; using the default") }
        }
        choice("defaultendpointtohostaction", ["DROP", "ACCEPT", "RETURN"]) { defaultEndpointToHostAction = $0 }
        choice("iptablesfilterallowaction", ["ACCEPT", "RETURN"]) { filterAllowAction = $0 }
        choice("nftablesfilterallowaction", ["ACCEPT", "RETURN"]) { filterAllowAction = $0 }
        choice("iptablesfilterdenyaction", ["DROP", "REJECT"]) { filterDenyAction = $0 }
        choice("nftablesfilterdenyaction", ["DROP", "REJECT"]) { filterDenyAction = $0 }
        for key in ["failsafeinboundhostports", "failsafeoutboundhostports"] {
            guard let v = text(key) else { continue }
            guard let ports = Self.parseFailsafe(v) else {
                problems.append("\(key)=\(v): not a list of <proto>:<port>; using the default")
                continue
            }
            if key == "failsafeinboundhostports" { failsafeInbound = ports } else { failsafeOutbound = ports }
        }
        if let v = text("logprefix") { logPrefix = v }
        bool("disableconntrackinvalidcheck") { disableConntrackInvalidCheck = $0 }
        bool("ipv6support") { ipv6Support = $0 }
        if let v = text("interfaceprefix") { interfacePrefixes = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        choice("allowvxlanpacketsfromworkloads", ["true", "false"]) { allowVXLANPacketsFromWorkloads = $0 == "true" }
        choice("allowipippacketsfromworkloads", ["true", "false"]) { allowIPIPPacketsFromWorkloads = $0 == "true" }
        int("vxlanport", 1...65535) { vxlanPort = $0 }
        bool("healthenabled") { healthEnabled = $0 }
        if let v = text("healthhost") { healthHost = v }
        int("healthport", 1...65535) { healthPort = $0 }
        bool("prometheusmetricsenabled") { prometheusMetricsEnabled = $0 }
        if let v = text("prometheusmetricshost") { prometheusMetricsHost = v }
        int("prometheusmetricsport", 1...65535) { prometheusMetricsPort = $0 }
        duration("nftablesrefreshinterval") { refreshInterval = $0 }
        duration("routerefreshinterval") { routeRefreshInterval = $0 }
        cluster = ClusterSettings(text, problems: &problems)
        vxlanPort = cluster.vxlanPort
        if let v = text("flowlogsgoldmaneserver") { flowLogsGoldmaneServer = v }
        duration("flowlogsflushinterval") { flowLogsFlushInterval = max($0, 1) }
        choice("flowlogspolicyevaluationmode", ["None", "Continuous"]) { flowLogsPolicyEvaluationMode = $0 }
        typhaCertFile = text("typhacertfile")
        typhaKeyFile = text("typhakeyfile")
        typhaCAFile = text("typhacafile")
        choice("logseverityscreen", ["DEBUG", "INFO", "WARNING", "ERROR", "FATAL", "PANIC", "NONE", "WARN", "TRACE"]) { logSeverityScreen = $0 }
    }

    /// Whether verdicts are logged to NFLOG for flow logs.
    public var flowLogsEnabled: Bool { !flowLogsGoldmaneServer.isEmpty }

    /// Whether `other` differs from these settings only in what applies in place (`cluster`).
    public func differsOnlyInCluster(from other: FelixSettings) -> Bool {
        var a = self, b = other
        a.cluster = ClusterSettings()
        b.cluster = ClusterSettings()
        return a == b
    }

    /// `tcp:22,udp:68,tcp:10.0.0.0/8:179`, or the datastore's JSON list
    /// `[{"protocol":"TCP","port":22,"net":"…"}]`.
    static func parseFailsafe(_ text: String) -> [FailsafePort]? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.lowercased() == "none" { return [] }
        if t.hasPrefix("[") {
            guard let data = t.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return nil }
            var out: [FailsafePort] = []
            for item in list {
                guard let port = (item["port"] as? Int) ?? (item["port"] as? String).flatMap({ Int($0) }) else { return nil }
                let proto = (item["protocol"] as? String ?? "tcp").lowercased()
                let net = (item["net"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                out.append(FailsafePort(proto: proto, port: port, net: net))
            }
            return out
        }
        var out: [FailsafePort] = []
        for entry in t.split(separator: ",") {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":").map(String.init)
            switch parts.count {
            case 1:
                guard let p = Int(parts[0]) else { return nil }
                out.append(FailsafePort(proto: "tcp", port: p, net: nil))
            case 2:
                guard let p = Int(parts[1]), ["tcp", "udp", "sctp"].contains(parts[0].lowercased()) else { return nil }
                out.append(FailsafePort(proto: parts[0].lowercased(), port: p, net: nil))
            case 3:
                guard let p = Int(parts[2]) else { return nil }
                out.append(FailsafePort(proto: parts[0].lowercased(), port: p, net: parts[1]))
            default: return nil
            }
        }
        return out
    }

    static func parsePorts(_ text: String) -> [FailsafePort] { parseFailsafe(text) ?? [] }

    /// `90`, `90s`, `1m30s`, `500ms`.
    static func parseDuration(_ text: String) -> Double? { GoDuration.seconds(text) }
}
