import CalicoAPI
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing
@testable import CalicoCNI

/// The `calico` plugin in-process on the in-memory network (`MemoryNetwork`): what ADD builds,
/// what DEL removes and what a failure part-way leaves, as state of the model. No root, no
/// kernel; the datastore is a real embedded store in a temp dir. (The kernel tests prove the
/// same against iproute2; these cover the paths a kernel makes hard to reach.)
@Suite("CNI plugin on the in-memory network")
struct MemoryNetworkCNITests {
    /// A workspace with pools, a model network with one container namespace, and plugin runs.
    final class Host: Sendable {
        let workspace: CNIWorkspace
        let net = MemoryNetwork()
        let netns: String
        var container: NetworkNamespace { .path(netns) }

        init(_ tag: String) async throws {
            workspace = try CNIWorkspace(prefix: "cnim-\(getpid())-\(tag)")
            try await workspace.createPool("10.244.0.0/16")
            netns = "/var/run/netns/\(workspace.prefix)-c1"
            net.addNamespace(path: netns)
        }

        deinit { workspace.removeDirectory() }

        /// Runs `calico` as the binary would, with its log off.
        func run(_ command: String, containerID: String = "cid1", conf: String? = nil) async -> PluginRun {
            let env = workspace.environment(command, containerID: containerID, netns: netns)
            let stdin = Data((conf ?? workspace.netconf(extra: ["log_level": "none"])).utf8)
            let outcome = await CNIPlugin.run(.calico, environment: env, stdin: { stdin }, net: net)
            return PluginRun(status: outcome.exitCode, stdout: outcome.stdout, stderr: "")
        }

