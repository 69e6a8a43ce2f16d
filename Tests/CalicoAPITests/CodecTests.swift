import Foundation
import Testing
@testable import CalicoAPI

func readOne(_ yaml: String) throws -> any CalicoResource {
    let items = try ResourceReader.read(yaml, source: "t.yaml")
    #expect(items.count == 1)
    return try items[0].result.get()
}

func readFailure(_ yaml: String) throws -> ResourceDecodeFailure? {
    let items = try ResourceReader.read(yaml, source: "t.yaml")
    guard case .failure(let f) = items.first?.result else { return nil }
    return f
}

/// decode → encode (YAML and JSON) → decode gives the same value.
func assertRoundTrip<T: CalicoResource>(_ resource: T) throws {
    let yaml = try ResourceWriter.yaml(resource)
    let fromYAML = try #require(try readOne(yaml) as? T, "YAML output did not read back:\n\(yaml)")
    #expect(fromYAML == resource, "YAML round trip changed the value:\n\(yaml)")
    let json = try ResourceWriter.json(resource)
    let fromJSON = try #require(try readOne(json) as? T, "JSON output did not read back:\n\(json)")
    #expect(fromJSON == resource, "JSON round trip changed the value:\n\(json)")
}

@Suite struct StrictDecodingTests {
    @Test func unknownTopLevelAndNestedFieldsAreErrors() throws {
        let f1 = try #require(try readFailure("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: t}
            spec: {order: 1}
            extra: 1
            """))
        #expect(f1.error.path == "extra")
        #expect(f1.error.reason == "field in document is not recognized or is in the wrong location: extra")
        let f2 = try #require(try readFailure("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: p, namespace: n}
            spec:
              ingress:
              - action: Allow
              - action: Allow
                destination: {ports: [80], prots: [1]}
            """))
        #expect(f2.error.path == "spec.ingress[1].destination.prots")
        #expect(f2.kind == "NetworkPolicy" && f2.name == "p")
    }

    @Test("Field names match case-insensitively, as Go's JSON decoder does: an exact match wins; map keys stay as written; unknown fields in any case are errors; output uses the canonical names")
    func caseInsensitiveFieldNames() throws {
        let tier = try #require(try readOne("""
            apiVersion: projectcalico.org/v3
            Kind: Tier
            Metadata: {Name: t, Labels: {App: x}}
            spec: {Order: 100}
            """) as? Tier)
        #expect(tier.spec.order == 100 && tier.metadata.name == "t" && tier.metadata.labels == ["App": "x"])
        let yaml = try ResourceWriter.yaml(tier)
        #expect(yaml.contains("order: 100") && !yaml.contains("Order"), "canonical names out:\n\(yaml)")

        let policy = try #require(try readOne("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: p}
            spec:
              Selector: all()
              Ingress: [{Action: Allow, Protocol: TCP, Destination: {Ports: [80]}}]
              EGRESS: [{action: Deny}]
            """) as? GlobalNetworkPolicy)
        #expect(policy.spec.ingress?.first?.action == "Allow" && policy.spec.ingress?.first?.destination?.ports?.count == 1)
        #expect(policy.spec.egress?.first?.action == "Deny" && policy.spec.selector == "all()")

        let exactWins = try #require(try readOne("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: t}
            spec: {Order: 5, order: 7}
            """) as? Tier)
        #expect(exactWins.spec.order == 7)

        let unknown = try #require(try readFailure("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: t}
            spec: {Order: 1, ORDERS: 2}
            """))
        #expect(unknown.error.path == "spec.ORDERS" && unknown.error.reason.hasSuffix("is in the wrong location: ORDERS"))
    }

    @Test func quotedNumberIsNotANumber() throws {
        let f = try #require(try readFailure("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: t}
            spec: {order: "10"}
            """))
        #expect(f.error.path == "spec.order")
    }

    @Test func plainNumberIntoStringFieldKeepsText() throws {
        let r = try #require(try readOne("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: p, namespace: n, labels: {version: 2}}
            spec: {selector: "all()"}
            """) as? NetworkPolicy)
        #expect(r.metadata.labels?["version"] == "2")
    }

    @Test func wrongTypeNamesPathAndShape() throws {
        let f = try #require(try readFailure("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: {name: s}
            spec: {nets: 10.0.0.0/8}
            """))
        #expect(f.error.path == "spec.nets")
        #expect(f.error.reason.contains("expected an array"))
    }

    @Test func duplicateKeysAreRejected() {
        #expect(throws: SyntaxError.self) {
            _ = try ResourceReader.read("""
                apiVersion: projectcalico.org/v3
                kind: Tier
                metadata: {name: a}
                metadata: {name: b}
                """)
        }
    }

    @Test func unknownKindIsAPerResourceError() throws {
        let f = try #require(try readFailure("apiVersion: projectcalico.org/v3\nkind: Banana\nmetadata: {name: x}\n"))
        #expect(f.error.reason == "Unknown resource type (Banana) and/or version (projectcalico.org/v3)")
        let g = try #require(try readFailure("apiVersion: v1\nkind: Tier\nmetadata: {name: x}\n"))
        #expect(g.error.reason.contains("Unknown resource type"))
    }

    @Test func missingSpecIsTheZeroValue() throws {
        let r = try #require(try readOne("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: s}\n") as? GlobalNetworkSet)
        #expect(r.spec == NetworkSetSpec())
    }

    @Test func crdAPIVersionIsAccepted() throws {
        let r = try readOne("apiVersion: crd.projectcalico.org/v1\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {}\n")
        #expect(r is FelixConfiguration)
    }
}

@Suite struct MultiDocumentTests {
    @Test func multipleDocumentsListsAndKindLists() throws {
        let text = """
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: a}
            ---
            - apiVersion: projectcalico.org/v3
              kind: Tier
              metadata: {name: b}
            - apiVersion: projectcalico.org/v3
              kind: GlobalNetworkSet
              metadata: {name: c}
            ---
            apiVersion: projectcalico.org/v3
            kind: TierList
            items:
            - apiVersion: projectcalico.org/v3
              kind: Tier
              metadata: {name: d}
            ---
            apiVersion: v1
            kind: List
            items:
            - apiVersion: projectcalico.org/v3
              kind: Tier
              metadata: {name: e}
            ---
            # empty document
            """
        let items = try ResourceReader.read(text, source: "m.yaml")
        let names = try items.map { try $0.result.get().name }
        #expect(names == ["a", "b", "c", "d", "e"])
        #expect(items[1].location.document == 2 && items[1].location.item == 0)
        #expect(items[2].location.item == 1)
        #expect(items[3].location.document == 3)
    }

    @Test func jsonInputAndTopLevelArray() throws {
        let text = """
            [{"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "a"}, "spec": {"order": 5.5}},
             {"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"p"},"spec":{"cidr":"10.244.0.0/16","blockSize":26}}]
            """
        let items = try ResourceReader.read(text, source: "j.json")
        let tier = try #require(try items[0].result.get() as? Tier)
        #expect(tier.spec.order == 5.5)
        let pool = try #require(try items[1].result.get() as? IPPool)
        #expect(pool.spec.blockSize == 26)
    }

    @Test func oneBadDocumentAmongManyIsReportedAlone() throws {
        var docs: [String] = []
        for i in 0..<100 {
            docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: s\(i)}\nspec: {\(i == 57 ? "netz" : "nets"): [10.0.0.\(i)]}")
        }
        let items = try ResourceReader.read(docs.joined(separator: "\n---\n"), source: "many.yaml")
        #expect(items.count == 100)
        let failures = items.compactMap { item -> ResourceDecodeFailure? in
            if case .failure(let f) = item.result { return f }
            return nil
        }
        #expect(failures.count == 1)
        #expect(failures.first?.location.document == 58)
        #expect(failures.first?.name == "s57")
        #expect(failures.first?.error.path == "spec.netz")
    }
}

@Suite struct HostileInputTests {
    @Test func binaryGarbageIsAClearError() {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var seed: UInt64 = 42
        for i in bytes.indices {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = UInt8(truncatingIfNeeded: seed >> 33)
        }
        #expect(throws: SyntaxError.self) { _ = try ResourceReader.read(Data(bytes), source: "bin") }
        #expect(throws: SyntaxError.self) { _ = try ResourceReader.read(Data([0xff, 0xfe, 0x41, 0x3a]), source: "bin") }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let flow = String(repeating: "[", count: 200_000)
        #expect(throws: SyntaxError.self) { _ = try ResourceReader.read(flow) }
        var block = "a:\n"
        for i in 1..<2000 { block += String(repeating: " ", count: i) + "b:\n" }
        #expect(throws: SyntaxError.self) { _ = try ResourceReader.read(block) }
        let seqs = String(repeating: "- ", count: 5000) + "x"
        #expect(throws: SyntaxError.self) { _ = try ResourceReader.read(seqs) }
    }

    @Test func aliasBombIsBounded() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<9 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(throws: SyntaxError.self) { _ = try ResourceReader.read(text) }
    }

    @Test func tenMegabyteDocumentIsHandled() throws {
        let big = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: big\n  annotations:\n    a: '"
            + String(repeating: "x", count: 10_000_000) + "'\n"
        let r = try readOne(big)
        #expect(r.metadata.annotations?["a"]?.count == 10_000_000)
    }

    @Test func malformedYAMLNamesTheLine() throws {
        do {
            _ = try ResourceReader.read("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: [a\n", source: "broken.yaml")
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.message.hasPrefix("broken.yaml: yaml:"))
            #expect(error.mark != nil)
        }
    }
}

@Suite struct NumOrStringTests {
    @Test(arguments: [
        ("80", CalicoAPI.Port(80)), ("\"80\"", CalicoAPI.Port(80)), ("\"1000:2000\"", CalicoAPI.Port(min: 1000, max: 2000)), ("http", CalicoAPI.Port(named: "http")),
        ("\"named-port\"", CalicoAPI.Port(named: "named-port")), ("0", CalicoAPI.Port(0)), ("65535", CalicoAPI.Port(65535)),
    ])
    func portForms(_ text: String, _ expected: CalicoAPI.Port) throws {
        let v = try StrictDecoder().decode(CalicoAPI.Port.self, from: try DocumentReader.documents(in: "p: \(text)")[0]["p"]!)
        #expect(v == expected)
    }

    @Test(arguments: ["65536", "\"5:3\"", "\"1:2:3\"", "\"a b\"", "-1", "\"70000:70001\"", "1.5"])
    func badPorts(_ text: String) throws {
        #expect(throws: DecodeError.self) {
            _ = try StrictDecoder().decode(CalicoAPI.Port.self, from: try DocumentReader.documents(in: "p: \(text)")[0]["p"]!)
        }
    }

    @Test func portEncodesAsUpstream() throws {
        #expect(try TreeEncoder().encode([CalicoAPI.Port(80), CalicoAPI.Port(min: 1, max: 2), CalicoAPI.Port(named: "http")])
            == .sequence([.scalar("80", plain: true, mark: nil), .scalar("1:2", plain: false, mark: nil), .scalar("http", plain: false, mark: nil)], mark: nil))
    }

    @Test func protocolForms() throws {
        let d = StrictDecoder()
        func proto(_ t: String) throws -> IPProtocol { try d.decode(IPProtocol.self, from: try DocumentReader.documents(in: "p: \(t)")[0]["p"]!) }
        #expect(try proto("6") == .number(6))
        #expect(try proto("\"17\"") == .number(17))
        #expect(try proto("TCP") == .tcp)
        #expect(try proto("tcp") == .name("tcp"))
        #expect(IPProtocol.number(6).supportsPorts && IPProtocol.tcp.supportsPorts && !IPProtocol.udpLite.supportsPorts)
    }

    @Test func asNumberForms() throws {
        #expect(ASNumber(parsing: "64512")?.value == 64512)
        #expect(ASNumber(parsing: "1.10")?.value == 65546)
        #expect(ASNumber(parsing: "4294967295")?.value == 4_294_967_295)
        #expect(ASNumber(parsing: "4294967296") == nil)
        #expect(ASNumber(parsing: "65536.1") == nil)
    }

    @Test func dscpValues() {
        #expect(DSCP.value(ofName: "DF") == 0)
        #expect(DSCP.value(ofName: "ef") == 46)
        #expect(DSCP.value(ofName: "AF11") == 10)
        #expect(DSCP.value(ofName: "AF43") == 38)
        #expect(DSCP.value(ofName: "CS6") == 48)
        #expect(DSCP.value(ofName: "CS7") == nil)
        #expect(DSCP.value(ofName: "AF44") == nil)
        #expect(DSCP.number(63).codePoint == 63 && DSCP.number(64).codePoint == nil)
    }
}

@Suite struct IPParsingTests {
    @Test(arguments: ["10.0.0.1", "0.0.0.0", "255.255.255.255", "::", "::1", "fd00:10:244::", "2001:db8::1:0:0:1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8"])
    func validAddresses(_ s: String) { #expect(IPAddress(s) != nil) }

    @Test(arguments: ["10.0.0.256", "10.0.0", "010.0.0.1", "1:2:3:4:5:6:7:8:9", ":::", "1::2::3", "abcde::", "10.0.0.1 ", "", "1.2.3.4/32"])
    func invalidAddresses(_ s: String) { #expect(IPAddress(s) == nil) }

    @Test func cidrs() {
        #expect(IPNet("10.0.0.0/8")?.isMasked == true)
        #expect(IPNet("10.0.0.1/8")?.isMasked == false)
        #expect(IPNet("10.0.0.1/8")?.network.description == "10.0.0.0/8")
        #expect(IPNet("10.0.0.0/33") == nil)
        #expect(IPNet("10.0.0.1", allowBareIP: false) == nil)
        #expect(IPNet("dead:beef::/96")?.prefixLength == 96)
        #expect(IPNet("fd00::1/64")?.network.description == "fd00::/64")
        #expect(IPNet("10.0.0.0/8")!.overlaps(IPNet("10.1.0.0/16")!))
        #expect(!IPNet("10.0.0.0/8")!.overlaps(IPNet("11.0.0.0/8")!))
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
    }
}

@Suite struct UpstreamDecodeMessageTests {
    @Test("Text where a bool belongs is reported in upstream's words, with the Go type and field")
    func boolFromText() throws {
        let f = try #require(try readFailure("""
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: p}
            spec: {cidr: 10.0.0.0/16, disabled: Maybe}
            """))
        #expect(f.error.path == "spec.disabled" && f.error.reason == "cannot parse string 'Maybe' into field IPPoolSpec.disabled of type bool", "\(f.error)")
    }
}
