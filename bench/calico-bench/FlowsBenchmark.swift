import FelixCalc
import FelixDataplane
import Foundation
import Goldmane
import GoldmaneAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `calico-bench flows` (issue 15), release build, no root needed. Ratios first:
/// (a) Felix's CPU time per 10,000 connections collected (NFLOG messages parsed, verdicts
///     recorded, conntrack's table parsed, flows named and traced with the pending trace
///     evaluated, each flow encoded for Goldmane) against parsing the same NFLOG messages
///     alone; 10,000 distinct flow keys, 200 local endpoints, a staged policy;
/// (b) Goldmane's ingest rate over gRPC (one Connect stream, receipts, the ingest queue, the
///     aggregator) against the same stream into a collector that only answers receipts;
/// (c) one hour (and a second) of 200 distinct flows per second, every flow a new key: the
///     resident memory it takes, bounded after the first hour, and List latency over the hour
///     against the same queries over 15 s of data.
/// Rounds: `CALICO_BENCH_ROUNDS` (5); `CALICO_BENCH_PARTS` picks some of a, b, c (all).
enum FlowsBenchmark {
    static func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let rounds = Int(env["CALICO_BENCH_ROUNDS"] ?? "") ?? 5
        let parts = env["CALICO_BENCH_PARTS"] ?? "abc"
        if parts.contains("a") { try felixCollector(rounds: rounds) }
        if parts.contains("b") { try await goldmaneIngest(rounds: rounds) }
        if parts.contains("c") { try await goldmaneHour() }
    }

    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// This process's resident memory in MiB (VmRSS).
    static func residentMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    // MARK: (a) Felix

    static let allow = PolicyID(tier: "default", name: "default.allow-apps")
    static let staged = PolicyID(tier: "default", name: "staged:default.lockdown")

    /// One NFLOG packet message as the kernel sends it (group 1, a prefix, an IPv4/TCP header).
    static func nflogMessage(prefix: String, source: [UInt8], destination: [UInt8], sourcePort: Int, destinationPort: Int) -> [UInt8] {
        let ip: [UInt8] = [0x45, 0, 0, 60, 0, 0, 0, 0, 64, 6, 0, 0] + source + destination
            + [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
        func attr(_ type: UInt16, _ v: [UInt8]) -> [UInt8] {
            let len = 4 + v.count
            return [UInt8(len & 0xff), UInt8(len >> 8), UInt8(type), 0] + v + Array(repeating: 0, count: (4 - len % 4) % 4)
        }
        let body: [UInt8] = [2, 0, 0, 1] + attr(10, Array(prefix.utf8) + [0]) + attr(9, ip)
        let total = 16 + body.count
        return [UInt8(total & 0xff), UInt8(total >> 8), 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + body
    }

    static func felixCollector(rounds: Int) throws {
        let connections = 10_000
        // Reads of 50 messages each, as the netlink socket hands them over.
        var buffers: [[UInt8]] = []
        var current: [UInt8] = []
        var conntrack = ""
        for i in 0..<connections {
            let src: [UInt8] = [10, 244, 1, UInt8(i % 250)], dst: [UInt8] = [10, 244, 0, UInt8(i % 200)]
            let sport = 30_000 + i % 20_000, dport = 1_000 + i
            current += nflogMessage(prefix: "API0|default.allow-apps", source: src, destination: dst, sourcePort: sport, destinationPort: dport)
            if (i + 1) % 50 == 0 {
                buffers.append(current)
                current = []
            }
            let s = src.map(String.init).joined(separator: "."), d = dst.map(String.init).joined(separator: ".")
            conntrack += "tcp      6 431999 ESTABLISHED src=\(s) dst=\(d) sport=\(sport) dport=\(dport) packets=6 bytes=700 "
                + "src=\(d) dst=\(s) sport=\(dport) dport=\(sport) packets=5 bytes=1900 [ASSURED] mark=0 use=1\n"
        }
        if !current.isEmpty { buffers.append(current) }
        let table = conntrack

        var names: [String: (id: EndpointID, displayName: String, labels: [String: String])] = [:]
        for i in 0..<250 {
            names["10.244.1.\(i)"] = (.workload(namespace: "clients", name: "node2-k8s-client-\(i)-eth0"), "client-\(i)", ["app": "client", "pod": "c\(i)"])
        }
        for i in 0..<200 {
            names["10.244.0.\(i)"] = (.workload(namespace: "apps", name: "node1-k8s-app-\(i)-eth0"), "app-\(i)", ["app": "server", "pod": "a\(i)"])
        }
        let directory = names

        func collector() -> FlowLogCollector {
            let c = FlowLogCollector(now: 1000)
            c.directory = { directory[$0] }
            c.conntrack = { ConntrackCounters.parse(table) }
            var tcp = ParsedRule(action: "allow")
            tcp.protocol = "tcp"
            tcp.dstPorts = ["1000:20000"]
            var deny = ParsedRule(action: "deny")
            deny.protocol = "tcp"
            deny.dstPorts = ["5000:6000"]
            c.onUpdate(.activePolicyUpdate(allow, ActivePolicy(namespace: nil, inbound: [tcp], outbound: [], untracked: false, preDNAT: false,
                                                               staged: false, originalSelector: "app == 'server'")))
            c.onUpdate(.activePolicyUpdate(staged, ActivePolicy(namespace: nil, inbound: [deny, ParsedRule(action: "allow")], outbound: [],
                                                                untracked: false, preDNAT: false, staged: true, originalSelector: "app == 'server'")))
            for i in 0..<200 {
                c.onUpdate(.endpointUpdate(EndpointUpdate(
                    id: .workload(namespace: "apps", name: "node1-k8s-app-\(i)-eth0"), interfaceName: "cali\(i)", mac: nil, profileIDs: ["kns.apps"],
                    ipv4Nets: ["10.244.0.\(i)/32"], ipv6Nets: [],
                    tiers: [TierInfo(name: "default", ingressPolicies: [staged, allow], egressPolicies: [], defaultAction: "Deny")])))
            }
            return c
        }

        var full: [Double] = [], parseOnly: [Double] = [], conntrackOnly: [Double] = [], recording: [Double] = [], flushing: [Double] = []
        var flowCount = 0, bytes = 0
        for _ in 0..<rounds {
            var t = cpuSeconds()
            var events = 0
            for b in buffers { events += NflogReader.parse(b).count }
            parseOnly.append(cpuSeconds() - t)
            guard events == connections else { throw DataplaneBenchmark.BenchError("flows (a): parsed \(events) of \(connections) verdicts") }

            t = cpuSeconds()
            _ = ConntrackCounters.parse(table)
            conntrackOnly.append(cpuSeconds() - t)

            let c = collector()
            t = cpuSeconds()
            for b in buffers {
                for e in NflogReader.parse(b) { c.record(e) }
            }
            let recorded = cpuSeconds()
            let flows = c.flush(now: 1015)
            let flushed = cpuSeconds()
            var encoded = 0
            for f in flows {
                var u = Goldmane_FlowUpdate()
                u.flow = f
                encoded += try (u.serializedBytes() as [UInt8]).count
            }
            full.append(cpuSeconds() - t)
            recording.append(recorded - t)
            flushing.append(flushed - recorded)
            flowCount = flows.count
            bytes = encoded
            guard flows.allSatisfy({ $0.key.policies.pendingPolicies.first?.kind == .stagedGlobalNetworkPolicy }) else {
                throw DataplaneBenchmark.BenchError("flows (a): a flow without its pending trace")
            }
        }
        let f = PathMeter.summary(full), p = PathMeter.summary(parseOnly)
        say(String(format: "flows (a) Felix CPU per 10k connections collected vs parsing their NFLOG messages alone: ratio %.1f (median of %d)", f.median / p.median, rounds))
        say(String(format: "flows (a) collected, named, traced (enforced + pending), conntrack-counted and encoded: %.1f ms CPU (%.1f–%.1f); NFLOG parsing alone: %.1f ms (%.1f–%.1f); %d flows, %d bytes for Goldmane",
                   f.median * 1000, f.min * 1000, f.max * 1000, p.median * 1000, p.min * 1000, p.max * 1000, flowCount, bytes))
        say(String(format: "flows (a) of which: reading and recording %.1f ms, the flush %.1f ms (conntrack's 10k-line table parsed alone: %.1f ms), encoding the rest",
                   PathMeter.summary(recording).median * 1000, PathMeter.summary(flushing).median * 1000, PathMeter.summary(conntrackOnly).median * 1000))
    }

    // MARK: (b) Goldmane ingest

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    /// A collector that answers receipts and keeps nothing: gRPC's own cost.
    struct ReceiptsOnly: Goldmane_FlowCollector.SimpleServiceProtocol {
        let counter: Counter

        func connect(request: RPCAsyncSequence<Goldmane_FlowUpdate, any Error>, response: RPCWriter<Goldmane_FlowReceipt>,
                     context: ServerContext) async throws {
            for try await _ in request {
                counter.value.withLock { $0 += 1 }
                try await response.write(Goldmane_FlowReceipt())
            }
        }
    }

    /// Pushes `flows` over one Connect stream to a server with `services`; seconds until
    /// `done` says everything arrived.
    static func push(_ flows: [Goldmane_Flow], services: [any RegistrableRPCService], done: @Sendable () async -> Bool) async throws -> Double {
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: services)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let port = try await transport.listeningAddress.ipv4!.port
            let client = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
            let started = ContinuousClock.now
            try await withGRPCClient(transport: client) { c in
                _ = try await Goldmane_FlowCollector.Client(wrapping: c).connect(requestProducer: { writer in
                    for f in flows {
                        var u = Goldmane_FlowUpdate()
                        u.flow = f
                        try await writer.write(u)
                    }
                }, onResponse: { response in
                    for try await _ in response.messages {}
                })
            }
            while !(await done()) { try await Task.sleep(for: .milliseconds(1)) }
            let elapsed = ContinuousClock.now - started
            server.beginGracefulShutdown()
            group.cancelAll()
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }

    /// A flow as Felix sends it: one policy hit each way, a few labels.
    static func flow(_ i: Int, start: Int64) -> Goldmane_Flow {
        var f = Goldmane_Flow()
        f.key.sourceName = "client-\(i % 997)"
        f.key.sourceNamespace = "clients"
        f.key.sourceType = .workloadEndpoint
        f.key.destName = "app-\(i / 997)"
        f.key.destNamespace = "apps"
        f.key.destType = .workloadEndpoint
        f.key.destPort = 8080
        f.key.proto = "tcp"
        f.key.action = .allow
        f.key.reporter = .dst
        var hit = Goldmane_PolicyHit()
        hit.kind = .globalNetworkPolicy
        hit.name = "allow-apps"
        hit.tier = "default"
        hit.action = .allow
        f.key.policies.enforcedPolicies = [hit]
        var pending = hit
        pending.kind = .stagedGlobalNetworkPolicy
        pending.name = "lockdown"
        pending.action = .deny
        f.key.policies.pendingPolicies = [pending]
        f.startTime = start
        f.endTime = start + 15
        f.sourceLabels = ["app=client", "pod-template-hash=5d9c7b"]
        f.destLabels = ["app=server", "tier=backend"]
        f.packetsIn = 6
        f.packetsOut = 5
        f.bytesIn = 700
        f.bytesOut = 1900
        f.numConnectionsStarted = 1
        f.sourceIps = ["10.244.1.\(i % 250)"]
        f.destIps = ["10.244.0.\(i % 200)"]
        return f
    }

    static func goldmaneIngest(rounds: Int) async throws {
        let n = 100_000
        let now = Int64(Date().timeIntervalSince1970)
        let flows = (0..<n).map { flow($0, start: now - 20) }
        var ours: [Double] = [], bare: [Double] = []
        var dropped = 0
        for _ in 0..<rounds {
            let counter = Counter()
            let bareSeconds = try await push(flows, services: [ReceiptsOnly(counter: counter)]) { counter.value.withLock { $0 } >= n }
            bare.append(Double(n) / bareSeconds)

            let aggregator = FlowAggregator()
            let queue = IngestQueue()
            let drain = Task { await aggregator.runIngest(from: queue) }
            let seconds = try await push(flows, services: [FlowCollectorService(queue: queue)]) {
                await aggregator.processed + queue.counts.dropped >= n
            }
            drain.cancel()
            dropped = queue.counts.dropped
            ours.append(Double(n - dropped) / seconds)
        }
        let o = PathMeter.summary(ours), b = PathMeter.summary(bare)
        say(String(format: "flows (b) Goldmane ingest rate over gRPC vs a collector that only answers receipts: ratio %.2f (median of %d)", o.median / b.median, rounds))
        say(String(format: "flows (b) Goldmane: %.0f flows/s (%.0f–%.0f), %d of %d dropped by the ingest queue in the last round; receipts only: %.0f flows/s (%.0f–%.0f)",
                   o.median, o.min, o.max, dropped, n, b.median, b.min, b.max))
    }

    // MARK: (c) An hour of flows

    static func goldmaneHour() async throws {
        let perSecond = 200
        let t0: Int64 = 1_800_000_000 - 1_800_000_000 % 15
        let clock = Mutex<Int64>(t0)
        let aggregator = FlowAggregator(interval: 15) { clock.withLock { $0 } }
        let before = residentMiB()
        var afterHour = 0.0, keysAfterHour = 0
        let started = ContinuousClock.now
        for s in 0..<7200 {
            let now = t0 + Int64(s)
            clock.withLock { $0 = now }
            if s % 15 == 0 { await aggregator.rollover() }
            let batch = (0..<perSecond).map { j -> IngestQueue.Item in
                var f = flow(j, start: now)
                f.key.sourceName = "client-\(s)-\(j)"   // every flow a new key
                return IngestQueue.Item(flow: f, scope: "felix")
            }
            await aggregator.ingest(batch)
            if s == 3599 {
                afterHour = residentMiB()
                keysAfterHour = await aggregator.uniqueFlows
            }
        }
        let ingestSeconds = (ContinuousClock.now - started) / .seconds(1)
        let afterTwo = residentMiB(), keysAfterTwo = await aggregator.uniqueFlows
        say(String(format: "flows (c) 1 h of %d distinct flows/s (720k keys): Goldmane's store grew the process by %.0f MiB after 1 h and %.0f MiB after 2 h (bounded: %d keys kept after 1 h, %d after 2 h); in-process ingest %.0f flows/s",
                   perSecond, afterHour - before, afterTwo - before, keysAfterHour, keysAfterTwo, Double(7200 * perSecond) / ingestSeconds))

        // List latency over the last hour, against the same over one bucket of data.
        let small = Mutex<Int64>(t0)
        let one = FlowAggregator(interval: 15) { small.withLock { $0 } }
        for s in 0..<15 {
            small.withLock { $0 = t0 + Int64(s) }
            await one.ingest((0..<perSecond).map { j in
                var f = flow(j, start: t0 + Int64(s))
                f.key.sourceName = "client-\(s)-\(j)"
                return IngestQueue.Item(flow: f, scope: "felix")
            })
        }
        small.withLock { $0 = t0 + 16 }
        await one.rollover()
        await aggregator.rollover()
        var page = Goldmane_FlowListRequest()
        page.startTimeGte = -3600
        page.pageSize = 20
        var sort = Goldmane_SortOption()
        sort.sortBy = .time
        page.sortBy = [sort]
        var filtered = page
        var name = Goldmane_StringMatch()
        name.value = "client-7000-5"
        filtered.filter.sourceNames = [name]
        for (label, request) in [("a page of 20 by time", page), ("a source-name filter", filtered)] {
            func latencies(_ a: FlowAggregator) async throws -> [Double] {
                var out: [Double] = []
                for _ in 0..<9 {
                    let t = ContinuousClock.now
                    _ = try await a.list(request)
                    out.append((ContinuousClock.now - t) / .milliseconds(1))
                }
                return out
            }
            let hour = PathMeter.summary(try await latencies(aggregator)), bucket = PathMeter.summary(try await latencies(one))
            say("flows (c) List (\(label)) over 1 h of data vs over 15 s: " + String(format: "ratio %.0f; %.1f ms (%.1f–%.1f) vs %.2f ms (%.2f–%.2f)",
                       hour.median / bucket.median, hour.median, hour.min, hour.max, bucket.median, bucket.min, bucket.max))
        }
    }
}
