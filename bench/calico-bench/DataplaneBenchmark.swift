import CalicoAPI
import CalicoDatastore
import CalicoNetlink
import FelixCalc
import FelixDataplane
import Felix
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `calico-bench dataplane` (issue 6), run as root. Inside a network namespace of its own:
/// (a) 200 local endpoints, then 1,000 policies written in one datastore transaction: time until
///     Felix has them in the kernel, against `nft -f` of the identical final ruleset;
/// (b) one policy changed in that state: time to kernel, p50/p99;
/// (c) iperf3 TCP throughput and ping latency between two real pods with that ruleset and a
///     10k-member IP set on the path, against no Calico table at all.
enum DataplaneBenchmark {
    static let node = "bench-node"

    static func run() async throws {
        guard getuid() == 0 else { throw BenchError("dataplane: needs root (network namespaces, nftables)") }
        if ProcessInfo.processInfo.environment["CALICO_BENCH_NETNS"] == nil {
            let ns = "cbench-\(getpid())"
            _ = try CommandRunner.check(["ip", "netns", "add", ns])
            defer {
                for name in (try? CommandRunner.check(["ip", "netns", "list"]))?.split(separator: "\n") ?? [] {
                    let n = String(name.split(separator: " ")[0])
                    if n.hasPrefix(ns) { _ = try? CommandRunner.run(["ip", "netns", "del", n]) }
                }
            }
            try makePods(ns)
            var env = ProcessInfo.processInfo.environment
            env["CALICO_BENCH_NETNS"] = ns
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            // Felix's log goes to a file (CALICO_BENCH_FELIX_LOG) or nowhere; the figures to our output.
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            child.arguments = ["ip", "netns", "exec", ns, exe, "dataplane"]
            child.environment = env
            child.standardOutput = FileHandle.standardOutput
            child.standardError = FileHandle(forWritingAtPath: "/dev/null")
            if let log = env["CALICO_BENCH_FELIX_LOG"] {
                _ = FileManager.default.createFile(atPath: log, contents: nil)
                child.standardError = FileHandle(forWritingAtPath: log)
            }
            try child.run()
            child.waitUntilExit()
            if child.terminationStatus != 0 { throw BenchError("dataplane benchmark failed (exit \(child.terminationStatus))") }
            return
        }
        try await inside(namespace: ProcessInfo.processInfo.environment["CALICO_BENCH_NETNS"]!)
    }

    struct BenchError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func sh(_ argv: [String]) throws -> String { try CommandRunner.check(argv) }

