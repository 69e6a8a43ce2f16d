import CalicoLab
import CalicoTestSupport
import CalicoNetlink
import Foundation
import Testing

extension LabTests {
    /// A second, small lab on etcd: policy enforced, then `down` leaves nothing behind.
    @Test func etcdLabEnforcesPolicyAndDownLeavesNothing() async throws {
        try RootGate.require("the lab: network namespaces, nftables")
        let rootLinks = try IPRoute2().links().map(\.name)
        let prefix = "clte-\(getpid())"
        let dir = NSTemporaryDirectory() + prefix
        let lab = try await Lab.up(LabConfig(stateDirectory: dir, binDirectory: SharedLab.binDirectory, datastore: .etcd, prefix: prefix))
        var down = false
        defer { if !down { try? lab.down() } }
        let a = try await lab.addPod(name: "a", namespace: "demo", labels: ["app": "a"])
        let b = try await lab.addPod(name: "b", namespace: "demo", labels: ["app": "b"])
        try lab.apply("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: b-deny, namespace: demo}
            spec: {selector: app == 'b', types: [Ingress]}
            """)
        let checker = ConnectivityChecker(probeBinary: SharedLab.binDirectory + "/calico-probe")
        let result = try checker.check([
            ConnectivityExpectation(source: ProbeSource(name: "a", namespace: a.netnsName), target: "b", probe: .tcp(b.ip, 8080), expectReachable: false),
            ConnectivityExpectation(source: ProbeSource(name: "b", namespace: b.netnsName), target: "a", probe: .tcp(a.ip, 8080), expectReachable: true),
        ])
        #expect(result.matched, "\(ConnectivityChecker.table(result.results))")
        try lab.down()
        down = true
        let namespaces = try CommandRunner.check(["ip", "netns", "list"])
        #expect(!namespaces.contains(prefix), "namespaces left: \(namespaces)")
        #expect(try IPRoute2().links().map(\.name) == rootLinks)
        #expect(!FileManager.default.fileExists(atPath: dir + "/lab.json"))
    }
}
