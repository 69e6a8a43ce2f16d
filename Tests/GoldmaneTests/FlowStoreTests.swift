import GoldmaneAPI
import Testing
@testable import Goldmane

/// Builders for flows as Felix sends them.
enum F {
    static func hit(_ kind: Goldmane_PolicyKind, _ name: String, tier: String = "default", ns: String = "", action: Goldmane_Action,
                    policy: Int64 = 0, rule: Int64 = 0) -> Goldmane_PolicyHit {
        var h = Goldmane_PolicyHit()
        h.kind = kind
        h.name = name
        h.tier = tier
        h.namespace = ns
        h.action = action
        h.policyIndex = policy
        h.ruleIndex = rule
        return h
    }

    static func flow(_ src: String, _ dst: String, srcNS: String = "demo", dstNS: String = "prod", port: Int64 = 8080, proto: String = "tcp",
                     action: Goldmane_Action = .allow, reporter: Goldmane_Reporter = .src, start: Int64,
                     enforced: [Goldmane_PolicyHit] = [], pending: [Goldmane_PolicyHit] = [], labels: [String] = ["app=x"],
                     packets: Int64 = 10, srcIPs: [String] = [], dstIPs: [String] = []) -> Goldmane_Flow {
        var f = Goldmane_Flow()
        f.key.sourceName = src
        f.key.sourceNamespace = srcNS
        f.key.sourceType = .workloadEndpoint
        f.key.destName = dst
        f.key.destNamespace = dstNS
        f.key.destType = .workloadEndpoint
        f.key.destPort = port
        f.key.proto = proto
        f.key.action = action
        f.key.reporter = reporter
        f.key.policies.enforcedPolicies = enforced
        f.key.policies.pendingPolicies = pending
        f.startTime = start
        f.endTime = start + 15
        f.sourceLabels = labels
        f.destLabels = labels
        f.packetsIn = packets
        f.packetsOut = packets * 2
        f.bytesIn = packets * 100
        f.bytesOut = packets * 200
        f.numConnectionsStarted = 1
        f.sourceIps = srcIPs
        f.destIps = dstIPs
        return f
    }

    static func list(gte: Int64 = 0, lt: Int64 = 0, page: Int64 = 0, size: Int64 = 0, sort: Goldmane_SortBy? = nil,
                     filter: Goldmane_Filter = Goldmane_Filter()) -> Goldmane_FlowListRequest {
        var r = Goldmane_FlowListRequest()
        r.startTimeGte = gte
        r.startTimeLt = lt
        r.page = page
        r.pageSize = size
        if let sort {
            var o = Goldmane_SortOption()
            o.sortBy = sort
            r.sortBy = [o]
        }
        r.filter = filter
        return r
    }

    static func match(_ v: String, fuzzy: Bool = false) -> Goldmane_StringMatch {
        var m = Goldmane_StringMatch()
        m.value = v
        m.type = fuzzy ? .fuzzy : .exact
        return m
    }
}

@Suite struct FlowStoreTests {
    // Buckets of 15 s; "now" is 10_000, so the bucket filling now starts at 9_990.
    static let now: Int64 = 10_000

    @Test("Flows of one key in one bucket add up and keep only the labels all of them had; windows outside the ring are dropped")
    func aggregation() throws {
        var s = FlowStore(now: Self.now)
        #expect(s.current == 9_990 && s.oldest == 9_990 - 3_600)
        let added = [F.flow("web-*", "db", start: 9_960, labels: ["app=web", "tier=a"], packets: 5),
                     F.flow("web-*", "db", start: 9_961, labels: ["app=web"], packets: 7),
                     F.flow("web-*", "db", start: 9_975, packets: 1)].map { s.add($0) }
        #expect(added == [true, true, true])
        let tooOld = s.add(F.flow("web-*", "db", start: 1_000))
        #expect(!tooOld, "older than the hour kept")
        #expect(s.dropped == 1 && s.keyCount == 1)
        let r = try s.list(F.list(gte: 9_960, lt: 9_975), now: Self.now)
        let f = try #require(r.flows.first?.flow)
        #expect(r.flows.count == 1 && f.packetsIn == 12 && f.packetsOut == 24 && f.numConnectionsStarted == 2)
        #expect(f.startTime == 9_960 && f.endTime == 9_975 && f.sourceLabels == ["app=web"])
        let all = try s.list(F.list(gte: 9_900), now: 10_020)
        #expect(all.flows.first?.flow.packetsIn == 13 && all.flows.first?.flow.endTime == 9_990, "two buckets aggregated")
    }

    @Test("Time range: 0 = oldest / now, negatives relative, an empty range refused with upstream's message")
    func timeRange() {
        let s = FlowStore(now: Self.now)
        #expect(throws: QueryError("startTimeGt (10005) must be less than startTimeLt (9990)")) { try s.list(F.list(gte: -0 + 10_005, lt: -10), now: Self.now) }
        var two = F.list()
        two.sortBy = [Goldmane_SortOption(), Goldmane_SortOption()]
        #expect(throws: QueryError("at most one sort order is supported")) { try s.list(two, now: Self.now) }
        #expect(throws: QueryError("unsupported sort order")) { try s.list(F.list(sort: .destType), now: Self.now) }
    }

