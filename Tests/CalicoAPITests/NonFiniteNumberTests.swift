import Foundation
import Testing
@testable import CalicoAPI

/// Regression (issue 10, item 1): `order: .nan` (and the infinities, and numbers beyond a
/// double's range) passed decoding, were stored as JSON strings, and then no reader could
/// decode the stored value: Felix never enforced the policy and `get` failed for the kind.
@Suite struct NonFiniteNumberTests {
    static let kinds: [(kind: String, extra: String)] = [
        ("GlobalNetworkPolicy", ""), ("NetworkPolicy", "namespace: default, "), ("StagedGlobalNetworkPolicy", ""),
        ("StagedNetworkPolicy", "namespace: default, "), ("Tier", ""),
    ]

    @Test(arguments: [".nan", ".NaN", ".inf", "-.inf", "+.inf", "1e400", "-1e400"])
    func yamlOrderMustBeFinite(order: String) throws {
        for (kind, extra) in Self.kinds {
            let f = try #require(try readFailure("""
                apiVersion: projectcalico.org/v3
                kind: \(kind)
                metadata: {\(extra)name: p}
                spec: {order: \(order)}
                """), "\(kind) with order \(order) was accepted")
            #expect(f.errors.contains { $0.path == "spec.order" }, "\(kind): \(f.errors)")
        }
    }

    @Test(arguments: ["1e309", "-1e309"])
    func jsonOrderMustBeFinite(order: String) throws {
        let f = try #require(try readFailure(#"{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"p"},"spec":{"order":\#(order)}}"#))
        #expect(f.error.path == "spec.order")
        #expect(f.error.reason.contains("out of range"))
    }

    /// Words Swift's parser takes as numbers but YAML and JSON do not.
    @Test(arguments: ["-inf", "nan", "infinity", "0x1p3"])
    func nonYAMLNumberWordsAreStrings(word: String) throws {
        #expect(Value.plainDouble(word) == nil)
        #expect(throws: (any Error).self) { try JSONReader.parse(Array("{\"a\": \(word)}".utf8)) }
    }

    @Test func integerFieldsRefuseHugeNumbers() throws {
        let f = try #require(try readFailure("""
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: p}
            spec: {cidr: 10.244.0.0/16, blockSize: 1e400}
            """))
        #expect(f.error.path == "spec.blockSize")
    }

    /// The encoder never writes a number as a string: a non-finite value set in code is an
    /// encoding error naming the field.
    @Test func encoderRefusesNonFiniteNumbers() throws {
        var p = GlobalNetworkPolicy(metadata: ObjectMeta(name: "p"))
        p.spec.order = .nan
        #expect(throws: EncodingError.self) { try TreeEncoder().encode(p) }
        p.spec.order = 12.5
        let json = Emitter.json(try TreeEncoder().encode(p), indent: 0)
        #expect(json.contains("\"order\":12.5"))
    }

    /// Free-form values keep a YAML special float as text rather than failing.
    @Test func freeFormValuesKeepNonFiniteAsText() throws {
        let v = Value.scalar(".nan", plain: true, mark: nil)
        #expect(Emitter.json(try TreeEncoder().encode(v), indent: 0) == "\".nan\"")
    }
}
