import CalicoAPI
import CalicoDatastore
import Foundation

/// A CNI error result: printed as `{cniVersion, code, msg, details}` on stdout with a non-zero
/// exit. Codes 1–99 are the spec's; 100+ are this plugin's own. Credentials in endpoint URLs
/// never appear in the message or details.
public struct CNIError: Error, Sendable, Equatable, CustomStringConvertible {
    public private(set) var code: Int
    public private(set) var msg: String
    public private(set) var details: String

    public init(_ code: Int, _ msg: String, details: String = "") {
        self.code = code
        self.msg = Redaction.stripUserInfo(msg)
        self.details = Redaction.stripUserInfo(details)
    }

    public static let incompatibleVersion = 1
    public static let unsupportedField = 2
    public static let unknownContainer = 3
    public static let invalidEnvironment = 4
    public static let ioFailure = 5
    public static let decodingFailure = 6
    public static let invalidNetworkConfig = 7
    public static let tryAgainLater = 11
    /// IPAM could not provide addresses (pool exhausted, no usable pool, address taken).
    public static let ipamFailure = 100
    /// Setting up or tearing down the interface failed.
    public static let dataplaneFailure = 101
    /// The datastore refused a write (validation, conflict).
    public static let datastoreFailure = 102
    /// CHECK found the container's networking not as ADD left it.
    public static let checkFailed = 103
    public static let internalError = 999

    public var description: String { details.isEmpty ? msg : "\(msg): \(details)" }

    /// The error JSON for `cniVersion`.
    public func json(cniVersion: String) -> String {
        var o: [String: Any] = ["cniVersion": cniVersion, "code": code, "msg": msg]
        if !details.isEmpty { o["details"] = details }
        return JSONText.encode(o)
    }
}

/// Compact JSON text with keys in a stable order (`cniVersion` first).
enum JSONText {
    static func encode(_ object: [String: Any]) -> String {
        var out = ""
        write(object, into: &out)
        return out
    }

    static func write(_ value: Any, into out: inout String) {
        switch value {
        case let s as String:
            out += quote(s)
        case let b as Bool:
            out += b ? "true" : "false"
        case let i as Int:
            out += String(i)
        case let a as [Any]:
            out += "["
            for (n, v) in a.enumerated() {
                if n > 0 { out += "," }
                write(v, into: &out)
            }
            out += "]"
        case let o as [String: Any]:
            out += "{"
            let keys = o.keys.sorted { a, b in
                if a == "cniVersion" { return b != "cniVersion" }
                if b == "cniVersion" { return false }
                return a < b
            }
            for (n, k) in keys.enumerated() {
                if n > 0 { out += "," }
                out += quote(k) + ":"
                write(o[k]!, into: &out)
            }
            out += "}"
        default:
            out += "null"
        }
    }

    /// JSON string literal (the project's one escaping routine).
    static func quote(_ s: String) -> String { Emitter.jsonString(s) }
}
