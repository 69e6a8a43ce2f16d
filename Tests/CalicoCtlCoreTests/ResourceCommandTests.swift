import CalicoAPI
import CalicoDatastore
import CalicoTestSupport
import Foundation
import Testing
@testable import CalicoCtlCore

/// calicoctl against a real datastore: a fresh embedded store per test (and etcd where named).
struct CtlHarness {
    let dir: String
    let environment: [String: String]

    init(etcd: EtcdTestServer? = nil) throws {
        dir = try tempDir()
        if let etcd {
            environment = ["DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": etcd.endpoint]
        } else {
            environment = ["EMBEDDED_DATASTORE_PATH": dir + "/datastore.db"]
        }
    }

    func ctl(_ args: [String], stdin: String = "") async -> (code: Int32, out: String, err: String) {
        await run(args, stdin: stdin, environment: environment)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try write(text, to: path)
        return path
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }
}

let tierYAML = """
    apiVersion: projectcalico.org/v3
    kind: Tier
    metadata: {name: security}
    spec: {order: 100}
    """

let policyYAML = """
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: web, namespace: shop}
    spec:
      selector: app == 'web'
      ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]
    """

@Suite struct ResourceCommandTests {
    @Test func createGetApplyReplaceDelete() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        let f = try h.file("r.yaml", tierYAML + "\n---\n" + policyYAML)
        let created = await h.ctl(["create", "-f", f])
        #expect(created.code == 0, "\(created.err)")
        #expect(created.out == "Successfully created 2 resource(s)\n")
        let again = await h.ctl(["create", "-f", f])
        #expect(again.code == 1)
        #expect(again.err.contains("resource already exists: Tier(security)"))
        #expect(await h.ctl(["create", "--skip-exists", "-f", f]).code == 0)

        let table = await h.ctl(["get", "networkpolicy", "-n", "shop"])
        #expect(table.code == 0)
        #expect(table.out.contains("NAMESPACE") && table.out.contains("web") && table.out.contains("default"))
        let yaml = await h.ctl(["get", "tier", "security", "-o", "yaml"])
        #expect(yaml.out.contains("kind: Tier") && yaml.out.contains("name: security") && yaml.out.contains("resourceVersion:"))
        let names = await h.ctl(["get", "networkpolicies", "--all-namespaces", "-o", "go-template={{range .}}{{.metadata.namespace}}/{{.metadata.name}} {{end}}"])
        #expect(names.out == "shop/web ")

        let updated = try h.file("u.yaml", policyYAML.replacingOccurrences(of: "ports: [80]", with: "ports: [8080]"))
        #expect(await h.ctl(["apply", "-f", updated]).out == "Successfully applied 1 'NetworkPolicy' resource(s)\n")
        let json = await h.ctl(["get", "np", "web", "-n", "shop", "-o", "json"])
        #expect(json.out.contains("8080"))

        // replace with a stale resourceVersion is a conflict naming both versions.
        let stale = try h.file("s.yaml", policyYAML.replacingOccurrences(of: "namespace: shop}", with: "namespace: shop, resourceVersion: '1'}"))
        let conflict = await h.ctl(["replace", "-f", stale])
        #expect(conflict.code == 1)
        #expect(conflict.err.contains("update conflict: NetworkPolicy(shop/web)"))

