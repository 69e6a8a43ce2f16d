import FelixCalc
import Testing
@testable import FelixDataplane

@Suite struct RuleRenderingTests {
    let r4 = RuleRenderer(family: .v4, settings: FelixSettings())
    let r6 = RuleRenderer(family: .v6, settings: FelixSettings())

    @Test func allowWithPortsAndNets() {
        var rule = ParsedRule(action: "allow")
        rule.protocol = "tcp"
        rule.srcNets = ["10.0.0.0/8", "10.1.0.0/16", "fd00::/8"]
        rule.dstPorts = ["80", "90:100", "95", "101"]
        #expect(r4.render(rule) == ["meta l4proto 6 ip saddr 10.0.0.0/8 th dport { 80, 90-101 } meta mark set meta mark | 0x00010000 return"])
        #expect(r6.render(rule) == ["meta l4proto 6 ip6 saddr fd00::/8 th dport { 80, 90-101 } meta mark set meta mark | 0x00010000 return"])
    }

    @Test func ruleThatCannotMatchInAFamilyIsDropped() {
        var rule = ParsedRule(action: "deny")
        rule.dstNets = ["fd00::/64"]
        #expect(r4.render(rule).isEmpty)
        var v6only = ParsedRule(action: "allow")
        v6only.ipVersion = 6
        #expect(r4.render(v6only).isEmpty)
        var icmp = ParsedRule(action: "allow")
        icmp.protocol = "icmp"
        #expect(r6.render(icmp).isEmpty)
        #expect(r4.render(icmp) == ["meta l4proto 1 meta mark set meta mark | 0x00010000 return"])
    }

    @Test func namedPortsAndNumericPortsAreAlternatives() {
        var rule = ParsedRule(action: "allow")
        rule.protocol = "tcp"
        rule.dstPorts = ["443"]
        rule.dstNamedPortIPSetIDs = ["n:abc"]
        let out = r4.render(rule)
        #expect(out.count == 2)
        #expect(out[0].contains("th dport 443"))
        #expect(out[1].contains("ip daddr . meta l4proto . th dport @cali40n-abc"))
    }

    @Test func negatedICMPTypeAndCode() {
        var rule = ParsedRule(action: "deny")
        rule.protocol = "icmp"
        rule.notICMPType = 8
        rule.notICMPCode = 0
        let out = r4.render(rule)
        #expect(out.count == 2)
        #expect(out[0].contains("icmp type != 8"))
        #expect(out[1].contains("icmp type 8 icmp code != 0"))
    }

    @Test func selectorsBecomeSetMatchesAndDenyDrops() {
        var rule = ParsedRule(action: "deny")
        rule.srcIPSetIDs = ["s:1"]
        rule.notDstIPSetIDs = ["s:2"]
        #expect(r4.render(rule) == ["ip saddr @cali40s-1 ip daddr != @cali40s-2 meta mark set meta mark | 0x00040000 drop"])
        var s = FelixSettings()
        s.filterDenyAction = "REJECT"
        #expect(RuleRenderer(family: .v4, settings: s).render(ParsedRule(action: "deny")) == ["meta mark set meta mark | 0x00040000 reject"])
    }

    @Test func logAndPass() {
        #expect(r4.render(ParsedRule(action: "log")) == ["log prefix \"calico-packet: \" level notice"])
        #expect(r4.render(ParsedRule(action: "next-tier")) == ["meta mark set meta mark | 0x00020000 return"])
    }
}

@Suite struct EndpointChainTests {
    func policy(staged: Bool = false) -> ActivePolicy {
        ActivePolicy(namespace: nil, inbound: [], outbound: [], untracked: false, preDNAT: false, staged: staged, originalSelector: "all()")
    }

