extension DatastoreConfig {
    static func openEtcd(_ c: DatastoreConfig) throws -> any KVStore {
        throw DatastoreError.unavailable(endpoint: c.etcdEndpoints.joined(separator: ","), reason: "etcd support is being built")
    }
}
