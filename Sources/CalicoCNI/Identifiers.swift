import CalicoAPI
import Foundation

/// Names the plugin derives, as upstream derives them (spec §2.2).
public enum Identifiers {
    /// The IPAM handle: `<network>.<containerID>`.
    public static func handle(network: String, containerID: String) -> String { "\(network).\(containerID)" }

    /// What every host-side veth name starts with.
    public static let vethPrefix = "cali"

    /// The host-side veth: `cali` + 11 hex chars of SHA-1(`<namespace>.<pod>`) for pods (as
    /// upstream), else `cali` + 11 hex chars of SHA-1(`<containerID>:<ifname>`), so containers
    /// whose IDs share a prefix (and a container's several interfaces) get names of their own.
    /// (A pod's input has no `:`, so the two kinds of input never coincide.)
    public static func hostVethName(namespace: String?, pod: String?, containerID: String, ifname: String,
                                    prefix: String = vethPrefix) -> String {
        let input = if let namespace, let pod { "\(namespace).\(pod)" } else { "\(containerID):\(ifname)" }
        let hex = SHA1.hash(Array(input.utf8)).map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
        return prefix + String(hex.prefix(11))
    }

    /// WorkloadEndpoint name: segments joined by `-`, each segment's own `-` doubled.
    public static func workloadEndpointName(node: String, orchestrator: String, workload: String, endpoint: String) -> String {
        [node, orchestrator, workload, endpoint].map { $0.replacingOccurrences(of: "-", with: "--") }.joined(separator: "-")
    }
}
