@_exported import CalicoLab

/// The tests' name for the lab's etcd server (the etcd process belongs to the lab; test
/// support builds on the lab, never the other way round).
public typealias EtcdTestServer = EtcdServer
