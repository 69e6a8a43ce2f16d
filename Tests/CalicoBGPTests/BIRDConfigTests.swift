import CalicoAPI
import Foundation
import Testing
@testable import CalicoBGP

func node(_ name: String, _ v4: String?, v6: String? = nil, asNumber: UInt32? = nil, cluster: String? = nil, labels: [String: String] = [:]) -> Node {
    var n = Node(metadata: ObjectMeta(name: name))
    n.metadata.labels = labels.isEmpty ? nil : labels
    var bgp = NodeBGPSpec(ipv4Address: v4, ipv6Address: v6)
    bgp.asNumber = asNumber.map(ASNumber.init)
    bgp.routeReflectorClusterID = cluster
    n.spec.bgp = bgp
    return n
}

func pool(_ cidr: String, vxlan: String = "Never", export: Bool = true) -> IPPool {
    var p = IPPool(metadata: ObjectMeta(name: "pool-\(cidr.prefix(6))"), spec: IPPoolSpec(cidr: cidr))
    p.spec.vxlanMode = vxlan
    p.spec.disableBGPExport = !export
    return p
}

func peer(_ name: String, _ configure: (inout BGPPeerSpec) -> Void) -> BGPPeer {
    var s = BGPPeerSpec()
    configure(&s)
    return BGPPeer(metadata: ObjectMeta(name: name), spec: s)
}

@Suite struct BGPPeerTests {
    let three = [node("node1", "198.51.100.1/25"), node("node2", "198.51.100.130/25"), node("node3", "198.51.100.3/25")]

    @Test("Full mesh: every other node, passive towards a higher address (string order), source address ours")
    func mesh() {
        let peers = BGPPeerCalculator(BGPInputs(hostname: "node1", nodes: three), family: .v4).peers().peers
        #expect(peers.map(\.name) == ["Mesh_198_51_100_130", "Mesh_198_51_100_3"])
        #expect(peers.allSatisfy { $0.passive && $0.sourceAddress == "198.51.100.1" && $0.asNumber == ASNumber(64512) })
        let fromNode3 = BGPPeerCalculator(BGPInputs(hostname: "node3", nodes: three), family: .v4).peers().peers
        #expect(fromNode3.map(\.passive) == [false, false], "\"198.51.100.1\" and \"198.51.100.130\" sort before \"198.51.100.3\"")
        #expect(BGPPeerCalculator(BGPInputs(hostname: "node1", nodes: three), family: .v6).peers().peers.isEmpty, "no IPv6 address, no IPv6 sessions")
    }

    @Test("Route reflector: mesh off, clients peer with the reflector by selector and it peers back as an RR")
    func routeReflector() {
        var nodes = three
        nodes[0] = node("node1", "198.51.100.1/25", cluster: "244.0.0.1", labels: ["rr": "yes"])
        var off = BGPConfiguration(metadata: ObjectMeta(name: "default"))
        off.spec.nodeToNodeMeshEnabled = false
        let toRR = peer("to-rr") { $0.nodeSelector = "all()"; $0.peerSelector = "rr == 'yes'" }
        let client = BGPPeerCalculator(BGPInputs(hostname: "node2", nodes: nodes, configurations: [off], peers: [toRR]), family: .v4).peers().peers
        #expect(client.map(\.name) == ["Node_198_51_100_1"])
        #expect(client.first?.rrClient == false)
        let rr = BGPPeerCalculator(BGPInputs(hostname: "node1", nodes: nodes, configurations: [off], peers: [toRR]), family: .v4).peers().peers
        #expect(Set(rr.map(\.name)) == ["Node_198_51_100_130", "Node_198_51_100_3"])
        #expect(rr.allSatisfy { $0.rrClient }, "the reflector treats its clients as rr clients")
    }

