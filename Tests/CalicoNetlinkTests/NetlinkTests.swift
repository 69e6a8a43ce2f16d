import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Where the seam's tests run: the kernel through iproute2 (as root), and the in-memory twin
/// (`MemoryNetwork`), which must behave the same for everything these tests cover.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case kernel, memory
    var testDescription: String { rawValue }
}

/// The iproute2 wrapper, only ever inside namespaces the test creates (never `.current`,
/// which would be the root namespace here), and its in-memory twin.
@Suite("CalicoNetlink over iproute2")
struct NetlinkTests {
    /// Two fresh namespaces made by the lab's `NamespaceTopology` on `backend` (the kernel
    /// needs root: without it the test fails, saying so), deleted afterwards.
    func withNamespaces(_ backend: Backend = .kernel, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: (any NetworkCommands, NetworkNamespace, NetworkNamespace, String) throws -> Void) throws {
        let net: any NetworkCommands
        switch backend {
        case .kernel:
            try RootGate.require("network namespaces and veths", sourceLocation: sourceLocation)
            net = IPRoute2()
        case .memory:
            net = MemoryNetwork()
        }
        let tag = UUID().uuidString.prefix(6).lowercased()
        let (a, b) = ("cnit-\(getpid())-nl\(tag)-a", "cnit-\(getpid())-nl\(tag)-b")
        let topology = NamespaceTopology(net: net)
        defer { topology.tearDown() }
        try topology.addNamespace(a)
        try topology.addNamespace(b)
        try body(net, .named(a), .named(b), NamespaceTopology.path(b))
    }