    @Test("Sorting (time newest first; names ascending, ties by id) and paging (0-based, totals, past the end)")
    func sortAndPage() throws {
        var s = FlowStore(now: Self.now)
        s.add(F.flow("b", "z", start: 9_945))
        s.add(F.flow("a", "y", start: 9_960))
        s.add(F.flow("c", "x", start: 9_975))
        let byTime = try s.list(F.list(), now: Self.now)
        #expect(byTime.flows.map(\.flow.key.sourceName) == ["c", "a", "b"])
        #expect(byTime.meta.totalPages == 1 && byTime.meta.totalResults == 3)
        let byDest = try s.list(F.list(sort: .destName), now: Self.now)
        #expect(byDest.flows.map(\.flow.key.destName) == ["x", "y", "z"])
        let page1 = try s.list(F.list(page: 1, size: 2, sort: .sourceName), now: Self.now)
        #expect(page1.flows.map(\.flow.key.sourceName) == ["c"] && page1.meta.totalPages == 2 && page1.meta.totalResults == 3)
        let past = try s.list(F.list(page: 5, size: 2), now: Self.now)
        #expect(past.flows.isEmpty && past.meta.totalPages == 0 && past.meta.totalResults == 0, "upstream's quirk on the time path")
        let none = try FlowStore(now: Self.now).list(F.list(), now: Self.now)
        #expect(none.meta.totalPages == 0 && none.meta.totalResults == 0)
    }

    @Test("Filters: exact, fuzzy, pub/pvt and Global aliases, ports, actions, policies (enforced or pending), pending action, IPs")
    func filters() {
        let allowWeb = F.hit(.globalNetworkPolicy, "allow-web", action: .allow)
        let stagedDeny = F.hit(.stagedGlobalNetworkPolicy, "lockdown", action: .deny)
        let f = F.flow("pub", "db-*", srcNS: "-", port: 443, start: 9_960, enforced: [allowWeb], pending: [stagedDeny], srcIPs: ["203.0.113.10"], dstIPs: ["10.244.1.5"])
        var filter = Goldmane_Filter()
        #expect(FlowMatcher.matches(f, filter))
        filter.sourceNames = [F.match("PUBLIC NETWORK")]
        filter.sourceNamespaces = [F.match("Global")]
        filter.destNames = [F.match("db", fuzzy: true)]
        #expect(FlowMatcher.matches(f, filter))
        filter.destNames = [F.match("db")]
        #expect(!FlowMatcher.matches(f, filter), "exact does not match a prefix")
        filter = Goldmane_Filter()
        var port = Goldmane_PortMatch()
        port.port = 443
        filter.destPorts = [port]
        filter.actions = [.allow]
        var pm = Goldmane_PolicyMatch()
        pm.name = "lockdown"
        pm.kind = .stagedGlobalNetworkPolicy
        filter.policies = [pm]
        filter.pendingActions = [.deny]
        #expect(FlowMatcher.matches(f, filter), "a pending hit matches a policy filter")
        filter.pendingActions = [.allow]
        #expect(!FlowMatcher.matches(f, filter))
        filter = Goldmane_Filter()
        filter.destIps = [F.match("10.244.0.0/16")]
        filter.sourceIps = [F.match("203.0.113.10")]
        #expect(FlowMatcher.matches(f, filter))
        filter.destIps = [F.match("10.245.0.0/16")]
        #expect(!FlowMatcher.matches(f, filter))
    }

    @Test("Filter hints: distinct values ascending, narrowed by the filter; policy tiers and names from every hit, end of tier by its trigger")
    func hints() throws {
        var s = FlowStore(now: Self.now)
        var eot = F.hit(.endOfTier, "", tier: "security", action: .deny, rule: -1)
        eot.trigger = F.hit(.globalNetworkPolicy, "sec-base", tier: "security", action: .deny)
        s.add(F.flow("web", "db", srcNS: "demo", start: 9_960, enforced: [F.hit(.globalNetworkPolicy, "allow-web", action: .allow)]))
        s.add(F.flow("api", "db", srcNS: "team", action: .deny, start: 9_960, enforced: [eot]))
        s.add(F.flow("web", "cache", srcNS: "demo", start: 9_960))
        func hints(_ t: Goldmane_FilterType, _ filter: Goldmane_Filter = Goldmane_Filter()) throws -> [String] {
            var r = Goldmane_FilterHintsRequest()
            r.type = t
            r.filter = filter
            return try s.hints(r, now: Self.now).hints.map(\.value)
        }
        #expect(try hints(.sourceName) == ["api", "web"])
        #expect(try hints(.destName) == ["cache", "db"])
        var onlyDemo = Goldmane_Filter()
        onlyDemo.sourceNamespaces = [F.match("demo")]
        #expect(try hints(.destName, onlyDemo) == ["cache", "db"])
        #expect(try hints(.sourceNamespace) == ["demo", "team"])
        #expect(try hints(.policyName) == ["allow-web", "sec-base"])
        #expect(try hints(.policyTier) == ["default", "security"])
        #expect(throws: QueryError("unsupported filter type")) { try hints(.unspecified) }
    }