    /// Two pods wired like the CNI plugin does (veth, /32, 169.254.1.1 gateway, host route),
    /// from the root namespace with `ip -n`.
    static func makePods(_ ns: String) throws {
        _ = try sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        _ = try sh(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        // Proxy ARP for 169.254.1.1 answers only with a route covering it: an uplink into a
        // namespace of its own carries the node's default route.
        let up = "\(ns)-up"
        _ = try sh(["ip", "netns", "add", up])
        _ = try sh(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", up])
        _ = try sh(["ip", "-n", ns, "addr", "add", "198.51.100.1/24", "dev", "eth0"])
        _ = try sh(["ip", "-n", up, "addr", "add", "198.51.100.254/24", "dev", "eth0"])
        _ = try sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
        _ = try sh(["ip", "-n", up, "link", "set", "eth0", "up"])
        _ = try sh(["ip", "-n", ns, "route", "add", "default", "via", "198.51.100.254"])
        for i in 1...2 {
            let pod = "\(ns)-p\(i)", host = "calibench\(i)"
            _ = try sh(["ip", "netns", "add", pod])
            _ = try sh(["ip", "-n", ns, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", pod])
            _ = try sh(["ip", "-n", ns, "link", "set", host, "up"])
            _ = try sh(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.\(host).proxy_arp=1"])
            _ = try sh(["ip", "-n", ns, "route", "add", "10.244.0.\(i)/32", "dev", host, "scope", "link"])
            for cmd in [["link", "set", "lo", "up"], ["link", "set", "eth0", "up"], ["addr", "add", "10.244.0.\(i)/32", "dev", "eth0"],
                        ["route", "add", "169.254.1.1", "dev", "eth0", "scope", "link"], ["route", "add", "default", "via", "169.254.1.1", "dev", "eth0"]] {
                _ = try sh(["ip", "-n", pod] + cmd)
            }
        }
    }

    static func yaml(_ text: String) throws -> [any CalicoResource] {
        try ResourceReader.read(text, source: "bench").map { try $0.result.get() }
    }

    /// The endpoints (200 on this node, 2 of them real pods), a 10k-address network set and
    /// 1,000 policies (selectors, ports, nets) that all select local endpoints.
    static func resources() throws -> (endpoints: [any CalicoResource], policies: [String]) {
        var docs = ["apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: kns.bench}\nspec: {ingress: [{action: Allow}], egress: [{action: Allow}]}"]
        for i in 0..<200 {
            let real = i < 2
            let ip = real ? "10.244.0.\(i + 1)/32" : "10.245.\(i / 256).\(i % 256)/32"
            let iface = real ? "calibench\(i + 1)" : "calif" + String(format: "%010x", i)
            docs.append("""
                apiVersion: projectcalico.org/v3
                kind: WorkloadEndpoint
                metadata: {name: \(node)-k8s-pod\(i)-eth0, namespace: bench, labels: {app: app\(i % 20), tier: t\(i % 5)\(real ? ", bench: real" : "")}}
                spec: {node: \(node), orchestrator: k8s, pod: pod\(i), endpoint: eth0, interfaceName: \(iface), ipNetworks: ['\(ip)'], profiles: [kns.bench]}
                """)
        }
        let nets = (0..<10_000).map { "'10.246.\($0 / 250).\($0 % 250 + 1)/32'" }.joined(separator: ", ")
        docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: big, labels: {set: big}}\nspec: {nets: [\(nets)]}")
        var policies = ["""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: iperf}
            spec: {order: 1, selector: bench == 'real', ingress: [{action: Allow, source: {selector: set == 'big' || bench == 'real'}}], egress: [{action: Allow}]}
            """]
        for k in 1..<1000 { policies.append(policy(k, port: 80 + k % 50)) }
        return (try yaml(docs.joined(separator: "\n---\n")), policies)
    }

    static func policy(_ k: Int, port: Int) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p\(k)}
        spec:
          order: \(10 + k)
          selector: app == 'app\(k % 20)'
          ingress:
          - {action: \(k % 7 == 0 ? "Deny" : "Allow"), protocol: TCP, source: {selector: tier == 't\(k % 5)'}, destination: {ports: [\(port)]}}
          - {action: Allow, protocol: UDP, source: {nets: [10.247.\(k % 250).0/24]}}
          egress: [{action: Allow}]
        """
    }

    static func write(_ ds: Datastore, _ items: [any CalicoResource]) async throws {
        var ops: [KVOperation] = []
        for r in items {
            let p = try ds.prepare(r)
            ops.append(.put(key: p.key, value: p.value))
        }
        _ = try await ds.kv.transaction(ops)
    }

    /// Waits (polling every 0.2 ms) until `condition` holds on the dataplane; returns the time.
    final class Watcher: @unchecked Sendable {
        let lock = NSLock()
        var condition: ((NftablesDataplane) -> Bool)?
        var metAt: ContinuousClock.Instant?
        func check(_ dp: NftablesDataplane) {
            lock.withLock {
                if let c = condition, metAt == nil, c(dp) { metAt = .now }
            }
        }
        func arm(_ c: @escaping (NftablesDataplane) -> Bool) { lock.withLock { condition = c; metAt = nil } }
        func wait(timeout: Double = 120) async throws -> ContinuousClock.Instant {
            let deadline = ContinuousClock.now + .seconds(timeout)
            while ContinuousClock.now < deadline {
                if let t = lock.withLock({ metAt }) { return t }
                try await Task.sleep(for: .microseconds(200))
            }
            throw BenchError("timed out waiting for the dataplane")
        }
    }

    /// Median time of a small transaction (a chain added, a rule, the chain deleted) through
    /// each backend.
    static func backendTimes() throws -> (lib: Double, cmd: Double) {
        let script = "add chain ip calico bench-probe\nadd rule ip calico bench-probe counter\ndelete chain ip calico bench-probe\n"
        func median(_ b: any NftBackend) throws -> Double {
            var t: [Double] = []
            for _ in 0..<21 {
                let s = ContinuousClock.now
                try b.run(script, check: false)
                t.append((ContinuousClock.now - s).seconds)
            }
            return t.sorted()[10]
        }
        return (try median(LibNftables()), try median(NftCommand()))
    }

    static func inside(namespace ns: String) async throws {
        let dir = NSTemporaryDirectory() + "cbench-dp-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = Datastore(kv: try EmbeddedStore(path: dir + "/datastore.db"))
        let (endpoints, policies) = try resources()
        try await write(ds, endpoints)

        let watcher = Watcher()
        let daemon = try FelixDaemon(hostname: node, datastore: ds, environment: [:], arguments: ["-c", "/nonexistent"], afterApply: watcher.check)
        let felix = Task { try await daemon.run() }
        watcher.arm { $0.endpointCount == 200 }
        _ = try await watcher.wait()

        let smallTable = try backendTimes()

        // (a) 1,000 policies in one write → kernel.
        let lastID = PolicyID(tier: "default", name: "default.p999")
        watcher.arm { $0.appliedPolicyCount == 1000 && $0.appliedPolicy(lastID) != nil }
        let t0 = ContinuousClock.now
        let policyResources = try yaml(policies.joined(separator: "\n---\n"))
        try await write(ds, policyResources)
        let t1 = try await watcher.wait()
        let ours = (t1 - t0).seconds
        let rules = try sh(["nft", "list", "table", "ip", "calico"]) + (try sh(["nft", "list", "table", "ip6", "calico"]))
        let ruleCount = rules.split(separator: "\n").filter { $0.contains("comment \"cali:") }.count
        let file = dir + "/ruleset.nft"
        try rules.write(toFile: file, atomically: false, encoding: .utf8)
        // The same ruleset with nft -f (a fresh process, as a script would): table deleted first.
        var nftTimes: [Double] = []
        for _ in 0..<3 {
            _ = try sh(["nft", "delete", "table", "ip", "calico"])
            _ = try sh(["nft", "delete", "table", "ip6", "calico"])
            let s = ContinuousClock.now
            _ = try sh(["nft", "-f", file])
            nftTimes.append((ContinuousClock.now - s).seconds)
        }
        let nft = nftTimes.sorted()[1]
        say(String(format: "dataplane (a) 200 endpoints + 1,000 policies (%d rules in both tables): datastore write → kernel %.0f ms; nft -f of the same ruleset %.0f ms → ratio %.2fx",
                   ruleCount, ours * 1000, nft * 1000, ours / nft))

        // (b) one policy change → kernel.
        var samples: [Double] = []
        for n in 0..<100 {
            let k = 1 + n % 999
            let p = try yaml(policy(k, port: 2000 + n))[0]
            let id = PolicyID(tier: "default", name: "default.p\(k)")
            let want = "\(2000 + n)"
            watcher.arm { $0.appliedPolicy(id)?.inbound.first?.dstPorts == [want] }
            let s = ContinuousClock.now
            try await write(ds, [p])
            samples.append((try await watcher.wait() - s).seconds)
        }
        samples.sort()
        say(String(format: "dataplane (b) one policy change → kernel: p50 %.2f ms, p99 %.2f ms (100 changes)",
                   samples[49] * 1000, samples[98] * 1000))

        let bigTable = try backendTimes()
        say(String(format: "dataplane (d) one small transaction: libnftables %.2f ms vs nft -f %.2f ms (200 endpoints only); %.2f ms vs %.2f ms (full ruleset) → libnftables chosen",
                   smallTable.lib * 1000, smallTable.cmd * 1000, bigTable.lib * 1000, bigTable.cmd * 1000))

        // (c) pod-to-pod throughput and latency, with the ruleset and without Calico's tables.
        let p1 = "\(ns)-p1", p2 = "\(ns)-p2"
        func measure() throws -> (gbps: Double, rttMs: Double) {
            let m = try PathMeter.measure(from: p1, to: p2, address: "10.244.0.2")
            return (m.gbps, m.rttMicroseconds / 1000)
        }
        func median(_ runs: [(Double, Double)]) -> (Double, Double) {
            (runs.map(\.0).sorted()[runs.count / 2], runs.map(\.1).sorted()[runs.count / 2])
        }
        // With the 1,000 policies and the 10k-member set on the path.
        let with = median(try (0..<3).map { _ in try measure() })
        // No policy: every policy deleted, Felix's tables otherwise in place (profiles allow).
        let kind = ResourceRegistry.kind(named: "globalnetworkpolicy")!
        let deletes = (["iperf"] + (1..<1000).map { "p\($0)" }).map { KVOperation.delete(key: ResourcePaths.key(kind, namespace: nil, name: "default.\($0)"), expectedRevision: nil) }
        watcher.arm { $0.appliedPolicyCount == 0 }
        _ = try await ds.kv.transaction(deletes)
        _ = try await watcher.wait()
        let noPolicy = median(try (0..<3).map { _ in try measure() })
        // No Calico at all: Felix stopped, its tables deleted (no conntrack either).
        felix.cancel()
        _ = try? await felix.value
        _ = try sh(["nft", "delete", "table", "ip", "calico"])
        _ = try sh(["nft", "delete", "table", "ip6", "calico"])
        let bare = median(try (0..<3).map { _ in try measure() })
        say(String(format: "dataplane (c) pod→pod iperf3 TCP (median of 3): %.2f Gbit/s with the ruleset and a 10k-member set; %.2f without policies → ratio %.2f; %.2f without any Calico table → ratio %.2f",
                   with.0, noPolicy.0, with.0 / noPolicy.0, bare.0, with.0 / bare.0))
        say(String(format: "dataplane (c) ping avg (median of 3 × 200): %.1f µs with the ruleset; %.1f µs without policies → ratio %.2f; %.1f µs without any Calico table → ratio %.2f",
                   with.1 * 1000, noPolicy.1 * 1000, noPolicy.1 / with.1, bare.1 * 1000, bare.1 / with.1))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
