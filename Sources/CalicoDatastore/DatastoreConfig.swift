import CalicoAPI
import Foundation

/// Which datastore to use and how to reach it: from `/etc/calico/calicoctl.cfg` (or
/// `--config`) and the environment, as upstream (`CALICO_<NAME>` wins over `<NAME>`).
public struct DatastoreConfig: Sendable, Equatable {
    public enum Kind: String, Sendable { case embedded, etcdv3 }

    public var type: Kind = .embedded
    public var embeddedPath = EmbeddedStore.defaultPath
    public var etcdEndpoints: [String] = []
    public var etcdCACertFile: String?
    public var etcdCertFile: String?
    public var etcdKeyFile: String?
    public var etcdUsername: String?
    public var etcdPassword: String?

    public static let defaultConfigPath = "/etc/calico/calicoctl.cfg"

    public init() {}

    public struct ConfigError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Reads the config file (when present; a missing non-default path is an error) and
    /// then the environment.
    public static func load(configPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatastoreConfig {
        let path = configPath ?? defaultConfigPath
        var spec: [String: String] = [:]
        if FileManager.default.fileExists(atPath: path) {
            spec = try readFile(path)
        } else if configPath != nil && configPath != defaultConfigPath {
            throw ConfigError(description: "Error reading config file: \(path)")
        }
        let fromFile = !spec.isEmpty
        // As upstream: a config file, when there is one, is the whole configuration.
        func setting(_ field: String, _ env: String) -> String? {
            if let v = spec[field], !v.isEmpty { return v }
            if fromFile { return nil }
            if let v = environment["CALICO_\(env)"], !v.isEmpty { return v }
            if let v = environment[env], !v.isEmpty { return v }
            return nil
        }
        var c = DatastoreConfig()
        c.etcdEndpoints = (setting("etcdEndpoints", "ETCD_ENDPOINTS") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        c.etcdCACertFile = setting("etcdCACertFile", "ETCD_CA_CERT_FILE")
        c.etcdCertFile = setting("etcdCertFile", "ETCD_CERT_FILE")
        c.etcdKeyFile = setting("etcdKeyFile", "ETCD_KEY_FILE")
        c.etcdUsername = setting("etcdUsername", "ETCD_USERNAME")
        c.etcdPassword = setting("etcdPassword", "ETCD_PASSWORD")
        if let p = setting("embeddedDatastorePath", "EMBEDDED_DATASTORE_PATH") { c.embeddedPath = p }
        switch setting("datastoreType", "DATASTORE_TYPE") {
        case nil: c.type = c.etcdEndpoints.isEmpty ? .embedded : .etcdv3
        case "embedded": c.type = .embedded
        case "etcdv3": c.type = .etcdv3
        case "kubernetes"?:
            throw ConfigError(description: "unsupported datastore type 'kubernetes': swift-calico runs on embedded or etcdv3")
        case let other?:
            throw ConfigError(description: "invalid datastore type: \(other) (use embedded or etcdv3)")
        }
        if c.type == .etcdv3 && c.etcdEndpoints.isEmpty { c.etcdEndpoints = ["http://127.0.0.1:2379"] }
        return c
    }

    /// The `spec` of a `CalicoAPIConfig` file, as strings.
    static func readFile(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(description: "Error reading config file: \(path)")
        }
        let docs: [Value]
        do {
            docs = try DocumentReader.documents(in: data)
        } catch {
            throw ConfigError(description: "syntax error in \(path): \(error)")
        }
        guard let doc = docs.first, case .mapping = doc else { return [:] }
        if case let .scalar(v, _, _)? = doc["apiVersion"], v != calicoAPIVersion {
            throw ConfigError(description: "invalid config file: unknown APIVersion '\(v)'")
        }
        if case let .scalar(k, _, _)? = doc["kind"], k != "CalicoAPIConfig" {
            throw ConfigError(description: "invalid config file: expected kind 'CalicoAPIConfig', got '\(k)'")
        }
        var out: [String: String] = [:]
        if case let .mapping(pairs, _)? = doc["spec"] {
            for (k, v) in pairs { if case let .scalar(s, _, _) = v { out[k] = s } }
        }
        return out
    }

    /// Opens the backend this configuration names. A missing embedded store is created only
    /// with `createIfMissing` (calico-node -startup, calicoctl commands that create resources);
    /// otherwise it is an error ("no datastore at <path>"), so a mistyped path is not taken for
    /// a new, empty datastore.
    public func openStore(createIfMissing: Bool = false) throws -> any KVStore {
        switch type {
        case .embedded:
            do {
                return try EmbeddedStore(path: embeddedPath, createIfMissing: createIfMissing)
            } catch let KVError.corrupt(message) {
                throw DatastoreError.corrupt(message)
            }
        case .etcdv3:
            return try DatastoreConfig.openEtcd(self)
        }
    }

    public func open(createIfMissing: Bool = false) throws -> Datastore {
        Datastore(kv: try openStore(createIfMissing: createIfMissing))
    }

    /// Where the data lives, for messages (etcd endpoints without credentials).
    public var endpointDescription: String {
        type == .embedded ? embeddedPath : etcdEndpoints.map(Redaction.endpoint).joined(separator: ",")
    }
}
