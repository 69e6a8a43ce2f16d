import CalicoAPI
import Testing
@testable import CalicoNode

func iface(_ name: String, _ addresses: String...) -> HostInterface {
    HostInterface(name: name, addresses: addresses.map { IPNet($0)! })
}

/// A typical host: loopback, container bridges and Calico devices before the real NICs.
let typicalHost = [
    iface("lo", "127.0.0.1/8", "::1/128"),
    iface("docker0", "172.17.0.1/16"),
    iface("cali1234abcd", "169.254.1.1/32"),
    iface("tunl0", "10.244.5.1/32"),
    iface("vxlan.calico", "10.244.5.2/32"),
    iface("kube-ipvs0", "10.96.0.1/32"),
    iface("br-5f2a", "172.18.0.1/16"),
    iface("veth12", "172.19.0.1/16"),
    iface("eth0", "169.254.3.3/16", "10.0.0.5/24", "fe80::1/64", "2001:db8::5/64"),
    iface("eth1", "192.168.50.7/24", "fd00:50::7/64"),
    iface("ens5", "172.31.9.9/20"),
]

func detect(_ method: String, _ family: IPAddress.Family = .v4, on interfaces: [HostInterface] = typicalHost,
            source: IPAddress? = nil) throws -> DetectedAddress {
    try AddressAutodetector(interfaces: interfaces).detect(try AutodetectionMethod(parsing: method), family: family) { _, _ in source }
}

@Suite struct AutodetectionMethodParsingTests {
    @Test func validMethods() throws {
        #expect(try AutodetectionMethod(parsing: "") == .firstFound)
        #expect(try AutodetectionMethod(parsing: "first-found") == .firstFound)
        #expect(try AutodetectionMethod(parsing: "kubernetes-internal-ip") == .kubernetesInternalIP)
        #expect(try AutodetectionMethod(parsing: "interface=eth.*") == .interface(["eth.*"]))
        #expect(try AutodetectionMethod(parsing: "interface=eth.*, ens[0-9]+") == .interface(["eth.*", "ens[0-9]+"]))
        #expect(try AutodetectionMethod(parsing: "skip-interface=eth0,docker.*") == .skipInterface(["eth0", "docker.*"]))
        #expect(try AutodetectionMethod(parsing: "cidr=10.0.0.0/8, fd00::/8") == .cidr([IPNet("10.0.0.0/8")!, IPNet("fd00::/8")!]))
        #expect(try AutodetectionMethod(parsing: "cidr=10.1.2.3/8") == .cidr([IPNet("10.0.0.0/8")!]), "host bits are masked")
        #expect(try AutodetectionMethod(parsing: "can-reach=8.8.8.8") == .canReach("8.8.8.8"))
        #expect(try AutodetectionMethod(parsing: "can-reach=www.example.com") == .canReach("www.example.com"))
    }

    @Test(arguments: ["bogus", "first-found=1", "interface=", "interface=(eth", "skip-interface=", "cidr=", "cidr=10.0.0.0/33",
                      "cidr=10.0.0.1", "can-reach=", "Interface=eth0"])
    func invalidMethods(_ text: String) {
        #expect(throws: AutodetectionError.self) { try AutodetectionMethod(parsing: text) }
    }
}

@Suite struct AddressAutodetectorTests {
    @Test func firstFoundSkipsDefaultExclusionsAndLinkLocal() throws {
        let d = try detect("first-found")
        #expect(d == DetectedAddress(interface: "eth0", address: IPNet("10.0.0.5/24")!))
        #expect(d.address.description == "10.0.0.5/24", "host bits are kept")
    }

    @Test func emptyMethodIsFirstFound() throws {
        #expect(try detect("").address == IPNet("10.0.0.5/24")!)
    }

    @Test func firstFoundFollowsInterfaceOrder() throws {
        let hosts = [iface("eth1", "192.168.50.7/24"), iface("eth0", "10.0.0.5/24")]
        #expect(try detect("first-found", on: hosts).interface == "eth1")
    }

    @Test func firstFoundIPv6SkipsLinkLocalAndLoopback() throws {
        let d = try detect("first-found", .v6)
        #expect(d == DetectedAddress(interface: "eth0", address: IPNet("2001:db8::5/64")!))
        let ula = try detect("first-found", .v6, on: [iface("eth0", "fe80::1/64"), iface("eth1", "fd00:50::7/64")])
        #expect(ula.address == IPNet("fd00:50::7/64")!, "unique-local addresses are global unicast")
    }