    @Test("A peer with localASNumber, eBGP, a port; names first come first served")
    func localAS() {
        let tor = peer("tor") { $0.node = "node1"; $0.peerIP = "198.51.100.126:1790"; $0.asNumber = ASNumber(65000); $0.localASNumber = ASNumber(65100) }
        let dup = peer("dup") { $0.node = "node1"; $0.peerIP = "198.51.100.126:1790"; $0.asNumber = ASNumber(65001) }
        let (peers, problems) = BGPPeerCalculator(BGPInputs(hostname: "node1", nodes: three, peers: [tor, dup]), family: .v4).peers()
        let p = peers.first { $0.kind == .node }
        #expect(p?.name == "Node_198_51_100_126_port_1790")
        #expect(p?.localAS == ASNumber(65100) && p?.asNumber == ASNumber(65000))
        #expect(problems.count == 1 && problems[0].contains("BGPPeer dup"))
        #expect(BGPPeerCalculator(BGPInputs(hostname: "node2", nodes: three, peers: [tor]), family: .v4).peers().peers.allSatisfy { $0.kind == .mesh },
                "node2 is not selected")
    }

    @Test("Passwords from secrets: a peer's and the mesh's; unreadable or unrenderable ones are problems and leave the session without")
    func passwords() {
        func ref(_ name: String, _ key: String) -> SecretSource { SecretSource(secretKeyRef: SecretKeyRef(name: name, key: key)) }
        let tor = peer("tor") { $0.node = "node1"; $0.peerIP = "198.51.100.126"; $0.asNumber = ASNumber(65000); $0.password = ref("bgp", "tor") }
        let lost = peer("lost") { $0.node = "node1"; $0.peerIP = "198.51.100.125"; $0.asNumber = ASNumber(65000); $0.password = ref("bgp", "nope") }
        let quote = peer("quote") { $0.node = "node1"; $0.peerIP = "198.51.100.124"; $0.asNumber = ASNumber(65000); $0.password = ref("bgp", "q") }
        var cfg = BGPConfiguration(metadata: ObjectMeta(name: "default"))
        cfg.spec.nodeMeshPassword = ref("bgp", "mesh")
        let inputs = BGPInputs(hostname: "node1", nodes: three, configurations: [cfg], peers: [tor, lost, quote],
                               secrets: ["bgp/tor": "s3cret", "bgp/mesh": "meshpw", "bgp/q": "a\"b"])
        #expect(inputs.referencedSecrets == ["bgp/mesh", "bgp/nope", "bgp/q", "bgp/tor"])
        let (peers, problems) = BGPPeerCalculator(inputs, family: .v4).peers()
        #expect(peers.filter { $0.kind == .mesh }.allSatisfy { $0.password == "meshpw" })
        #expect(peers.first { $0.address == "198.51.100.126" }?.password == "s3cret")
        #expect(peers.first { $0.address == "198.51.100.125" }.map { $0.password == nil } == true)
        #expect(peers.first { $0.address == "198.51.100.124" }.map { $0.password == nil } == true)
        #expect(problems.contains { $0.hasPrefix("BGPPeer lost: password secret bgp/nope cannot be read") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("BGPPeer quote: password secret bgp/q") && $0.contains("quote") }, "\(problems)")
        let text = BIRDConfig(inputs).render().text
        #expect(text.contains("protocol bgp Node_198_51_100_126 from bgp_template4 {\n  local as") == false)
        #expect(text.contains("  password \"s3cret\";") && text.contains("  password \"meshpw\";"))
        #expect(!text.contains("a\"b"))
        #expect(BGPPeerCalculator(BGPInputs(hostname: "node2", nodes: three, peers: [lost]), family: .v4).peers().problems.isEmpty,
                "a peer that renders no session on this node is no problem of this node's")
    }

    @Test func peerIPForms() {
        #expect(BGPPeerCalculator.parsePeerIP("10.0.0.1")! == ("10.0.0.1", nil))
        #expect(BGPPeerCalculator.parsePeerIP("10.0.0.1:1790")! == ("10.0.0.1", 1790))
        #expect(BGPPeerCalculator.parsePeerIP("[fd00::1]:179")! == ("fd00::1", 179))
        #expect(BGPPeerCalculator.parsePeerIP("fd00::1")! == ("fd00::1", nil))
        #expect(BGPPeerCalculator.parsePeerIP("10.0.0.300") == nil)
        #expect(BGPPeerCalculator.parsePeerIP("10.0.0.1:99999") == nil)
    }

    @Test func sha256() {
        let hex = SHA256.hash(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite struct BIRDConfigTests {
    static func lab() -> BGPInputs {
        let nodes = [node("node1", "198.51.100.1/25", v6: "fd00:10:244:ff0a::1/64"), node("node2", "198.51.100.130/25", v6: "fd00:10:244:ff0b::130/64"),
                     node("node3", "198.51.100.3/25")]
        let tor = peer("tor") { $0.node = "node1"; $0.peerIP = "198.51.100.126"; $0.asNumber = ASNumber(65000); $0.localASNumber = ASNumber(65100) }
        return BGPInputs(hostname: "node1", nodes: nodes, peers: [tor],
                         pools: [pool("10.244.0.0/16"), pool("10.245.0.0/16", vxlan: "Always"), pool("10.246.0.0/16", export: false), pool("fd00:10:244::/56")],
                         blocks: ["10.244.5.0/26", "fd00:10:244::3:2e4f:e4c0/122"])
    }

    @Test("What a node renders: router id, the block aggregate, pools, mesh and explicit sessions in upstream's names")
    func renders() {
        let r = BIRDConfig(Self.lab()).render()
        #expect(r.problems.isEmpty)
        let t = r.text
        for line in ["router id 198.51.100.1;", "  if ( net = 10.244.5.0/26 ) then { accept; }", "  if ( net ~ 10.244.5.0/26 ) then { reject; }",
                     "  route 10.244.5.0/26 blackhole;", "  if ( net ~ 10.245.0.0/16 ) then { reject; }", "  if ( net ~ 10.246.0.0/16 ) then { reject; }",
                     "protocol bgp Mesh_198_51_100_130 from bgp_template4 {", "protocol bgp Mesh_198_51_100_3 from bgp_template4 {",
                     "protocol bgp Node_198_51_100_126 from bgp_template4 {", "  local as 65100;", "  neighbor 198.51.100.126 as 65000;",
                     "    export filter { calico_export_to_bgp_peers4(false); reject; };",
                     "protocol bgp Mesh_fd00_10_244_ff0b__130 from bgp_template6 {", "  route fd00:10:244::3:2e4f:e4c0/122 blackhole;"] {
            #expect(t.contains(line + "\n"), "missing: \(line)")
        }
        #expect(!t.contains("Mesh_fd00_10_244_ff0a__1 "), "no session to itself")
    }

    @Test("BGPFilters: one function per filter, direction and family; sessions call them; a missing filter is a problem")
    func filters() {
        var inputs = Self.lab()
        var filter = BGPFilter(metadata: ObjectMeta(name: "edge"))
        var r = BGPFilterRule(cidr: "10.8.0.0/16", matchOperator: "In", action: "Reject")
        r.prefixLength = BGPFilterPrefixLength(min: 24)
        filter.spec.exportV4 = [r, BGPFilterRule(cidr: "10.9.0.0/16", matchOperator: "Equal", action: "Accept")]
        inputs.filters = [filter]
        inputs.peers = [peer("tor") { $0.node = "node1"; $0.peerIP = "198.51.100.126"; $0.asNumber = ASNumber(65000); $0.filters = ["edge", "gone"] }]
        let r2 = BIRDConfig(inputs).render()
        #expect(r2.text.contains("function 'bgp_edge_exportFilterV4'() {\n  if ((net ~ [ 10.8.0.0/16{24,32} ])) then { reject; }\n  if ((net = 10.9.0.0/16)) then { accept; }\n}\n"))
        #expect(r2.text.contains("    import filter { 'bgp_edge_importFilterV4'(); accept; };"))
        #expect(r2.text.contains("    export filter { 'bgp_edge_exportFilterV4'(); calico_export_to_bgp_peers4(false); reject; };"))
        #expect(r2.problems.contains { $0.contains("BGPFilter gone does not exist") })
        let long = BIRDFilters.functionName(String(repeating: "x", count: 70), .import, .v4)
        #expect(long.count == 66 && long.hasPrefix("'bgp_xxx"), "quoted, 64 characters inside: \(long)")
    }

    @Test("prefixAdvertisements: communities by name or value, standard and large, per family; the node's own list wins")
    func communities() {
        var inputs = Self.lab()
        var global = BGPConfiguration(metadata: ObjectMeta(name: "default"))
        global.spec.communities = [Community(name: "edge", value: "65001:100")]
        global.spec.prefixAdvertisements = [PrefixAdvertisement(cidr: "10.244.0.0/16", communities: ["edge", "65001:200:300"])]
        inputs.configurations = [global]
        let t = BIRDConfig(inputs).render().text
        #expect(t.contains("function apply_communities4() {\n  if ( net ~ 10.244.0.0/16 ) then { bgp_community.add((65001,100)); }\n  if ( net ~ 10.244.0.0/16 ) then { bgp_large_community.add((65001,200,300)); }\n}"))
        #expect(t.contains("function apply_communities6() {\n}"))
        var mine = BGPConfiguration(metadata: ObjectMeta(name: "node.node1"))
        mine.spec.prefixAdvertisements = [PrefixAdvertisement(cidr: "10.244.5.0/26", communities: ["65009:9"])]
        inputs.configurations.append(mine)
        let t2 = BIRDConfig(inputs).render().text
        #expect(t2.contains("  if ( net ~ 10.244.5.0/26 ) then { bgp_community.add((65009,9)); }") && !t2.contains("65001,100"))
    }

    @Test("Service IP ranges: blackholed and advertised, never programmed from peers; external ones not from an excluded node")
    func serviceRanges() {
        var inputs = Self.lab()
        var global = BGPConfiguration(metadata: ObjectMeta(name: "default"))
        global.spec.serviceClusterIPs = [ServiceIPBlock(cidr: "10.96.0.0/12")]
        global.spec.serviceExternalIPs = [ServiceIPBlock(cidr: "10.247.0.0/24")]
        global.spec.serviceLoadBalancerIPs = [ServiceIPBlock(cidr: "fd00:96::/112")]
        inputs.configurations = [global]
        let t = BIRDConfig(inputs).render().text
        for line in ["  route 10.96.0.0/12 blackhole;", "  route 10.247.0.0/24 blackhole;", "  route fd00:96::/112 blackhole;",
                     "  if ( net = 10.96.0.0/12 ) then { accept; }", "  if ( net ~ 10.96.0.0/12 ) then { reject; }", "  if ( net ~ 10.247.0.0/24 ) then { reject; }"] {
            #expect(t.contains(line + "\n"), "missing: \(line)")
        }
        inputs.nodes[0].metadata.labels = ["node.kubernetes.io/exclude-from-external-load-balancers": "true"]
        let excluded = BIRDConfig(inputs).render().text
        #expect(!excluded.contains("route 10.247.0.0/24 blackhole;") && excluded.contains("route 10.96.0.0/12 blackhole;"))
        #expect(excluded.contains("  if ( net ~ 10.247.0.0/24 ) then { reject; }"), "still never programmed from peers")
    }

    @Test("BIRD 2 accepts what we render (bird -p)")
    func birdParses() throws {
        let bird = "/usr/sbin/bird"
        try #require(FileManager.default.isExecutableFile(atPath: bird), "\(bird) is missing: install Debian's bird2 (make test does)")
        var inputs = Self.lab()
        var cfg = BGPConfiguration(metadata: ObjectMeta(name: "default"))
        cfg.spec.bindMode = "NodeIP"
        cfg.spec.listenPort = 1790
        cfg.spec.ignoredInterfaces = ["eth9"]
        cfg.spec.serviceClusterIPs = [ServiceIPBlock(cidr: "10.96.0.0/12")]
        cfg.spec.serviceLoadBalancerIPs = [ServiceIPBlock(cidr: "fd00:96::/112")]
        cfg.spec.communities = [Community(name: "edge", value: "65001:100")]
        cfg.spec.prefixAdvertisements = [PrefixAdvertisement(cidr: "10.244.0.0/16", communities: ["edge", "65001:200:300"]),
                                         PrefixAdvertisement(cidr: "fd00:10:244::/56", communities: ["65002:1"])]
        inputs.configurations = [cfg]
        var filter = BGPFilter(metadata: ObjectMeta(name: "no-10-8"))
        var r1 = BGPFilterRule(cidr: "10.8.0.0/16", matchOperator: "In", action: "Reject")
        r1.prefixLength = BGPFilterPrefixLength(min: 24)
        var r2 = BGPFilterRule(cidr: "10.9.0.0/16", matchOperator: "Equal", action: "Accept")
        r2.source = "RemotePeers"
        r2.interface = "eth*"
        filter.spec.exportV4 = [r1, r2]
        filter.spec.importV6 = [BGPFilterRule(cidr: "fd00:99::/64", matchOperator: "NotIn", action: "Reject")]
        inputs.filters = [filter, BGPFilter(metadata: ObjectMeta(name: String(repeating: "long", count: 20)))]
        inputs.peers.append(peer("filtered") { $0.peerIP = "198.51.100.201"; $0.asNumber = ASNumber(65001); $0.filters = ["no-10-8", "missing"] })
        inputs.peers.append(peer("ttl") { $0.peerIP = "198.51.100.200"; $0.asNumber = ASNumber(64512); $0.ttlSecurity = 2; $0.maxRestartTime = "2m";
                                          $0.numAllowedLocalASNumbers = 1; $0.nextHopMode = "Self"; $0.reachableBy = "198.51.100.126" })
        inputs.peers.append(peer("secret") { $0.peerIP = "198.51.100.202"; $0.asNumber = ASNumber(65002)
                                             $0.password = SecretSource(secretKeyRef: SecretKeyRef(name: "bgp", key: "p")) })
        inputs.secrets = ["bgp/p": "pa$$ w0rd\\x"]
        for (name, i) in [("plain", Self.lab()), ("options", inputs), ("empty", BGPInputs(hostname: "node1", nodes: [node("node1", "198.51.100.1/25")]))] {
            let path = NSTemporaryDirectory() + "bird-\(getpid())-\(name).conf"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try BIRDConfig(i).render().text.write(toFile: path, atomically: false, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bird)
            p.arguments = ["-p", "-c", path]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = err
            try p.run()
            p.waitUntilExit()
            let msg = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            #expect(p.terminationStatus == 0, "\(name): bird -p: \(msg)\n\(text)")
        }
    }
}
