import Foundation
import Testing
@testable import CalicoCtlCore

/// `calicoctl patch` cannot rename a resource or move it to another namespace: such a patch
/// is refused with an error naming the resource and the field, and nothing is written.
@Suite struct PatchIdentityTests {
    static let gnpYAML = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: foo}
        spec: {selector: all(), order: 10}
        """

    func stored(_ h: CtlHarness, _ args: [String]) async -> String {
        await h.ctl(["get"] + args + ["-o", "yaml"]).out
    }

    @Test func renamingAGlobalNetworkPolicyIsRefused() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        #expect(await h.ctl(["create", "-f", try h.file("gnp.yaml", Self.gnpYAML)]).code == 0)
        let before = await stored(h, ["globalnetworkpolicy", "foo"])
        for patch in [#"{"metadata":{"name":"bar"}}"#, #"{"metadata":{"name":"bar"},"spec":{"order":20}}"#, #"{"metadata":{"name":null}}"#] {
            let r = await h.ctl(["patch", "globalnetworkpolicy", "foo", "-p", patch])
            #expect(r.code == 1, "\(patch)")
            #expect(r.out.isEmpty, "\(patch): \(r.out)")
            #expect(r.err.contains("GlobalNetworkPolicy(foo)"), "\(patch): \(r.err)")
            #expect(r.err.contains("metadata.name"), "\(patch): \(r.err)")
        }
        #expect(await stored(h, ["globalnetworkpolicy", "foo"]) == before)
        #expect(await h.ctl(["get", "globalnetworkpolicy", "bar"]).code == 1)
    }

    @Test func patchThatRestatesTheNameIsApplied() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        #expect(await h.ctl(["create", "-f", try h.file("gnp.yaml", Self.gnpYAML)]).code == 0)
        let r = await h.ctl(["patch", "gnp", "foo", "-p", #"{"metadata":{"name":"foo"},"spec":{"order":20}}"#])
        #expect(r.code == 0, "\(r.err)")
        #expect(await h.ctl(["get", "gnp", "foo", "-o", "go-template={{range .}}{{.spec.order}}{{end}}"]).out == "20")
    }

    @Test func movingANetworkPolicyToAnotherNamespaceIsRefused() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        #expect(await h.ctl(["create", "-f", try h.file("np.yaml", policyYAML)]).code == 0)
        let before = await stored(h, ["networkpolicy", "web", "-n", "shop"])
        for patch in [#"{"metadata":{"namespace":"other"}}"#, #"{"metadata":{"namespace":null}}"#] {
            let r = await h.ctl(["patch", "networkpolicy", "web", "-n", "shop", "-p", patch])
            #expect(r.code == 1, "\(patch)")
            #expect(r.err.contains("NetworkPolicy(shop/web)"), "\(patch): \(r.err)")
            #expect(r.err.contains("metadata.namespace"), "\(patch): \(r.err)")
        }
        let renamed = await h.ctl(["patch", "networkpolicy", "web", "-n", "shop", "-p", #"{"metadata":{"name":"api"}}"#])
        #expect(renamed.code == 1)
        #expect(renamed.err.contains("metadata.name"))
        #expect(await stored(h, ["networkpolicy", "web", "-n", "shop"]) == before)
        #expect(await h.ctl(["get", "networkpolicy", "web", "-n", "other"]).code == 1)
    }

    @Test func aNamespaceOnAGlobalResourceIsRefused() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        #expect(await h.ctl(["create", "-f", try h.file("gnp.yaml", Self.gnpYAML)]).code == 0)
        let r = await h.ctl(["patch", "gnp", "foo", "-p", #"{"metadata":{"namespace":"shop"}}"#])
        #expect(r.code == 1)
        #expect(r.err.contains("metadata.namespace"), "\(r.err)")
    }
}