    @Test func everyDefaultExclusionIsHonoured() throws {
        let excluded = ["docker0", "cbr0", "dummy0", "podman0", "virbr0", "lxcbr0", "veth9", "lo", "br-1", "cali0", "tunl0",
                        "flannel.1", "kube-ipvs0", "cni0", "vxlan.calico", "vxlan-v6.calico", "wireguard.cali", "wg-v6.cali",
                        "nodelocaldns"]
        for name in excluded {
            let hosts = [iface(name, "10.9.9.9/24"), iface("eth0", "10.0.0.5/24")]
            #expect(try detect("first-found", on: hosts).interface == "eth0", "\(name) is excluded")
        }
        // Anchored: names that merely contain an excluded word are fine.
        #expect(try detect("first-found", on: [iface("mydocker0", "10.9.9.9/24")]).interface == "mydocker0")
    }

    @Test func noUsableAddressIsAnError() {
        let hosts = [iface("lo", "127.0.0.1/8"), iface("docker0", "172.17.0.1/16"), iface("eth0", "169.254.0.9/16")]
        #expect(throws: AutodetectionError.self) { try detect("first-found", on: hosts) }
        #expect(throws: AutodetectionError.self) { try detect("first-found", .v6, on: [iface("eth0", "10.0.0.5/24", "fe80::1/64")]) }
        #expect(throws: AutodetectionError.self) { try detect("first-found", on: []) }
    }

    @Test func interfaceRegexIsUnanchoredAndIgnoresExclusions() throws {
        #expect(try detect("interface=^eth1$").address == IPNet("192.168.50.7/24")!)
        #expect(try detect("interface=ens.*").address == IPNet("172.31.9.9/20")!)
        #expect(try detect("interface=ens5,^eth.*").interface == "eth0", "first matching interface in host order")
        #expect(try detect("interface=docker0").address == IPNet("172.17.0.1/16")!, "an explicit choice wins over the exclusions")
        #expect(try detect("interface=ns5").interface == "ens5", "regexes are not anchored")
        #expect(try detect("interface=eth1").interface == "veth12", "as upstream (Go MatchString): veth12 matches eth1 and comes first")
        #expect(try detect("interface=^eth1$", .v6).address == IPNet("fd00:50::7/64")!)
        #expect(throws: AutodetectionError.self) { try detect("interface=wlan.*") }
    }

    @Test func skipInterfaceAddsToTheExclusions() throws {
        #expect(try detect("skip-interface=eth0").interface == "eth1")
        #expect(try detect("skip-interface=eth.*").interface == "ens5")
        #expect(try detect("skip-interface=eth0,eth1").address == IPNet("172.31.9.9/20")!)
        #expect(throws: AutodetectionError.self) { try detect("skip-interface=e.*") }
    }

    @Test func cidrPicksTheFirstAddressInside() throws {
        #expect(try detect("cidr=172.31.0.0/16").address == IPNet("172.31.9.9/20")!)
        #expect(try detect("cidr=192.168.0.0/16,10.0.0.0/8").address == IPNet("10.0.0.5/24")!, "interface order, not CIDR order")
        #expect(throws: AutodetectionError.self, "the default exclusions apply") { try detect("cidr=172.17.0.0/16") }
        #expect(try detect("cidr=10.0.0.0/8").interface == "eth0", "tunl0, vxlan.calico and kube-ipvs0 addresses are skipped")
        #expect(try detect("cidr=fd00::/8,10.0.0.0/8", .v6).address == IPNet("fd00:50::7/64")!, "only CIDRs of the family count")
        #expect(throws: AutodetectionError.self) { try detect("cidr=203.0.113.0/24") }
        #expect(throws: AutodetectionError.self) { try detect("cidr=10.0.0.0/8", .v6) }
    }

    @Test func canReachUsesTheKernelSourceAddress() throws {
        let d = try detect("can-reach=8.8.8.8", source: IPAddress("192.168.50.7"))
        #expect(d == DetectedAddress(interface: "eth1", address: IPNet("192.168.50.7/24")!))
        let v6 = try detect("can-reach=2001:4860::8888", .v6, source: IPAddress("2001:db8::5"))
        #expect(v6.address == IPNet("2001:db8::5/64")!)
        #expect(throws: AutodetectionError.self) { try detect("can-reach=8.8.8.8", source: nil) }
        #expect(throws: AutodetectionError.self) { try detect("can-reach=8.8.8.8", source: IPAddress("203.0.113.1")) }
    }

