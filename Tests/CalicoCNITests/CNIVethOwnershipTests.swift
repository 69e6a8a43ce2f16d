import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import Foundation
import Testing
@testable import CalicoCNI

/// Host interfaces belong to one endpoint: no ADD or DEL removes another container's.
@Suite("CNI host interface ownership")
struct CNIVethOwnershipTests {
    static let wepKind = ResourceRegistry.kind(named: "workloadendpoint")!

    func hostInterface(_ r: PluginRun) -> String {
        (r.json["interfaces"] as? [[String: Any]])?.first?["name"] as? String ?? ""
    }

    @Test("plain containers whose IDs share their first 11 characters get their own interfaces and keep them")
    func sharedIDPrefix() async throws {
        try await withLab("prefix") { lab in
            let ns1 = try lab.container("c1")
            let ns2 = try lab.container("c2")
            let (id1, id2) = ("abcdef0123456-first", "abcdef0123456-second")
            let r1 = try lab.add(id1, netns: ns1)
            let r2 = try lab.add(id2, netns: ns2)
            let (veth1, veth2) = (hostInterface(r1), hostInterface(r2))
            #expect(veth1.hasPrefix("cali") && veth2.hasPrefix("cali") && veth1.count == 15 && veth2.count == 15, "\(veth1) \(veth2)")
            #expect(veth1 != veth2)
            #expect(try lab.net.link(veth1, in: lab.nodeNamespace) != nil, "the first container's host interface is gone")
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("c1")) != nil, "the first container lost its eth0")
            #expect(lab.ping(from: lab.containerNamespace("c1"), r2.firstIP))
            let check1 = try lab.run("CHECK", containerID: id1, netns: ns1)
            #expect(check1.status == 0, "\(check1.summary)")

            let d1 = try lab.run("DEL", containerID: id1, netns: ns1)
            #expect(d1.status == 0, "\(d1.summary)")
            #expect(try lab.net.link(veth2, in: lab.nodeNamespace) != nil, "DEL of the first removed the second's interface")
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("c2")) != nil)
            let check2 = try lab.run("CHECK", containerID: id2, netns: ns2)
            #expect(check2.status == 0, "\(check2.summary)")
            #expect(try lab.run("DEL", containerID: id2, netns: ns2).status == 0)
            let left = try await lab.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(left)")
            #expect(try lab.nodeLeftovers().links.isEmpty)
        }
    }

    @Test("an interface another endpoint records is never deleted: ADD refuses, DEL keeps it")
    func interfaceOfAnotherEndpoint() async throws {
        try await withLab("owner") { lab in
            // Pod web/a would get `taken`; a veth of that name belongs to another endpoint (as
            // after a name collision), recorded in its WorkloadEndpoint.
            let taken = Identifiers.hostVethName(namespace: "web", pod: "a", containerID: "cid-a", ifname: "eth0")
            let other = try lab.container("other")
            try lab.net.createVeth(name: taken, peer: "eth0", peerNamespace: other, in: lab.nodeNamespace)
            try lab.net.setLink(taken, up: true, in: lab.nodeNamespace)
            var spec = WorkloadEndpointSpec()
            spec.orchestrator = "k8s"
            spec.node = lab.nodeName
            spec.pod = "b"
            spec.endpoint = "eth0"
            spec.containerID = "cid-b"
            spec.interfaceName = taken
            spec.ipNetworks = ["10.244.200.1/32"]
            spec.profiles = ["kns.web"]
            let ds = try lab.datastore()
            _ = try await ds.create(WorkloadEndpoint(metadata: ObjectMeta(name: "node1-k8s-b-eth0", namespace: "web"), spec: spec))

            let args = "K8S_POD_NAMESPACE=web;K8S_POD_NAME=a"
            let netns = try lab.container("a")
            let del = try lab.run("DEL", containerID: "cid-a", netns: netns, args: args)
            #expect(del.status == 0, "\(del.summary)")
            #expect(try lab.net.link(taken, in: lab.nodeNamespace) != nil, "DEL removed another endpoint's interface")

            let add = try lab.run("ADD", containerID: "cid-a", netns: netns, args: args)
            #expect(add.status != 0 && add.code == CNIError.dataplaneFailure, "\(add.summary)")
            #expect(add.msg.contains(taken) && add.msg.contains("node1-k8s-b-eth0"), "\(add.msg)")
            #expect(try lab.net.link(taken, in: lab.nodeNamespace) != nil, "ADD removed another endpoint's interface")
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("other")) != nil)
            #expect(try await IPAMClient(datastore: ds).ipsByHandle("testnet.cid-a").isEmpty)
            try lab.net.deleteLink(taken, in: lab.nodeNamespace)
        }
    }
}