    @Test("veth into another namespace, MAC/MTU/up, addresses, routes, listings, delete", arguments: Backend.allCases)
    func linksAddressesRoutes(_ backend: Backend) throws {
        try withNamespaces(backend) { net, a, b, bPath in
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

    @Test("batches: output, the failing command named with its stderr and position, unbatchable words", arguments: Backend.allCases)
    func batches(_ backend: Backend) throws {
        try withNamespaces(backend) { net, a, _, _ in
            try net.setLink("lo", up: true, in: a)
            let shown = try net.ipBatch([["addr", "add", "10.246.1.1/32", "dev", "lo"], ["addr", "show", "dev", "lo"]], in: a)
            #expect(shown.contains("10.246.1.1/32"), "\(shown)")
            do {
                try net.ipBatch([["route", "add", "10.246.2.0/24", "dev", "lo"], ["route", "add", "10.246.2.0/24", "dev", "lo"],
                                 ["route", "add", "10.246.3.0/24", "dev", "lo"]], in: a)
                Issue.record("duplicate route accepted")
            } catch let e as CommandError {
                #expect(e.batchIndex == 1 && e.isExists, "\(e)")
                #expect(e.command.first == "nsenter" && e.command[1].hasPrefix("--net=/var/run/netns/") && e.command.suffix(5) == ["route", "add", "10.246.2.0/24", "dev", "lo"], "\(e.command)")
                #expect(e.description.contains("File exists") && !e.description.contains("Command failed"), "\(e)")
            }
            #expect(try !net.routes(in: a).contains { $0.destination == "10.246.3.0/24" }, "the batch stops at the failure")
            // A word `ip -batch` would split or cut (a comment sign): the commands run one by one.
            do {
                try net.ipBatch([["link", "show", "dev", "lo"], ["link", "show", "dev", "no#such"]], in: a)
                Issue.record("a missing device was found")
            } catch let e as CommandError {
                #expect(e.batchIndex == 1 && e.command.last == "no#such", "\(e)")
            }
        }
    }

    @Test("link existence and IPv6 link-local addresses without processes; namespaces that cannot be entered", arguments: Backend.allCases)
    func probes(_ backend: Backend) throws {
        try withNamespaces(backend) { net, a, b, bPath in
            #expect(try net.linkExists("lo", in: a))
            #expect(try !net.linkExists("calitest1", in: a))
            try net.createVeth(name: "calitest1", peer: "eth0", peerNamespace: bPath, in: a)
            #expect(try net.linkExists("calitest1", in: a) && !net.linkExists("calitest1", in: b) && net.linkExists("eth0", in: b))
            try net.setSysctl("net/ipv6/conf/calitest1/accept_dad", "0", in: a)
            try net.setLink("calitest1", mac: "ee:ee:ee:ee:ee:ee", up: true, in: a)
            #expect(try net.ipv6LinkLocal(of: "calitest1", in: a) == nil, "no carrier yet")
            try net.setLink("eth0", up: true, in: b)
            var ll: String?
            for _ in 0..<40 where ll == nil {
                ll = try net.ipv6LinkLocal(of: "calitest1", in: a)
                if ll == nil { Thread.sleep(forTimeInterval: 0.05) }
            }
            #expect(ll == "fe80::ecee:eeff:feee:eeee")
            let viaIP = try #require(try net.addresses(of: "calitest1", in: a).first { $0.family == 6 && $0.scope == "link" })
            #expect(viaIP.address == ll)
            #expect(try net.ipv6LinkLocal(of: "nothere", in: a) == nil)

            // Prompt deletion: once it returns, both ends and the routes through them are gone.
            try net.addRoute(RouteSpec(destination: "10.246.4.4/32", device: "calitest1", scopeLink: true), in: a)
            #expect(try net.deleteLinkPromptly("eth0", in: b))
            #expect(try !net.linkExists("eth0", in: b) && !net.linkExists("calitest1", in: a))
            #expect(try !net.routes(in: a).contains { $0.device == "calitest1" })
            #expect(try !net.deleteLinkPromptly("eth0", in: b))
            #expect(throws: CommandError.self) { try net.deleteLinkPromptly("eth0", in: .path("/var/run/netns/cnit-nothing-here")) }

            let missing = NetworkNamespace.path("/var/run/netns/cnit-nothing-here")
            do {
                try net.ip(["link", "show"], in: missing)
                Issue.record("entered a missing namespace")
            } catch let e as CommandError {
                #expect(e.status == -1 && e.isNotFound && e.command.contains("link"), "\(e)")
            }
            #expect(throws: CommandError.self) { try net.ip(["link", "show"], in: .path("/proc/self/ns/uts")) }
            #expect(throws: CommandError.self) { try net.setSysctl("net/ipv4/ip_forward", "1", in: missing) }
            // The caller's own thread never changed namespace.
            #expect(try net.linkExists("calitest1", in: .current) == false)
        }
    }

    @Test("sysctls inside a namespace given by path", arguments: Backend.allCases)
    func sysctls(_ backend: Backend) throws {
        try withNamespaces(backend) { net, a, _, _ in
            try net.setSysctl("net/ipv4/ip_forward", "1", in: a)
            #expect(try net.sysctl("net/ipv4/ip_forward", in: a) == "1")
            try net.setSysctl("net/ipv4/ip_forward", "0", in: a)
            #expect(try net.sysctl("net/ipv4/ip_forward", in: a) == "0")
            #expect(throws: CommandError.self) { try net.setSysctl("net/ipv4/conf/nothere/proxy_arp", "1", in: a) }
        }
    }

    @Test("namespace paths: valid, missing, not a namespace, not a network namespace, our own")
    func namespaceInspector() throws {
        try withNamespaces { _, _, _, bPath in
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

    /// Needs no root: nothing is changed.
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
        // Large input and output (past pipe buffers) both ways at once, stderr apart, exit status, environment.
        let big = String(repeating: "0123456789abcdef\n", count: 40_000)
        let echoed = try CommandRunner.run(["sh", "-c", "cat; echo done >&2; exit 3"], input: big)
        #expect(echoed.status == 3 && echoed.stdout == big && echoed.stderr == "done\n")
        let env = try CommandRunner.run(["sh", "-c", "echo \"$CNIT_X\""], environment: ["CNIT_X": "y z", "PATH": "/usr/bin:/bin"])
        #expect(env.stdout == "y z\n")
        #expect(try CommandRunner.run(["sh", "-c", "kill -9 $$"]).status == 9)
        // A program that does not read its stdin does not hurt us (no SIGPIPE).
        #expect(try CommandRunner.run(["true"], input: big).status == 0)
        #expect(try CommandRunner.run(["cat"], input: "").stdout == "")
        #expect(NetworkNamespace.path("/p").wrap(["ip", "link"]) == ["nsenter", "--net=/p", "--", "ip", "link"])
        #expect(NetworkNamespace.current.wrap(["ip"]) == ["ip"])
    }
}
