import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import Foundation
import Testing
@testable import CalicoCtlCore

/// IPAM state built through `IPAMClient` on an embedded store, then inspected with
/// `calicoctl ipam …` run in-process against the same store.
struct IPAMFixture {
    let dir: String
    let client: IPAMClient
    var environment: [String: String] { ["EMBEDDED_DATASTORE_PATH": dir + "/datastore.db"] }

    init() throws {
        dir = try tempDir()
        client = IPAMClient(datastore: Datastore(kv: try EmbeddedStore(path: dir + "/datastore.db")))
    }

    func ctl(_ args: [String]) async -> (code: Int32, out: String, err: String) {
        await run(args, environment: environment)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }

    /// Pool 10.244.0.0/16; block 10.244.0.0/26 of node1 holds pods 1–5 of node1 and the
    /// borrowed pod-6 of node2; block 10.244.0.64/26 of node2 holds pod-7. Every pod but
    /// pod-5 has a WorkloadEndpoint (so 10.244.0.5 is leaked); two more endpoints use
    /// 10.244.1.7 (in the pool, never allocated) and 192.0.2.10 (outside every pool); the
    /// handle `orphan-handle` has no addresses.
    func populate() async throws {
        let store = client.datastore
        _ = try await store.create(IPPool(metadata: ObjectMeta(name: "default-ipv4-ippool"), spec: IPPoolSpec(cidr: "10.244.0.0/16")))
        var info = ClusterInformation(metadata: ObjectMeta(name: "default"))
        info.spec.clusterGUID = "0123456789abcdef0123456789abcdef"
        info.spec.calicoVersion = CalicoCtl.version
        info.spec.clusterType = "k8s,bgp"
        info.spec.datastoreReady = true
        _ = try await store.create(info)
        let pods: [(ip: String, pod: Int, node: String)] = [
            ("10.244.0.1", 1, "node1"), ("10.244.0.2", 2, "node1"), ("10.244.0.3", 3, "node1"), ("10.244.0.4", 4, "node1"),
            ("10.244.0.5", 5, "node1"), ("10.244.0.65", 7, "node2"), ("10.244.0.6", 6, "node2"),
        ]
        for p in pods {
            _ = try await client.assignIP(IPAddress(p.ip)!, handleID: "k8s-pod-network.c\(p.pod)",
                                          attributes: ["node": p.node, "pod": "pod-\(p.pod)", "namespace": "default",
                                                       "timestamp": "2025-01-01 00:00:00 +0000 UTC"],
                                          hostname: p.node)
            if p.pod != 5 { try await addEndpoint(node: p.node, pod: "pod-\(p.pod)", ip: p.ip) }
        }
        try await addEndpoint(node: "node1", pod: "stray", ip: "10.244.1.7")
        try await addEndpoint(node: "node2", pod: "outside", ip: "192.0.2.10")
        let orphan = #"{"handleID":"orphan-handle","block":{}}"#
        _ = try await store.kv.create(IPAMKeys.handle("orphan-handle"), value: Array(orphan.utf8))
    }

    func addEndpoint(node: String, pod: String, ip: String) async throws {
        var wep = WorkloadEndpoint(metadata: ObjectMeta(name: "\(node)-k8s-\(pod.replacingOccurrences(of: "-", with: "--"))-eth0", namespace: "default"))
        wep.spec.orchestrator = "k8s"
        wep.spec.node = node
        wep.spec.pod = pod
        wep.spec.endpoint = "eth0"
        wep.spec.interfaceName = "cali\(pod.replacingOccurrences(of: "-", with: ""))"
        wep.spec.ipNetworks = ["\(ip)/32"]
        _ = try await client.datastore.create(wep)
    }
}

@Suite struct IPAMCommandTests {
    @Test func showPoolsExact() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        try await f.populate()
        let r = await f.ctl(["ipam", "show"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            +----------+---------------+-----------+------------+--------------+
            | GROUPING |     CIDR      | IPS TOTAL | IPS IN USE |   IPS FREE   |
            +----------+---------------+-----------+------------+--------------+
            | IP Pool  | 10.244.0.0/16 |     65536 | 7 (0%)     | 65529 (100%) |
            +----------+---------------+-----------+------------+--------------+

            """)
    }

    @Test func showBlocksExact() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        try await f.populate()
        let r = await f.ctl(["ipam", "show", "--show-blocks"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            +----------+----------------+-----------+------------+--------------+
            | GROUPING |      CIDR      | IPS TOTAL | IPS IN USE |   IPS FREE   |
            +----------+----------------+-----------+------------+--------------+
            | IP Pool  | 10.244.0.0/16  |     65536 | 7 (0%)     | 65529 (100%) |
            | Block    | 10.244.0.0/26  |        64 | 6 (9%)     | 58 (91%)     |
            | Block    | 10.244.0.64/26 |        64 | 1 (2%)     | 63 (98%)     |
            +----------+----------------+-----------+------------+--------------+

            """)
    }

