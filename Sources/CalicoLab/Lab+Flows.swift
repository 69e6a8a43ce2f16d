import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Lab {
    /// Goldmane's address as every node's Felix reaches it (the router's side of subnet A).
    public var goldmaneAddress: String { "\(LabAddresses.routerNodeSide):\(LabAddresses.goldmanePort)" }

    /// Where the Whisker UI answers from here, when the lab relays it.
    public var uiURL: String? {
        guard let pid = state.withLock({ $0.servers["ui-relay"] }), ProcessControl.isAlive(pid) else { return nil }
        let port = (try? String(contentsOfFile: path("ui-relay.port"), encoding: .utf8)).flatMap { Int($0) } ?? LabAddresses.whiskerPort
        return "http://127.0.0.1:\(port)/"
    }

    /// The lab's flow-log certificates (made by `Lab.up`).
    static func flowCertificates(in stateDirectory: String) -> FlowCertificates {
        FlowCertificates(directory: stateDirectory + "/flow-tls")
    }

    /// Makes the certificates and returns the Felix settings that send flow logs to the lab's
    /// Goldmane over mutual TLS.
    static func flowLogEnvironment(flush: Int, stateDirectory: String) throws -> [String: String] {
        let certs = try FlowCertificates.make(in: flowCertificates(in: stateDirectory).directory,
                                              serverAddresses: [LabAddresses.routerNodeSide, "127.0.0.1"])
        return ["FELIX_FLOWLOGSGOLDMANESERVER": "\(LabAddresses.routerNodeSide):\(LabAddresses.goldmanePort)", "FELIX_FLOWLOGSFLUSHINTERVAL": "\(flush)s"]
            .merging(certs.felixEnvironment) { a, _ in a }
    }

    /// Starts Goldmane (mutual TLS, all addresses of the router namespace) and Whisker (port
    /// 8081 there) in the router namespace; with `uiPort`, a relay from 127.0.0.1:`uiPort` here.
    func startFlowServices(uiPort: Int?, window: Int = 15) throws {
        for name in ["goldmane", "whisker"] where !FileManager.default.isExecutableFile(atPath: binary(name)) {
            throw LabError.missingBinary(name, directory: binDirectory)
        }
        let certs = Lab.flowCertificates(in: stateDirectory)
        try startGoldmane(window: window)
        let whisker = try ProcessControl.spawnDaemon(
            inNamespace(topology.router, [binary("whisker")], environment: [
                "PORT": "\(LabAddresses.whiskerPort)", "GOLDMANE_HOST": "127.0.0.1:\(LabAddresses.goldmanePort)",
            ].merging(certs.whiskerEnvironment) { a, _ in a }), environment: nil, logPath: path("whisker.log"))
        try update {
            $0.servers["whisker"] = whisker
        }
        if let port = uiPort {
            let relay = try ProcessControl.spawnDaemon([binary("calico-lab"), "relay", topology.router, "\(LabAddresses.whiskerPort)", "\(port)"],
                                                       environment: nil, logPath: path("ui-relay.log"))
            try update { $0.servers["ui-relay"] = relay }
            try? String(port).write(toFile: path("ui-relay.port"), atomically: true, encoding: .utf8)
        }
    }

    /// Starts (or starts again) the lab's Goldmane in the router namespace.
    public func startGoldmane(window: Int = 15) throws {
        let goldmane = try ProcessControl.spawnDaemon(
            inNamespace(topology.router, [binary("goldmane")], environment: [
                "PORT": "\(LabAddresses.goldmanePort)", "HOST": "0.0.0.0", "AGGREGATION_WINDOW": "\(window)s",
            ].merging(Lab.flowCertificates(in: stateDirectory).goldmaneEnvironment) { a, _ in a }),
            environment: nil, logPath: path("goldmane.log"))
        try update { $0.servers["goldmane"] = goldmane }
    }

    /// Stops the lab's Goldmane (as if it were down); its flows are gone with it.
    public func stopGoldmane() {
        guard let pid = state.withLock({ $0.servers["goldmane"] }) else { return }
        _ = ProcessControl.stop(pid, signal: SIGTERM, grace: .seconds(2))
    }

    /// Stops the UI relay (the only process of the lab outside its namespaces).
    func stopUIRelay() {
        guard let pid = state.withLock({ $0.servers["ui-relay"] }) else { return }
        _ = ProcessControl.stop(pid, signal: SIGTERM, grace: .seconds(2))
    }

    /// `calico-lab relay <netns> <port> <local port>`: relays 127.0.0.1:<local port> here to
    /// 127.0.0.1:<port> in the namespace until killed.
    public static func relay(namespace: String, port: Int, localPort: Int) throws -> Never {
        let forwarder = try NamespaceForwarder(to: "127.0.0.1", port: port, in: .named(namespace), listenPort: localPort)
        _ = forwarder
        while true { sleep(3600) }
    }
}