        /// Everything the plugin could have left: links, routes and addresses in both namespaces,
        /// the datastore's addresses, handles and endpoints.
        func expectNothingLeft(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(try net.links(in: .current).map(\.name) == ["lo"], "\(what): host links", sourceLocation: sourceLocation)
            #expect(try net.routes(family: 4, in: .current).isEmpty && net.routes(family: 6, in: .current).isEmpty,
                    "\(what): host routes", sourceLocation: sourceLocation)
            #expect(try net.links(in: container).map(\.name) == ["lo"], "\(what): container links", sourceLocation: sourceLocation)
            let left = try await workspace.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(what): \(left)", sourceLocation: sourceLocation)
        }
    }

    static func hostInterface(_ r: PluginRun) -> String {
        (r.json["interfaces"] as? [[String: Any]])?.first?["name"] as? String ?? ""
    }

    @Test("ADD builds the veth, addresses, routes and sysctls as upstream; CHECK sees a missing route; DEL removes it all")
    func addCheckDel() async throws {
        let host = try await Host("add")
        let net = host.net
        let add = await host.run("ADD")
        try #require(add.status == 0, "\(add.summary)")
        let ip = add.firstIP
        let veth = Self.hostInterface(add)
        #expect(IPNet("10.244.0.0/16")!.contains(IPAddress(ip) ?? IPAddress("0.0.0.0")!), "\(ip)")

        let hostSide = try #require(try net.link(veth, in: .current))
        #expect(hostSide.mac == "ee:ee:ee:ee:ee:ee" && hostSide.isUp && hostSide.mtu == 1450 && hostSide.kind == "veth")
        #expect(net.peer(of: veth, in: .current).map { "\($0.namespace) \($0.name)" } == "\(host.netns) eth0")
        let inner = try #require(try net.link("eth0", in: host.container))
        #expect(inner.isUp && inner.mtu == 1450)
        #expect((add.json["interfaces"] as? [[String: Any]])?.last?["mac"] as? String == inner.mac)
        #expect(try net.addresses(of: "eth0", in: host.container).filter { $0.family == 4 }.map(\.description) == ["\(ip)/32"])
        #expect(try net.routes(in: host.container).map(\.description) == ["default via 169.254.1.1 dev eth0", "169.254.1.1 dev eth0 scope link"])
        #expect(try net.routes(in: .current).map(\.description) == ["\(ip) dev \(veth) scope link"])
        for (key, want) in [("net/ipv4/conf/\(veth)/proxy_arp", "1"), ("net/ipv4/conf/\(veth)/forwarding", "1"),
                            ("net/ipv4/conf/\(veth)/route_localnet", "1"), ("net/ipv4/neigh/\(veth)/proxy_delay", "0"),
                            ("net/ipv6/conf/\(veth)/accept_ra", "0")] {
            #expect(try net.sysctl(key, in: .current) == want, "\(key)")
        }
        #expect(try await host.workspace.leftovers().endpoints.count == 1)

        #expect(await host.run("CHECK").status == 0)
        try net.ip(["route", "del", "default"], in: host.container)
        let broken = await host.run("CHECK")
        #expect(broken.status == 1 && broken.code == CNIError.checkFailed && broken.msg.contains("lacks the default route"), "\(broken.summary)")

        let del = await host.run("DEL")
        #expect(del.status == 0, "\(del.summary)")
        try await host.expectNothingLeft("after DEL")
        #expect(throws: CommandError.self) { try net.sysctl("net/ipv4/conf/\(veth)/proxy_arp", in: .current) }
        #expect(await host.run("DEL").status == 0, "a second DEL")
    }

    @Test("dual stack: the IPv6 address, the default route through the host side's link-local address, IPv6 sysctls")
    func dualStack() async throws {
        let host = try await Host("dual")
        try await host.workspace.createPool("fd00:10:244::/48", name: "pool6")
        let conf = host.workspace.netconf(ipam: ["assign_ipv6": "true"], extra: ["log_level": "none"])
        let add = await host.run("ADD", conf: conf)
        try #require(add.status == 0, "\(add.summary)")
        let veth = Self.hostInterface(add)
        let v6 = try #require(add.ips.first { $0.contains(":") })
        let linkLocal = try #require(try host.net.ipv6LinkLocal(of: veth, in: .current))
        #expect(try host.net.addresses(of: "eth0", in: host.container).map(\.description).contains(v6))
        #expect(try host.net.routes(family: 6, in: host.container).contains { $0.destination == "default" && $0.gateway == linkLocal })
        #expect(try host.net.routes(family: 6, in: .current).contains { $0.normalizedDestination == v6 && $0.device == veth })
        for (key, want) in [("accept_dad", "0"), ("proxy_ndp", "1"), ("forwarding", "1")] {
            #expect(try host.net.sysctl("net/ipv6/conf/\(veth)/\(key)", in: .current) == want, "\(key)")
        }
        #expect(try host.net.sysctl("net/ipv6/conf/eth0/accept_dad", in: host.container) == "0", "no DAD on the pod's side either")
        #expect(await host.run("CHECK", conf: conf).status == 0)
        #expect(await host.run("DEL", conf: conf).status == 0)
        try await host.expectNothingLeft("after DEL")
    }

    /// Where ADD can fail after it has changed something: making the veth, the host route in
    /// the same batch, a host sysctl, the container's address and its default route.
    static let failurePoints: [(text: String, inContainer: Bool)] = [
        ("link add", false), ("route add 10.244.", false), ("proxy_arp", false), ("addr add", true), ("route add default", true),
    ]

    @Test("a command failing part-way through ADD leaves nothing behind, and the next ADD works", arguments: 0..<5)
    func failurePartWay(point: Int) async throws {
        let (text, inContainer) = Self.failurePoints[point]
        let host = try await Host("fail\(point)")
        host.net.failCommand(containing: text, in: inContainer ? host.container : .current)
        let add = await host.run("ADD")
        #expect(add.status == 1 && add.code == CNIError.dataplaneFailure && add.msg.contains("Operation not permitted"),
                "failing \(text): \(add.summary)")
        try await host.expectNothingLeft("after a failed `\(text)`")
        #expect(await host.run("ADD").status == 0, "ADD after the failure")
        #expect(await host.run("DEL").status == 0)
        try await host.expectNothingLeft("after DEL")
    }

    @Test("DEL after the runtime removed the container's namespace releases everything")
    func delWithoutNamespace() async throws {
        let host = try await Host("gone")
        try #require(await host.run("ADD").status == 0)
        host.net.removeNamespace(path: host.netns)
        #expect(try host.net.links(in: .current).map(\.name) == ["lo"], "the host side goes with its peer's namespace")
        let del = await host.run("DEL")
        #expect(del.status == 0, "\(del.summary)")
        let left = try await host.workspace.leftovers()
        #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(left)")
    }
}