    @Test func showLargePoolsUseGoNumberFormat() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        _ = try await f.client.datastore.create(IPPool(metadata: ObjectMeta(name: "big"), spec: IPPoolSpec(cidr: "10.0.0.0/12")))
        _ = try await f.client.datastore.create(IPPool(metadata: ObjectMeta(name: "v6"), spec: IPPoolSpec(cidr: "fd00:1::/48")))
        _ = try await f.client.assignIP(IPAddress("10.0.0.1")!, handleID: "h", attributes: [:], hostname: "n1")
        let r = await f.ctl(["ipam", "show"])
        #expect(r.code == 0, "\(r.err)")
        // %.5g: 2^20 = 1.0486e+06 (not numeric for tablewriter, so left-aligned), 2^80 = 1.2089e+24.
        #expect(r.out == """
            +----------+-------------+------------+------------+-------------------+
            | GROUPING |    CIDR     | IPS TOTAL  | IPS IN USE |     IPS FREE      |
            +----------+-------------+------------+------------+-------------------+
            | IP Pool  | 10.0.0.0/12 | 1.0486e+06 | 1 (0%)     | 1.0486e+06 (100%) |
            | IP Pool  | fd00:1::/48 | 1.2089e+24 | 0 (0%)     | 1.2089e+24 (100%) |
            +----------+-------------+------------+------------+-------------------+

            """)
    }

    @Test func showIP() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        try await f.populate()
        let used = await f.ctl(["ipam", "show", "--ip=10.244.0.6"])
        #expect(used.code == 0)
        #expect(used.out == """
            IP 10.244.0.6 is in use
            Attributes:
              namespace: default
              node: node2
              pod: pod-6
              timestamp: 2025-01-01 00:00:00 +0000 UTC