        let deleted = await h.ctl(["delete", "networkpolicy", "web", "-n", "shop"])
        #expect(deleted.out == "Successfully deleted 1 'NetworkPolicy' resource(s)\n")
        let missing = await h.ctl(["delete", "networkpolicy", "web", "-n", "shop"])
        #expect(missing.code == 1 && missing.err.contains("resource does not exist: NetworkPolicy(shop/web)"))
        #expect(await h.ctl(["delete", "networkpolicy", "web", "-n", "shop", "--skip-not-exists"]).code == 0)
        let gone = await h.ctl(["get", "networkpolicy", "web", "-n", "shop"])
        #expect(gone.code == 1 && gone.err.contains("resource does not exist"))
    }

    @Test func oneInvalidDocumentMeansNothingIsWritten() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        let bad = policyYAML.replacingOccurrences(of: "name: web", with: "name: bad").replacingOccurrences(of: "app == 'web'", with: "app = 'web'")
        let f = try h.file("r.yaml", tierYAML + "\n---\n" + policyYAML + "\n---\n" + bad)
        let r = await h.ctl(["apply", "-f", f])
        #expect(r.code == 1)
        #expect(r.err.contains("nothing was written") && r.err.contains("document 3"))
        let tiers = await h.ctl(["get", "tiers", "-o", "go-template={{len .}}"])
        #expect(tiers.out == "0", "nothing may be written: \(tiers.out)")
    }

    @Test func policyInMissingTierIsRejectedBeforeWriting() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        let f = try h.file("p.yaml", "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: security.p}\nspec: {tier: security}\n")
        let r = await h.ctl(["create", "-f", f])
        #expect(r.code == 1 && r.err.contains("tier security does not exist"))
    }

    @Test func namespaceRules() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        let f = try h.file("p.yaml", policyYAML)
        let mismatch = await h.ctl(["create", "-f", f, "-n", "other"])
        #expect(mismatch.err.contains("resource namespace does not match client namespace. shop != other"))
        let cluster = await h.ctl(["get", "tier", "-n", "x"])
        #expect(cluster.err.contains("Tier is not namespaced"))
        let unknown = await h.ctl(["get", "bananas"])
        #expect(unknown.err.contains("resource type 'bananas' is not supported"))
        let tierWithNS = try h.file("t.yaml", "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t, namespace: x}\n")
        let r = await h.ctl(["create", "-f", tierWithNS])
        #expect(r.err.contains("namespace should not be specified for a non-namespaced resource. Tier is not a namespaced resource"))
    }

    @Test func labelAndPatch() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        #expect(await h.ctl(["create", "-f", try h.file("t.yaml", tierYAML)]).code == 0)
        #expect(await h.ctl(["label", "tier", "security", "team=sec"]).out == "Successfully set label team on tier security\n")
        let dup = await h.ctl(["label", "tier", "security", "team=other"])
        #expect(dup.err.contains("key team is already present. please use '--overwrite' to set a new value"))
        #expect(await h.ctl(["label", "tier", "security", "team=other", "--overwrite"]).out == "Successfully updated label team on tier security\n")
        #expect(await h.ctl(["label", "tier", "security", "team", "--remove"]).out == "Successfully removed label team from tier security\n")
        #expect(await h.ctl(["label", "tier", "security", "team", "--remove"]).err.contains("key team does not exist"))
        #expect(await h.ctl(["label", "tier", "nothere", "a=b"]).err.contains("tier nothere not found"))
        let patched = await h.ctl(["patch", "tier", "security", "-p", "{\"spec\": {\"order\": 42}}"])
        #expect(patched.out == "Successfully patched 1 'Tier' resource\n")
        #expect(await h.ctl(["get", "tier", "security", "-o", "go-template={{range .}}{{.spec.order}}{{end}}"]).out == "42")
        let badPatch = await h.ctl(["patch", "tier", "security", "-p", "{\"spec\": {\"order\": \"high\"}}"])
        #expect(badPatch.code == 1)
    }

    @Test func selectorListsWhatItMatches() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        var docs: [String] = []
        for (name, role) in [("a", "db"), ("b", "web"), ("c", "db")] {
            docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: \(name), labels: {role: \(role)}}\nspec: {nets: [10.0.0.1]}")
        }
        #expect(await h.ctl(["create", "-f", try h.file("s.yaml", docs.joined(separator: "\n---\n"))]).code == 0)
        let r = await h.ctl(["get", "globalnetworksets", "--selector", "role == 'db'", "-o", "go-template={{range .}}{{.metadata.name}}{{end}}"])
        #expect(r.out == "ac")
    }

    @Test func migrateBetweenEmbeddedAndEtcd() async throws {
        let source = try CtlHarness()
        defer { source.cleanup() }
        #expect(await source.ctl(["create", "-f", try source.file("r.yaml", tierYAML + "\n---\n" + policyYAML)]).code == 0)
        let unlocked = await source.ctl(["datastore", "migrate", "export"])
        #expect(unlocked.code == 1 && unlocked.err == "Datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to begin migration.\n")
        #expect(await source.ctl(["datastore", "migrate", "lock"]).code == 0)
        let export = await source.ctl(["datastore", "migrate", "export"])
        #expect(export.code == 0)
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let target = try CtlHarness(etcd: server)
        defer { target.cleanup() }
        let imported = await target.ctl(["datastore", "migrate", "import", "-f", "-"], stdin: export.out)
        #expect(imported.code == 0, "\(imported.err)")
        let policies = await target.ctl(["get", "networkpolicy", "-n", "shop", "-o", "go-template={{range .}}{{.metadata.name}}/{{.spec.tier}}{{end}}"])
        #expect(policies.out == "web/default")
        // A second import changes nothing and says why.
        let again = await target.ctl(["datastore", "migrate", "import", "-f", "-"], stdin: export.out)
        #expect(again.code == 1 && again.err.contains("already exists"))
    }

    @Test func unreachableEtcdFailsFastNamingTheEndpoint() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try EtcdTestServer.freeLoopbackPorts(1)[0]
        let started = ContinuousClock.now
        let r = await run(["get", "tiers"], environment: ["DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": "http://127.0.0.1:\(port)"])
        #expect(r.code == 1)
        #expect(r.err.contains("127.0.0.1:\(port)"))
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func corruptEmbeddedFileIsRefused() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(String(repeating: "not a database\n", count: 100), to: dir + "/datastore.db")
        let r = await run(["get", "tiers"], environment: ["EMBEDDED_DATASTORE_PATH": dir + "/datastore.db"])
        #expect(r.code == 1 && r.err.contains("not a swift-calico datastore"))
        #expect(try String(contentsOfFile: dir + "/datastore.db", encoding: .utf8).hasPrefix("not a database"))
    }
}

