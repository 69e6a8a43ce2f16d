import CalicoAPI
import CalicoDatastore
import Foundation

public struct StartupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What a startup run did.
public struct StartupResult: Sendable {
    public var nodeName: String
    public var node: Node
    /// One line per datastore write (empty when nothing needed changing).
    public var changes: [String]
}

/// `calico-node -startup` (upstream `node/pkg/lifecycle/startup`): registers the Node with
/// its addresses, and creates the cluster defaults that are missing (IP pools,
/// ClusterInformation, tiers, the default-allow profile, FelixConfiguration). Writes only
/// what differs, so a second run changes nothing.
public struct NodeStartup: Sendable {
    public static let calicoVersion = "v3.31.7"

    public var environment: [String: String]
    public var host: any HostSystem
    public var nodenameStore: any NodenameStore
    public var log: @Sendable (String) -> Void
    /// `n` random lowercase hex digits (cluster GUID, IPv6 ULA pool).
    public var randomHex: @Sendable (Int) -> String

    public init(environment: [String: String], host: any HostSystem = LinuxHost(), nodenameStore: (any NodenameStore)? = nil,
                log: @escaping @Sendable (String) -> Void = { print($0) },
                randomHex: @escaping @Sendable (Int) -> String = NodeStartup.systemRandomHex) {
        self.environment = environment
        self.host = host
        self.nodenameStore = nodenameStore ?? NodenameFile(environment: environment)
        self.log = log
        self.randomHex = randomHex
    }

