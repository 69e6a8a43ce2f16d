import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import Foundation

/// What every command of both plugins works from: the checked environment, the network
/// configuration and the node this host is.
struct PluginContext {
    let env: CNIEnvironment
    let conf: NetConf
    let log: PluginLog

    /// Kubernetes-style pod (both `K8S_POD_NAMESPACE` and `K8S_POD_NAME` in `CNI_ARGS`).
    var isKubernetesPod: Bool { env.args.isKubernetesPod }
    var podNamespace: String { env.args.podNamespace ?? "default" }
    var handle: String { Identifiers.handle(network: conf.name, containerID: env.containerID) }

    var hostVethName: String {
        Identifiers.hostVethName(namespace: isKubernetesPod ? env.args.podNamespace : nil,
                                 pod: isKubernetesPod ? env.args.podName : nil, containerID: env.containerID, ifname: env.ifname)
    }

    /// Node name: `nodename` > `nodename_file` > the host name. Without an explicit name the
    /// file must exist unless `nodename_file_optional` (calico-node writes it).
    func nodename() throws(CNIError) -> String {
        if let n = conf.nodename?.trimmingCharacters(in: .whitespacesAndNewlines), !n.isEmpty { return n }
        if let data = FileManager.default.contents(atPath: conf.nodenameFile) {
            let n = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !n.isEmpty { return n }
        }
        if !conf.nodenameFileOptional {
            throw CNIError(CNIError.invalidNetworkConfig, "cannot determine the node name",
                           details: "stat \(conf.nodenameFile): no such file or directory: check that the calico/node container is running and has mounted /var/lib/calico/ (or set \"nodename\" or \"nodename_file_optional\" in the network configuration)")
        }
        return ProcessInfo.processInfo.hostName.lowercased()
    }

    /// MTU: `mtu`, else `/var/lib/calico/mtu` (written by calico-node), else 1500.
    func mtu() -> Int {
        if conf.mtu > 0 { return conf.mtu }
        if let m = MTUFile.read(), m > 0 { return m }
        return 1500
    }

    /// The datastore named by the network configuration, falling back to the environment
    /// (`DATASTORE_TYPE`, `ETCD_ENDPOINTS`, `EMBEDDED_DATASTORE_PATH`, …) as upstream exports
    /// netconf keys into it.
    func datastoreConfig() throws(CNIError) -> DatastoreConfig {
        func setting(_ netconf: String?, _ envName: String) -> String? {
            if let v = netconf, !v.isEmpty { return v }
            if let v = env.raw[envName], !v.isEmpty { return v }
            return nil
        }
        var c = DatastoreConfig()
        c.etcdEndpoints = (setting(conf.etcdEndpoints, "ETCD_ENDPOINTS") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        c.etcdKeyFile = setting(conf.etcdKeyFile, "ETCD_KEY_FILE")
        c.etcdCertFile = setting(conf.etcdCertFile, "ETCD_CERT_FILE")
        c.etcdCACertFile = setting(conf.etcdCACertFile, "ETCD_CA_CERT_FILE")
        if let p = setting(conf.embeddedDatastorePath, "EMBEDDED_DATASTORE_PATH") { c.embeddedPath = p }
        switch setting(conf.datastoreType, "DATASTORE_TYPE") {
        case nil: c.type = c.etcdEndpoints.isEmpty ? .embedded : .etcdv3
        case "embedded": c.type = .embedded
        case "etcdv3": c.type = .etcdv3
        case let other?:
            throw CNIError(CNIError.invalidNetworkConfig, "invalid network configuration",
                           details: "datastore type \"\(other)\" is not supported: use embedded or etcdv3")
        }
        if c.type == .etcdv3 && c.etcdEndpoints.isEmpty { c.etcdEndpoints = ["http://127.0.0.1:2379"] }
        return c
    }

    /// Opens the datastore. Many plugin processes opening the embedded store at once can see
    /// SQLite's "database is locked" while another one sets the file up or checkpoints it;
    /// that is retried for up to ~10 s.
    func openDatastore() throws(CNIError) -> Datastore {
        let config = try datastoreConfig()
        let deadline = Date().addingTimeInterval(10)
        while true {
            do {
                return try config.open()
            } catch {
                let text = "\(error)"
                if (text.contains("database is locked") || text.contains("SQLITE_BUSY")) && Date() < deadline {
                    log.debug("datastore busy on open, retrying: \(text)")
                    Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.1))
                    continue
                }
                throw CNIError(CNIError.ioFailure, "cannot open the \(config.type.rawValue) datastore at \(config.endpointDescription)",
                               details: text)
            }
        }
    }

    var lock: IPAMLock { IPAMLock(path: conf.ipamLockFile, log: log) }

    /// Test hook: with `CALICO_CNI_TEST_HOLD_AT=<stage>` the plugin creates
    /// `CALICO_CNI_TEST_HOLD_FILE` when it reaches that stage and then waits, so a test can
    /// kill it there.
    func testHold(_ stage: String) {
        guard env.raw["CALICO_CNI_TEST_HOLD_AT"] == stage, let file = env.raw["CALICO_CNI_TEST_HOLD_FILE"] else { return }
        _ = FileManager.default.createFile(atPath: file, contents: Data(stage.utf8))
        Thread.sleep(forTimeInterval: 60)
    }
}

/// Turns any failure into the CNI error a runtime sees, naming the cause.
enum ErrorClassifier {
    static func cniError(_ error: any Error, doing what: String) -> CNIError {
        switch error {
        case let e as CNIError:
            return e
        case let e as IPAMError:
            return CNIError(CNIError.ipamFailure, "\(what): \(e)")
        case let KVError.unavailable(endpoint, reason):
            return CNIError(CNIError.tryAgainLater, "\(what): datastore at \(endpoint) is not reachable", details: reason)
        case let DatastoreError.unavailable(endpoint, reason):
            return CNIError(CNIError.tryAgainLater, "\(what): datastore at \(endpoint) is not reachable", details: reason)
        case let e as DatastoreError:
            return CNIError(CNIError.datastoreFailure, "\(what): \(e)")
        case let e as KVError:
            return CNIError(CNIError.datastoreFailure, "\(what): \(e)")
        case let e as CommandError:
            return CNIError(CNIError.dataplaneFailure, "\(what): \(e)")
        case let e as NamespaceProblem:
            return CNIError(CNIError.invalidEnvironment, "\(what): CNI_NETNS: \(e)")
        default:
            return CNIError(CNIError.internalError, "\(what): \(error)")
        }
    }
}
