import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Lab {
    /// Debian's BIRD 2.
    static let birdBinary = "/usr/sbin/bird"
    /// Where the nodes' confd read BGP passwords (`<state>/bgp-secrets/<secret>/<key>`).
    public static let bgpSecrets = "bgp-secrets"

    /// Starts a node's BGP pair, as upstream's calico-node container runs them: `calico-node
    /// -confd` (renders `<state>/bird-nodeK/bird.cfg`, reloads BIRD over `<state>/bird-nodeK.ctl`),
    /// then, once the first configuration is there, BIRD 2 in the foreground in the node's
    /// namespace. Both append to their logs in the state directory.
    func startBGP(on node: String) async throws {
        guard let n = self.node(node) else { throw LabError.unknownTarget(node, known: nodes.map(\.name)) }
        guard FileManager.default.isExecutableFile(atPath: Self.birdBinary) else {
            throw LabError.step("BGP routing on \(node)", "\(Self.birdBinary) is missing: install Debian's bird2")
        }
        try startConfd(on: node)
        let config = path(n.birdDirectory) + "/bird.cfg"
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: config) {
            guard ContinuousClock.now < deadline else {
                throw LabError.step("calico-node -confd on \(node) wrote no \(config) within 10 s", ProcessControl.logTail(path(n.confdLog)))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try startBIRD(on: node)
    }

    /// Starts `calico-node -confd` on a node (nothing when it runs).
    public func startConfd(on node: String) throws {
        guard let n = self.node(node) else { throw LabError.unknownTarget(node, known: nodes.map(\.name)) }
        if running(n.confdPID, in: n.netnsName) { return }
        var env = nodeEnvironment(n)
        env["CALICO_BIRD_CONFIG_DIR"] = path(n.birdDirectory)
        env["CALICO_BIRD_SOCKET"] = path(n.birdSocket)
        env["CALICO_BGP_SECRETS_DIR"] = path(Self.bgpSecrets)
        let argv = inNamespace(n.netnsName, [binary("calico-node"), "-confd"], environment: env)
        let pid = try ProcessControl.spawnDaemon(argv, environment: nil, logPath: path(n.confdLog))
        try updateNode(node) { $0.confdPID = pid }
    }

    /// Stops a node's confd (BIRD keeps running on the last configuration).
    public func stopConfd(on node: String, signal: Int32 = SIGTERM) throws {
        guard let n = self.node(node), let pid = n.confdPID else { return }
        if running(pid, in: n.netnsName) { ProcessControl.stop(pid, signal: signal, grace: .seconds(3)) }
        try updateNode(node) { $0.confdPID = nil }
    }

    /// Starts BIRD on a node (nothing when it runs) and waits until its control socket answers.
    public func startBIRD(on node: String) throws {
        guard let n = self.node(node) else { throw LabError.unknownTarget(node, known: nodes.map(\.name)) }
        if running(n.birdPID, in: n.netnsName) { return }
        try spawnBIRD("BIRD on \(node)", netns: n.netnsName, config: path(n.birdDirectory) + "/bird.cfg", socket: path(n.birdSocket),
                      pidFile: path(n.birdPIDFile), log: path(n.birdLog)) { pid in try updateNode(node) { $0.birdPID = pid } }
    }

    /// Starts BIRD 2 in the foreground in a namespace, has `record` keep its pid (so that `down`
    /// stops it whatever follows), and waits up to 5 s for its control socket to answer (a
    /// warning after that; an error when BIRD ends meanwhile).
    func spawnBIRD(_ what: String, netns: String, config: String, socket: String, pidFile: String, log: String,
                   record: (Int32) throws -> Void) throws {
        let argv = ["ip", "netns", "exec", netns, Self.birdBinary, "-f", "-c", config, "-s", socket, "-P", pidFile]
        let pid = try ProcessControl.spawnDaemon(argv, environment: nil, logPath: log)
        try record(pid)
        for _ in 0..<100 {
            if (try? Self.birdc(socket: socket, "show status"))?.contains("Daemon is up") == true { return }
            guard ProcessControl.isAlive(pid) else { throw LabError.step("\(what) ended", ProcessControl.logTail(log)) }
            usleep(50_000)
        }
        warn("\(what) did not answer on \(socket) within 5 s")
    }

    /// Stops BIRD on a node (SIGTERM; its kernel routes stay, as `persist` asks).
    public func stopBIRD(on node: String, signal: Int32 = SIGTERM) throws {
        guard let n = self.node(node), let pid = n.birdPID else { return }
        if running(pid, in: n.netnsName) { ProcessControl.stop(pid, signal: signal, grace: .seconds(3)) }
        try updateNode(node) { $0.birdPID = nil }
    }

    /// `birdc -s <socket> <command>` for a node's BIRD.
    public func birdc(on node: String, _ command: String) throws -> String {
        guard let n = self.node(node) else { throw LabError.unknownTarget(node, known: nodes.map(\.name)) }
        return try Self.birdc(socket: path(n.birdSocket), command)
    }

    /// `birdc -s <socket> <command>` (the command split at spaces).
    static func birdc(socket: String, _ command: String) throws -> String {
        try CommandRunner.run(["birdc", "-s", socket] + command.split(separator: " ").map(String.init)).stdout
    }
}
