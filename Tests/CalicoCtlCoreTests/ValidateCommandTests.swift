import CalicoTestSupport
import Foundation
import Synchronization
import Testing
@testable import CalicoCtlCore

/// Captures what a command prints.
final class Captured: Sendable {
    let stdout = Mutex("")
    let stderr = Mutex("")
    let stdin: Data
    init(stdin: Data = Data()) { self.stdin = stdin }
    var console: Console {
        Console(out: { s in self.stdout.withLock { $0 += s } }, err: { s in self.stderr.withLock { $0 += s } },
                readStdin: { self.stdin })
    }
    var out: String { stdout.withLock { $0 } }
    var err: String { stderr.withLock { $0 } }
}

func run(_ args: [String], stdin: String = "", environment: [String: String] = [:]) async -> (code: Int32, out: String, err: String) {
    let c = Captured(stdin: Data(stdin.utf8))
    let code = await CalicoCtl(console: c.console, environment: environment).run(args)
    return (code, c.out, c.err)
}

func tempDir() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calicoctl-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

let goodPolicy = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: allow-dns}
    spec:
      selector: all()
      egress: [{action: Allow, protocol: UDP, destination: {ports: [53]}}]
    """

@Suite struct ValidateCommandTests {
    @Test func validFileSucceeds() async throws {
        let dir = try tempDir()
        try write(goodPolicy, to: "\(dir)/p.yaml")
        let r = await run(["validate", "-f", "\(dir)/p.yaml"])
        #expect(r.code == 0)
        #expect(r.out == "Successfully validated 1 'GlobalNetworkPolicy' resource(s)\n")
    }

    @Test func mixedKindsCountAsResources() async throws {
        let r = await run(["validate", "-f", "-"], stdin: goodPolicy + "\n---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\n")
        #expect(r.code == 0)
        #expect(r.out == "Successfully validated 2 resource(s)\n")
    }

    @Test func everyProblemIsNamedPrecisely() async throws {
        let yaml = """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: web, namespace: shop}
            spec:
              selector: "app == 'web' &&"
              ingress:
              - action: Allow
                protocol: TCP
                source: {nets: [10.0.0.1/33]}
                destination: {ports: [80, 0]}
            """
        let r = await run(["validate", "-f", "-"], stdin: yaml)
        #expect(r.code == 1)
        #expect(r.err.contains("<stdin> document 1: NetworkPolicy(shop/web)"))
        // Upstream's words first, then where: each field's path, the document on the last line.
        #expect(r.err.contains("\n-  Selector = 'app == 'web' &&' (Reason: failed to validate Field: Selector because of Tag: selector ); at spec.selector\n"))
        #expect(r.err.contains("\n-  Nets[0] = '10.0.0.1/33' (Reason: failed to validate Field: Nets[0] because of Tag: net ); at spec.ingress[0].source.nets[0]\n"))
        #expect(r.err.contains("\n-  Port = '0' (port range invalid, port number must be between 1 and 65535); at spec.ingress[0].destination.ports[1]\n"))
        #expect(r.err.hasSuffix("\nat <stdin> document 1: NetworkPolicy(shop/web)]\n"))
        #expect(r.err.hasPrefix("failed to validate 'NetworkPolicy' resource: ["))
    }

    @Test func hundredDocumentsOneBadReportsExactlyThatOne() async throws {
        var docs: [String] = []
        for i in 0..<100 {
            let selector = i == 41 ? "role = 'x'" : "role == 'x'"
            docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p\(i)}\nspec: {selector: \"\(selector)\"}")
        }
        let dir = try tempDir()
        try write(docs.joined(separator: "\n---\n"), to: "\(dir)/many.yaml")
        let r = await run(["validate", "-f", "\(dir)/many.yaml"])
        #expect(r.code == 1)
        #expect(r.out == "Partial success: validated the first 99 out of 100 'GlobalNetworkPolicy' resources:\n")
        #expect(r.err.components(separatedBy: "document ").count == 2, "exactly one document named: \(r.err)")
        #expect(r.err.contains("many.yaml document 42: GlobalNetworkPolicy(p41) spec.selector"))
    }

    @Test func directoryAndRecursion() async throws {
        let dir = try tempDir()
        try write(goodPolicy, to: "\(dir)/a.yaml")
        try write(goodPolicy.replacingOccurrences(of: "allow-dns", with: "b"), to: "\(dir)/B.YML")
        try write("not a manifest", to: "\(dir)/notes.txt")
        try write(goodPolicy.replacingOccurrences(of: "allow-dns", with: "c"), to: "\(dir)/sub/c.json")
        #expect(await run(["validate", "-f", dir]).out == "Successfully validated 2 'GlobalNetworkPolicy' resource(s)\n")
        #expect(await run(["validate", "-R", "-f", dir]).out == "Successfully validated 3 'GlobalNetworkPolicy' resource(s)\n")
        #expect(await run(["validate", "--recursive", "--filename=\(dir)"]).code == 0)
    }

    @Test func repeatableFilename() async throws {
        let dir = try tempDir()
        try write(goodPolicy, to: "\(dir)/a.yaml")
        try write(goodPolicy.replacingOccurrences(of: "allow-dns", with: "other"), to: "\(dir)/b.yaml")
        let r = await run(["validate", "-f", "\(dir)/a.yaml", "-f", "\(dir)/b.yaml"])
        #expect(r.out == "Successfully validated 2 'GlobalNetworkPolicy' resource(s)\n")
    }

    @Test func emptyInput() async throws {
        let dir = try tempDir()
        try write("# nothing here\n", to: "\(dir)/empty.yaml")
        let r = await run(["validate", "-f", "\(dir)/empty.yaml"])
        #expect(r.code == 1)
        #expect(r.err == "failed to execute command: no resources specified in file \(dir)/empty.yaml\n")
        let s = await run(["validate", "--skip-empty", "-f", "\(dir)/empty.yaml"])
        #expect(s.code == 0 && s.out == "No resources specified\n")
    }

    @Test func syntaxErrorsAndMissingFiles() async {
        let r = await run(["validate", "-f", "-"], stdin: "kind: [unclosed\n")
        #expect(r.code == 1)
        #expect(r.err.hasPrefix("failed to execute command: <stdin>: yaml:"))
        let m = await run(["validate", "-f", "/nonexistent/x.yaml"])
        #expect(m.code == 1 && m.err.contains("/nonexistent/x.yaml"))
    }

    @Test func namespaceOnClusterKindIsAnError() async {
        let r = await run(["validate", "-f", "-"], stdin: "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t, namespace: x}\n")
        #expect(r.code == 1)
        #expect(r.err.contains("metadata.namespace"))
    }

    @Test func usageErrors() async {
        let noFile = await run(["validate"])
        #expect(noFile.code == 1 && noFile.err.contains("Usage:"))
        let badFlag = await run(["validate", "-f", "x", "--namespace=foo"])
        #expect(badFlag.code == 1 && badFlag.err.contains("Usage:"))
        let help = await run(["validate", "--help"])
        #expect(help.code == 0 && help.out.contains("calicoctl validate --filename=<FILENAME>"))
    }
}

@Suite struct TopLevelTests {
    @Test func helpOnEveryCommand() async {
        for command in ["create", "replace", "apply", "patch", "delete", "get", "label", "convert", "ipam", "node",
                        "datastore", "cluster", "validate", "version"] {
            let r = await run([command, "--help"])
            #expect(r.code == 0, "\(command) --help")
            #expect(r.out.contains("Usage:"), "\(command) --help prints usage")
        }
        let top = await run(["--help"])
        #expect(top.code == 0 && top.out.contains("validate     Validate a resource"))
    }

    @Test func unknownCommandAndBadGlobalOption() async {
        let u = await run(["frobnicate"])
        #expect(u.code == 1 && u.err.hasPrefix("unknown command: \"frobnicate\""))
        let b = await run(["--bogus", "get"])
        #expect(b.code == 1 && b.err.hasPrefix("Invalid option: '--bogus get'. Use flag '--help' to read about a specific subcommand."))
        let none = await run([])
        #expect(none.code == 1 && none.err.contains("Usage:"))
    }

    @Test func version() async {
        let r = await run(["version", "--client"])
        #expect(r.code == 0)
        #expect(r.out == "Client Version:    \(CalicoCtl.version)\nGit commit:        \(CalicoCtl.gitCommit)\n")
    }

    @Test func argumentParsing() async throws {
        let opts = ValidateCommand.options
        let p = try parseArguments(["-Rf", "a.yaml", "--filename=b", "-fc", "--skip-empty"], options: opts)
        #expect(p.all("filename") == ["a.yaml", "b", "c"])
        #expect(p.has("recursive") && p.has("skip-empty"))
        #expect(throws: ArgumentError.self) { try parseArguments(["-f"], options: opts) }
        #expect(throws: ArgumentError.self) { try parseArguments(["--recursive=yes"], options: opts) }
    }
}

/// The real binary, as a user runs it: exit codes and streams.
@Suite struct BinaryTests {
    static let binary = BuiltProducts.path("calicoctl")

    @Test func exitCodes() throws {
        try BuiltProducts.require("calicoctl")
        let dir = try tempDir()
        try write(goodPolicy, to: "\(dir)/ok.yaml")
        try write("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: Bad_Name}\n", to: "\(dir)/bad.yaml")
        func exec(_ args: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.binary)
            p.arguments = args
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let ok = try exec(["validate", "-f", "\(dir)/ok.yaml"])
        #expect(ok.0 == 0)
        let bad = try exec(["validate", "-f", "\(dir)/bad.yaml"])
        #expect(bad.0 == 1 && bad.1.contains("= 'Bad_Name'") && bad.1.contains(" metadata.name]"), "\(bad.1)")
    }
}
