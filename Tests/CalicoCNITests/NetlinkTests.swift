import CalicoNetlink
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The iproute2 wrapper, only ever inside namespaces the test creates (never `.current`,
/// which would be the root namespace here).
@Suite("CalicoNetlink over iproute2", .enabled(if: CNITestEnvironment.isRoot, CNITestEnvironment.rootMessage))
struct NetlinkTests {
    let net = IPRoute2()

    func withNamespaces(_ body: (NetworkNamespace, NetworkNamespace, String) throws -> Void) throws {
        let tag = UUID().uuidString.prefix(6).lowercased()
        let a = "cnit-\(getpid())-nl\(tag)-a"
        let b = "cnit-\(getpid())-nl\(tag)-b"
        try CommandRunner.check(["ip", "netns", "add", a])
        defer { _ = try? CommandRunner.run(["ip", "netns", "del", a]) }
        try CommandRunner.check(["ip", "netns", "add", b])
        defer { _ = try? CommandRunner.run(["ip", "netns", "del", b]) }
        try body(.named(a), .named(b), "/var/run/netns/\(b)")
    }

    @Test("veth into another namespace, MAC/MTU/up, addresses, routes, listings, delete")
    func linksAddressesRoutes() throws {
        try withNamespaces { a, b, bPath in
            try net.createVeth(name: "calitest0", peer: "eth0", peerNamespace: bPath, mtu: 1400, in: a)
            try net.setLink("calitest0", mac: "ee:ee:ee:ee:ee:ee", up: true, in: a)
            let host = try #require(try net.link("calitest0", in: a))
            #expect(host.mac == "ee:ee:ee:ee:ee:ee" && host.mtu == 1400 && host.isUp && host.kind == "veth")
            #expect(try net.link("eth0", in: a) == nil)
            #expect(try net.link("eth0", in: b)?.mtu == 1400)
            #expect(try net.links(in: b).map(\.name).sorted() == ["eth0", "lo"])

            try net.setLink("eth0", up: true, in: b)
            try net.addAddress("10.246.0.5/32", device: "eth0", in: b)
            #expect(try net.addresses(of: "eth0", in: b).filter { $0.family == 4 } == [AddressInfo(address: "10.246.0.5", prefixLength: 32, family: 4, scope: "global")])
            #expect(try net.addresses(of: "nothere", in: b).isEmpty)
            try net.addRoute(RouteSpec(destination: "169.254.1.1", device: "eth0", scopeLink: true), in: b)
            try net.addRoute(RouteSpec(destination: "default", device: "eth0", gateway: "169.254.1.1"), in: b)
            try net.addRoute(RouteSpec(destination: "10.246.0.5/32", device: "calitest0", scopeLink: true), in: a)
            let routes = try net.routes(in: b).map(\.description)
            #expect(routes.contains("169.254.1.1 dev eth0 scope link") && routes.contains("default via 169.254.1.1 dev eth0"), "\(routes)")
            let hostRoute = try #require(try net.routes(in: a).first { $0.device == "calitest0" })
            #expect(hostRoute.normalizedDestination == "10.246.0.5/32" && hostRoute.scope == "link")

            // A duplicate route is an error that says so, with the command and stderr.
            do {
                try net.addRoute(RouteSpec(destination: "10.246.0.5/32", device: "calitest0", scopeLink: true), in: a)
                Issue.record("duplicate route accepted")
            } catch let e as CommandError {
                #expect(e.isExists && e.command.contains("route") && e.description.contains("File exists"), "\(e)")
            }
            try net.ipBatch([["route", "del", "default"], ["route", "add", "default", "via", "169.254.1.1", "dev", "eth0"]], in: b)
            #expect(throws: CommandError.self) { try net.ipBatch([["link", "set", "dev", "nothere", "up"]], in: b) }

            #expect(try net.deleteRoute("10.246.0.5/32", device: "calitest0", in: a))
            #expect(try !net.deleteRoute("10.246.0.5/32", device: "calitest0", in: a))
            #expect(try net.deleteLink("calitest0", in: a))
            #expect(try !net.deleteLink("calitest0", in: a))
            #expect(try net.link("eth0", in: b) == nil, "the peer goes with its veth")
        }
    }

    @Test("sysctls inside a namespace given by path")
    func sysctls() throws {
        try withNamespaces { a, _, _ in
            try net.setSysctl("net/ipv4/ip_forward", "1", in: a)
            #expect(try net.sysctl("net/ipv4/ip_forward", in: a) == "1")
            try net.setSysctl("net/ipv4/ip_forward", "0", in: a)
            #expect(try net.sysctl("net/ipv4/ip_forward", in: a) == "0")
            #expect(throws: CommandError.self) { try net.setSysctl("net/ipv4/conf/nothere/proxy_arp", "1", in: a) }
        }
    }

    @Test("namespace paths: valid, missing, not a namespace, not a network namespace, our own")
    func namespaceInspector() throws {
        try withNamespaces { _, _, bPath in
            try NamespaceInspector.validate(bPath)
            #expect(throws: NamespaceProblem.missing("/var/run/netns/cnit-nothing")) { try NamespaceInspector.validate("/var/run/netns/cnit-nothing") }
            #expect(throws: NamespaceProblem.notNetwork("/proc/self/ns/uts")) { try NamespaceInspector.validate("/proc/self/ns/uts") }
            #expect(throws: NamespaceProblem.isCurrent("/proc/self/ns/net")) { try NamespaceInspector.validate("/proc/self/ns/net") }
            do {
                try NamespaceInspector.validate("/etc/hostname")
                Issue.record("a plain file passed")
            } catch let e as NamespaceProblem {
                guard case .notANamespace = e else { Issue.record("\(e)"); return }
            }
        }
    }

    @Test("command errors carry the command line and stderr; missing programs too")
    func commandErrors() throws {
        do {
            try CommandRunner.check(["ip", "link", "show", "dev", "cnit-none"])
            Issue.record("should fail")
        } catch let e as CommandError {
            #expect(e.command == ["ip", "link", "show", "dev", "cnit-none"] && e.status != 0 && e.stderr.contains("does not exist"))
        }
        #expect(throws: CommandError.self) { try CommandRunner.run(["cnit-no-such-program"]) }
        #expect(try CommandRunner.run(["cat"], input: "hello").stdout == "hello")
        #expect(NetworkNamespace.path("/p").wrap(["ip", "link"]) == ["nsenter", "--net=/p", "--", "ip", "link"])
        #expect(NetworkNamespace.current.wrap(["ip"]) == ["ip"])
    }
}
