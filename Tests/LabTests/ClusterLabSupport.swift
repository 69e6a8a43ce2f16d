import CalicoAPI
import CalicoDatastore
import CalicoLab
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The multi-node lab the cluster tests share: node1 and node3 on subnet A, node2 on subnet
/// B, Felix, allocate-tunnel-addrs and a probe server on each; pods `a1` (node1, demo,
/// app=web), `b2` (node2, prod, app=db), `c3` (node3, demo, app=client). Dual stack. Starts as
/// VXLAN CrossSubnet; tests switch the pools' mode live and put it back.
final class ClusterLab: @unchecked Sendable {
    static let pods = ["a1": "node1", "b2": "node2", "c3": "node3"]
    let lab: Lab
    let checker: ConnectivityChecker

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: ClusterLab?

    static func get() async throws -> ClusterLab {
        try RootGate.require("the cluster LabTests (network namespaces, VXLAN, nftables)")
        if let s = lock.withLock({ shared }) { return s }
        let s = try await ClusterLab()
        lock.withLock { shared = s }
        atexit { ClusterLab.lock.withLock { ClusterLab.shared }?.tearDown() }
        return s
    }

    private init() async throws {
        let dir = NSTemporaryDirectory() + "clustertests-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        lab = try await Lab.up(LabConfig(stateDirectory: dir, binDirectory: SharedLab.binDirectory, datastore: .embedded,
                                         felixEnvironment: ["FELIX_ROUTEREFRESHINTERVAL": "5"], prefix: "ccl-\(getpid())",
                                         nodes: 3, encapsulation: .vxlanCrossSubnet, ipv6: true))
        checker = ConnectivityChecker(probeBinary: SharedLab.binDirectory + "/calico-probe", probeTimeoutMilliseconds: 400)
        do {
            try await lab.ensureNamespace("demo", labels: ["team": "demo"])
            try await lab.ensureNamespace("prod", labels: ["team": "prod"])
            _ = try await lab.addPod(name: "a1", namespace: "demo", labels: ["app": "web"], node: "node1")
            _ = try await lab.addPod(name: "b2", namespace: "prod", labels: ["app": "db"], node: "node2")
            _ = try await lab.addPod(name: "c3", namespace: "demo", labels: ["app": "client"], node: "node3")
        } catch {
            tearDown()
            throw error
        }
    }

    func tearDown() { try? lab.down() }

    func ip(_ pod: String) -> String { lab.pod(pod)!.ip }
    func ip6(_ pod: String) -> String { lab.pod(pod)!.ipv6 ?? "(no IPv6 address)" }
    func nodeIP6(_ node: String) -> String { lab.node(node)!.ipv6 ?? "(no IPv6 address)" }
    func source(_ name: String) throws -> ProbeSource { ProbeSource(name: name, namespace: try lab.netnsName(of: name)) }

    /// TCP 8080, UDP 5353 and ICMP, over IPv4 and IPv6, from every pod to every other pod.
    func podMatrix(_ expect: @escaping (String, String) -> Bool) throws -> [ConnectivityExpectation] {
        var out: [ConnectivityExpectation] = []
        for src in Self.pods.keys.sorted() {
            for dst in Self.pods.keys.sorted() where dst != src {
                for probe in [Probe.tcp(ip(dst), 8080), .udp(ip(dst), 5353), .icmp(ip(dst)),
                              .tcp(ip6(dst), 8080), .udp(ip6(dst), 5353), .icmp(ip6(dst))] {
                    out.append(ConnectivityExpectation(source: try source(src), target: dst, probe: probe, expectReachable: expect(src, dst)))
                }
            }
        }
        return out
    }

    func expect(_ cells: [ConnectivityExpectation], _ what: String, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (matched, results) = try checker.check(cells, timeout: timeout)
        #expect(matched, "\(what)\n\(ConnectivityChecker.table(results))\n\(logTails())", sourceLocation: sourceLocation)
    }

    func logTails() -> String { lab.felixLogTails(lines: 6) }

    /// Felix's IPv4 routes (protocol 80) on a node, one line each.
    func routes(on node: String) throws -> [String] {
        try lab.exec(node, ["ip", "route", "show", "proto", "80"]).stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The pod MTU a node's Felix wrote for the CNI plugin.
    func podMTU(on node: String) -> Int? {
        let path = lab.stateDirectory + "/" + lab.node(node)!.mtuFile
        return (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Felix's IPv6 routes on a node.
    func routes6(on node: String) throws -> [String] {
        try lab.exec(node, ["ip", "-6", "route", "show", "proto", "80"]).stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The block (a /26 of the pool) a pod's address is in, as the routes name it.
    func block(of pod: String) -> String { block(ofIP: ip(pod)) }

    /// The /26 block holding an IPv4 address.
    func block(ofIP address: String) -> String {
        let parts = address.split(separator: ".").map { Int($0)! }
        return "\(parts[0]).\(parts[1]).\(parts[2]).\(parts[3] & ~63)/26"
    }

    /// Sets both pools' `vxlanMode` and the IPv4 pool's `natOutgoing` (calicoctl patch).
    func setPool(vxlanMode: String? = nil, natOutgoing: Bool? = nil) throws {
        var spec: [String] = []
        if let m = vxlanMode { spec.append("\"vxlanMode\":\"\(m)\"") }
        if let n = natOutgoing { spec.append("\"natOutgoing\":\(n)") }
        let out = try lab.calicoctl(["patch", "ippool", "default-ipv4-ippool", "-p", "{\"spec\":{\(spec.joined(separator: ","))}}"])
        if out.status != 0 { throw LabTestError(message: "calicoctl patch ippool: \(out.stdout)\(out.stderr)") }
        if let m = vxlanMode {
            let out6 = try lab.calicoctl(["patch", "ippool", "default-ipv6-ippool", "-p", "{\"spec\":{\"vxlanMode\":\"\(m)\"}}"])
            if out6.status != 0 { throw LabTestError(message: "calicoctl patch ippool (IPv6): \(out6.stdout)\(out6.stderr)") }
        }
    }

    func setFelixConfig(_ field: String, _ value: String?) throws {
        let patch = value.map { "{\"spec\":{\"\(field)\":\"\($0)\"}}" } ?? "{\"spec\":{\"\(field)\":null}}"
        let out = try lab.calicoctl(["patch", "felixconfiguration", "default", "-p", patch])
        if out.status != 0 { throw LabTestError(message: "calicoctl patch felixconfiguration: \(out.stdout)\(out.stderr)") }
    }

    func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) -> Bool { pollUntil(seconds, condition) }

    /// Felix's routes on a node, or the error, for messages.
    func routeText(_ node: String) -> String {
        (try? routes(on: node).joined(separator: "; ")) ?? "(cannot list routes)"
    }

    func capture(in target: String, interface: String = "any", filter: String, count: Int = 1, during traffic: () throws -> Void) throws -> [String] {
        try lab.capture(in: target, interface: interface, filter: filter, count: count, during: traffic)
    }

    func ping(_ from: String, _ to: String) throws {
        _ = try lab.exec(from, ["ping", "-c", "2", "-i", "0.2", "-W", "1", to])
    }
}
