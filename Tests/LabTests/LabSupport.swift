import CalicoAPI
import CalicoDatastore
import CalicoLab
import CalicoTestSupport
import CalicoNetlink
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The probes of every matrix cell.
enum ProbeKind: String, CaseIterable, Sendable {
    case tcp8080, tcp9090, udp5353, icmp
}

/// Who may reach whom: (source, target, probe) → reachable.
typealias Reachability = @Sendable (_ src: String, _ dst: String, _ probe: ProbeKind) -> Bool

/// The labs the kernel tests share: four pods in two namespaces (with service accounts and a
/// named port), the node and an outside host. `.single`: one node runs Felix and every pod.
/// `.acrossNodes`: two nodes on different underlay subnets (VXLAN between them), web and client
/// on node1, db and other on node2; its matrices are pod to pod. Each built once per test
/// process, on first use; torn down at exit.
final class SharedLab: @unchecked Sendable {
    enum Layout: Sendable { case single, acrossNodes }

    static let binDirectory = BuiltProducts.directory
    static let pods = ["web", "db", "client", "other"]
    static let sources = pods + ["node", "ext"]
    static let podNodes = ["web": "node1", "client": "node1", "db": "node2", "other": "node2"]

    let layout: Layout
    let lab: Lab
    let checker: ConnectivityChecker
    private var sshServer: CommandRunnerProcess?

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: [Layout: SharedLab] = [:]
    nonisolated(unsafe) private static var failure: [Layout: String] = [:]
    nonisolated(unsafe) private static var atexitSet = false

    /// The lab, built on first use.
    static func get(_ layout: Layout = .single) async throws -> SharedLab {
        if let s = lock.withLock({ shared[layout] }) { return s }
        if let f = lock.withLock({ failure[layout] }) { throw LabTestError(message: f) }
        do {
            let s = try await SharedLab(layout)
            lock.withLock {
                shared[layout] = s
                if !atexitSet {
                    atexitSet = true
                    atexit { for lab in SharedLab.lock.withLock({ Array(SharedLab.shared.values) }) { lab.tearDown() } }
                }
            }
            return s
        } catch {
            lock.withLock { failure[layout] = "lab setup failed: \(error)" }
            throw error
        }
    }

    /// Who takes part in the matrices: everyone on one node; the pods across nodes.
    var sources: [String] { layout == .single ? Self.sources : Self.pods }

