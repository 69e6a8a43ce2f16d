import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing

/// The datastores upstream calicoctl's behaviour is checked on.
enum ParityStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded, etcd
    var testDescription: String { rawValue }
}

/// The built `calicoctl` binary, run as a user runs it, against a fresh embedded store or a
/// fresh etcd.
final class BuiltCtl: Sendable {
    let binary: String
    let dir: String
    let etcd: EtcdTestServer?
    let environment: [String: String]

    init(_ store: ParityStore) async throws {
        binary = try BuiltProducts.require("calicoctl")
        dir = try tempDir()
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("ETCD_") && !$0.key.hasPrefix("DATASTORE") && !$0.key.hasPrefix("CALICO")
                && $0.key != "EMBEDDED_DATASTORE_PATH"
        }
        switch store {
        case .embedded:
            etcd = nil
            env["DATASTORE_TYPE"] = "embedded"
            env["EMBEDDED_DATASTORE_PATH"] = dir + "/datastore.db"
            // As calico-node -startup would have made it (calicoctl says when it makes one).
            _ = try EmbeddedStore(path: dir + "/datastore.db")
        case .etcd:
            let server = try await EtcdTestServer.start()
            etcd = server
            env["DATASTORE_TYPE"] = "etcdv3"
            env["ETCD_ENDPOINTS"] = server.endpoint
        }
        environment = env
    }

    /// Runs calicoctl with `args`; `stdin` is fed to `-f -`.
    func callAsFunction(_ args: String..., stdin: String = "", env: [String: String] = [:]) throws -> CommandOutput {
        try CommandRunner.run([binary] + args, input: stdin, environment: environment.merging(env) { _, b in b })
    }

    func stop() {
        etcd?.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

private let pool = """
    apiVersion: projectcalico.org/v3
    kind: IPPool
    metadata: {name: pool-a}
    spec: {cidr: 10.5.0.0/16}
    """

/// Issue 17: calicoctl's input, messages and output as upstream calicoctl 3.31's, on both
/// datastores, through the built binary.
@Suite(.serialized) struct UpstreamParityTests {
    @Test("Group 1: field names match case-insensitively as Go's decoder does; unknown ones still fail in upstream's words", arguments: ParityStore.allCases)
    func fieldNames(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let tier = "apiVersion: projectcalico.org/v3\nKind: Tier\nMetadata: {name: t1}\nspec: {Order: 100}"
        let created = try ctl("create", "-f", "-", stdin: tier)
        #expect(created.status == 0 && created.stdout == "Successfully created 1 'Tier' resource(s)\n", "\(created.stderr)")
        let policy = """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: t1.p}
            spec: {tier: t1, Selector: all(), Ingress: [{Action: Allow}], Egress: [{action: Deny}]}
            """
        #expect(try ctl("apply", "-f", "-", stdin: policy).stdout == "Successfully applied 1 'GlobalNetworkPolicy' resource(s)\n")
        let yaml = try ctl("get", "gnp", "t1.p", "-o", "yaml").stdout
        #expect(yaml.contains("  ingress:\n  - action: Allow\n") && yaml.contains("  selector: all()\n"), "\(yaml)")
        let unknown = try ctl("create", "-f", "-", stdin: "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t2}\nspec: {Bogus: 1}")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("Failed to execute command: field in document is not recognized or is in the wrong location: Bogus; at "), "\(unknown.stderr)")
    }

    @Test("Group 2: values upstream's validator takes on etcd are taken (chainInsertMode in any case)", arguments: ParityStore.allCases)
    func validatorValues(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let felix = "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {chainInsertMode: append}"
        let r = try ctl("apply", "-f", "-", stdin: felix)
        #expect(r.status == 0 && r.stdout == "Successfully applied 1 'FelixConfiguration' resource(s)\n", "\(r.stderr)")
        let bad = try ctl("apply", "-f", "-", stdin: "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.9.0.0/16, ipipMode: always}")
        #expect(bad.status == 1, "ipipMode is an exact enum upstream")
    }

    @Test("Group 4: a write with an invalid document writes nothing and prints upstream's failed-to line per bad resource", arguments: ParityStore.allCases)
    func invalidWrite(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let docs = pool + "\n---\n" + "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool-b}\nspec: {cidr: 10.0.250.0/32}"
        for verb in ["create", "apply"] {
            let r = try ctl(verb, "-f", "-", stdin: docs)
            #expect(r.status == 1 && r.stdout.isEmpty)
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.first?.hasPrefix("Failed to \(verb) any 'IPPool' resources: [error with field ") == true, "\(r.stderr)")
            #expect(lines.first?.hasSuffix("; at <stdin> document 2: IPPool(pool-b) spec.cidr]") == true, "\(r.stderr)")
            #expect(lines.dropFirst().first == "nothing was written: 1 of 2 resource(s) invalid")
        }
        let single = try ctl("create", "-f", "-", stdin: "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool-b}\nspec: {cidr: 10.0.250.0/32}")
        #expect(single.stderr.hasPrefix("Failed to create 'IPPool' resource: [error with field "), "\(single.stderr)")
        #expect(try ctl("create", "-f", "-", stdin: pool).status == 0)
        let listed = try ctl("get", "ippools", "-o", "go-template={{range .}}{{.metadata.name}} {{end}}")
        #expect(listed.stdout == "pool-a ", "only the pool written on its own exists")
        // Existing resources: upstream goes on past each failure and reports them as a slice.
        let again = try ctl("create", "-f", "-", stdin: pool)
        #expect(again.status == 1 && again.stderr == "Failed to create 'IPPool' resource: [resource already exists: IPPool(pool-a)]\n", "\(again.stderr)")
    }

    @Test("Group 5: get with several names, --export, tiers by order then name, unknown kinds and namespaces", arguments: ParityStore.allCases)
    func get(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let input = """
            - {apiVersion: projectcalico.org/v3, kind: Tier, metadata: {name: zeta}, spec: {order: 10}}
            - {apiVersion: projectcalico.org/v3, kind: Tier, metadata: {name: alpha}, spec: {order: 10}}
            - {apiVersion: projectcalico.org/v3, kind: Tier, metadata: {name: beta}, spec: {order: 5}}
            - {apiVersion: projectcalico.org/v3, kind: IPPool, metadata: {name: a}, spec: {cidr: 10.5.0.0/16}}
            - {apiVersion: projectcalico.org/v3, kind: IPPool, metadata: {name: b}, spec: {cidr: 10.6.0.0/16, natOutgoing: true}}
            """
        #expect(try ctl("create", "-f", "-", stdin: input).stdout == "Successfully created 5 resource(s)\n")
        let two = try ctl("get", "ippool", "a", "b")
        #expect(two.stdout == """
            NAME   CIDR          SELECTOR   
            a      10.5.0.0/16   all()      

            NAME   CIDR          SELECTOR   
            b      10.6.0.0/16   all()      


            """, "a table per name")
        let wide = try ctl("get", "ippool", "b", "-o", "wide")
        #expect(wide.stdout.hasPrefix("NAME   CIDR          NAT    IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR   ASSIGNMENTMODE   \nb      10.6.0.0/16   true   Never      Never       false      false              all()      Automatic        \n"), "\(wide.stdout)")
        let tiers = try ctl("get", "tiers", "-o", "go-template={{range .}}{{.metadata.name}} {{end}}").stdout
        #expect(tiers.hasPrefix("beta alpha zeta "), "\(tiers)")
        let exported = try ctl("get", "ippool", "a", "-o", "yaml", "--export").stdout
        #expect(exported.hasPrefix("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  creationTimestamp: null\n  name: a\nspec:\n"), "\(exported)")
        #expect(!exported.contains("resourceVersion") && !exported.contains("uid"))
        let missing = try ctl("get", "ippool", "a", "nope")
        #expect(missing.status == 1 && missing.stdout.hasPrefix("NAME   CIDR          SELECTOR   \na ")
                && missing.stderr == "resource does not exist: IPPool(nope) with error: <nil>\n", "\(missing.stderr)")
        let kind = try ctl("get", "somekind")
        #expect(kind.status == 1 && kind.stderr == "Failed to get resources: resource type 'somekind' is not supported\n", "\(kind.stderr)")
        let ns = try ctl("get", "ippool", "-n", "x")
        #expect(ns.status == 1 && ns.stderr == "IPPool is not namespaced\n", "\(ns.stderr)")
    }

    @Test("Group 7: ClusterInformation and knp.default. NetworkPolicies are not written through calicoctl, as upstream", arguments: ParityStore.allCases)
    func refusedWrites(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let info = "apiVersion: projectcalico.org/v3\nkind: ClusterInformation\nmetadata: {name: default}\nspec: {}"
        let create = try ctl("create", "-f", "-", stdin: info)
        #expect(create.stderr.hasPrefix("Failed to create 'ClusterInformation' resource: [operation create or apply is not supported on ClusterInformation; at "), "\(create.stderr)")
        let apply = try ctl("apply", "-f", "-", stdin: info)
        #expect(apply.stderr.hasPrefix("Failed to apply 'ClusterInformation' resource: [operation apply or replace is not supported on ClusterInformation; at "), "\(apply.stderr)")
        let knp = """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: knp.default.rejectmeplease, namespace: default}
            spec: {selector: all()}
            """
        let r = try ctl("create", "-f", "-", stdin: knp)
        #expect(r.status == 1 && r.stderr.contains("operation create or apply is not supported on NetworkPolicy(default/knp.default.rejectmeplease): kubernetes network policies must be managed through the kubernetes API"), "\(r.stderr)")
        let delete = try ctl("delete", "clusterinfo", "default")
        #expect(delete.status == 1 && delete.stderr.contains("operation delete is not supported on ClusterInformation"), "\(delete.stderr)")
    }

    @Test("Group 7: a write initialises the datastore (ClusterInformation, the three tiers); the default-allow profile is always listed; rules print empty source and destination", arguments: ParityStore.allCases)
    func defaults(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        #expect(try ctl("get", "clusterinfo", "default").stderr == "resource does not exist: ClusterInformation(default) with error: <nil>\n")
        let node = "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node3}\nspec: {bgp: {ipv4Address: 1.2.3.6/24}}"
        #expect(try ctl("create", "-f", "-", stdin: node).status == 0)
        let info = try ctl("get", "clusterinfo", "default", "-o", "go-template={{range .}}{{.spec.clusterGUID}} {{.spec.datastoreReady}}{{end}}").stdout
        #expect(info.range(of: "^[a-f0-9]{32} true$", options: .regularExpression) != nil, "\(info)")
        #expect(try ctl("get", "tiers").stdout == """
            NAME                         ORDER   
            adminnetworkpolicy           1000    
            default                      1e+06   
            baselineadminnetworkpolicy   1e+07   


            """)
        let profiles = try ctl("get", "profile", "--output=yaml").stdout
        #expect(profiles.hasPrefix("""
            apiVersion: projectcalico.org/v3
            items:
            - apiVersion: projectcalico.org/v3
              kind: Profile
              metadata:
                creationTimestamp: null
                name: projectcalico-default-allow
                resourceVersion: "0"
              spec:
                egress:
                - action: Allow
                  destination: {}
                  source: {}
                ingress:
                - action: Allow
                  destination: {}
                  source: {}
            kind: ProfileList
            metadata:
              resourceVersion: 
            """), "\(profiles)")
        #expect(try ctl("get", "profile", "projectcalico-default-allow", "-o", "json").stdout.contains("\"resourceVersion\": \"0\""))
    }

    @Test("Group 7: uid and creationTimestamp are the store's and survive replace and apply; selfLink, generation and finalizers are not stored; resourceVersion changes", arguments: ParityStore.allCases)
    func serverManagedMetadata(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        func hep(_ label: String) -> String {
            """
            apiVersion: projectcalico.org/v3
            kind: HostEndpoint
            metadata:
              name: endpoint1
              labels: {type: \(label)}
              uid: test-uid-change
              creationTimestamp: "2006-01-02T15:04:05Z"
              selfLink: test-self-link
              generation: 3
              finalizers: [finalizer1]
            spec: {node: host2, interfaceName: cali7}
            """
        }
        let template = "go-template={{range .}}{{.metadata.uid}} {{.metadata.creationTimestamp}} {{.metadata.resourceVersion}}{{end}}"
        #expect(try ctl("create", "-f", "-", stdin: hep("frontend")).status == 0)
        let first = try ctl("get", "hep", "endpoint1", "-o", template).stdout.split(separator: " ").map(String.init)
        #expect(first.count == 3 && first[0] != "test-uid-change" && first[1] != "2006-01-02T15:04:05Z", "\(first)")
        for verb in ["replace", "apply"] {
            #expect(try ctl(verb, "-f", "-", stdin: hep(verb)).status == 0)
            let now = try ctl("get", "hep", "endpoint1", "-o", template).stdout.split(separator: " ").map(String.init)
            #expect(now.count == 3 && now[0] == first[0] && now[1] == first[1] && now[2] != first[2], "\(verb): \(now) vs \(first)")
            let yaml = try ctl("get", "hep", "endpoint1", "-o", "yaml").stdout
            #expect(yaml.contains("    type: \(verb)\n") && !yaml.contains("selfLink") && !yaml.contains("generation") && !yaml.contains("finalizer"), "\(yaml)")
        }
    }

    @Test("Group 6: another cluster version is refused in upstream's words unless allowed", arguments: ParityStore.allCases)
    func versionMismatch(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        #expect(try ctl("apply", "-f", "-", stdin: pool).status == 0)
        // Only Calico writes ClusterInformation: through the store, as calico-node does.
        let kv: any KVStore = store == .etcd ? EtcdStore(endpoints: [ctl.etcd!.endpoint]) : try EmbeddedStore(path: ctl.dir + "/datastore.db")
        _ = try await Datastore(kv: kv).ensureInitialized(calicoVersion: "v0.0.1-beta")
        let refused = try ctl("get", "ippool")
        #expect(refused.status == 1 && refused.stdout.isEmpty)
        #expect(refused.stderr.hasPrefix("Version mismatch.\nClient Version:   v"), "\(refused.stderr)")
        #expect(refused.stderr.hasSuffix("\nCluster Version:  0.0.1\nUse --allow-version-mismatch to override.\n\n"), "\(refused.stderr)")
        #expect(try ctl("get", "ippool", "--allow-version-mismatch").status == 0)
        #expect(try ctl("get", "ippool", env: ["CALICOCTL_ALLOW_VERSION_MISMATCH": "true"]).status == 0)
        let bad = try ctl("get", "ippool", env: ["DATASTORE_TYPE": "bogus"])
        #expect(bad.status == 1 && bad.stderr.contains("invalid datastore type: bogus"), "\(bad.stderr)")
    }

    @Test("Group 8: ipam split needs a locked datastore, a power of 2 and room for blocks, and replaces the pool by split-<name>-<i> pools with its settings", arguments: ParityStore.allCases)
    func ipamSplit(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let pool1 = """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: ippool-name1}
            spec: {cidr: 10.0.1.0/24, blockSize: 27, ipipMode: Always, nodeSelector: foo == 'bar'}
            """
        #expect(try ctl("create", "-f", "-", stdin: pool1).status == 0)
        let unlocked = try ctl("ipam", "split", "4", "--cidr=10.0.1.0/24")
        #expect(unlocked.status == 1 && unlocked.stderr == "Datastore is not locked. Run the `calicoctl datastore migrate lock` command in order split the IP pools.\n", "\(unlocked.stderr)")
        #expect(try ctl("datastore", "migrate", "lock").status == 0)
        #expect(try ctl("ipam", "split", "10.0.2.0/24", "4").stderr.contains("Unable to find IP pool"))
        #expect(try ctl("ipam", "split", "3", "--cidr=10.0.1.0/24").stderr.contains("Number to split CIDR into is not a valid power of 2"))
        #expect(try ctl("ipam", "split", "10.0.1.0/24", "64").stderr.contains("is not large enough to be split into"))
        let split = try ctl("ipam", "split", "10.0.1.0/24", "4")
        #expect(split.status == 0 && split.stdout == """
            IP Pool ippool-name1 was successfully split into 4 smaller pools.
            Created split-ippool-name1-0 with CIDR 10.0.1.0/26.
            Created split-ippool-name1-1 with CIDR 10.0.1.64/26.
            Created split-ippool-name1-2 with CIDR 10.0.1.128/26.
            Created split-ippool-name1-3 with CIDR 10.0.1.192/26.
            Please refer to the documentation for final steps.

            """, "\(split.stdout)\(split.stderr)")
        #expect(try ctl("get", "ippool", "ippool-name1").stderr.contains("resource does not exist"))
        let specs = try ctl("get", "ippools", "-o", "go-template={{range .}}{{.metadata.name}} {{.spec.cidr}} {{.spec.blockSize}} {{.spec.ipipMode}} {{.spec.nodeSelector}};{{end}}").stdout
        #expect(specs == "split-ippool-name1-0 10.0.1.0/26 27 Always foo == 'bar';split-ippool-name1-1 10.0.1.64/26 27 Always foo == 'bar';"
                + "split-ippool-name1-2 10.0.1.128/26 27 Always foo == 'bar';split-ippool-name1-3 10.0.1.192/26 27 Always foo == 'bar';", "\(specs)")
        #expect(try ctl("datastore", "migrate", "unlock").status == 0)
        #expect(try ctl("delete", "ippool", "split-ippool-name1-0").status == 0)
    }

    @Test("Group 7: client checks upstream makes on writes: default-only BGPConfiguration fields; label removal of a missing key", arguments: ParityStore.allCases)
    func clientChecks(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let bgp = "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: bgpconfiguration1}\nspec: {logSeverityScreen: Debug, nodeToNodeMeshEnabled: true}"
        let r = try ctl("apply", "-f", "-", stdin: bgp)
        #expect(r.status == 1 && r.stderr.contains("error with field BGPConfiguration.Spec.NodeToNodeMeshEnabled (Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration.)"), "\(r.stderr)")
        let node = "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: node1}\nspec: {}"
        #expect(try ctl("create", "-f", "-", stdin: node).status == 0)
        let label = try ctl("label", "nodes", "node1", "cluster", "--remove")
        #expect(label.status == 1 && label.stderr.contains("can not remove label of nodes node1, key cluster does not exist"), "\(label.stderr)")
        // Durations are stored as Go prints them.
        let felix = "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {netlinkTimeout: 125s, reportingTTL: 9910s, reportingInterval: 0s}"
        #expect(try ctl("apply", "-f", "-", stdin: felix).status == 0)
        let yaml = try ctl("get", "felixconfig", "default", "-o", "yaml").stdout
        #expect(yaml.contains("  netlinkTimeout: 2m5s\n") && yaml.contains("  reportingTTL: 2h45m10s\n") && yaml.contains("  reportingInterval: 0s\n"), "\(yaml)")
        // A workload endpoint's namespace and orchestrator labels are the truth, whatever was written.
        let wep = """
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata: {name: node1-k8s-pod1-eth0, namespace: default, labels: {projectcalico.org/namespace: namespace1, app: a}}
            spec: {node: node1, orchestrator: k8s, pod: pod1, endpoint: eth0, interfaceName: cali0ef24ba, ipNetworks: [10.0.0.1/32]}
            """
        let created = try ctl("create", "-f", "-", stdin: wep)
        #expect(created.status == 0, "\(created.stderr)")
        let labels = try ctl("get", "wep", "node1-k8s-pod1-eth0", "-o", "go-template={{range .}}{{index .metadata.labels \"projectcalico.org/namespace\"}} {{index .metadata.labels \"projectcalico.org/orchestrator\"}} {{.metadata.labels.app}}{{end}}")
        #expect(labels.stdout == "default k8s a", "\(labels.stdout)\(labels.stderr)")
    }

    @Test("Group 8: ipam release --from-report releases what a current report of a locked datastore calls leaked, and refuses stale, foreign or unlocked reports", arguments: ParityStore.allCases)
    func releaseFromReport(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        #expect(try ctl("create", "-f", "-", stdin: pool).status == 0)
        let kv: any KVStore = store == .etcd ? EtcdStore(endpoints: [ctl.etcd!.endpoint]) : try EmbeddedStore(path: ctl.dir + "/datastore.db")
        let client = IPAMClient(datastore: Datastore(kv: kv))
        // An address no endpoint uses (leaked), and one a workload endpoint holds.
        _ = try await client.assignIP(IPAddress("10.5.0.7")!, handleID: "k8s-pod-network.leaked", attributes: ["node": "n1"], hostname: "n1")
        _ = try await client.assignIP(IPAddress("10.5.0.8")!, handleID: "k8s-pod-network.used", attributes: ["node": "n1"], hostname: "n1")
        let wep = """
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata: {name: n1-k8s-used-eth0, namespace: default}
            spec: {node: n1, orchestrator: k8s, pod: used, endpoint: eth0, interfaceName: cali1, ipNetworks: [10.5.0.8/32]}
            """
        #expect(try ctl("create", "-f", "-", stdin: wep).status == 0)
        let report = ctl.dir + "/report.json"
        #expect(try ctl("ipam", "check", "-o", report).status == 0)
        let unlocked = try ctl("ipam", "release", "--from-report=" + report)
        #expect(unlocked.status == 1 && unlocked.stderr.contains("data store is not locked. Either lock the data store, or re-run with --force"), "\(unlocked.stderr)")
        #expect(try ctl("datastore", "migrate", "lock").status == 0)
        let stale = try ctl("ipam", "release", "--from-report=" + report)
        #expect(stale.status == 1 && stale.stderr.contains("the provided reports are all stale"), "\(stale.stderr)")
        #expect(try ctl("ipam", "check", "-o", report).status == 0)
        let released = try ctl("ipam", "release", "--from-report=" + report)
        #expect(released.status == 0, "\(released.stderr)")
        #expect(released.stdout.contains("Releasing 1 old IPs...\nReleased 1 IPs successfully\n"), "\(released.stdout)")
        #expect(released.stdout.hasSuffix("You may now unlock the data store.\n"), "\(released.stdout)")
        #expect(try ctl("ipam", "show", "--ip=10.5.0.7").stdout.contains("10.5.0.7 is not assigned"))
        #expect(try ctl("ipam", "show", "--ip=10.5.0.8").stdout.contains("IP 10.5.0.8 is in use"))
        // A report of another cluster is refused even with --force.
        let text = try String(contentsOfFile: report, encoding: .utf8)
        let foreign = ctl.dir + "/foreign.json"
        try text.replacingOccurrences(of: "\"clusterGUID\": \"", with: "\"clusterGUID\": \"x").write(toFile: foreign, atomically: false, encoding: .utf8)
        let refused = try ctl("ipam", "release", "--from-report=" + foreign, "--force")
        #expect(refused.status == 1 && refused.stderr.contains("mismatched cluster GUID. Refusing to release"), "\(refused.stderr)")
    }

    @Test("Group 3: invalid resources are refused in upstream's words (upstream's own test cases)", arguments: ParityStore.allCases)
    func upstreamMessages(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let np = { (rule: String) in "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: policy2}\nspec: {Egress: [\(rule)]}" }
        let cases: [(String, String)] = [
            ("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: badpeerIP, asNumber: 64512}",
             "error with field PeerIP = 'badpeerIP'"),
            ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {ipipMode: Always, cidr: 10.0.250.0/32}",
             "error with field IPPool.Spec.CIDR = '10.0.250.0/32' (IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.)"),
            ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {disabled: Maybe, cidr: 10.0.1.0/24}",
             "cannot parse string 'Maybe' into field IPPoolSpec.disabled of type bool"),
            (np("{action: Deny, protocol: TCP, source: {ports: [0, 10, 80]}}"), "error with field Port = '0' (port range invalid, port number must be between 1 and 65535)"),
            (np("{action: Deny, protocol: TCP, source: {ports: ['0:65535']}}"), "error with field Port = '0' (port range invalid, port number must be between 1 and 65535)"),
            (np("{action: Deny, protocol: TCP, source: {ports: ['1:65536']}}"), "invalid maximum port number in range (1:65536)"),
            (np("{action: Deny, protocol: TCP, source: {ports: ['65535:1']}}"), "minimum port number (65535) is greater than maximum port number (1) in port range"),
            (np("{action: Deny, protocol: TCP, source: {ports: [10, 90, 65536]}}"), "cannot unmarshal number 65536 into Go value of type uint16"),
            (np("{action: jumpupanddown, protocol: TCP}"), "error with field Action = 'jumpupanddown'"),
            ("apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: profile2}\nspec: {Ingress: [{ipVersion: 4, ICMP: {type: 256, code: 255}, action: Deny, protocol: ICMP}]}",
             "error with field Type = '256'"),
            ("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: bgppeer2}\nspec: {asNumber: 4294967296, node: node1, peerIP: 192.168.0.250}",
             "cannot unmarshal number into Go value of type string"),
            ("apiVersion: v7\nkind: BGPPeer\nmetadata: {name: bgppeer4}\nspec: {asNumber: 64513, node: node1, peerIP: 192.168.0.250}",
             "Unknown resource type (BGPPeer) and/or version (v7)"),
        ]
        for (input, expected) in cases {
            let r = try ctl("create", "-f", "-", stdin: input)
            #expect(r.status == 1 && r.stderr.contains(expected), "expected \(expected): \(r.stderr)")
        }
        #expect(try ctl("get", "ippools", "-o", "go-template={{len .}}").stdout == "0", "nothing was written")
    }

    @Test("Group 8: convert turns a Calico v1 manifest into v3 (offline, whatever the datastore)", arguments: ParityStore.allCases)
    func convert(_ store: ParityStore) async throws {
        let ctl = try await BuiltCtl(store)
        defer { ctl.stop() }
        let v1 = "apiVersion: v1\nkind: bgpPeer\nmetadata: {scope: global, peerIP: 192.168.1.1}\nspec: {asNumber: 64514}"
        let yaml = try ctl("convert", "-o", "yaml", "-f", "-", stdin: v1)
        #expect(yaml.status == 0 && yaml.stdout.contains("kind: BGPPeer") && yaml.stdout.contains("peerIP: 192.168.1.1"), "\(yaml.stdout)\(yaml.stderr)")
        let json = try ctl("convert", "-o", "json", "-f", "-", stdin: v1)
        #expect(json.status == 0 && json.stdout.contains("\"kind\": \"BGPPeer\""), "\(json.stdout)\(json.stderr)")
    }
}
