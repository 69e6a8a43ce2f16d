import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing

/// Two nodes sharing one etcd: 2×25 concurrent ADDs get distinct addresses; after DEL of
/// all, `calicoctl ipam check` finds nothing and no links or routes are left.
///
/// etcd runs in a namespace of its own, linked to each node namespace by a veth on a /30
/// inside 198.51.100.0/24 (the plugins run in the node namespaces and reach it there).
@Suite("CNI on two nodes sharing etcd")
struct CNITwoNodeEtcdTests {
    @Test func twoNodesTwentyFiveEachOnOneEtcd() async throws {
        try await withLab("etcd-a", pool: nil) { a in
            try await withLab("etcd-b", pool: nil) { b in
                let etcdNS = "\(a.prefix)-etcd"
                try a.addNamespace(etcdNS)
                for (lab, nodeAddr, etcdAddr, dev) in [(a, "198.51.100.129", "198.51.100.130", "eta"), (b, "198.51.100.133", "198.51.100.134", "etb")] {
                    try a.topology.connect(etcdNS, VethEnd(dev, address: "\(etcdAddr)/30"), to: lab.node, VethEnd("etcd0", address: "\(nodeAddr)/30"))
                }
                let server = try await EtcdTestServer.start(inNamespace: etcdNS, addresses: ["198.51.100.130", "198.51.100.134"])
                defer { server.stop() }
                let ctl = try BuiltProducts.require("calicoctl")
                func calicoctl(_ args: [String], stdin: String? = nil) throws -> CommandOutput {
                    try CommandRunner.run(["ip", "netns", "exec", etcdNS, "env", "DATASTORE_TYPE=etcdv3", "ETCD_ENDPOINTS=\(server.endpoint)", ctl] + args,
                                          input: stdin)
                }
                let pool = try calicoctl(["create", "-f", "-"], stdin: "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool1}\nspec: {cidr: 10.244.0.0/16}\n")
                try #require(pool.status == 0, "\(pool.stdout) \(pool.stderr)")

                let confA = a.netconf(extra: ["datastore_type": "etcdv3", "etcd_endpoints": server.endpoint(on: "198.51.100.130"), "nodename": "node-a"])
                let confB = b.netconf(extra: ["datastore_type": "etcdv3", "etcd_endpoints": server.endpoint(on: "198.51.100.134"), "nodename": "node-b"])
                let ids = (0..<25).map { String(format: "e%03d", $0) }
                for id in ids {
                    try a.container(id)
                    try b.container(id)
                }
                async let onA = CNIConcurrencyTests.parallel(ids) { id in
                    try a.run("ADD", containerID: "a-\(id)", netns: "/var/run/netns/\(a.prefix)-\(id)", conf: confA)
                }
                async let onB = CNIConcurrencyTests.parallel(ids) { id in
                    try b.run("ADD", containerID: "b-\(id)", netns: "/var/run/netns/\(b.prefix)-\(id)", conf: confB)
                }
                let (addsA, addsB) = try await (onA, onB)
                let all = Array(addsA.values) + Array(addsB.values)
                let failed = all.filter { $0.status != 0 }.map(\.summary)
                #expect(failed.isEmpty, "failed ADDs: \(failed.prefix(3))")
                let ips = all.map(\.firstIP)
                #expect(Set(ips).count == 50, "an address was handed out twice: \(ips.sorted())")

                async let delA = CNIConcurrencyTests.parallel(ids) { id in
                    try a.run("DEL", containerID: "a-\(id)", netns: "/var/run/netns/\(a.prefix)-\(id)", conf: confA)
                }
                async let delB = CNIConcurrencyTests.parallel(ids) { id in
                    try b.run("DEL", containerID: "b-\(id)", netns: "/var/run/netns/\(b.prefix)-\(id)", conf: confB)
                }
                let dels = try await Array(delA.values) + Array(delB.values)
                #expect(dels.allSatisfy { $0.status == 0 }, "\(dels.filter { $0.status != 0 }.map(\.summary).prefix(3))")
                for lab in [a, b] {
                    let left = try lab.nodeLeftovers()
                    #expect(left.links.isEmpty && left.routes.isEmpty, "\(left)")
                }
                let check = try calicoctl(["ipam", "check"])
                #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
                #expect(check.stdout.contains("Check complete; found 0 problems."), "\(check.stdout)")
            }
        }
    }
}
