import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Lab {
    // MARK: Felix

    /// The environment node1's Felix runs with (see `felixEnvironment(for:)`).
    public var felixEnvironment: [String: String] { node(nodeName).map(felixEnvironment(for:)) ?? [:] }

    /// The environment a node's Felix runs with: node name, datastore, the lab's defaults
    /// (`FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT`, health on, Info logs) and the configured
    /// extra `FELIX_*` variables over them.
    public func felixEnvironment(for n: LabNode) -> [String: String] {
        var env = nodeEnvironment(n)
        env["FELIX_DEFAULTENDPOINTTOHOSTACTION"] = "ACCEPT"
        env["FELIX_HEALTHENABLED"] = "true"
        env["FELIX_LOGSEVERITYSCREEN"] = "Info"
        // Not the machine's /var/lib/calico/mtu: every node of the lab shares one filesystem.
        env["FELIX_MTUFILEPATH"] = path(n.mtuFile)
        env.merge(state.withLock { $0.felixEnvironment }) { _, b in b }
        return env
    }

    /// Starts `calico-node -felix` in a node's namespace (node1 by default) as a background
    /// daemon (own session, output appended to its log) and records its pid. Nothing happens
    /// when Felix already runs there. Throws when it ends within its first 300 ms (with the log).
    public func startFelix(on node: String = LabAddresses.nodeName) throws {
        guard let n = self.node(node) else { throw LabError.unknownTarget(node, known: nodes.map(\.name)) }
        if felixPID(on: node) != nil { return }
        let log = path(n.felixLog)
        let argv = inNamespace(n.netnsName, [binary("calico-node"), "-felix"], environment: felixEnvironment(for: n))
        let pid = try ProcessControl.spawnDaemon(argv, environment: nil, logPath: log)
        try updateNode(node) { $0.felixPID = pid }
        if ProcessControl.waitForExit(pid, within: .milliseconds(300)) {
            try updateNode(node) { $0.felixPID = nil }
            throw LabError.step("calico-node -felix exited at once on \(node) (without Felix: LabConfig.startFelix = false, calico-lab up --no-felix)",
                                "last lines of \(log):\n" + ProcessControl.logTail(log))
        }
    }

    /// Sends `signal` to a node's Felix and waits (up to 5 s, then SIGKILL) until it has ended.
    public func stopFelix(on node: String = LabAddresses.nodeName, signal: Int32 = SIGTERM) throws {
        guard let n = self.node(node), let pid = n.felixPID else { return }
        if ProcessControl.isAlive(pid) && ProcessControl.isProcess(pid, inNetworkNamespace: LabTopology.path(n.netnsName)) {
            guard ProcessControl.stop(pid, signal: signal, grace: .seconds(5)) else {
                throw LabError.step("stop Felix on \(node)", "pid \(pid) is still running after SIGKILL")
            }
        }
        try updateNode(node) { $0.felixPID = nil }
    }

    /// The last `lines` lines of every node's Felix log, each headed by its node (for messages).
    public func felixLogTails(lines: Int) -> String {
        nodes.map { n in
            let text = (try? String(contentsOfFile: path(n.felixLog), encoding: .utf8)) ?? ""
            return "\(n.name) Felix log:\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// A node's Felix's `/readiness` answer: ready (200) or not, and the report (the reasons
    /// when not ready); nil when nothing answers.
    public func felixReadiness(on node: String = LabAddresses.nodeName) -> (ready: Bool, report: String)? {
        guard let n = self.node(node),
              let r = NamespaceSockets.httpGet(in: .named(n.netnsName), port: LabAddresses.felixHealthPort, path: "/readiness") else { return nil }
        return (r.status == 200, r.body)
    }

    /// Whether a node's Felix answers `GET /readiness` on its health port with 200.
    public func felixReady(on node: String = LabAddresses.nodeName) -> Bool {
        guard let n = self.node(node) else { return false }
        return NamespaceSockets.httpStatus(in: .named(n.netnsName), port: LabAddresses.felixHealthPort, path: "/readiness") == 200
    }

    /// Waits until node1's Felix reports ready (see `waitForFelix(on:timeout:)`).
    public func waitForFelix(timeout: Duration) async throws {
        try await waitForFelix(on: nodeName, timeout: timeout)
    }

    /// Waits until a node's Felix reports ready. Felix ending meanwhile is an error (with its
    /// log); no answer within `timeout` is only a warning (recorded in `warnings`).
    public func waitForFelix(on node: String, timeout: Duration) async throws {
        let log = path(self.node(node)?.felixLog ?? "felix.log")
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            guard felixPID(on: node) != nil else {
                throw LabError.step("calico-node -felix ended on \(node)", "last lines of \(log):\n" + ProcessControl.logTail(log))
            }
            if felixReady(on: node) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        warn("Felix on \(node) did not report ready on 127.0.0.1:\(LabAddresses.felixHealthPort)/readiness within \(timeout) (it keeps running)")
    }

    // MARK: calico-probe servers

    /// Starts `calico-probe serve` in `netns` and waits (up to 3 s) until it listens on
    /// every probe port. Returns nil (recording a warning) when there is no `calico-probe` or
    /// it ends at once.
    func startProbeServer(target: String, netns: String) throws -> Int32? {
        let probe = binary("calico-probe")
        guard FileManager.default.isExecutableFile(atPath: probe) else {
            if !warnings.contains(where: { $0.hasPrefix("calico-probe") }) {
                warn("calico-probe is not in \(binDirectory): no traffic servers (build it: swift build --product calico-probe)")
            }
            return nil
        }
        let args = ["serve", "--tcp", LabAddresses.probeTCPPorts.map(String.init).joined(separator: ","),
                    "--udp", LabAddresses.probeUDPPorts.map(String.init).joined(separator: ",")]
        let log = stateDirectory + "/probe-\(target).log"
        let pid = try ProcessControl.spawnDaemon(inNamespace(netns, [probe] + args, environment: [:]), environment: nil, logPath: log)
        let deadline = ContinuousClock.now.advanced(by: .seconds(3))
        while ContinuousClock.now < deadline {
            if !ProcessControl.isAlive(pid) {
                warn("calico-probe serve ended at once in \(target) (is `serve` implemented?): \(ProcessControl.logTail(log, lines: 3))")
                return nil
            }
            if NamespaceSockets.isListening(in: .named(netns), tcp: LabAddresses.probeTCPPorts, udp: LabAddresses.probeUDPPorts) {
                return pid
            }
            usleep(10_000)
        }
        warn("calico-probe serve in \(target) does not listen on every probe port after 3 s (pid \(pid) kept)")
        return pid
    }
}