    public static func systemRandomHex(_ n: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in "0123456789abcdef".randomElement(using: &g)! })
    }

    /// The datastore named by the environment (`DATASTORE_TYPE`, `EMBEDDED_DATASTORE_PATH`,
    /// `ETCD_ENDPOINTS`, …).
    /// Only `-startup` passes `createIfMissing` (it makes a missing embedded store); Felix
    /// and the other modes need an existing one.
    public static func openDatastore(environment: [String: String], createIfMissing: Bool) throws -> Datastore {
        try DatastoreConfig.load(configPath: nil, environment: environment).open(createIfMissing: createIfMissing)
    }

    /// A set, non-blank environment value (trimmed).
    func env(_ key: String) -> String? {
        guard let v = environment[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }

    // MARK: Node name

    /// `NODENAME`, else the stored name, else lower-cased `HOSTNAME`, else the OS host name.
    public func nodeName() -> (name: String, source: String) {
        if let n = env("NODENAME") { return (n, "NODENAME environment") }
        if let n = nodenameStore.read() { return (n, "stored node name") }
        if let n = env("HOSTNAME")?.lowercased() { return (n, "HOSTNAME environment") }
        return (host.hostname().trimmingCharacters(in: .whitespacesAndNewlines).lowercased(), "hostname")
    }

    // MARK: Run

    public func run(datastore: Datastore) async throws -> StartupResult {
        let (name, source) = nodeName()
        guard !name.isEmpty else { throw StartupError("Unable to determine the node name; set NODENAME") }
        log("Using \(source) for node name \(name)")
        var changes: [String] = []
        let interfaces: [HostInterface]?
        do {
            interfaces = try host.interfaces()
        } catch {
            log("Unable to list host interfaces: \(error)")
            interfaces = nil
        }

        let node = try await configureNode(name, interfaces: interfaces, store: datastore, changes: &changes)
        try await ensurePools(store: datastore, interfaces: interfaces ?? [], changes: &changes)
        try await ensureClusterDefaults(store: datastore, changes: &changes)
        try await ensureFelixConfiguration(node: name, store: datastore, changes: &changes)
        try nodenameStore.write(name)
        for c in changes { log(c) }
        log(changes.isEmpty ? "Calico node configuration is up to date" : "Calico node started successfully")
        return StartupResult(nodeName: name, node: node, changes: changes)
    }

    // MARK: Node

    func configureNode(_ name: String, interfaces: [HostInterface]?, store: Datastore, changes: inout [String]) async throws -> Node {
        let kind = Self.kind(Node.self)
        var existing: Node?
        do {
            existing = try await store.get(kind, namespace: nil, name: name).resource as? Node
        } catch DatastoreError.notFound {
            existing = nil
        }
        var node = existing ?? Node(metadata: ObjectMeta(name: name))
        if env("CALICO_NETWORKING_BACKEND")?.lowercased() != "none" {
            try configureAddresses(&node, interfaces: interfaces)
        }
        if let asText = env("AS") {
            guard let asn = ASNumber(parsing: asText) else {
                throw StartupError("The AS number specified in the environment (AS=\(asText)) is not valid")
            }
            if node.spec.bgp == nil {
                log("Ignoring AS=\(asText): the node has no BGP address")
            } else {
                node.spec.bgp?.asNumber = asn
            }
        }
        if let ref = env("CALICO_K8S_NODE_REF") {
            var refs = (node.spec.orchRefs ?? []).filter { $0.orchestrator != "k8s" }
            refs.append(OrchRef(nodeName: ref, orchestrator: "k8s"))
            node.spec.orchRefs = refs
        }
        if let existing, existing.spec == node.spec { return existing }

        let oldBGP = existing?.spec.bgp
        if env("DISABLE_NODE_IP_CHECK")?.lowercased() != "true",
           oldBGP?.ipv4Address != node.spec.bgp?.ipv4Address || oldBGP?.ipv6Address != node.spec.bgp?.ipv6Address {
            try await checkConflicts(node, store: store)
        }
        if existing == nil {
            do {
                let created = try await store.create(node)
                changes.append("Created Node \(name)")
                return created.resource as? Node ?? node
            } catch DatastoreError.alreadyExists {
                throw StartupError("Node \(name) was created concurrently; restart to retry")
            }
        }
        let updated = try await store.update(node)
        changes.append("Updated Node \(name)")
        return updated.resource as? Node ?? node
    }

    /// Sets `spec.bgp.ipv4Address`/`ipv6Address` (from `IP`/`IP6` or autodetection),
    /// `spec.addresses` and `spec.interfaces`.
    func configureAddresses(_ node: inout Node, interfaces: [HostInterface]?) throws {
        var bgp = node.spec.bgp ?? NodeBGPSpec()
        let detector = AddressAutodetector(interfaces: interfaces ?? [])
        bgp.ipv4Address = try address(for: .v4, current: bgp.ipv4Address, detector: detector, haveInterfaces: interfaces != nil)
        bgp.ipv6Address = try address(for: .v6, current: bgp.ipv6Address, detector: detector, haveInterfaces: interfaces != nil)
        // BGP settings need an address (validation), so no address means no BGP section.
        let hasAddress = !(bgp.ipv4Address ?? "").isEmpty || !(bgp.ipv6Address ?? "").isEmpty
        node.spec.bgp = hasAddress ? bgp : nil

        var addresses: [NodeAddress] = []
        for text in [node.spec.bgp?.ipv4Address, node.spec.bgp?.ipv6Address] {
            if let text, let net = IPNet(text) { addresses.append(NodeAddress(address: net.address.description, type: "CalicoNodeIP")) }
        }
        addresses += (node.spec.addresses ?? []).filter { $0.type != "CalicoNodeIP" }
        node.spec.addresses = addresses.isEmpty ? nil : addresses

        if interfaces != nil {
            var skip: [String] = []
            if case .skipInterface(let r)? = try? AutodetectionMethod(parsing: env("IP_AUTODETECTION_METHOD") ?? "") { skip = r }
            let reported = detector.reportedInterfaces(extraExcludes: skip)
            node.spec.interfaces = reported.isEmpty ? nil : reported
        }
    }

    /// The node address of one family: autodetected, explicit, cleared (`none`) or kept.
    func address(for family: IPAddress.Family, current: String?, detector: AddressAutodetector, haveInterfaces: Bool) throws -> String? {
        let v = family == .v4 ? "IP" : "IP6"
        let fam = "IPv\(family.rawValue)"
        let value = env(v)
        let hasCurrent = !(current ?? "").isEmpty
        let autodetect = value?.lowercased() == "autodetect" || (family == .v4 && value == nil && !hasCurrent)
        if autodetect {
            let methodVar = family == .v4 ? "IP_AUTODETECTION_METHOD" : "IP6_AUTODETECTION_METHOD"
            let method: AutodetectionMethod
            do {
                method = try AutodetectionMethod(parsing: env(methodVar) ?? "")
            } catch {
                throw StartupError("Invalid \(methodVar): \(error)")
            }
            do {
                guard haveInterfaces else { throw AutodetectionError("the host interfaces could not be listed") }
                let found = try detector.detect(method, family: family) { dest, fam in
                    try host.sourceAddress(toward: dest, family: fam)
                }
                log("Using autodetected \(fam) address on interface \(found.interface): \(found.address)")
                return found.address.description
            } catch {
                if hasCurrent {
                    log("Unable to autodetect an \(fam) address (\(error)); keeping \(current!)")
                    return current
                }
                throw StartupError("Couldn't autodetect an \(fam) address: \(error). Set \(v) or \(methodVar).")
            }
        }
        guard let value else { return current }
        if value.lowercased() == "none" {
            if hasCurrent { log("\(v)=none: removing the node's \(fam) address") }
            return nil
        }
        guard let net = IPNet(value), net.family == family else {
            throw StartupError("\(v) environment variable \(value) is not a valid \(fam) address or CIDR")
        }
        if value.contains("/") {
            log("Using \(fam) address from environment: \(v)=\(value)")
            return net.description
        }
        // A bare address takes its prefix from the interface holding it.
        if let held = detector.interface(holding: net.address) {
            log("Using \(fam) address from environment: \(v)=\(value) (\(held.address) on \(held.interface))")
            return held.address.description
        }
        log("Using \(fam) address from environment: \(v)=\(value) (no interface holds it; using \(net))")
        return net.description
    }

    /// Another Node with one of this node's addresses is fatal (two nodes cannot share one).
    func checkConflicts(_ node: Node, store: Datastore) async throws {
        let mine = [node.spec.bgp?.ipv4Address, node.spec.bgp?.ipv6Address].compactMap { $0.flatMap { IPNet($0)?.address } }
        guard !mine.isEmpty else { return }
        let others = try await store.list(Self.kind(Node.self), namespace: nil).items.compactMap { $0.resource as? Node }
        for other in others where other.name != node.name {
            for text in [other.spec.bgp?.ipv4Address, other.spec.bgp?.ipv6Address] {
                guard let ip = text.flatMap({ IPNet($0)?.address }), mine.contains(ip) else { continue }
                throw StartupError("Calico node '\(other.name)' is already using the IPv\(ip.family.rawValue) address \(ip).")
            }
        }
    }

    // MARK: Pools

    func ensurePools(store: Datastore, interfaces: [HostInterface], changes: inout [String]) async throws {
        let noDefault = ["NO_DEFAULT_POOLS", "NO_DEFAULT_IPPOOLS"].contains { env($0)?.lowercased() == "true" }
        if noDefault {
            if env("CALICO_IPV4POOL_CIDR") != nil || env("CALICO_IPV6POOL_CIDR") != nil {
                throw StartupError("Invalid configuration: NO_DEFAULT_POOLS=true cannot be combined with CALICO_IPV4POOL_CIDR or CALICO_IPV6POOL_CIDR")
            }
            log("Skipping default IP pool creation (NO_DEFAULT_POOLS=true)")
            return
        }
        let pools = try await store.list(Self.kind(IPPool.self), namespace: nil).items.compactMap { $0.resource as? IPPool }
        let families = Set(pools.compactMap { $0.spec.cidr.flatMap { IPNet($0)?.family } })
        for family in [IPAddress.Family.v4, .v6] where !families.contains(family) {
            if family == .v6 && !host.supportsIPv6() {
                log("IPv6 is not supported on this host; not creating a default IPv6 pool")
                continue
            }
            guard let pool = try DefaultPool.make(family: family, environment: environment, hostAddresses: interfaces.flatMap(\.addresses),
                                                  randomHex: randomHex) else { continue }
            do {
                _ = try await store.create(pool)
                let s = pool.spec
                changes.append("Created default IPv\(family.rawValue) pool (\(s.cidr ?? "")) with NAT outgoing \(s.natOutgoing ?? false). "
                               + "IPIP mode: \(s.ipipMode ?? "Never"), VXLAN mode: \(s.vxlanMode ?? "Never"), DisableBGPExport: \(s.disableBGPExport ?? false)")
            } catch DatastoreError.alreadyExists {
                log("Default IPv\(family.rawValue) pool already exists (created by another node)")
            }
        }
    }

    // MARK: Cluster defaults

    /// ClusterInformation `default`, the tiers (upstream's EnsureInitialized, with this node's
    /// version and cluster types) and the default-allow profile.
    func ensureClusterDefaults(store: Datastore, changes: inout [String]) async throws {
        let types = (env("CLUSTER_TYPE") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        changes += try await store.ensureInitialized(calicoVersion: Self.calicoVersion, clusterTypes: types, guid: randomHex(32))
        try await store.ensure(Profile.self, Profile.defaultAllowName, changes: &changes, make: { Profile.defaultAllow }) { _ in }
    }

    /// FelixConfiguration `default` (`reportingInterval: 0s`, `logSeverityScreen: Info` when
    /// unset) and, outside Kubernetes, `node.<name>` with `defaultEndpointToHostAction: Return`.
    func ensureFelixConfiguration(node: String, store: Datastore, changes: inout [String]) async throws {
        try await store.ensure(FelixConfiguration.self, "default", changes: &changes,
                         make: { FelixConfiguration(metadata: ObjectMeta(name: "default")) }) { fc in
            if (fc.spec.reportingInterval ?? "").isEmpty { fc.spec.reportingInterval = "0s" }
            if (fc.spec.logSeverityScreen ?? "").isEmpty { fc.spec.logSeverityScreen = "Info" }
        }
        try await store.ensure(FelixConfiguration.self, "node.\(node)", changes: &changes,
                         make: { FelixConfiguration(metadata: ObjectMeta(name: "node.\(node)")) }) { fc in
            if (fc.spec.defaultEndpointToHostAction ?? "").isEmpty { fc.spec.defaultEndpointToHostAction = "Return" }
        }
    }

    static func kind<T: CalicoResource>(_ type: T.Type) -> ResourceKind {
        ResourceRegistry.kind(apiVersion: calicoAPIVersion, kind: T.kindName)!
    }
}

/// The default IP pools startup creates, from `CALICO_IPV4POOL_*` / `CALICO_IPV6POOL_*`.
public enum DefaultPool {
    public static let defaultIPv4CIDR = "192.168.0.0/16"

    /// The pool for one family; nil when disabled (`CALICO_IPV<N>POOL_CIDR=none`).
    public static func make(family: IPAddress.Family, environment: [String: String], hostAddresses: [IPNet],
                            randomHex: (Int) -> String) throws -> IPPool? {
        let prefix = "CALICO_IPV\(family.rawValue)POOL_"
        func env(_ key: String) -> String? {
            guard let v = environment[prefix + key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let net: IPNet
        if let text = env("CIDR") {
            if text.lowercased() == "none" { return nil }
            guard let n = IPNet(text, allowBareIP: false), n.family == family else {
                throw StartupError("Invalid CIDR specified in \(prefix)CIDR '\(text)'")
            }
            net = n.network
        } else if family == .v4 {
            net = try freeIPv4CIDR(hostAddresses: hostAddresses)
        } else {
            let h = Array(randomHex(10))
            net = IPNet("fd\(String(h[0..<2])):\(String(h[2..<6])):\(String(h[6..<10]))::/48")!.network
        }

        let (minSize, maxSize, defaultSize) = family == .v4 ? (20, 32, 26) : (116, 128, 122)
        var blockSize = defaultSize
        if let text = env("BLOCK_SIZE") {
            guard let n = Int(text), (minSize...maxSize).contains(n) else {
                throw StartupError("Invalid block size specified in \(prefix)BLOCK_SIZE '\(text)': must be \(minSize)-\(maxSize)")
            }
            blockSize = n
        }
        guard blockSize >= net.prefixLength else {
            throw StartupError("Invalid block size \(blockSize): the pool \(net) is smaller than one block")
        }
        let ipip = family == .v4 ? try encapMode(env("IPIP"), "\(prefix)IPIP") : "Never"
        let vxlan = try encapMode(env("VXLAN"), "\(prefix)VXLAN")
        if ipip != "Never" && vxlan != "Never" {
            throw StartupError("Invalid configuration: \(prefix)IPIP and \(prefix)VXLAN cannot both be enabled")
        }
        let nat = try bool(env("NAT_OUTGOING"), "\(prefix)NAT_OUTGOING", default: family == .v4)
        let disableExport = try bool(env("DISABLE_BGP_EXPORT"), "\(prefix)DISABLE_BGP_EXPORT", default: false)

        var pool = IPPool(metadata: ObjectMeta(name: "default-ipv\(family.rawValue)-ippool"), spec: IPPoolSpec(cidr: net.description))
        pool.spec.blockSize = blockSize
        pool.spec.ipipMode = ipip
        pool.spec.vxlanMode = vxlan
        pool.spec.natOutgoing = nat
        pool.spec.disableBGPExport = disableExport
        pool.spec.nodeSelector = env("NODE_SELECTOR") ?? "all()"
        return pool
    }

    /// `192.168.0.0/16`, or when that overlaps a host network, the first of
    /// `172.16–31.0.0/16` that does not.
    static func freeIPv4CIDR(hostAddresses: [IPNet]) throws -> IPNet {
        let host = hostAddresses.filter { $0.family == .v4 }
        let candidates = [defaultIPv4CIDR] + (16...31).map { "172.\($0).0.0/16" }
        for text in candidates {
            let c = IPNet(text)!
            if !host.contains(where: { $0.network.overlaps(c) }) { return c }
        }
        throw StartupError("Unable to find a default IPv4 pool CIDR that does not overlap the host networks; set CALICO_IPV4POOL_CIDR")
    }

    /// `never|off|""` → Never, `always` → Always, `crosssubnet|cross-subnet` → CrossSubnet.
    static func encapMode(_ text: String?, _ variable: String) throws -> String {
        switch (text ?? "").lowercased() {
        case "", "never", "off": return "Never"
        case "always": return "Always"
        case "crosssubnet", "cross-subnet": return "CrossSubnet"
        default: throw StartupError("Unrecognized mode specified in \(variable) '\(text ?? "")'")
        }
    }

    /// Go's `strconv.ParseBool`.
    static func bool(_ text: String?, _ variable: String, default d: Bool) throws -> Bool {
        guard let text else { return d }
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: throw StartupError("Invalid value specified in \(variable) '\(text)': must be true or false")
        }
    }
}