    @Test func tiersPassAndEndOfTierDrop() {
        let a = PolicyID(tier: "security", name: "security.a"), b = PolicyID(tier: "default", name: "default.b"), s = PolicyID(tier: "default", name: "staged:default.s")
        let r = EndpointRenderer(settings: FelixSettings(), activePolicies: [a: policy(), b: policy(), s: policy(staged: true)])
        let tiers = [TierInfo(name: "security", ingressPolicies: [a], egressPolicies: [], defaultAction: "Pass"),
                     TierInfo(name: "default", ingressPolicies: [s, b], egressPolicies: [], defaultAction: "Deny")]
        let c = r.chain(name: "filter-cali-tw-x", tiers: tiers, profiles: ["kns.a"], direction: .ingress, flavour: .normal, isWorkload: true, failsafe: nil)
        let text = c.rules.joined(separator: "\n")
        #expect(text.contains("jump filter-cali-pi-security/security.a"))
        #expect(!text.contains("staged"))
        // security tier passes by default: exactly one end-of-tier drop (default tier), plus the final one.
        #expect(c.rules.filter { $0.hasSuffix("0x00040000 drop") }.count == 2)
        #expect(c.rules.last == "meta mark set meta mark | 0x00040000 drop")
        #expect(text.contains("jump filter-cali-pri-kns.a"))
        // Egress has no policies: straight to profiles.
        let e = r.chain(name: "filter-cali-fw-x", tiers: tiers, profiles: [], direction: .egress, flavour: .normal, isWorkload: true, failsafe: nil)
        #expect(!e.rules.contains { $0.contains("cali-po-") })
    }

    @Test func forwardChainWithoutPoliciesAllows() {
        let r = EndpointRenderer(settings: FelixSettings(), activePolicies: [:])
        let c = r.chain(name: "f", tiers: [], profiles: [], direction: .ingress, flavour: .forward, isWorkload: false, failsafe: nil)
        #expect(c.rules.last == "meta mark set meta mark | 0x00010000 return")
    }
}

@Suite struct TransactionTests {
    func ruleset() -> NftRuleset {
        var r = NftRuleset()
        r.chains["filter-a"] = NftChain(name: "filter-a", rules: ["accept"])
        r.sets["cali40s-x"] = NftSet(name: "cali40s-x", kind: .net, members: ["10.0.0.1/32", "10.0.1.0/24"])
        r.maps["m"] = ["cali1": "goto filter-a"]
        return r
    }

    func kernel(of r: NftRuleset) -> KernelTable {
        var k = KernelTable()
        k.exists = true
        k.chains = r.chains.mapValues(\.ruleHashes)
        k.sets = r.sets.mapValues(\.members)
        k.maps = r.maps
        return k
    }

    @Test func nothingToDoWhenTheKernelMatches() {
        let r = ruleset()
        #expect(NftScript(family: .v4).transaction(from: kernel(of: r), to: r).isEmpty)
    }

    @Test func freshTableIsCreatedInDependencyOrder() {
        let cmds = NftScript(family: .v4).transaction(from: KernelTable(), to: ruleset())
        #expect(cmds.first == "add table ip calico")
        let set = cmds.firstIndex { $0.hasPrefix("add set") }!, chain = cmds.firstIndex { $0.hasPrefix("add chain") }!
        let rule = cmds.firstIndex { $0.hasPrefix("add rule") }!, elem = cmds.lastIndex { $0.hasPrefix("add element ip calico m") }!
        #expect(set < rule && chain < rule && rule < elem)
        #expect(cmds.contains("add rule ip calico filter-a accept comment \"cali:\(ruleset().chains["filter-a"]!.ruleHashes[0])\""))
    }

