import CalicoAPI
import CalicoDatastore
import Foundation

/// The calicoctl program: dispatches to subcommands and returns the exit code.
public struct CalicoCtl {
    public static let version = "v3.31.7"
    public static let gitCommit = "swift-calico"

    let prog: String
    let console: Console
    let environment: [String: String]

    public init(programName: String = "calicoctl", console: Console = .standard,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        // Invoked as kubectl-calico, help text uses that name, as upstream.
        self.prog = programName.hasPrefix("kubectl-calico") ? "kubectl-calico" : "calicoctl"
        self.console = console
        self.environment = environment
    }

    var session: DatastoreSession { DatastoreSession(console: console, environment: environment) }

    static let globalOptions = [
        OptionSpec(short: "h", long: "help", takesValue: false),
        OptionSpec(short: "l", long: "log-level", takesValue: true),
        OptionSpec(short: nil, long: "context", takesValue: true),
        OptionSpec(short: nil, long: "allow-version-mismatch", takesValue: false),
    ]

    public func run(_ args: [String]) async -> Int32 {
        // Global options come before the command.
        var index = 0
        var globals: [String] = []
        while index < args.count, args[index].hasPrefix("-") {
            globals.append(args[index])
            if ["-l", "--log-level", "--context"].contains(args[index]), index + 1 < args.count {
                index += 1
                globals.append(args[index])
            }
            index += 1
        }
        let parsedGlobals: ParsedArguments
        do {
            parsedGlobals = try parseArguments(globals, options: Self.globalOptions)
        } catch {
            console.eprintln("Invalid option: '\(args.joined(separator: " "))'. Use flag '--help' to read about a specific subcommand.")
            return 1
        }
        if let level = parsedGlobals.value("log-level"),
           !["panic", "fatal", "error", "warn", "warning", "info", "debug"].contains(level.lowercased()) {
            console.eprintln("Invalid option: '\(args.joined(separator: " "))'. Use flag '--help' to read about a specific subcommand.")
            return 1
        }
        guard index < args.count else {
            if parsedGlobals.has("help") {
                console.println(Usage.top(prog))
                return 0
            }
            console.eprintln(Usage.top(prog))
            return 1
        }
        let command = args[index]
        var rest = Array(args[(index + 1)...])
        if parsedGlobals.has("allow-version-mismatch") { rest.append("--allow-version-mismatch") }
        switch command {
        case "validate":
            return await ValidateCommand(prog: prog, console: console).run(rest)
        case "convert":
            return ConvertCommand(prog: prog, console: console).run(rest)
        case "version":
            return await VersionCommand(prog: prog, session: session).run(rest)
        case "create":
            return await WriteCommand(mode: .create, prog: prog, session: session).run(rest)
        case "apply":
            return await WriteCommand(mode: .apply, prog: prog, session: session).run(rest)
        case "replace":
            return await WriteCommand(mode: .replace, prog: prog, session: session).run(rest)
        case "get":
            return await GetCommand(prog: prog, session: session).run(rest)
        case "delete":
            return await DeleteCommand(prog: prog, session: session).run(rest)
        case "label":
            return await LabelCommand(prog: prog, session: session).run(rest)
        case "patch":
            return await PatchCommand(prog: prog, session: session).run(rest)
        case "datastore":
            return await MigrateCommand(prog: prog, session: session).run(rest)
        case "ipam":
            return await IPAMCommand(prog: prog, session: session).run(rest)
        case "node":
            return await NodeCommand(prog: prog, console: console, environment: session.environment).run(rest)
        case "help":
            console.println(Usage.top(prog))
            return 0
        default:
            if Usage.datastoreCommands[command] != nil {
                if rest.contains("-h") || rest.contains("--help") {
                    console.println(Usage.datastoreCommand(prog, command))
                    return 0
                }
                console.eprintln("\(prog) \(command): not available in this build yet (see '\(prog) \(command) --help').")
                return 1
            }
            console.eprintln("unknown command: \"\(command)\"")
            console.eprintln(Usage.top(prog))
            return 1
        }
    }
}

struct VersionCommand {
    static let options = [
        OptionSpec(short: "h", long: "help", takesValue: false),
        OptionSpec(short: nil, long: "client", takesValue: false),
        OptionSpec(short: nil, long: "poll", takesValue: true),
        OptionSpec(short: "c", long: "config", takesValue: true),
        OptionSpec(short: nil, long: "allow-version-mismatch", takesValue: false),
    ]

    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: Self.options, usage: Usage.version(prog), noPositionals: true, code: &code) else { return code }
        console.println("Client Version:    \(CalicoCtl.version)")
        console.println("Git commit:        \(CalicoCtl.gitCommit)")
        if parsed.has("client") { return 0 }
        do {
            let config = try DatastoreConfig.load(configPath: parsed.value("config"), environment: session.environment)
            let store = try config.open()
            let info = try? await store.clusterInformation().info
            let version = info?.spec.calicoVersion.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
            let type = info?.spec.clusterType.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
            console.println("Cluster Version:   \(version)")
            console.println("Cluster Type:      \(type)")
            return 0
        } catch {
            console.eprintln("Unable to detect installed Calico version: \(error)")
            return 1
        }
    }
}
