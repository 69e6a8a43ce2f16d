import CalicoAPI
import CalicoNetlink
import Foundation

/// Entry point of the `calico` and `calico-ipam` binaries: one CNI command per run, taken
/// from the environment, network configuration on stdin, result or error JSON on stdout.
public enum CNIPlugin {
    public enum Kind: String, Sendable {
        case calico
        case calicoIPAM = "calico-ipam"
    }

    public static let version = "v3.31.0-swift"

    /// What a run printed and its exit status.
    public struct Outcome: Sendable, Equatable {
        public var stdout: String
        public var exitCode: Int32
    }

    /// Runs one command as a runtime invokes the plugin.
    public static func run(_ kind: Kind, environment: [String: String], stdin: () -> Data,
                           net: any NetworkCommands = IPRoute2()) async -> Outcome {
        var cniVersion = NetConf.latestVersion
        do throws(CNIError) {
            let command = try CNIEnvironment.commandOnly(environment)
            if command == .version {
                return Outcome(stdout: CNIVersionInfo.json(), exitCode: 0)
            }
            let conf = try NetConf.decode(stdin())
            cniVersion = conf.cniVersion
            let env = try CNIEnvironment(environment)
            let ctx = PluginContext(env: env, conf: conf, log: PluginLog(level: conf.logLevel, prefix: "[\(kind.rawValue) \(command.rawValue) \(env.containerID)]"))
            if command == .check && !["0.4.0", "1.0.0"].contains(conf.cniVersion) {
                throw CNIError(CNIError.incompatibleVersion, "configuration version \"\(conf.cniVersion)\" does not support the CHECK command")
            }
            switch (kind, command) {
            case (.calico, .add):
                return Outcome(stdout: try await CalicoPlugin(ctx: ctx, net: net).add(), exitCode: 0)
            case (.calico, .del):
                try await CalicoPlugin(ctx: ctx, net: net).del()
            case (.calico, .check):
                try await CalicoPlugin(ctx: ctx, net: net).check()
            case (.calicoIPAM, .add):
                return Outcome(stdout: try await CalicoIPAMPlugin(ctx: ctx).add(), exitCode: 0)
            case (.calicoIPAM, .del):
                try await CalicoIPAMPlugin(ctx: ctx).del()
            case (.calicoIPAM, .check):
                try await CalicoIPAMPlugin(ctx: ctx).check()
            case (_, .version):
                break
            }
            return Outcome(stdout: "", exitCode: 0)
        } catch {
            return Outcome(stdout: error.json(cniVersion: cniVersion), exitCode: 1)
        }
    }

    /// Runs the plugin for this process (environment, stdin, stdout) and exits.
    public static func main(_ kind: Kind) async -> Never {
        let args = CommandLine.arguments.dropFirst()
        if args.contains("-v") || args.contains("--version") {
            print(version)
            exit(0)
        }
        PhaseTimer.mark("main")
        let outcome = await run(kind, environment: ProcessInfo.processInfo.environment,
                                stdin: { BoundedRead.read(fd: STDIN_FILENO, limit: NetConf.maxSize + 1) })
        if !outcome.stdout.isEmpty {
            FileHandle.standardOutput.write(Data((outcome.stdout + "\n").utf8))
        }
        PhaseTimer.mark("exit")
        exit(outcome.exitCode)
    }
}
