import Foundation

/// The network configuration a runtime passes on stdin, with upstream's keys. Unknown keys
/// are ignored; values of the wrong type are errors naming the key.
public struct NetConf: Sendable {
    public static let supportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]
    public static let latestVersion = "1.0.0"

    public struct IPAM: Sendable, Equatable {
        public var type = ""
        public var assignIPv4 = true
        public var assignIPv6 = false
        public var ipv4Pools: [String] = []
        public var ipv6Pools: [String] = []
    }

    public var cniVersion = "0.2.0"
    public var name = ""
    public var type = ""
    public var datastoreType: String?
    public var etcdEndpoints: String?
    public var etcdKeyFile: String?
    public var etcdCertFile: String?
    public var etcdCACertFile: String?
    public var embeddedDatastorePath: String?
    public var nodename: String?
    public var nodenameFile = "/var/lib/calico/nodename"
    public var nodenameFileOptional = false
    public var mtu = 0
    public var ipam = IPAM()
    public var policyType: String?
    public var allowIPForwarding = false
    public var logLevel: String?
    public var ipamLockFile = "/var/run/calico/ipam.lock"
    /// `args.cni.labels` (or Mesos' `args["org.apache.mesos"].network_info.labels.labels`).
    public var labels: [String: String] = [:]
    /// Annotations for the endpoint (QoS controls among them): `args.cni.annotations` (a
    /// key/value list, as labels), and the standard `bandwidth` capability of `runtimeConfig`
    /// (`ingressRate`/`egressRate` bit/s, `ingressBurst`/`egressBurst` bits) as the matching
    /// `qos.projectcalico.org/*` annotations unless those are given.
    public var annotations: [String: String] = [:]
    /// Addresses of `prevResult` (CHECK), as written there.
    public var prevResultIPs: [String]?
    /// The stdin bytes as given (handed unchanged to a delegated IPAM plugin).
    public var raw = Data()

    public init() {}

    /// Decodes stdin. Malformed JSON is error 6, a bad key value error 7, an unsupported
    /// `cniVersion` error 1.
    /// The largest network configuration read from stdin (real ones are a few KiB).
    public static let maxSize = 16 << 20

    public static func decode(_ data: Data) throws(CNIError) -> NetConf {
        guard data.count <= maxSize else {
            throw CNIError(CNIError.decodingFailure, "error parsing network configuration", details: "stdin is larger than \(maxSize >> 20) MiB")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CNIError(CNIError.decodingFailure, "error parsing network configuration", details: "stdin is not valid JSON: \(Self.describe(error))")
        }
        guard let o = parsed as? [String: Any] else {
            throw CNIError(CNIError.decodingFailure, "error parsing network configuration", details: "stdin must be a JSON object")
        }
        var c = NetConf()
        c.raw = data
        let r = FieldReader(o, path: "")
        if let v = try r.string("cniVersion"), !v.isEmpty { c.cniVersion = v }
        c.name = try r.string("name") ?? ""
        c.type = try r.string("type") ?? ""
        c.datastoreType = try r.string("datastore_type")
        c.etcdEndpoints = try r.string("etcd_endpoints")
        c.etcdKeyFile = try r.string("etcd_key_file")
        c.etcdCertFile = try r.string("etcd_cert_file")
        c.etcdCACertFile = try r.string("etcd_ca_cert_file")
        c.embeddedDatastorePath = try r.string("embedded_datastore_path")
        c.nodename = try r.string("nodename")
        if let f = try r.string("nodename_file"), !f.isEmpty { c.nodenameFile = f }
        c.nodenameFileOptional = try r.bool("nodename_file_optional") ?? false
        c.mtu = try r.int("mtu") ?? 0
        c.logLevel = try r.string("log_level")
        if let f = try r.string("ipam_lock_file"), !f.isEmpty { c.ipamLockFile = f }
        if let ipam = try r.object("ipam") {
            c.ipam.type = try ipam.string("type") ?? ""
            c.ipam.assignIPv4 = try ipam.bool("assign_ipv4") ?? true
            c.ipam.assignIPv6 = try ipam.bool("assign_ipv6") ?? false
            c.ipam.ipv4Pools = try ipam.strings("ipv4_pools") ?? []
            c.ipam.ipv6Pools = try ipam.strings("ipv6_pools") ?? []
        }
        if let policy = try r.object("policy") { c.policyType = try policy.string("type").flatMap { $0.isEmpty ? nil : $0 } }
        if let settings = try r.object("container_settings") {
            c.allowIPForwarding = try settings.bool("allow_ip_forwarding") ?? false
        }
        if let args = try r.object("args") {
            if let cni = try args.object("cni"), let labels = try cni.labelList("labels") { c.labels = labels }
            if let cni = try args.object("cni"), let annotations = try cni.labelList("annotations") { c.annotations = annotations }
            if let mesos = try args.object("org.apache.mesos"), let info = try mesos.object("network_info"),
               let wrapper = try info.object("labels"), let labels = try wrapper.labelList("labels") {
                c.labels.merge(labels) { a, _ in a }
            }
        }
        if let runtime = try r.object("runtimeConfig"), let bw = try runtime.object("bandwidth") {
            for (key, field) in [("ingressRate", "ingressBandwidth"), ("ingressBurst", "ingressBurst"), ("egressRate", "egressBandwidth"), ("egressBurst", "egressBurst")] {
                guard let v = try bw.count(key), v > 0 else { continue }
                let name = "qos.projectcalico.org/" + field
                if c.annotations[name] == nil { c.annotations[name] = String(v) }
            }
        }
        if let prev = try r.object("prevResult") {
            var ips: [String] = []
            for ip in try prev.objects("ips") ?? [] {
                if let a = try ip.string("address") { ips.append(a) }
            }
            c.prevResultIPs = ips
        }
        try c.validate()
        return c
    }

    func validate() throws(CNIError) {
        guard Self.supportedVersions.contains(cniVersion) else {
            throw CNIError(CNIError.incompatibleVersion, "incompatible CNI versions",
                           details: "config is \"\(cniVersion)\", plugin supports \(Self.supportedVersions)")
        }
        if name.isEmpty { throw CNIError(CNIError.invalidNetworkConfig, "invalid network configuration", details: "\"name\" is required") }
        if let t = datastoreType, !["", "embedded", "etcdv3"].contains(t) {
            throw CNIError(CNIError.invalidNetworkConfig, "invalid network configuration",
                           details: "datastore_type \"\(t)\" is not supported: use embedded or etcdv3")
        }
        if mtu < 0 || mtu > 65535 {
            throw CNIError(CNIError.invalidNetworkConfig, "invalid network configuration", details: "mtu \(mtu) is out of range")
        }
        if !ipam.assignIPv4 && !ipam.assignIPv6 && ipam.type == "calico-ipam" {
            throw CNIError(CNIError.invalidNetworkConfig, "invalid network configuration",
                           details: "assign_ipv4 and assign_ipv6 are both false: no addresses to assign")
        }
    }

    static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

