import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import Foundation
import Testing
@testable import CalicoCNI

/// The built `calico` and `calico-ipam` binaries, run as a container runtime runs them, in
/// namespaces the tests create.
@Suite("CNI plugins as a runtime calls them")
struct CNIPluginTests {
    static let wepKind = ResourceRegistry.kind(named: "workloadendpoint")!
    static let profileKind = ResourceRegistry.kind(named: "profile")!

    @Test("two containers on a node reach each other and the node; endpoints, routes and sysctls as upstream")
    func connectivityAndEndpoints() async throws {
        try #require(CommandRunner.resolve("ping") != nil, "the connectivity checks need ping (Debian package iputils-ping)")
        try await withLab("conn") { lab in
            let c1 = try lab.container("c1")
            let c2 = try lab.container("c2")
            let podArgs = "IgnoreUnknown=1;K8S_POD_NAMESPACE=web;K8S_POD_NAME=nginx-0;K8S_POD_INFRA_CONTAINER_ID=c1a0b1c2d3e4f5"
            let r1 = try lab.add("c1a0b1c2d3e4f5", netns: c1, args: podArgs)
            let labelled = lab.netconf(extra: ["args": ["cni": ["labels": [["key": "app", "value": "db"]]]]])
            let r2 = try lab.add("0123456789abcdef", netns: c2, conf: labelled)
            let ip1 = r1.firstIP
            let ip2 = r2.firstIP
            #expect(ip1 != ip2)
            #expect(IPNet("10.244.0.0/16")!.contains(IPAddress(ip1) ?? IPAddress("0.0.0.0")!))

            // The result (1.0.0).
            let veth1 = Identifiers.hostVethName(namespace: "web", pod: "nginx-0", containerID: "c1a0b1c2d3e4f5", ifname: "eth0")
            let veth2 = Identifiers.hostVethName(namespace: nil, pod: nil, containerID: "0123456789abcdef", ifname: "eth0")
            let interfaces = r1.json["interfaces"] as? [[String: Any]] ?? []
            #expect(interfaces.count == 2)
            #expect(interfaces.first?["name"] as? String == veth1)
            #expect(interfaces.last?["name"] as? String == "eth0")
            #expect(interfaces.last?["sandbox"] as? String == c1)
            let mac1 = interfaces.last?["mac"] as? String ?? ""
            #expect(mac1.count == 17)
            #expect(r1.ips == ["\(ip1)/32"])
            #expect((r1.json["ips"] as? [[String: Any]])?.first?["interface"] as? Int == 1)
            #expect((r2.json["interfaces"] as? [[String: Any]])?.first?["name"] as? String == veth2)

            // The kernel side.
            let host = try #require(try lab.net.link(veth1, in: lab.nodeNamespace))
            #expect(host.mac == "ee:ee:ee:ee:ee:ee")
            #expect(host.isUp && host.mtu == 1450 && host.kind == "veth")
            let inner = try #require(try lab.net.link("eth0", in: lab.containerNamespace("c1")))
            #expect(inner.mtu == 1450 && inner.mac == mac1)
            #expect(try lab.net.addresses(of: "eth0", in: lab.containerNamespace("c1")).map(\.description) .contains("\(ip1)/32"))
            let innerRoutes = try lab.net.routes(in: lab.containerNamespace("c1")).map(\.description)
            #expect(innerRoutes.contains("169.254.1.1 dev eth0 scope link"))
            #expect(innerRoutes.contains("default via 169.254.1.1 dev eth0"))
            let hostRoutes = try lab.net.routes(in: lab.nodeNamespace).map(\.description)
            #expect(hostRoutes.contains("\(ip1) dev \(veth1) scope link"), "\(hostRoutes)")
            #expect(hostRoutes.contains("\(ip2) dev \(veth2) scope link"), "\(hostRoutes)")
            for (key, want) in [("net/ipv4/conf/\(veth1)/proxy_arp", "1"), ("net/ipv4/conf/\(veth1)/forwarding", "1"),
                                ("net/ipv4/conf/\(veth1)/route_localnet", "1"), ("net/ipv4/neigh/\(veth1)/proxy_delay", "0")] {
                #expect(try lab.net.sysctl(key, in: lab.nodeNamespace) == want, "\(key)")
            }

            // Real packets: container ↔ container, container → node.
            let matrix = [("c1", ip2), ("c2", ip1), ("c1", CNILab.nodeAddress), ("c2", CNILab.nodeAddress)]
            var failures: [String] = []
            for (from, to) in matrix where !lab.ping(from: lab.containerNamespace(from), to) { failures.append("\(from) → \(to)") }
            #expect(failures.isEmpty, "unreachable (expected all reachable): \(failures)")

            // The endpoints.
            let ds = try lab.datastore()
            let wep1 = try #require(try await ds.get(Self.wepKind, namespace: "web", name: "node1-k8s-nginx--0-eth0").resource as? WorkloadEndpoint)
            #expect(wep1.spec.orchestrator == "k8s" && wep1.spec.pod == "nginx-0" && wep1.spec.node == "node1")
            #expect(wep1.spec.profiles == ["kns.web"])
            #expect(wep1.spec.interfaceName == veth1 && wep1.spec.mac == mac1 && wep1.spec.endpoint == "eth0")
            #expect(wep1.spec.ipNetworks == ["\(ip1)/32"] && wep1.spec.containerID == "c1a0b1c2d3e4f5")
            #expect(wep1.metadata.labels == ["projectcalico.org/namespace": "web", "projectcalico.org/orchestrator": "k8s"])
            let wep2 = try #require(try await ds.get(Self.wepKind, namespace: "default", name: "node1-cni-0123456789abcdef-eth0").resource as? WorkloadEndpoint)
            #expect(wep2.spec.orchestrator == "cni" && wep2.spec.workload == "0123456789abcdef" && wep2.spec.profiles == ["testnet"])
            #expect(wep2.metadata.labels == ["app": "db", "projectcalico.org/namespace": "default", "projectcalico.org/orchestrator": "cni"])
            let profile = try #require(try await ds.get(Self.profileKind, namespace: nil, name: "testnet").resource as? Profile)
            #expect(profile.spec.labelsToApply == ["testnet": ""])
            #expect(profile.spec.ingress?.first?.source?.selector == "has(testnet)")
            #expect(profile.spec.egress?.first?.action == "Allow")

            // IPAM attributes.
            let attr = try #require(try await IPAMClient(datastore: ds).allocation(of: IPAddress(ip1)!))
            #expect(attr.handleID == "testnet.c1a0b1c2d3e4f5")
            #expect(attr.secondary?["node"] == "node1" && attr.secondary?["namespace"] == "web" && attr.secondary?["pod"] == "nginx-0")
            #expect(attr.secondary?["timestamp"]?.hasSuffix("+0000 UTC") == true)

            // DEL leaves nothing.
            for (cid, ns, args) in [("c1a0b1c2d3e4f5", c1, podArgs), ("0123456789abcdef", c2, nil)] {
                let d = try lab.run("DEL", containerID: cid, netns: ns, args: args)
                #expect(d.status == 0 && d.stdout.isEmpty, "\(d.summary)")
            }
            let left = try await lab.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(left)")
            let nodeLeft = try lab.nodeLeftovers()
            #expect(nodeLeft.links.isEmpty && nodeLeft.routes.isEmpty, "\(nodeLeft)")
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("c1")) == nil)
        }
    }

    @Test("dual stack: an IPv4 and an IPv6 address per container; they reach each other over both")
    func dualStack() async throws {
        try #require(CommandRunner.resolve("ping") != nil, "the connectivity checks need ping (Debian package iputils-ping)")
        try await withLab("dual") { lab in
            try await lab.createPool("fd00:10:244::/48", name: "pool6")
            try lab.net.setSysctl("net/ipv6/conf/all/forwarding", "1", in: lab.nodeNamespace)
            let conf = lab.netconf(ipam: ["assign_ipv6": "true"])
            let c1 = try lab.container("c1")
            let c2 = try lab.container("c2")
            let r1 = try lab.add("dual1", netns: c1, conf: conf)
            let r2 = try lab.add("dual2", netns: c2, conf: conf)
            #expect(r1.ips.count == 2 && r1.ips[0].hasSuffix("/32") && r1.ips[1].hasSuffix("/128"), "\(r1.stdout)")
            let v6a = String(r1.ips.last?.split(separator: "/").first ?? "")
            let v6b = String(r2.ips.last?.split(separator: "/").first ?? "")
            #expect(IPNet("fd00:10:244::/48")!.contains(IPAddress(v6b) ?? IPAddress("::")!))
            let veth1 = Identifiers.hostVethName(namespace: nil, pod: nil, containerID: "dual1", ifname: "eth0")
            let v6Routes = try lab.net.routes(family: 6, in: lab.nodeNamespace)
            #expect(v6Routes.contains { $0.normalizedDestination == "\(v6a)/128" && $0.device == veth1 }, "\(v6Routes)")
            #expect(try lab.net.sysctl("net/ipv6/conf/\(veth1)/proxy_ndp", in: lab.nodeNamespace) == "1")
            var failures: [String] = []
            for (from, to) in [("c1", v6b), ("c2", v6a), ("c1", r2.firstIP)] where !lab.ping(from: lab.containerNamespace(from), to) {
                failures.append("\(from) → \(to)")
            }
            #expect(failures.isEmpty, "unreachable (expected all reachable): \(failures)")
            let prev = try JSONSerialization.jsonObject(with: Data(r1.stdout.utf8))
            let check = try lab.run("CHECK", containerID: "dual1", netns: c1, conf: lab.netconf(ipam: ["assign_ipv6": "true"], extra: ["prevResult": prev]))
            #expect(check.status == 0, "\(check.summary)")
            for (id, ns) in [("dual1", c1), ("dual2", c2)] {
                #expect(try lab.run("DEL", containerID: id, netns: ns, conf: conf).status == 0)
            }
            let left = try await lab.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(left)")
            #expect(try lab.net.routes(family: 6, in: lab.nodeNamespace).allSatisfy { !($0.device ?? "").hasPrefix("cali") })
        }
    }

    @Test("ADD results in CNI 0.3.0, 0.3.1, 0.4.0 and 1.0.0, for calico and calico-ipam")
    func resultVersions() async throws {
        try await withLab("vers", blockSize: 26) { lab in
            let netns = try lab.container("c1")
            for version in NetConf.supportedVersions {
                let conf = lab.netconf(version: version)
                let r = try lab.add("ver\(version.replacingOccurrences(of: ".", with: ""))", netns: netns, conf: conf)
                #expect(r.json["cniVersion"] as? String == version)
                #expect((r.json["dns"] as? [String: Any])?.isEmpty == true)
                let ip = try #require((r.json["ips"] as? [[String: Any]])?.first)
                #expect(ip["interface"] as? Int == 1)
                #expect((ip["address"] as? String)?.hasSuffix("/32") == true)
                #expect(ip["version"] as? String == (version == "1.0.0" ? nil : "4"), "version \(version): \(r.stdout)")
                #expect((r.json["interfaces"] as? [[String: Any]])?.count == 2)
                let d = try lab.run("DEL", containerID: "ver\(version.replacingOccurrences(of: ".", with: ""))", netns: netns, conf: conf)
                #expect(d.status == 0, "\(d.summary)")

                let i = try lab.run("calico-ipam", "ADD", containerID: "ipam1", netns: netns, conf: conf)
                #expect(i.status == 0, "\(i.summary)")
                #expect(i.json["cniVersion"] as? String == version)
                let ipamIP = try #require((i.json["ips"] as? [[String: Any]])?.first)
                #expect((ipamIP["address"] as? String)?.hasSuffix("/26") == true, "calico-ipam returns the block mask: \(i.stdout)")
                #expect(ipamIP["interface"] == nil && i.json["interfaces"] == nil)
                #expect(ipamIP["version"] as? String == (version == "1.0.0" ? nil : "4"))
                let id = try lab.run("calico-ipam", "DEL", containerID: "ipam1", netns: netns, conf: conf)
                #expect(id.status == 0, "\(id.summary)")
            }
            let v = try lab.run("VERSION", containerID: "", netns: "", conf: "")
            #expect(v.json["supportedVersions"] as? [String] == ["0.3.0", "0.3.1", "0.4.0", "1.0.0"])
            let left = try await lab.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(left)")
        }
    }

    @Test("DEL is idempotent: twice, after the namespace is gone, for a container never added, without CNI_NETNS")
    func delIsIdempotent() async throws {
        try await withLab("del") { lab in
            let netns = try lab.container("c1")
            _ = try lab.add("delme1", netns: netns)
            for _ in 0..<2 {
                let d = try lab.run("DEL", containerID: "delme1", netns: netns)
                #expect(d.status == 0, "\(d.summary)")
            }
            _ = try lab.add("delme2", netns: netns)
            lab.deleteNamespace("c1")
            let gone = try lab.run("DEL", containerID: "delme2", netns: netns)
            #expect(gone.status == 0, "\(gone.summary)")
            let never = try lab.run("DEL", containerID: "nevercreated", netns: "/var/run/netns/\(lab.prefix)-nothere")
            #expect(never.status == 0, "\(never.summary)")
            let noNetns = try lab.run("DEL", containerID: "nevercreated", netns: "")
            #expect(noNetns.status == 0, "\(noNetns.summary)")
            let ipamDel = try lab.run("calico-ipam", "DEL", containerID: "nevercreated", netns: "")
            #expect(ipamDel.status == 0, "\(ipamDel.summary)")
            let left = try await lab.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(left)")
            #expect(try lab.nodeLeftovers().links.isEmpty)
        }
    }

    @Test("CHECK passes after ADD and names what is missing when the network is broken")
    func check() async throws {
        try await withLab("check") { lab in
            let netns = try lab.container("c1")
            let r = try lab.add("check1", netns: netns)
            let prev = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
            let withPrev = lab.netconf(extra: ["prevResult": prev])
            let ok = try lab.run("CHECK", containerID: "check1", netns: netns, conf: withPrev)
            #expect(ok.status == 0 && ok.stdout.isEmpty, "\(ok.summary)")
            let ipamOK = try lab.run("calico-ipam", "CHECK", containerID: "check1", netns: netns, conf: withPrev)
            #expect(ipamOK.status == 0, "\(ipamOK.summary)")

            let old = try lab.run("CHECK", containerID: "check1", netns: netns, conf: lab.netconf(version: "0.3.1"))
            #expect(old.status != 0 && old.code == 1, "\(old.summary)")

            try lab.net.ip(["route", "del", "default"], in: lab.containerNamespace("c1"))
            let broken = try lab.run("CHECK", containerID: "check1", netns: netns, conf: withPrev)
            #expect(broken.status != 0 && broken.code == 103, "\(broken.summary)")
            #expect(broken.msg.contains("default route via 169.254.1.1"), "\(broken.msg)")

            _ = try lab.run("DEL", containerID: "check1", netns: netns)
            let after = try lab.run("CHECK", containerID: "check1", netns: netns, conf: withPrev)
            #expect(after.status != 0 && after.code == 103, "\(after.summary)")
            #expect(after.msg.contains("does not exist"), "\(after.msg)")
            let ipamAfter = try lab.run("calico-ipam", "CHECK", containerID: "check1", netns: netns, conf: withPrev)
            #expect(ipamAfter.status != 0 && ipamAfter.code == 103, "\(ipamAfter.summary)")
        }
    }

    @Test("calico-ipam alone: IP= assigns that address; DEL releases by handle")
    func ipamSpecificAddress() async throws {
        try await withLab("ipam") { lab in
            let r = try lab.run("calico-ipam", "ADD", containerID: "fixed1", netns: "/var/run/netns/unused",
                                args: "IgnoreUnknown=1;IP=10.244.7.9")
            #expect(r.status == 0 && r.ips == ["10.244.7.9/32"], "\(r.summary)")
            let taken = try lab.run("calico-ipam", "ADD", containerID: "fixed2", netns: "/var/run/netns/unused", args: "IP=10.244.7.9")
            #expect(taken.status != 0 && taken.code == 100 && taken.msg.contains("already assigned"), "\(taken.summary)")
            let ds = try lab.datastore()
            #expect(try await IPAMClient(datastore: ds).ipsByHandle("testnet.fixed1") == [IPAddress("10.244.7.9")!])
            _ = try lab.run("calico-ipam", "DEL", containerID: "fixed1", netns: "")

            // The calico plugin honours IP= too; the lock file's directory is made when missing.
            let lockDir = lab.dir + "/run/calico"
            let conf = lab.netconf(extra: ["ipam_lock_file": lockDir + "/ipam.lock"])
            let netns = try lab.container("c1")
            let fixed = try lab.run("ADD", containerID: "fixed3", netns: netns, args: "IP=10.244.8.8", conf: conf)
            #expect(fixed.status == 0 && fixed.ips == ["10.244.8.8/32"], "\(fixed.summary)")
            #expect(FileManager.default.fileExists(atPath: lockDir + "/ipam.lock"))
            _ = try lab.run("DEL", containerID: "fixed3", netns: netns, args: "IP=10.244.8.8", conf: conf)
            let left = try await lab.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty, "\(left)")
        }
    }

    @Test("a pod's new sandbox survives DEL of its old one (same endpoint name, other container)")
    func staleSandboxDel() async throws {
        try await withLab("stale") { lab in
            let old = try lab.container("old")
            let new = try lab.container("new")
            let args = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=db-1"
            let a = try lab.add("sandboxold", netns: old, args: args)
            let b = try lab.add("sandboxnew", netns: new, args: args)
            #expect(a.firstIP != b.firstIP)
            let d = try lab.run("DEL", containerID: "sandboxold", netns: old, args: args)
            #expect(d.status == 0, "\(d.summary)")
            let ds = try lab.datastore()
            let wep = try await ds.get(Self.wepKind, namespace: "default", name: "node1-k8s-db--1-eth0").resource as? WorkloadEndpoint
            #expect(wep?.spec.containerID == "sandboxnew")
            let veth = Identifiers.hostVethName(namespace: "default", pod: "db-1", containerID: "sandboxnew", ifname: "eth0")
            #expect(try lab.net.link(veth, in: lab.nodeNamespace) != nil)
            let ipam = IPAMClient(datastore: ds)
            #expect(try await ipam.ipsByHandle("testnet.sandboxold").isEmpty)
            #expect(try await ipam.ipsByHandle("testnet.sandboxnew") == [IPAddress(b.firstIP)!])
            let check = try lab.run("CHECK", containerID: "sandboxnew", netns: new, args: args)
            #expect(check.status == 0, "\(check.summary)")
        }
    }
}
