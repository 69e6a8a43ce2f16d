import Foundation

/// The CNI command a runtime asks for.
public enum CNICommand: String, Sendable {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case version = "VERSION"
}

/// `CNI_ARGS`: `K=V` pairs separated by `;`. Unknown keys are ignored (Calico always adds
/// `IgnoreUnknown=1`).
public struct CNIArgs: Sendable, Equatable {
    public var values: [String: String] = [:]

    public init(_ text: String) throws(CNIError) {
        for pair in text.split(separator: ";", omittingEmptySubsequences: true) {
            let trimmed = pair.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let eq = trimmed.firstIndex(of: "="), eq != trimmed.startIndex else {
                throw CNIError(CNIError.invalidEnvironment, "CNI_ARGS: invalid pair \"\(trimmed)\"", details: "expected KEY=VALUE pairs separated by ';'")
            }
            values[String(trimmed[..<eq])] = String(trimmed[trimmed.index(after: eq)...])
        }
    }

    public subscript(key: String) -> String? {
        guard let v = values[key], !v.isEmpty else { return nil }
        return v
    }

    public var podNamespace: String? { self["K8S_POD_NAMESPACE"] }
    public var podName: String? { self["K8S_POD_NAME"] }
    /// Both pod namespace and name given: a Kubernetes-style pod.
    public var isKubernetesPod: Bool { podNamespace != nil && podName != nil }
    /// `IP=<addr>[,<addr>]`: specific addresses to assign.
    public var requestedIPs: [String] {
        (self["IP"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// What a runtime passes in the environment, checked per command as the CNI spec requires.
public struct CNIEnvironment: Sendable {
    public var command: CNICommand
    public var containerID: String
    public var netns: String
    public var ifname: String
    public var args: CNIArgs
    public var path: [String]
    /// The whole environment (for delegating to another plugin and for datastore fallbacks).
    public var raw: [String: String]

    public static func commandOnly(_ env: [String: String]) throws(CNIError) -> CNICommand {
        guard let c = env["CNI_COMMAND"], !c.isEmpty else {
            throw CNIError(CNIError.invalidEnvironment, "required env variables [CNI_COMMAND] missing")
        }
        guard let command = CNICommand(rawValue: c) else {
            throw CNIError(CNIError.invalidEnvironment, "unknown CNI_COMMAND: \(c)")
        }
        return command
    }

    public init(_ env: [String: String]) throws(CNIError) {
        command = try Self.commandOnly(env)
        raw = env
        containerID = env["CNI_CONTAINERID"] ?? ""
        netns = env["CNI_NETNS"] ?? ""
        ifname = env["CNI_IFNAME"] ?? ""
        path = (env["CNI_PATH"] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
        args = try CNIArgs(env["CNI_ARGS"] ?? "")
        guard command != .version else { return }
        var missing: [String] = []
        if containerID.isEmpty { missing.append("CNI_CONTAINERID") }
        if netns.isEmpty && command != .del { missing.append("CNI_NETNS") }
        if ifname.isEmpty { missing.append("CNI_IFNAME") }
        if env["CNI_PATH"] == nil { missing.append("CNI_PATH") }
        if !missing.isEmpty {
            throw CNIError(CNIError.invalidEnvironment, "required env variables [\(missing.joined(separator: ","))] missing")
        }
        try Self.validateContainerID(containerID)
        try Self.validateInterfaceName(ifname)
    }

    /// The CNI spec's container ID rule: `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`.
    static func validateContainerID(_ id: String) throws(CNIError) {
        let bytes = Array(id.utf8)
        func alnum(_ b: UInt8) -> Bool { (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) }
        guard let first = bytes.first, alnum(first), bytes.allSatisfy({ alnum($0) || $0 == 95 || $0 == 46 || $0 == 45 }) else {
            throw CNIError(CNIError.invalidEnvironment, "invalid characters in CNI_CONTAINERID", details: id)
        }
    }

    /// Linux interface names: 1–15 bytes, no `/`, `:` or whitespace, not `.` or `..`.
    static func validateInterfaceName(_ name: String) throws(CNIError) {
        let bytes = Array(name.utf8)
        let forbidden: Set<UInt8> = [47, 58, 127]
        let bad = bytes.contains { b in b <= 32 || forbidden.contains(b) }
        guard (1...15).contains(bytes.count), !bad, name != ".", name != ".." else {
            throw CNIError(CNIError.invalidEnvironment, "invalid CNI_IFNAME \"\(name)\"", details: "interface names are 1-15 characters without '/', ':' or spaces")
        }
    }
}