@Suite struct VersionCheckTests {
    @Test("Version check: another cluster version is refused unless --allow-version-mismatch or CALICOCTL_ALLOW_VERSION_MISMATCH=true; a bad DATASTORE_TYPE is an invalid datastore type")
    func versionMismatch() async throws {
        let h = try CtlHarness()
        defer { h.cleanup() }
        // Calico writes ClusterInformation itself; calicoctl refuses to (as upstream).
        let info = "apiVersion: projectcalico.org/v3\nkind: ClusterInformation\nmetadata: {name: default}\nspec: {calicoVersion: v1.0.0}"
        let applied = await h.ctl(["apply", "-f", "-"], stdin: info)
        #expect(applied.code == 1 && applied.err.contains("operation apply or replace is not supported on ClusterInformation"), "\(applied.err)")
        var ci = ClusterInformation(metadata: ObjectMeta(name: "default"))
        ci.spec.calicoVersion = "v1.0.0"
        _ = try await Datastore(kv: try EmbeddedStore(path: h.dir + "/datastore.db")).create(ci)
        let refused = await h.ctl(["get", "tier"])
        #expect(refused.code != 0 && refused.err.contains("Version mismatch.\nClient Version:   ")
                && refused.err.contains("Cluster Version:  1.0.0\nUse --allow-version-mismatch to override.\n\n"), "\(refused.out)\(refused.err)")
        #expect(await h.ctl(["get", "tier", "--allow-version-mismatch"]).code == 0)
        for value in ["true", "1"] {
            let env = h.environment.merging(["CALICOCTL_ALLOW_VERSION_MISMATCH": value]) { a, _ in a }
            #expect(await run(["get", "tier"], environment: env).code == 0, "CALICOCTL_ALLOW_VERSION_MISMATCH=\(value)")
        }
        let no = h.environment.merging(["CALICOCTL_ALLOW_VERSION_MISMATCH": "false"]) { a, _ in a }
        #expect(await run(["get", "tier"], environment: no).code != 0)
        let bad = await run(["get", "tier"], environment: ["DATASTORE_TYPE": "bogus"])
        #expect(bad.code != 0 && bad.err.contains("invalid datastore type: bogus"), "\(bad.err)")
    }
}
