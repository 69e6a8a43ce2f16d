extension DatastoreConfig {
    static func openEtcd(_ c: DatastoreConfig) throws -> any KVStore {
        let tls: EtcdTLSOptions?
        if c.etcdCACertFile != nil || c.etcdCertFile != nil || c.etcdKeyFile != nil {
            tls = EtcdTLSOptions(caFile: c.etcdCACertFile, certFile: c.etcdCertFile, keyFile: c.etcdKeyFile)
        } else {
            tls = nil
        }
        let credentials = c.etcdUsername.map { EtcdCredentials(username: $0, password: c.etcdPassword ?? "") }
        return EtcdStore(endpoints: c.etcdEndpoints, tls: tls, credentials: credentials)
    }
}
