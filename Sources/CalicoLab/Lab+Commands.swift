import CalicoNetlink
import Foundation

extension Lab {
    /// The command line that runs the real `calicoctl` with `args` against the lab's
    /// datastore: in the node namespace (where etcd is reachable), with a clean environment
    /// holding only the datastore variables (so the caller's `CALICO_*`/`ETCD_*` cannot
    /// redirect it).
    public func calicoctlCommandLine(_ args: [String]) -> [String] {
        inNamespace(node(nodeName)?.netnsName ?? topology.node, [binary("calicoctl")] + args, environment: datastoreEnvironment)
    }

    /// Runs `calicoctl` (see `calicoctlCommandLine`) with `input` on stdin and returns what it
    /// printed, whatever its exit status.
    public func calicoctl(_ args: [String], input: String? = nil) throws -> CommandOutput {
        try CommandRunner.run(calicoctlCommandLine(args), input: input)
    }

    /// `calicoctl apply -f -` of `yaml`; throws with calicoctl's output when it fails.
    public func apply(_ yaml: String) throws {
        let out = try calicoctl(["apply", "-f", "-"], input: yaml)
        guard out.status == 0 else {
            throw LabError.step("calicoctl apply failed (exit \(out.status))", (out.stdout + out.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The command line that runs `argv` in a target's namespace (`ip netns exec`); target is
    /// a pod name, a node (`node1` …), `ext` or `router`.
    public func commandLine(in target: String, _ argv: [String]) throws -> [String] {
        ["ip", "netns", "exec", try netnsName(of: target)] + argv
    }

    /// Runs `argv` in a target's namespace (a pod name, `node1`, `ext` or `router`) with this
    /// process's environment and returns what it printed, whatever its exit status.
    public func exec(_ target: String, _ argv: [String]) throws -> CommandOutput {
        try CommandRunner.run(commandLine(in: target, argv))
    }
}