    private init(_ layout: Layout) async throws {
        self.layout = layout
        let tag = layout == .single ? "" : "x"
        let dir = NSTemporaryDirectory() + "labtests\(tag)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        lab = try await Lab.up(LabConfig(stateDirectory: dir, binDirectory: Self.binDirectory, datastore: .embedded,
                                         felixEnvironment: ["FELIX_PROMETHEUSMETRICSENABLED": "true", "FELIX_NFTABLESREFRESHINTERVAL": "3"],
                                         prefix: "clt\(tag)-\(getpid())", nodes: layout == .single ? 1 : 2,
                                         encapsulation: layout == .single ? .none : .vxlanCrossSubnet))
        checker = ConnectivityChecker(probeBinary: Self.binDirectory + "/calico-probe", probeTimeoutMilliseconds: 400)
        do {
            try await lab.ensureNamespace("demo", labels: ["team": "demo"])
            try await lab.ensureNamespace("prod", labels: ["team": "prod", "env": "production"])
            try await lab.ensureServiceAccount("web-sa", namespace: "demo", labels: ["tier": "front"])
            try await lab.ensureServiceAccount("client-sa", namespace: "demo", labels: ["tier": "front"])
            try await lab.ensureServiceAccount("db-sa", namespace: "prod", labels: ["tier": "back"])
            func node(_ pod: String) -> String { layout == .single ? "node1" : Self.podNodes[pod]! }
            _ = try await lab.addPod(name: "web", namespace: "demo", labels: ["app": "web"], serviceAccount: "web-sa", node: node("web"))
            _ = try await lab.addPod(name: "db", namespace: "prod", labels: ["app": "db"], serviceAccount: "db-sa", node: node("db"))
            _ = try await lab.addPod(name: "client", namespace: "demo", labels: ["app": "client"], serviceAccount: "client-sa", node: node("client"))
            _ = try await lab.addPod(name: "other", namespace: "prod", labels: ["app": "other"], node: node("other"))
            // db declares a named port, as a pod spec would.
            let ds = try lab.datastore()
            let kind = ResourceRegistry.kind(named: "workloadendpoint")!
            let name = lab.pod("db")!.endpointName
            let stored = try await ds.get(kind, namespace: "prod", name: name)
            var wep = stored.resource as! WorkloadEndpoint
            wep.spec.ports = [WorkloadEndpointPort(name: "http", protocol: .name("TCP"), port: 8080)]
            _ = try await ds.update(wep)
            // An "SSH" server on the node for the failsafe checks.
            sshServer = try CommandRunnerProcess.start(["ip", "netns", "exec", lab.nodeNamespace, Self.binDirectory + "/calico-probe", "serve", "--tcp", "22"])
        } catch {
            tearDown()
            throw error
        }
    }

    func tearDown() {
        sshServer?.kill()
        try? lab.down()
    }

    func namespace(of name: String) -> String {
        switch name {
        case "node": return lab.nodeNamespace
        case "ext": return lab.extNamespace
        default: return lab.pod(name)!.netnsName
        }
    }

    func address(of name: String) -> String {
        switch name {
        case "node": return lab.nodeIP
        case "ext": return lab.extIP
        default: return lab.pod(name)!.ip
        }
    }

    func probe(_ kind: ProbeKind, to dst: String) -> Probe {
        let a = address(of: dst)
        switch kind {
        case .tcp8080: return .tcp(a, 8080)
        case .tcp9090: return .tcp(a, 9090)
        case .udp5353: return .udp(a, 5353)
        case .icmp: return .icmp(a)
        }
    }

    /// Every (source, target ≠ source, probe) cell with its expectation.
    func matrix(_ expect: Reachability, extra: [(String, String, Probe, Bool)] = []) -> [ConnectivityExpectation] {
        var out: [ConnectivityExpectation] = []
        for src in sources {
            for dst in sources where dst != src {
                for kind in ProbeKind.allCases {
                    out.append(ConnectivityExpectation(source: ProbeSource(name: src, namespace: namespace(of: src)), target: dst,
                                                       probe: probe(kind, to: dst), expectReachable: expect(src, dst, kind)))
                }
            }
        }
        for (src, dst, p, e) in extra where sources.contains(src) && sources.contains(dst) {
            out.append(ConnectivityExpectation(source: ProbeSource(name: src, namespace: namespace(of: src)), target: dst, probe: p, expectReachable: e))
        }
        return out
    }

    /// `{{web}}` etc. replaced by the pods' addresses.
    func expand(_ yaml: String) -> String {
        var s = yaml
        for p in Self.pods { s = s.replacingOccurrences(of: "{{\(p)}}", with: lab.pod(p)!.ip) }
        return s
    }

    func apply(_ yaml: String) throws {
        let out = try lab.calicoctl(["apply", "-f", "-"], input: expand(yaml))
        if out.status != 0 { throw LabTestError(message: "calicoctl apply failed: \(out.stdout)\(out.stderr)\n\(expand(yaml))") }
    }

    func delete(_ yaml: String) {
        _ = try? lab.calicoctl(["delete", "--skip-not-exists", "-f", "-"], input: expand(yaml))
    }

    /// Checks until the matrix holds (Felix converging) or 10 s pass; records a readable diff.
    func expectMatrix(_ expect: Reachability, extra: [(String, String, Probe, Bool)] = [], _ what: String,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (matched, results) = try checker.check(matrix(expect, extra: extra), timeout: 10)
        #expect(matched, "\(what): reachability differs from the expected matrix\n\(ConnectivityChecker.table(results))\nFelix log tail:\n\(felixLogTail())",
                sourceLocation: sourceLocation)
    }

    static let everything: Reachability = { _, _, _ in true }

    func felixLogTail() -> String { lab.felixLogTails(lines: 15) }
}

struct LabTestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A background process a test starts and kills.
final class CommandRunnerProcess: @unchecked Sendable {
    let process: Process

    static func start(_ argv: [String]) throws -> CommandRunnerProcess {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return CommandRunnerProcess(p)
    }

    init(_ p: Process) { process = p }

    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
