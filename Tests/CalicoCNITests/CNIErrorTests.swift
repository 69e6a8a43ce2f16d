import CalicoNetlink
import Foundation
import Testing

/// Bad input gives a CNI error JSON naming the cause, a non-zero exit, and nothing allocated.
@Suite("CNI plugin errors")
struct CNIErrorTests {
    /// Nothing of `containerID` stays: addresses, handles, endpoints, host links, the container's interface.
    func expectNothingLeft(_ lab: CNILab, container: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let left = try await lab.leftovers()
        #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(left)", sourceLocation: sourceLocation)
        let nodeLeft = try lab.nodeLeftovers()
        #expect(nodeLeft.links.isEmpty && nodeLeft.routes.isEmpty, "\(nodeLeft)", sourceLocation: sourceLocation)
        if let container {
            #expect(try lab.net.link("eth0", in: lab.containerNamespace(container)) == nil, sourceLocation: sourceLocation)
        }
    }

    func expectError(_ r: PluginRun, code: Int, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status != 0, "expected failure: \(r.summary)", sourceLocation: sourceLocation)
        #expect(r.code == code, "expected code \(code): \(r.summary)", sourceLocation: sourceLocation)
        #expect(r.json["cniVersion"] is String, "error JSON carries cniVersion: \(r.stdout)", sourceLocation: sourceLocation)
        for w in words {
            #expect(r.msg.contains(w), "message should mention \"\(w)\": \(r.msg)", sourceLocation: sourceLocation)
        }
    }

    @Test("malformed netconf, unknown CNI version, bad keys, bad environment")
    func badInput() async throws {
        try await withLab("badin") { lab in
            let netns = try lab.container("c1")
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, conf: "{\"cniVersion\": \"1.0.0\", \"name\": "), code: 6,
                        mentioning: ["not valid JSON"])
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, conf: lab.netconf(version: "9.9.9")), code: 1,
                        mentioning: ["9.9.9"])
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, conf: lab.netconf(version: "0.2.0")), code: 1,
                        mentioning: ["0.2.0"])
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, conf: lab.netconf(extra: ["mtu": "big"])), code: 7,
                        mentioning: ["mtu"])
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, conf: lab.netconf(extra: ["datastore_type": "kubernetes"])),
                        code: 7, mentioning: ["kubernetes"])
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, conf: lab.netconf(ipam: ["assign_ipv4": "maybe"])),
                        code: 7, mentioning: ["assign_ipv4"])
            expectError(try lab.run("ADD", containerID: "", netns: netns), code: 4, mentioning: ["CNI_CONTAINERID"])
            expectError(try lab.run("ADD", containerID: "bad/id", netns: netns), code: 4, mentioning: ["CNI_CONTAINERID"])
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, args: "K8S_POD_NAME"), code: 4, mentioning: ["CNI_ARGS"])
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, extraEnv: ["CNI_COMMAND": "FROB"]), code: 4,
                        mentioning: ["FROB"])
            expectError(try lab.run("ADD", containerID: "bad1", netns: netns, conf: lab.netconf(extra: ["nodename": "", "nodename_file": lab.dir + "/nodename"])), code: 7,
                        mentioning: ["nodename"])
            try await expectNothingLeft(lab, container: "c1")
        }
    }

    @Test("missing, foreign and host network namespace paths")
    func badNamespaces() async throws {
        try await withLab("badns") { lab in
            let missing = "/var/run/netns/\(lab.prefix)-nothere"
            expectError(try lab.run("ADD", containerID: "ns1", netns: missing), code: 4, mentioning: ["CNI_NETNS", missing, "does not exist"])
            let plain = lab.dir + "/not-a-netns"
            _ = FileManager.default.createFile(atPath: plain, contents: Data("x".utf8))
            expectError(try lab.run("ADD", containerID: "ns1", netns: plain), code: 4, mentioning: ["CNI_NETNS", "not a network namespace"])
            expectError(try lab.run("ADD", containerID: "ns1", netns: "/proc/self/ns/uts"), code: 4, mentioning: ["not a network namespace"])
            expectError(try lab.run("ADD", containerID: "ns1", netns: "/var/run/netns/\(lab.node)"), code: 4, mentioning: ["host"])
            // DEL with such paths succeeds and touches nothing (the node keeps its eth0).
            let del = try lab.run("DEL", containerID: "ns1", netns: "/var/run/netns/\(lab.node)")
            #expect(del.status == 0, "\(del.summary)")
            #expect(try lab.net.link("eth0", in: lab.nodeNamespace) != nil)
            try await expectNothingLeft(lab)
        }
    }

    @Test("failures after allocation (interface taken, endpoint refused) release the address and remove the veth")
    func failureAfterAllocation() async throws {
        try await withLab("rollb") { lab in
            let netns = try lab.container("c1")
            // The container already has an eth0 (a veth of its own; no dummy module here).
            try lab.net.ip(["link", "add", "eth0", "type", "veth", "peer", "name", "other0"], in: lab.containerNamespace("c1"))
            let taken = try lab.run("ADD", containerID: "rb1", netns: netns)
            expectError(taken, code: 101, mentioning: ["eth0", "already exists"])
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("c1"))?.kind == "veth", "the container's own eth0 is untouched")
            try await expectNothingLeft(lab)
            try lab.net.deleteLink("eth0", in: lab.containerNamespace("c1"))

            // The datastore refuses the endpoint (an invalid label from args.cni.labels): the
            // interface was already built and is removed again.
            let badLabel = lab.netconf(extra: ["args": ["cni": ["labels": [["key": "no spaces allowed", "value": "x"]]]]])
            let refused = try lab.run("ADD", containerID: "rb2", netns: netns, conf: badLabel)
            expectError(refused, code: 102, mentioning: ["no spaces allowed"])
            try await expectNothingLeft(lab, container: "c1")

            // Afterwards the same container adds fine.
            let ok = try lab.add("rb2", netns: netns)
            #expect(ok.ips.count == 1)
        }
    }

    @Test("a host route for the address through another interface fails the ADD, naming that interface; nothing is left")
    func hostRouteTaken() async throws {
        try await withLab("rtaken") { lab in
            let netns = try lab.container("c1")
            let other = try lab.container("other")
            try lab.net.createVeth(name: "calitaken0", peer: "eth0", peerNamespace: other, in: lab.nodeNamespace)
            try lab.net.setLink("calitaken0", up: true, in: lab.nodeNamespace)
            try lab.net.addRoute(RouteSpec(destination: "10.244.9.9/32", device: "calitaken0", scopeLink: true), in: lab.nodeNamespace)
            let r = try lab.run("ADD", containerID: "rt1", netns: netns, args: "IP=10.244.9.9")
            expectError(r, code: 101, mentioning: ["10.244.9.9", "already exists", "calitaken0"])
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("c1")) == nil)
            #expect(try lab.net.routes(in: lab.nodeNamespace).filter { $0.destination == "10.244.9.9" }.map(\.device) == ["calitaken0"])
            try lab.net.deleteLink("calitaken0", in: lab.nodeNamespace)
            try await expectNothingLeft(lab, container: "c1")
        }
    }

    @Test("an exhausted pool fails the ADD with nothing allocated for it")
    func exhaustedPool() async throws {
        try await withLab("exh", pool: "10.245.0.0/30", blockSize: 30) { lab in
            var ids: [String] = []
            for i in 0..<4 {
                let netns = try lab.container("c\(i)")
                ids.append("full\(i)")
                _ = try lab.add("full\(i)", netns: netns)
            }
            let netns = try lab.container("c4")
            let r = try lab.run("ADD", containerID: "full4", netns: netns)
            expectError(r, code: 100, mentioning: ["IPv4", "10.245.0.0/30"])
            let left = try await lab.leftovers()
            #expect(left.allocated == 4 && !left.handles.contains("testnet.full4") && left.endpoints.count == 4, "\(left)")
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("c4")) == nil)
            #expect(try lab.nodeLeftovers().links.count == 4)
            for (i, id) in ids.enumerated() {
                _ = try lab.run("DEL", containerID: id, netns: "/var/run/netns/\(lab.prefix)-c\(i)")
            }
            try await expectNothingLeft(lab, container: "c4")
        }
    }

    @Test("an unreachable datastore is a try-again-later error and leaves nothing behind")
    func datastoreDown() async throws {
        try await withLab("down", pool: nil) { lab in
            let netns = try lab.container("c1")
            // Nothing listens on 127.0.0.1:1 inside the node namespace: connections are refused.
            let conf = lab.netconf(extra: ["datastore_type": "etcdv3", "etcd_endpoints": "http://127.0.0.1:1"])
            let r = try lab.run("ADD", containerID: "down1", netns: netns, conf: conf)
            expectError(r, code: 11, mentioning: ["not reachable", "127.0.0.1:1"])
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("c1")) == nil)
            #expect(try lab.nodeLeftovers().links.isEmpty)
            let i = try lab.run("calico-ipam", "ADD", containerID: "down1", netns: netns, conf: conf)
            expectError(i, code: 11, mentioning: ["not reachable"])
            let d = try lab.run("DEL", containerID: "down1", netns: netns, conf: conf)
            expectError(d, code: 11, mentioning: ["not reachable"])
            // A datastore file that is not a datastore.
            let junk = lab.dir + "/junk.db"
            _ = FileManager.default.createFile(atPath: junk, contents: Data(repeating: 0x41, count: 4096))
            let bad = try lab.run("ADD", containerID: "down1", netns: netns, conf: lab.netconf(extra: ["embedded_datastore_path": junk]))
            expectError(bad, code: 5, mentioning: [junk])
            #expect(try lab.nodeLeftovers().links.isEmpty)
        }
    }
}
