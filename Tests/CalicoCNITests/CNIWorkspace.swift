import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import Foundation
import Testing

/// What one plugin run printed.
struct PluginRun {
    var status: Int32
    var stdout: String
    var stderr: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }
    var code: Int? { json["code"] as? Int }
    var msg: String { (json["msg"] as? String ?? "") + " " + (json["details"] as? String ?? "") }
    var ips: [String] { (json["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String } }
    var firstIP: String { ips.first.map { String($0.split(separator: "/")[0]) } ?? "" }
    var summary: String { "exit \(status), stdout: \(stdout), stderr: \(stderr)" }
}

/// What a plugin run works from besides the network: an embedded datastore and the IPAM lock
/// in a temp dir, the network configuration and the environment a runtime passes. The kernel
/// tests (`CNILab`) and the in-memory ones (`MemoryNetworkCNITests`) both build on it.
class CNIWorkspace: @unchecked Sendable {
    let prefix: String
    let dir: String
    let nodeName = "node1"
    var dbPath: String { dir + "/datastore.db" }
    var lockPath: String { dir + "/ipam.lock" }

    /// `prefix` names everything the test makes (`cnit-<pid>-<tag>`).
    init(prefix: String) throws {
        self.prefix = prefix
        dir = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func removeDirectory() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: Datastore

    func datastore() throws -> Datastore {
        var c = DatastoreConfig()
        c.type = .embedded
        c.embeddedPath = dbPath
        return try c.open(createIfMissing: true)
    }

    func createPool(_ cidr: String, blockSize: Int? = nil, name: String = "pool1") async throws {
        var spec = IPPoolSpec(cidr: cidr)
        spec.blockSize = blockSize
        spec.ipipMode = "Never"
        spec.vxlanMode = "Never"
        _ = try await datastore().create(IPPool(metadata: ObjectMeta(name: name), spec: spec))
    }

    /// Addresses still allocated, handles still present, endpoints still stored.
    func leftovers() async throws -> (allocated: Int, handles: [String], endpoints: [String]) {
        let ds = try datastore()
        let ipam = IPAMClient(datastore: ds)
        let allocated = try await ipam.allBlocks().reduce(0) { $0 + $1.inUse }
        let handles = try await ipam.handles().map(\.handleID)
        let weps = try await ds.list(ResourceRegistry.kind(named: "workloadendpoint")!, namespace: nil).items.map(\.resource.name)
        return (allocated, handles, weps)
    }

    /// `cali*` links and routes into the pools (10.24x) left in `ns`.
    static func caliLeftovers(_ net: any NetworkCommands, in ns: NetworkNamespace) throws -> (links: [String], routes: [String]) {
        let links = try net.links(in: ns).map(\.name).filter { $0.hasPrefix("cali") }
        let routes = try net.routes(family: 4, in: ns).filter { $0.destination.hasPrefix("10.24") }.map(\.description)
        return (links, routes)
    }

    // MARK: Plugin input

    /// Network configuration JSON as a runtime would pass it.
    func netconf(version: String = "1.0.0", name: String = "testnet", ipam: [String: Any] = [:], extra: [String: Any] = [:]) -> String {
        var ipamConf: [String: Any] = ["type": "calico-ipam"]
        ipamConf.merge(ipam) { _, b in b }
        var o: [String: Any] = [
            "cniVersion": version, "name": name, "type": "calico",
            "datastore_type": "embedded", "embedded_datastore_path": dbPath,
            "nodename": nodeName, "mtu": 1450, "ipam_lock_file": lockPath,
            "log_level": "info", "ipam": ipamConf,
        ]
        o.merge(extra) { _, b in b }
        let data = try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The environment a runtime sets for one command.
    func environment(_ command: String, containerID: String, netns: String, ifname: String = "eth0", args: String? = nil,
                     extra: [String: String] = [:]) -> [String: String] {
        var env = ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns, "CNI_IFNAME": ifname,
                   "CNI_PATH": "/opt/cni/bin", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        if let args { env["CNI_ARGS"] = args }
        env.merge(extra) { _, b in b }
        return env
    }
}
