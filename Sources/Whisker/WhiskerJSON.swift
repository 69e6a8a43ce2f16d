import Foundation
import Goldmane
import GoldmaneAPI

/// Whisker's JSON, as upstream's whisker-backend writes and reads it (pure).
public enum WhiskerJSON {
    /// A request parameter Whisker refuses (400 with `{"error": message}`).
    public struct BadRequest: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    // MARK: Flows out

    static let rfc3339: @Sendable (Int64) -> String = { t in
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    static func kindName(_ k: Goldmane_PolicyKind) -> String {
        switch k {
        case .calicoNetworkPolicy: return "CalicoNetworkPolicy"
        case .globalNetworkPolicy: return "GlobalNetworkPolicy"
        case .stagedNetworkPolicy: return "StagedNetworkPolicy"
        case .stagedGlobalNetworkPolicy: return "StagedGlobalNetworkPolicy"
        case .stagedKubernetesNetworkPolicy: return "StagedKubernetesNetworkPolicy"
        case .networkPolicy: return "NetworkPolicy"
        case .adminNetworkPolicy: return "AdminNetworkPolicy"
        case .baselineAdminNetworkPolicy: return "BaselineAdminNetworkPolicy"
        case .profile: return "Profile"
        case .endOfTier: return "EndOfTier"
        default: return "KindUnspecified"
        }
    }

    static func actionName(_ a: Goldmane_Action) -> String {
        switch a {
        case .allow: return "Allow"
        case .deny: return "Deny"
        case .pass: return "Pass"
        default: return "ActionUnspecified"
        }
    }

    static func hit(_ h: Goldmane_PolicyHit) -> [String: Any] {
        ["kind": kindName(h.kind), "name": h.name, "namespace": h.namespace, "tier": h.tier, "action": actionName(h.action),
         "policy_index": h.policyIndex, "rule_index": h.ruleIndex, "trigger": h.hasTrigger ? hit(h.trigger) : NSNull()]
    }

    /// One flow as the UI gets it.
    public static func flow(_ f: Goldmane_Flow) -> [String: Any] {
        let k = f.key
        let enforced = k.policies.enforcedPolicies.map(hit), pending = k.policies.pendingPolicies.map(hit)
        let policies: Any = enforced.isEmpty && pending.isEmpty ? NSNull()
            : ["enforced": enforced.isEmpty ? NSNull() : enforced as Any, "pending": pending.isEmpty ? NSNull() : pending as Any] as [String: Any]
        return [
            "start_time": rfc3339(f.startTime), "end_time": rfc3339(f.endTime), "action": actionName(k.action),
            "source_name": FlowMatcher.displayName(k.sourceName), "source_namespace": k.sourceNamespace,
            "source_labels": f.sourceLabels.joined(separator: " | "),
            "dest_name": FlowMatcher.displayName(k.destName), "dest_namespace": k.destNamespace, "dest_labels": f.destLabels.joined(separator: " | "),
            "protocol": k.proto, "dest_port": k.destPort, "reporter": k.reporter == .src ? "Src" : (k.reporter == .dst ? "Dst" : "ReporterUnspecified"),
            "policies": policies, "packets_in": f.packetsIn, "packets_out": f.packetsOut, "bytes_in": f.bytesIn, "bytes_out": f.bytesOut,
            "source_ips": f.sourceIps, "dest_ips": f.destIps,
        ]
    }

    public static func encode(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Filters in

    static func actionValue(_ s: String) throws(BadRequest) -> Goldmane_Action {
        switch s {
        case "Allow": return .allow
        case "Deny": return .deny
        case "Pass": return .pass
        default: throw BadRequest("unknown action value: \(s)")
        }
    }

    static func kindValue(_ s: String) throws(BadRequest) -> Goldmane_PolicyKind {
        for k in [Goldmane_PolicyKind.calicoNetworkPolicy, .globalNetworkPolicy, .stagedNetworkPolicy, .stagedGlobalNetworkPolicy,
                  .stagedKubernetesNetworkPolicy, .networkPolicy, .adminNetworkPolicy, .baselineAdminNetworkPolicy, .profile, .endOfTier]
        where kindName(k) == s { return k }
        throw BadRequest("unknown policy kind value: \(s)")
    }

    /// `{"value": "x", "type": "Exact"|"Fuzzy"}` (type optional).
    static func stringMatch(_ o: Any, _ field: String, translate: (String) -> String = { $0 }) throws(BadRequest) -> Goldmane_StringMatch {
        guard let d = o as? [String: Any] else { throw BadRequest("filters.\(field): expected {\"value\": …, \"type\": …}") }
        var m = Goldmane_StringMatch()
        if let v = d["value"] as? String { m.value = translate(v) } else if let n = d["value"] as? NSNumber { m.value = n.stringValue } else {
            throw BadRequest("filters.\(field): value must be a string")
        }
        switch d["type"] as? String ?? "Exact" {
        case "Exact": m.type = .exact
        case "Fuzzy": m.type = .fuzzy
        case let other: throw BadRequest("filters.\(field): unknown match type \(other)")
        }
        return m
    }

    /// The `filters` parameter (JSON) as Goldmane's Filter, with upstream's translations:
    /// names `PUBLIC NETWORK`/`PRIVATE NETWORK` → `pub`/`pvt`, namespace `Global` → `-`.
    public static func filter(_ text: String?) throws(BadRequest) -> Goldmane_Filter {
        var f = Goldmane_Filter()
        guard let text, !text.isEmpty else { return f }
        guard let data = text.data(using: .utf8), let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw BadRequest("filters: not a JSON object")
        }
        let names: (String) -> String = { $0 == "PUBLIC NETWORK" ? "pub" : ($0 == "PRIVATE NETWORK" ? "pvt" : $0) }
        let namespaces: (String) -> String = { $0 == "Global" ? "-" : $0 }
        func list(_ key: String) throws(BadRequest) -> [Any] {
            guard let v = o[key], !(v is NSNull) else { return [] }
            guard let a = v as? [Any] else { throw BadRequest("filters.\(key): expected a list") }
            return a
        }
        for item in try list("source_names") { f.sourceNames.append(try stringMatch(item, "source_names", translate: names)) }
        for item in try list("dest_names") { f.destNames.append(try stringMatch(item, "dest_names", translate: names)) }
        for item in try list("source_namespaces") { f.sourceNamespaces.append(try stringMatch(item, "source_namespaces", translate: namespaces)) }
        for item in try list("dest_namespaces") { f.destNamespaces.append(try stringMatch(item, "dest_namespaces", translate: namespaces)) }
        for item in try list("protocols") { f.protocols.append(try stringMatch(item, "protocols")) }
        for item in try list("source_ips") { f.sourceIps.append(try stringMatch(item, "source_ips")) }
        for item in try list("dest_ips") { f.destIps.append(try stringMatch(item, "dest_ips")) }
        for item in try list("dest_ports") {
            guard let d = item as? [String: Any], let n = (d["value"] as? NSNumber)?.int64Value ?? (d["value"] as? String).flatMap({ Int64($0) }) else {
                throw BadRequest("filters.dest_ports: expected {\"value\": <port>}")
            }
            var p = Goldmane_PortMatch()
            p.port = n
            f.destPorts.append(p)
        }
        for item in try list("actions") {
            guard let s = item as? String else { throw BadRequest("filters.actions: expected action names") }
            f.actions.append(try actionValue(s))
        }
        for item in try list("pending_actions") {
            guard let s = item as? String else { throw BadRequest("filters.pending_actions: expected action names") }
            f.pendingActions.append(try actionValue(s))
        }
        if let r = o["reporter"] as? String, !r.isEmpty {
            switch r {
            case "Src": f.reporter = .src
            case "Dst": f.reporter = .dst
            default: throw BadRequest("filters.reporter: unknown reporter \(r)")
            }
        }
        for item in try list("policies") {
            guard let d = item as? [String: Any] else { throw BadRequest("filters.policies: expected objects") }
            var m = Goldmane_PolicyMatch()
            if let k = d["kind"] as? String, !k.isEmpty { m.kind = try kindValue(k) }
            if let a = d["action"] as? String, !a.isEmpty { m.action = try actionValue(a) }
            // Upstream drops the match type: policy fields match exactly.
            func value(_ key: String) -> String { ((d[key] as? [String: Any])?["value"] as? String) ?? (d[key] as? String) ?? "" }
            m.tier = value("tier")
            m.name = value("name")
            m.namespace = namespaces(value("namespace"))
            f.policies.append(m)
        }
        return f
    }

    static let hintTypes: [(String, Goldmane_FilterType)] = [
        ("DestName", .destName), ("SourceName", .sourceName), ("DestNamespace", .destNamespace), ("SourceNamespace", .sourceNamespace),
        ("PolicyTier", .policyTier), ("PolicyName", .policyName),
    ]

    public static func hintType(_ s: String?) throws(BadRequest) -> Goldmane_FilterType {
        guard let s, let t = hintTypes.first(where: { $0.0 == s })?.1 else {
            throw BadRequest("unknown filter type value \(s ?? ""); allowed values are '\(hintTypes.map(\.0).joined(separator: "', '"))'")
        }
        return t
    }

    static let sortNames: [(String, Goldmane_SortBy)] = [
        ("Time", .time), ("DestName", .destName), ("DestNamespace", .destNamespace), ("DestType", .destType),
        ("SourceName", .sourceName), ("SourceNamespace", .sourceNamespace), ("SourceType", .sourceType),
    ]

    public static func sortBy(_ s: String) throws(BadRequest) -> Goldmane_SortBy {
        guard let v = sortNames.first(where: { $0.0 == s })?.1 else { throw BadRequest("unknown sortBy value: \(s)") }
        return v
    }

    /// A hint value as the UI shows it: namespaces ""/`-` → `Global`, names pub/pvt spelled out.
    public static func hintValue(_ v: String, type: Goldmane_FilterType) -> String {
        switch type {
        case .sourceNamespace, .destNamespace: return v.isEmpty || v == "-" ? "Global" : v
        case .sourceName, .destName: return FlowMatcher.displayName(v)
        default: return v
        }
    }
}
