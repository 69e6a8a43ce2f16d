import Foundation
import Testing
@testable import CalicoAPI

/// Alias expansion is bounded per input, so a "billion laughs" text ends in an error long
/// before it has cost hundreds of MB.
@Suite struct AliasBudgetTests {
    /// `levels` levels of ten aliases each: expands to 10^levels scalars.
    static func laughs(levels: Int, indent: String = "") -> String {
        var text = indent + "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1..<levels {
            text += indent + "l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        return text
    }

    @Test func aMillionNodeExpansionIsRefused() {
        // 10^6 nodes: under the per-document node limit, yet ~100 MB as values.
        do {
            _ = try DocumentReader.documents(in: Self.laughs(levels: 6))
            Issue.record("a million-node alias expansion was accepted")
        } catch {
            #expect("\(error)".contains("excessive aliasing"), "\(error)")
        }
    }

    @Test func theBudgetCoversAllDocumentsOfAnInput() {
        // Each document expands to 10^4 nodes (fine alone); 50 of them are not.
        let one = Self.laughs(levels: 4)
        #expect(throws: Never.self) { _ = try DocumentReader.documents(in: one) }
        let many = Array(repeating: one, count: 50).joined(separator: "---\n")
        #expect(throws: SyntaxError.self) { _ = try DocumentReader.documents(in: many) }
    }

    @Test func repeatingALongStringIsRefused() {
        // A 1 MiB string used 100 times: few nodes, but 100 MiB for whoever prints it.
        let big = String(repeating: "x", count: 1 << 20)
        let yaml = "a: &big \"\(big)\"\nb: [" + Array(repeating: "*big", count: 100).joined(separator: ", ") + "]\n"
        do {
            _ = try DocumentReader.documents(in: yaml)
            Issue.record("100 MiB of aliased text was accepted")
        } catch {
            #expect("\(error)".contains("excessive aliasing"), "\(error)")
        }
    }

    @Test func ordinaryAliasesStillWork() throws {
        let yaml = """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: shared-rules}
            spec:
              selector: all()
              ingress: &rules
              - action: Allow
                protocol: TCP
                destination: {ports: [80, 443]}
              egress: *rules
            """
        let docs = try DocumentReader.documents(in: yaml)
        #expect(docs.count == 1)
        #expect(docs[0]["spec"]?["ingress"] == docs[0]["spec"]?["egress"])
        // The same anchor name defined twice: both definitions are real nodes.
        let shadowed = try DocumentReader.documents(in: "a: &x [1, 2]\nb: &x [3]\nc: *x\n")
        #expect(shadowed[0]["c"] == shadowed[0]["b"])
    }
}