/// Typed reads from a decoded JSON object, with errors naming the key.
struct FieldReader {
    let object: [String: Any]
    let path: String

    init(_ object: [String: Any], path: String) {
        self.object = object
        self.path = path
    }

    func fail(_ key: String, _ expected: String) -> CNIError {
        CNIError(CNIError.invalidNetworkConfig, "invalid network configuration", details: "\(path)\(key): expected \(expected)")
    }

    func present(_ key: String) -> Any? {
        guard let v = object[key], !(v is NSNull) else { return nil }
        return v
    }

    /// JSON `true`/`false` arrive as a distinct NSNumber subclass.
    static func isBoolean(_ n: NSNumber) -> Bool { type(of: n) == type(of: NSNumber(value: true)) }

    func string(_ key: String) throws(CNIError) -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v as? String else { throw fail(key, "a string") }
        return s
    }

    /// A boolean, also written as the strings "true"/"false" (upstream's assign flags are strings).
    func bool(_ key: String) throws(CNIError) -> Bool? {
        guard let v = present(key) else { return nil }
        if let s = v as? String {
            switch s.lowercased() {
            case "true": return true
            case "false", "": return false
            default: throw fail(key, "\"true\" or \"false\"")
            }
        }
        if let n = v as? NSNumber, Self.isBoolean(n) { return n.boolValue }
        throw fail(key, "a boolean")
    }

    func int(_ key: String) throws(CNIError) -> Int? {
        guard let v = present(key) else { return nil }
        if let n = v as? NSNumber, !Self.isBoolean(n) {
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 1e9 else { throw fail(key, "an integer") }
            return n.intValue
        }
        throw fail(key, "a number")
    }

    /// A whole non-negative number of any size JSON carries exactly (rates in bit/s).
    func count(_ key: String) throws(CNIError) -> Int64? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber, !Self.isBoolean(n), n.doubleValue >= 0, n.doubleValue == n.doubleValue.rounded(), n.doubleValue < 9e18 else {
            throw fail(key, "a whole number")
        }
        return n.int64Value
    }

    func strings(_ key: String) throws(CNIError) -> [String]? {
        guard let v = present(key) else { return nil }
        guard let a = v as? [Any], let s = a as? [String] else { throw fail(key, "a list of strings") }
        return s
    }

    func object(_ key: String) throws(CNIError) -> FieldReader? {
        guard let v = present(key) else { return nil }
        guard let o = v as? [String: Any] else { throw fail(key, "an object") }
        return FieldReader(o, path: path + key + ".")
    }

    func objects(_ key: String) throws(CNIError) -> [FieldReader]? {
        guard let v = present(key) else { return nil }
        guard let a = v as? [Any] else { throw fail(key, "a list") }
        var out: [FieldReader] = []
        for (i, item) in a.enumerated() {
            guard let o = item as? [String: Any] else { throw fail("\(key)[\(i)]", "an object") }
            out.append(FieldReader(o, path: "\(path)\(key)[\(i)]."))
        }
        return out
    }

    /// `[{"key": k, "value": v}, …]` as a dictionary.
    func labelList(_ key: String) throws(CNIError) -> [String: String]? {
        guard let items = try objects(key) else { return nil }
        var out: [String: String] = [:]
        for item in items {
            guard let k = try item.string("key"), !k.isEmpty else { throw fail(key, "labels with a non-empty \"key\"") }
            out[k] = try item.string("value") ?? ""
        }
        return out
    }
}