    @Test func canReachPassesDestinationAndFamily() throws {
        let detector = AddressAutodetector(interfaces: typicalHost)
        var asked: [(String, IPAddress.Family)] = []
        _ = try detector.detect(.canReach("peer.example"), family: .v4) { dest, family in
            asked.append((dest, family))
            return IPAddress("10.0.0.5")
        }
        #expect(asked.count == 1 && asked[0].0 == "peer.example" && asked[0].1 == .v4)
    }

    @Test func kubernetesInternalIPNeedsKubernetes() {
        #expect(throws: AutodetectionError.self) { try detect("kubernetes-internal-ip") }
    }

    @Test func globalUnicast() {
        for good in ["10.0.0.1", "192.168.1.1", "8.8.8.8", "100.64.0.1", "2001:db8::1", "fd00::1", "::ffff:10.0.0.1"] {
            #expect(AddressAutodetector.isGlobalUnicast(IPAddress(good)!), "\(good)")
        }
        for bad in ["0.0.0.0", "127.0.0.1", "127.9.9.9", "169.254.1.1", "224.0.0.1", "239.1.1.1", "255.255.255.255",
                    "::", "::1", "fe80::1", "febf::1", "ff02::1", "::ffff:127.0.0.1"] {
            #expect(!AddressAutodetector.isGlobalUnicast(IPAddress(bad)!), "\(bad)")
        }
    }

    @Test func interfaceHoldingAnAddress() {
        let d = AddressAutodetector(interfaces: typicalHost)
        #expect(d.interface(holding: IPAddress("10.0.0.5")!) == DetectedAddress(interface: "eth0", address: IPNet("10.0.0.5/24")!))
        #expect(d.interface(holding: IPAddress("10.0.0.6")!) == nil)
    }

    @Test func reportedInterfacesAreFilteredAndSorted() {
        let d = AddressAutodetector(interfaces: typicalHost + [iface("bond0")])
        let names = d.reportedInterfaces().map(\.name)
        #expect(names == ["bond0", "ens5", "eth0", "eth1"])
        #expect(d.reportedInterfaces().first { $0.name == "eth1" }?.addresses == ["192.168.50.7", "fd00:50::7"])
        #expect(d.reportedInterfaces().first { $0.name == "bond0" }?.addresses == nil)
        #expect(d.reportedInterfaces(extraExcludes: ["eth.*"]).map(\.name) == ["bond0", "ens5"])
    }
}

@Suite struct IPOutputParsingTests {
    @Test func jsonOutput() throws {
        let text = """
            [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"],"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host"}]},
             {"ifindex":2,"ifname":"ifb0","flags":["BROADCAST","NOARP"],"addr_info":[]},
             {"ifindex":4,"link_index":5,"ifname":"eth0","flags":["UP"],"addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24,"broadcast":"192.0.2.255","scope":"global"},{"family":"inet6","local":"fe80::fc:ff:fe00:1","prefixlen":64,"scope":"link"}]},
             {"ifindex":6,"ifname":"can0","addr_info":[{"family":"can"}]}]
            """
        let parsed = try LinuxHost.parseJSON(text)
        #expect(parsed == [iface("lo", "127.0.0.1/8", "::1/128"), iface("ifb0"), iface("eth0", "192.0.2.2/24", "fe80::fc:ff:fe00:1/64"), iface("can0")])
    }

    @Test func onelineOutput() {
        let text = """
            1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
            1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever
            4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever
            4: eth0    inet6 fd00::2/64 scope global nodad \\       valid_lft forever preferred_lft forever
            7: veth1@if6    inet 10.1.0.1/30 scope global veth1\\       valid_lft forever preferred_lft forever
            """
        #expect(LinuxHost.parseOneline(text) == [
            iface("lo", "127.0.0.1/8", "::1/128"), iface("eth0", "192.0.2.2/24", "fd00::2/64"), iface("veth1", "10.1.0.1/30"),
        ])
    }

    @Test func malformedJSONThrows() {
        #expect(throws: (any Error).self) { try LinuxHost.parseJSON("not json") }
    }
}
