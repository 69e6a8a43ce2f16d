import Foundation
import GoldmaneAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing
@testable import Goldmane

/// A clock the test moves.
final class TestClock: Sendable {
    let now: Mutex<Int64>
    init(_ t: Int64) { now = Mutex(t) }
    func set(_ t: Int64) { now.withLock { $0 = t } }
    func read() -> Int64 { now.withLock { $0 } }
}

/// Goldmane's services over real gRPC (HTTP/2 on loopback), driven by the generated clients.
@Suite struct GoldmaneServerTests {
    /// Runs the three services on a loopback port with `aggregator` and hands `body` a client.
    static func withServer(_ aggregator: FlowAggregator, queue: IngestQueue = IngestQueue(), drain: Bool = true,
                           _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Void) async throws {
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [
            FlowsService(aggregator: aggregator), FlowCollectorService(queue: queue), StatisticsService(aggregator: aggregator),
        ])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            if drain { group.addTask { await aggregator.runIngest(from: queue) } }
            let port = try await transport.listeningAddress.ipv4!.port
            let clientTransport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
            try await withGRPCClient(transport: clientTransport) { client in try await body(client) }
            queue.finish()
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// Waits until the aggregator has taken `n` flows from the ingest queue.
    static func waitProcessed(_ aggregator: FlowAggregator, _ n: Int) async throws {
        for _ in 0..<500 where await aggregator.processed < n { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await aggregator.processed == n)
    }

    @Test("A burst beyond the ingest queue is dropped and counted; every update still gets its receipt at once")
    func burstBeyondTheQueue() async throws {
        let aggregator = FlowAggregator(interval: 15, clock: { 10_000 })
        let queue = IngestQueue(capacity: 50)
        // The aggregator takes nothing: as if it were stuck in a long query.
        try await Self.withServer(aggregator, queue: queue, drain: false) { client in
            let receipts = try await Goldmane_FlowCollector.Client(wrapping: client).connect(requestProducer: { writer in
                for i in 0..<200 {
                    var u = Goldmane_FlowUpdate()
                    u.flow = F.flow("web-\(i)", "db", start: 9_990)
                    try await writer.write(u)
                }
            }, onResponse: { response in
                var n = 0
                for try await _ in response.messages { n += 1 }
                return n
            })
            #expect(receipts == 200)
            #expect(queue.counts == (received: 200, dropped: 150) && queue.depth == 50)
            // Drained later, the 50 kept arrive.
            let drained = Task { await aggregator.runIngest(from: queue) }
            try await Self.waitProcessed(aggregator, 50)
            #expect(await aggregator.uniqueFlows == 50)
            drained.cancel()
        }
    }

    @Test("Felix's push (Connect, one receipt each, replays dropped), then List, FilterHints, Statistics and a Stream fed at rollover")
    func endToEnd() async throws {
        let clock = TestClock(10_000)
        let aggregator = FlowAggregator(interval: 15, clock: { clock.read() })
        try await Self.withServer(aggregator) { client in
            let collector = Goldmane_FlowCollector.Client(wrapping: client)
            let flows = Goldmane_Flows.Client(wrapping: client)
            let allow = F.hit(.globalNetworkPolicy, "allow-web", action: .allow)
            let sent = [F.flow("web", "db", start: 9_960, enforced: [allow]), F.flow("api", "db", srcNS: "team", action: .deny, start: 9_975)]
            let receipts = try await collector.connect(requestProducer: { writer in
                for f in sent + sent {   // a reconnecting client sends everything again
                    var u = Goldmane_FlowUpdate()
                    u.flow = f
                    try await writer.write(u)
                }
            }, onResponse: { response in
                var n = 0
                for try await _ in response.messages { n += 1 }
                return n
            })
            #expect(receipts == 4, "one receipt per update")
            try await Self.waitProcessed(aggregator, 4)
            #expect(await aggregator.uniqueFlows == 2)

            let list = try await flows.list(F.list())
            #expect(list.flows.map(\.flow.key.sourceName) == ["api", "web"] && list.meta.totalResults == 2)
            #expect(list.flows.first { $0.flow.key.sourceName == "web" }?.flow.packetsIn == 10, "the replay was not counted twice")
            var hintReq = Goldmane_FilterHintsRequest()
            hintReq.type = .sourceNamespace
            #expect(try await flows.filterHints(hintReq).hints.map(\.value) == ["demo", "team"])
            await #expect(throws: RPCError.self) { try await flows.list(F.list(sort: .sourceType)) }

            // Statistics: the allow policy's packets; a policy nobody hit is NotFound after one empty result.
            let stats = Goldmane_Statistics.Client(wrapping: client)
            var statReq = Goldmane_StatisticsRequest()
            statReq.type = .packetCount
            let results = try await stats.list(statReq) { response in
                var out: [Goldmane_StatisticsResult] = []
                for try await r in response.messages { out.append(r) }
                return out
            }
            #expect(results.count == 1 && results[0].policy.name == "allow-web" && results[0].allowedIn == [10])
            statReq.policyMatch.name = "nobody"
            await #expect(throws: RPCError.self) {
                try await stats.list(statReq) { response in for try await _ in response.messages {} }
            }

            // A stream from now (filtered to web) gets the bucket that completes at the next rollover;
            // one with startTimeGte -60 is backfilled first.
            var live = Goldmane_FlowStreamRequest()
            live.filter.sourceNames = [F.match("web")]
            var backfilled = Goldmane_FlowStreamRequest()
            backfilled.startTimeGte = -60
            try await withThrowingTaskGroup(of: [Goldmane_FlowResult].self) { group in
                for (req, count) in [(live, 1), (backfilled, 3)] {
                    group.addTask {
                        try await flows.stream(req) { response in
                            var out: [Goldmane_FlowResult] = []
                            for try await r in response.messages {
                                out.append(r)
                                if out.count == count { break }
                            }
                            return out
                        }
                    }
                }
                var waited = 0
                while await aggregator.streamCount < 2 && waited < 200 {
                    try await Task.sleep(for: .milliseconds(10))
                    waited += 1
                }
                await aggregator.ingest(F.flow("web", "db", start: 9_995, enforced: [allow], packets: 3), scope: "test")
                await aggregator.ingest(F.flow("api", "db", srcNS: "team", action: .deny, start: 9_995), scope: "test")
                clock.set(10_006)
                await aggregator.rollover()
                var all: [[Goldmane_FlowResult]] = []
                for try await r in group { all.append(r) }
                let liveResult = try #require(all.first { $0.count == 1 })
                #expect(liveResult[0].flow.key.sourceName == "web" && liveResult[0].flow.startTime == 9_990 && liveResult[0].flow.packetsIn == 3,
                        "one bucket, that bucket's counters: \(liveResult)")
                let back = try #require(all.first { $0.count == 3 })
                #expect(back.map(\.flow.startTime) == [9_960, 9_975, 9_990], "backfill then the new bucket: \(back.map(\.flow.startTime))")
                let webID = list.flows.first { $0.flow.key.sourceName == "web" }!.id
                #expect(liveResult[0].id == webID, "a key keeps its id")
            }
        }
    }
}