    @Test func onlyDifferencesAreWrittenAndStaleObjectsGo() {
        var k = kernel(of: ruleset())
        k.chains["filter-old"] = ["abc"]
        k.sets["cali40s-old"] = []
        k.sets["cali40s-x"] = ["10.0.0.1/32", "10.9.9.9/32"]
        k.maps["m"] = ["cali1": "goto filter-a", "cali2": "goto filter-old"]
        let cmds = NftScript(family: .v4).transaction(from: k, to: ruleset())
        #expect(cmds == [
            "delete element ip calico m { \"cali2\" }",
            "flush chain ip calico filter-old",
            "delete element ip calico cali40s-x { 10.9.9.9/32 }",
            "add element ip calico cali40s-x { 10.0.1.0/24 }",
            "delete chain ip calico filter-old",
            "delete set ip calico cali40s-old",
        ])
    }

    @Test func kernelListingIsReadBack() throws {
        let json = """
            {"nftables": [{"metainfo": {}}, {"table": {"family": "ip", "name": "calico"}},
             {"set": {"family": "ip", "name": "cali40s-x", "table": "calico", "type": "ipv4_addr", "flags": ["interval"],
               "elem": ["10.0.0.1", {"prefix": {"addr": "10.0.1.0", "len": 24}}]}},
             {"set": {"family": "ip", "name": "cali40n-y", "table": "calico", "type": ["ipv4_addr", "inet_proto", "inet_service"],
               "elem": [{"concat": ["10.0.0.1", "tcp", 8080]}]}},
             {"map": {"family": "ip", "name": "m", "table": "calico", "type": "ifname", "map": "verdict",
               "elem": [["cali1", {"goto": {"target": "filter-a"}}]]}},
             {"chain": {"family": "ip", "table": "calico", "name": "filter-a", "handle": 1}},
             {"rule": {"family": "ip", "table": "calico", "chain": "filter-a", "handle": 2, "comment": "cali:0123456789abcdef", "expr": []}},
             {"rule": {"family": "ip", "table": "calico", "chain": "filter-a", "handle": 3, "expr": []}}]}
            """
        let k = try KernelTable.parse(json: json)
        #expect(k.exists)
        #expect(k.sets["cali40s-x"] == ["10.0.0.1/32", "10.0.1.0/24"])
        #expect(k.sets["cali40n-y"] == ["10.0.0.1,tcp:8080"])
        #expect(k.maps["m"] == ["cali1": "goto filter-a"])
        #expect(k.chains["filter-a"] == ["0123456789abcdef", ""])
        #expect(try KernelTable.parse(json: "") == KernelTable())
    }
}

@Suite struct SettingsTests {
    @Test func precedenceDatastoreThenFileThenEnvironment() {
        let s = FelixSettings(layers: [
            ["defaultEndpointToHostAction": "Accept", "healthPort": "9100", "logPrefix": "ds"],
            ConfigSources.file("[global]\nHealthPort = 9200\n# comment\n"),
            ConfigSources.environment(["FELIX_HEALTHPORT": "9300", "PATH": "/bin", "FELIX_LOGPREFIX": ""]),
        ])
        #expect(s.defaultEndpointToHostAction == "ACCEPT")
        #expect(s.healthPort == 9300)
        #expect(s.logPrefix == "ds")  // empty env value = unset
    }

    @Test func failsafePortsInBothForms() {
        let env = FelixSettings(layers: [["failsafeInboundHostPorts": "tcp:22,udp:68,tcp:10.0.0.0/8:80"]])
        #expect(env.failsafeInbound == [FailsafePort(proto: "tcp", port: 22, net: nil), FailsafePort(proto: "udp", port: 68, net: nil),
                                        FailsafePort(proto: "tcp", port: 80, net: "10.0.0.0/8")])
        let ds = FelixSettings(layers: [["failsafeinboundhostports": #"[{"protocol":"TCP","port":2222}]"#]])
        #expect(ds.failsafeInbound == [FailsafePort(proto: "tcp", port: 2222, net: nil)])
        #expect(FelixSettings(layers: [["failsafeoutboundhostports": "none"]]).failsafeOutbound.isEmpty)
    }

    @Test func badValuesKeepTheDefaultAndAreReported() {
        let s = FelixSettings(layers: [["healthPort": "99999", "defaultEndpointToHostAction": "Maybe", "nftablesRefreshInterval": "1m30s"]])
        #expect(s.healthPort == 9099)
        #expect(s.defaultEndpointToHostAction == "DROP")
        #expect(s.refreshInterval == 90)
        #expect(s.problems.count == 2)
    }
}

@Suite struct RouteCommandTests {
    @Test func addsMissingRemovesStaleLeavesOthers() {
        let current = [RouteInfoFixture.route("10.244.0.5", "cali1"), RouteInfoFixture.route("10.244.0.9", "cali9"), RouteInfoFixture.route("10.0.0.0/8", "eth0"),
                       RouteInfoFixture.route("fe80::/64", "cali1"), RouteInfoFixture.route("fd00::5", "cali9")]
        let cmds = RouteManager.commands(current: current, wanted: ["10.244.0.5/32": "cali1", "10.244.0.6/32": "cali2", "10.244.0.7/32": "cali3"],
                                         links: ["cali1", "cali2"], ours: RouteManager(interfacePrefixes: ["cali"]).ours)
        #expect(cmds == [["route", "del", "10.244.0.9/32", "dev", "cali9"], ["route", "del", "fd00::5/128", "dev", "cali9"],
                         ["route", "replace", "10.244.0.6/32", "dev", "cali2", "scope", "link"]])
    }
}
