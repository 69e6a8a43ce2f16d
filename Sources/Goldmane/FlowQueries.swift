import GoldmaneAPI

/// An error Goldmane answers a query with (its text is upstream's).
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Goldmane's queries over a `FlowStore` (pure): List, FilterHints and stream backfill.
extension FlowStore {
    func window(gte: Int64, lt: Int64, now: Int64) throws(QueryError) -> TimeWindow {
        do {
            return try TimeWindow.resolve(gte: gte, lt: lt, now: now, oldest: oldest)
        } catch {
            throw QueryError(error.description)
        }
    }

    /// `Flows.List`: the matching flows aggregated over the range, sorted (by start time,
    /// newest first, by default; by a name or namespace ascending, ties by id), one page.
    public func list(_ r: Goldmane_FlowListRequest, now: Int64) throws(QueryError) -> Goldmane_FlowListResult {
        guard r.sortBy.count <= 1 else { throw QueryError("at most one sort order is supported") }
        let range = try window(gte: r.startTimeGte, lt: r.startTimeLt, now: now)
        // Keys are matched and sorted first; only the page's flows are aggregated.
        var found = matching(in: range, r.filter)
        let sort = r.sortBy.first?.sortBy ?? .time
        switch sort {
        case .time:
            found.sort { a, b in a.start != b.start ? a.start > b.start : a.id < b.id }
        case .destName, .destNamespace, .sourceName, .sourceNamespace:
            let field: (Goldmane_FlowKey) -> String = switch sort {
            case .destName: { $0.destName }
            case .destNamespace: { $0.destNamespace }
            case .sourceName: { $0.sourceName }
            default: { $0.sourceNamespace }
            }
            var named = found.map { (flows[$0.id].map { field($0.key) } ?? "", $0.id, $0) }
            named.sort { a, b in a.0 != b.0 ? a.0 < b.0 : a.1 < b.1 }
            found = named.map(\.2)
        default:
            throw QueryError("unsupported sort order")
        }
        let page = Paging.page(found, page: r.page, size: r.pageSize, zeroPastEnd: sort == .time)
        var out = Goldmane_FlowListResult()
        out.meta.totalPages = page.totalPages
        out.meta.totalResults = page.totalResults
        out.flows = page.items.compactMap { m in flows[m.id]?.aggregate(range).map { Self.result(m.id, $0) } }
        return out
    }

    static func result(_ id: Int64, _ flow: Goldmane_Flow) -> Goldmane_FlowResult {
        var r = Goldmane_FlowResult()
        r.id = id
        r.flow = flow
        return r
    }

    /// `Flows.FilterHints`: the distinct values of one field among the matching flows,
    /// ascending; for policy tiers and names those of every enforced and pending hit (an
    /// end-of-tier hit's trigger's).
    public func hints(_ r: Goldmane_FilterHintsRequest, now: Int64) throws(QueryError) -> Goldmane_FilterHintsResult {
        let range = try window(gte: r.startTimeGte, lt: r.startTimeLt, now: now)
        var values = Set<String>()
        for m in matching(in: range, r.filter) {
            guard let k = flows[m.id]?.key else { continue }
            switch r.type {
            case .destName: values.insert(k.destName)
            case .sourceName: values.insert(k.sourceName)
            case .destNamespace: values.insert(k.destNamespace)
            case .sourceNamespace: values.insert(k.sourceNamespace)
            case .policyTier, .policyName:
                for hit in k.policies.enforcedPolicies + k.policies.pendingPolicies {
                    let h = hit.kind == .endOfTier && hit.hasTrigger ? hit.trigger : hit
                    let v = r.type == .policyTier ? h.tier : h.name
                    if !v.isEmpty { values.insert(v) }
                }
            default:
                throw QueryError("unsupported filter type")
            }
        }
        let page = Paging.page(values.sorted(), page: r.page, size: r.pageSize)
        var out = Goldmane_FilterHintsResult()
        out.meta.totalPages = page.totalPages
        out.meta.totalResults = page.totalResults
        out.hints = page.items.map { v in
            var h = Goldmane_FilterHint()
            h.value = v
            return h
        }
        return out
    }

    /// The results a stream gets for one completed bucket: each matching key's flow over that
    /// bucket alone.
    public func streamResults(bucket start: Int64, filter: Goldmane_Filter) -> [Goldmane_FlowResult] {
        flows(ofBucket: start).filter { FlowMatcher.matches($0.flow, filter) }.map { Self.result($0.id, $0.flow) }
    }

    /// The buckets a new stream is backfilled with: from the one holding `gte` up to the last
    /// complete one (none for `gte` 0: a stream starts now).
    public func backfillBuckets(gte: Int64, now: Int64) -> [Int64] {
        guard gte != 0 else { return [] }
        let from = max(gte > 0 ? gte : now + gte, oldest)
        let first = from - ((from % interval) + interval) % interval
        return stride(from: first, through: lastComplete, by: Int(interval)).map { $0 }
    }
}