    @Test("Rollover: completed buckets reported in order; windows older than the history expire, and their keys with them")
    func rollover() throws {
        var s = FlowStore(now: 0, interval: 15, history: 4)
        s.add(F.flow("a", "b", start: 0))
        s.add(F.flow("c", "d", start: 15))
        #expect(s.rollover(to: 14).isEmpty)
        #expect(s.rollover(to: 31) == [0, 15])
        #expect(s.streamResults(bucket: 15, filter: Goldmane_Filter()).map(\.flow.key.sourceName) == ["c"])
        _ = s.rollover(to: 75)
        #expect(s.keyCount == 1, "a's only window (0) is older than 4 buckets before 75")
        _ = s.rollover(to: 100)
        #expect(s.keyCount == 0)
        #expect(s.backfillBuckets(gte: -30, now: 100) == [60, 75])
        #expect(s.backfillBuckets(gte: 0, now: 100).isEmpty, "a stream from now has no backfill")
    }

    @Test("Policy hit strings round-trip, end of tier with its trigger")
    func hitStrings() {
        let cases: [(Goldmane_PolicyHit, String)] = [
            (F.hit(.globalNetworkPolicy, "allow-web", action: .allow, policy: 0, rule: 1), "0|default|default.allow-web|allow|1"),
            (F.hit(.calicoNetworkPolicy, "np", tier: "sec", ns: "demo", action: .deny, policy: 2, rule: 0), "2|sec|demo/sec.np|deny|0"),
            (F.hit(.networkPolicy, "knp1", ns: "demo", action: .allow, policy: 1, rule: 3), "1|default|demo/knp.default.knp1|allow|3"),
            (F.hit(.stagedGlobalNetworkPolicy, "s", action: .deny), "0|default|default.staged:s|deny|0"),
            (F.hit(.stagedNetworkPolicy, "s", ns: "x", action: .pass), "0|default|x/default.staged:s|pass|0"),
            (F.hit(.stagedKubernetesNetworkPolicy, "k", ns: "x", action: .allow), "0|default|x/staged:knp.default.k|allow|0"),
        ]
        for (hit, text) in cases {
            #expect(PolicyHitString.format(hit) == text)
            #expect(PolicyHitString.parse(text) == hit, "\(text)")
        }
        let eot = PolicyHitString.parse("3|security|security.sec-base|deny|-1")
        #expect(eot?.kind == .endOfTier && eot?.trigger.name == "sec-base" && eot?.trigger.kind == .globalNetworkPolicy && eot?.tier == "security")
        #expect(PolicyHitString.format(eot!) == "3|security|security.sec-base|deny|-1")
        #expect(PolicyHitString.parse("0|other|default.x|allow|0") == nil, "namePart's tier must be the tier field")
    }

    @Test("Statistics: per policy, packets split by action; per rule with direction; nothing → empty")
    func statistics() throws {
        var s = FlowStore(now: Self.now)
        let allow = F.hit(.globalNetworkPolicy, "allow-web", action: .allow)
        s.add(F.flow("web", "db", start: 9_960, enforced: [allow], packets: 10))
        s.add(F.flow("web", "db", reporter: .dst, start: 9_975, enforced: [allow], packets: 5))
        var r = Goldmane_StatisticsRequest()
        r.type = .packetCount
        let byPolicy = try s.statistics(r, now: Self.now)
        #expect(byPolicy.count == 1 && byPolicy[0].allowedIn == [15] && byPolicy[0].allowedOut == [30] && byPolicy[0].deniedIn == [0])
        r.groupBy = .policyRule
        r.timeSeries = true
        let byRule = try s.statistics(r, now: Self.now)
        #expect(Set(byRule.map(\.direction)) == [.egress, .ingress] && byRule.allSatisfy { $0.x.count == 1 })
        r.policyMatch.name = "other"
        #expect(try s.statistics(r, now: Self.now).isEmpty)
    }
}

@Suite struct IngestQueueTests {
    @Test("The queue hands over everything queued in one batch, waits when empty, and ends when finished")
    func batches() async throws {
        let q = IngestQueue(capacity: 3)
        for i in 0..<5 { q.offer(F.flow("a\(i)", "b", start: 0), scope: "felix") }
        #expect(q.counts == (received: 5, dropped: 2))
        #expect(await q.take().map(\.flow.key.sourceName) == ["a0", "a1", "a2"])
        let waiting = Task { await q.take().map(\.scope) }
        try await Task.sleep(for: .milliseconds(50))
        q.offer(F.flow("c", "d", start: 0), scope: "other")
        #expect(await waiting.value == ["other"])
        let ended = Task { await q.take().count }
        try await Task.sleep(for: .milliseconds(50))
        q.finish()
        #expect(await ended.value == 0)
    }

    @Test("A cancelled taker returns empty instead of waiting forever")
    func cancelled() async throws {
        let q = IngestQueue()
        let t = Task { await q.take().count }
        try await Task.sleep(for: .milliseconds(50))
        t.cancel()
        #expect(await t.value == 0)
    }
}
