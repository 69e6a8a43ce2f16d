import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Lab {
    // MARK: Felix

    /// The environment Felix runs with: node name, datastore, the lab's defaults
    /// (`FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT`, health on, Info logs) and the configured
    /// extra `FELIX_*` variables over them.
    public var felixEnvironment: [String: String] {
        var env = datastoreEnvironment
        env["NODENAME"] = nodeName
        env["CALICO_NODENAME_FILE"] = nodenamePath
        env["FELIX_DEFAULTENDPOINTTOHOSTACTION"] = "ACCEPT"
        env["FELIX_HEALTHENABLED"] = "true"
        env["FELIX_LOGSEVERITYSCREEN"] = "Info"
        env.merge(state.withLock { $0.felixEnvironment }) { _, b in b }
        return env
    }

    /// Starts `calico-node -felix` in the node namespace as a background daemon (own session,
    /// output appended to `<stateDirectory>/felix.log`) and records its pid. Nothing happens
    /// when Felix already runs. Throws when it ends within its first 300 ms (with the log).
    public func startFelix() throws {
        if felixPID != nil { return }
        let log = felixLogPath
        let argv = inNamespace(topology.node, [binary("calico-node"), "-felix"], environment: felixEnvironment)
        let pid = try ProcessControl.spawnDaemon(argv, environment: nil, logPath: log)
        try update { $0.felixPID = pid }
        if ProcessControl.waitForExit(pid, within: .milliseconds(300)) {
            try update { $0.felixPID = nil }
            throw LabError.step("calico-node -felix exited at once (without Felix: LabConfig.startFelix = false, calico-lab up --no-felix)",
                                "last lines of \(log):\n" + ProcessControl.logTail(log))
        }
    }

    /// Sends `signal` to Felix and waits (up to 5 s, then SIGKILL) until it has ended.
    public func stopFelix(signal: Int32 = SIGTERM) throws {
        guard let pid = state.withLock({ $0.felixPID }) else { return }
        if ProcessControl.isAlive(pid) && ProcessControl.isProcess(pid, inNetworkNamespace: LabTopology.path(topology.node)) {
            guard ProcessControl.stop(pid, signal: signal, grace: .seconds(5)) else {
                throw LabError.step("stop Felix", "pid \(pid) is still running after SIGKILL")
            }
        }
        try update { $0.felixPID = nil }
    }

    /// Whether Felix answers `GET /readiness` on its health port with 200.
    public func felixReady() -> Bool {
        NamespaceSockets.httpStatus(in: .named(topology.node), port: LabAddresses.felixHealthPort, path: "/readiness") == 200
    }

    /// Waits until Felix reports ready. Felix ending meanwhile is an error (with its log);
    /// no answer within `timeout` is only a warning (recorded in `warnings`).
    public func waitForFelix(timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            guard felixPID != nil else {
                throw LabError.step("calico-node -felix ended", "last lines of \(felixLogPath):\n" + ProcessControl.logTail(felixLogPath))
            }
            if felixReady() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        warn("Felix did not report ready on 127.0.0.1:\(LabAddresses.felixHealthPort)/readiness within \(timeout) (it keeps running)")
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