            """)
        _ = try await f.client.assignIP(IPAddress("10.244.0.9")!, handleID: "bare", attributes: [:], hostname: "node1")
        let bare = await f.ctl(["ipam", "show", "--ip", "10.244.0.9"])
        #expect(bare.out == "IP 10.244.0.9 is in use\nNo attributes defined\n")
        let free = await f.ctl(["ipam", "show", "--ip=10.244.0.10"])
        #expect(free.code == 0 && free.out == "10.244.0.10 is not assigned\n")
        let outside = await f.ctl(["ipam", "show", "--ip=172.16.0.1"])
        #expect(outside.out == "172.16.0.1 is not assigned\n")
        let bad = await f.ctl(["ipam", "show", "--ip=10.244.0"])
        #expect(bad.code == 1 && bad.err.contains("invalid IP address"))
    }

    @Test func showBorrowedExact() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        try await f.populate()
        let r = await f.ctl(["ipam", "show", "--show-borrowed"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            +------------+----------------+---------------+-------------+------+---------------+
            |     IP     | BORROWING-NODE |     BLOCK     | BLOCK OWNER | TYPE | ALLOCATED-TO  |
            +------------+----------------+---------------+-------------+------+---------------+
            | 10.244.0.6 | node2          | 10.244.0.0/26 | node1       | pod  | default/pod-6 |
            +------------+----------------+---------------+-------------+------+---------------+

            """)
    }

    @Test func showConfigurationAndConfigure() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        let before = await f.ctl(["ipam", "show", "--show-configuration"])
        #expect(before.code == 0, "\(before.err)")
        #expect(before.out == """
            +--------------------+-------+
            |      PROPERTY      | VALUE |
            +--------------------+-------+
            | StrictAffinity     | false |
            | AutoAllocateBlocks | true  |
            | MaxBlocksPerHost   |     0 |
            +--------------------+-------+

            """)
        let set = await f.ctl(["ipam", "configure", "--strictaffinity=true", "--max-blocks-per-host=4"])
        #expect(set.code == 0, "\(set.err)")
        #expect(set.out == "Successfully set StrictAffinity to: true\nSuccessfully set MaxBlocksPerHost to: 4\n")
        #expect(try await f.client.settings().strictAffinity)
        #expect(try await f.client.settings().maxBlocksPerHost == 4)
        let after = await f.ctl(["ipam", "show", "--show-configuration"])
        #expect(after.out.contains("| StrictAffinity     | true  |"))
        #expect(after.out.contains("| MaxBlocksPerHost   |     4 |"))

        // MaxBlocksPerHost needs strict affinity; the existing limit stays when not given.
        let refused = await f.ctl(["ipam", "configure", "--strictaffinity=false"])
        #expect(refused.code == 1 && refused.err.contains("MaxBlocksPerHost requires StrictAffinity"))
        let off = await f.ctl(["ipam", "configure", "--strictaffinity=false", "--max-blocks-per-host=0"])
        #expect(off.code == 0 && off.out == "Successfully set StrictAffinity to: false\nSuccessfully set MaxBlocksPerHost to: 0\n")
        let onlyStrict = await f.ctl(["ipam", "configure", "--strictaffinity=T"])
        #expect(onlyStrict.out == "Successfully set StrictAffinity to: true\n")

        let badBool = await f.ctl(["ipam", "configure", "--strictaffinity=maybe"])
        #expect(badBool.code == 1 && badBool.err.contains("--strictaffinity"))
        let missing = await f.ctl(["ipam", "configure"])
        #expect(missing.code == 1 && missing.err.contains("Usage:"))
        let twoModes = await f.ctl(["ipam", "show", "--show-blocks", "--show-configuration"])
        #expect(twoModes.code == 1 && twoModes.err.contains("Usage:"))
    }

    @Test func release() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        try await f.populate()
        let r = await f.ctl(["ipam", "release", "--ip=10.244.0.5"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == "Successfully released IP address 10.244.0.5\n")
        #expect(try await f.client.allocation(of: IPAddress("10.244.0.5")!) == nil)
        #expect(try await f.client.handles().contains { $0.handleID == "k8s-pod-network.c5" } == false)
        let again = await f.ctl(["ipam", "release", "--ip=10.244.0.5"])
        #expect(again.code == 1 && again.err == "Error: IP address 10.244.0.5 is not assigned\n")
        let outside = await f.ctl(["ipam", "release", "--ip=172.16.0.1"])
        #expect(outside.code == 1 && outside.err.contains("is not assigned"))
        let noIP = await f.ctl(["ipam", "release"])
        #expect(noIP.code == 1 && noIP.err.contains("Usage:"))
    }

    @Test func checkFindsEveryKindOfProblem() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        try await f.populate()
        let report = f.dir + "/report.json"
        let r = await f.ctl(["ipam", "check", "-o", report])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == """
            Checking IPAM for inconsistencies...

            Loading all IPAM pools...
              10.244.0.0/16
            Found 1 active IP pools.

            Loading all IPAM blocks...
            Found 2 IPAM blocks.
             IPAM block 10.244.0.0/26 affinity=host:node1:
             IPAM block 10.244.0.64/26 affinity=host:node2:
            IPAM blocks record 7 allocations.

            Loading all IPAM handles...
            Found 8 IPAM handles.

            Loading all nodes.
            Found 0 node tunnel IPs.

            Loading all workload endpoints.
            Found 8 workload IPs.
            Workloads and nodes are using 8 IPs.

            Looking for top (up to 20) nodes by allocations...
              node1 has 5 allocations
              node2 has 2 allocations
            Node with most allocations has 5; median is 5

            Scanning for IPs that are allocated but not actually in use...
            Found 1 IPs that are allocated in IPAM but not actually in use.
            Scanning for IPs that are in use by a workload or node but not allocated in IPAM...
            Found 1 in-use IPs that are not in active IP pools.
            Found 1 in-use IPs that are in active IP pools but have no corresponding IPAM allocation.
            Found 0 in-use IPs with multiple owners.

            Scanning for IPAM handles with no matching IPs...
            Found 1 handles with no matching IPs (and 0 IPs with no matching handle).
            Scanning for IPs with missing handle...
            Found 0 handles mentioned in blocks with no matching handle resource.
            Check complete; found 4 problems.

            """)

        // The JSON report.
        let data = try #require(FileManager.default.contents(atPath: report))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["version"] as? String == CalicoCtl.version)
        #expect(json["clusterGUID"] as? String == "0123456789abcdef0123456789abcdef")
        #expect(json["datastoreLocked"] as? Bool == false)
        #expect(json["clusterType"] as? String == "k8s,bgp")
        #expect(Int(json["clusterInformationRevision"] as? String ?? "") != nil)
        let allocations = try #require(json["allocations"] as? [String: [[String: Any]]])
        #expect(allocations.count == 7)
        let leaked = try #require(allocations["10.244.0.5"]?.first)
        #expect(leaked["inUse"] as? Bool == false)
        #expect(leaked["handle"] as? String == "k8s-pod-network.c5")
        #expect(leaked["pod"] as? String == "pod-5" && leaked["namespace"] as? String == "default" && leaked["node"] as? String == "node1")
        #expect(leaked["type"] as? String == "pod")
        #expect(leaked["creationTimestamp"] as? String == "2025-01-01 00:00:00 +0000 UTC")
        #expect((leaked["sequenceNumber"] as? NSNumber)?.uint64Value ?? 0 > 0)
        #expect((leaked["owners"] as? [Any])?.isEmpty == true)
        let borrowed = try #require(allocations["10.244.0.6"]?.first)
        #expect(borrowed["inUse"] as? Bool == true && borrowed["borrowed"] as? Bool == true)
        #expect(borrowed["owners"] as? [String] == ["WorkloadEndpoint(default/node2-k8s-pod--6-eth0)"])
        #expect(allocations["10.244.0.1"]?.first?["borrowed"] as? Bool == false)
        let handles = try #require(json["leakedHandles"] as? [[String: String]])
        #expect(handles.map { $0["handle"] } == ["orphan-handle"])

        // Releasing the leak (and the orphan handle's owner-less problems stay) lowers the count.
        #expect(await f.ctl(["ipam", "release", "--ip=10.244.0.5"]).code == 0)
        let after = await f.ctl(["ipam", "check"])
        #expect(after.out.hasSuffix("Check complete; found 3 problems.\n"))
        #expect(after.out.contains("Found 0 IPs that are allocated in IPAM but not actually in use."))
    }

    @Test func checkDetailFlags() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        try await f.populate()
        let problems = await f.ctl(["ipam", "check", "--show-problem-ips"])
        #expect(problems.out.contains("  10.244.0.5 leaked; attrs Main:k8s-pod-network.c5 Extra:namespace=default,node=node1,pod=pod-5,timestamp=2025-01-01 00:00:00 +0000 UTC\n"))
        #expect(problems.out.contains("  192.0.2.10 in use by WorkloadEndpoint(default/node2-k8s-outside-eth0) is not in any active IP pool\n"))
        #expect(problems.out.contains("  10.244.1.7 in use by WorkloadEndpoint(default/node1-k8s-stray-eth0) is not allocated in IPAM\n"))
        #expect(problems.out.contains("  handle orphan-handle has no matching IPs\n"))
        #expect(!problems.out.contains("allocated; attrs"))
        let all = await f.ctl(["ipam", "check", "--show-all-ips"])
        #expect(all.out.contains("  10.244.0.1 allocated; attrs Main:k8s-pod-network.c1 "))
        #expect(all.out.contains("  10.244.0.1 in use by WorkloadEndpoint(default/node1-k8s-pod--1-eth0)\n"))
        #expect(!all.out.contains("leaked; attrs"))
    }

    @Test func checkCountsNodeTunnelAddressesAsOwners() async throws {
        let f = try IPAMFixture()
        defer { f.cleanup() }
        _ = try await f.client.datastore.create(IPPool(metadata: ObjectMeta(name: "p"), spec: IPPoolSpec(cidr: "10.244.0.0/16")))
        _ = try await f.client.assignIP(IPAddress("10.244.0.1")!, handleID: "ipip-tunnel-addr-node1",
                                        attributes: ["node": "node1", "type": "ipipTunnelAddress"], hostname: "node1")
        var node = Node(metadata: ObjectMeta(name: "node1"))
        node.spec.bgp = NodeBGPSpec(ipv4Address: "192.0.2.1/24")
        node.spec.bgp?.ipv4IPIPTunnelAddr = "10.244.0.1"
        _ = try await f.client.datastore.create(node)
        let r = await f.ctl(["ipam", "check"])
        #expect(r.out.contains("Found 1 node tunnel IPs."))
        #expect(r.out.hasSuffix("Check complete; found 0 problems.\n"))
    }

    @Test func usageAndUnknownSubcommands() async throws {
        let help = await run(["ipam", "--help"])
        #expect(help.code == 0 && help.out.contains("calicoctl ipam <command> [<args>...]"))
        for sub in ["show", "check", "release", "configure", "split"] {
            let r = await run(["ipam", sub, "--help"])
            #expect(r.code == 0 && r.out.contains("calicoctl ipam \(sub)"), "\(sub) --help")
        }
        let none = await run(["ipam"])
        #expect(none.code == 1 && none.err.contains("Usage:"))
        let bogus = await run(["ipam", "frob"])
        #expect(bogus.code == 1 && bogus.err.contains("Usage:"))
    }
}
