import Foundation
import GoldmaneAPI

/// Whisker's query parameters as Goldmane requests (pure), as upstream's backend forwards
/// them: `/flows` takes `startTimeGte`, `startTimeLt`, `sortBy` (repeatable), `filters`
/// (`page`/`pageSize` are parsed but not forwarded); `/flows-filter-hints` takes `type`
/// (required), `filters`, `page`, `pageSize` (no time range: the whole history).
public enum WhiskerRequests {
    public struct Flows: Sendable {
        public var list: Goldmane_FlowListRequest
        public var stream: Goldmane_FlowStreamRequest
    }

    static func int(_ query: [String: [String]], _ name: String) throws(WhiskerJSON.BadRequest) -> Int64 {
        guard let v = query[name]?.last, !v.isEmpty else { return 0 }
        guard let n = Int64(v) else { throw WhiskerJSON.BadRequest("\(name): \(v) is not an integer") }
        return n
    }

    /// `page` (0-based) and `pageSize` (0 = everything, at most 1000).
    static func paging(_ query: [String: [String]]) throws(WhiskerJSON.BadRequest) -> (page: Int64, size: Int64) {
        let page = try int(query, "page"), size = try int(query, "pageSize")
        guard page >= 0 else { throw WhiskerJSON.BadRequest("page: \(page) is out of range (0 or more)") }
        guard (0...1000).contains(size) else { throw WhiskerJSON.BadRequest("pageSize: \(size) is out of range (0 to 1000)") }
        return (page, size)
    }

    public static func flows(_ query: [String: [String]]) throws(WhiskerJSON.BadRequest) -> Flows {
        let filter = try WhiskerJSON.filter(query["filters"]?.last)
        if let w = query["watch"]?.last, !["true", "false", ""].contains(w) { throw WhiskerJSON.BadRequest("watch: \(w) is not a boolean") }
        _ = try paging(query)
        var list = Goldmane_FlowListRequest()
        list.startTimeGte = try int(query, "startTimeGte")
        list.startTimeLt = try int(query, "startTimeLt")
        list.filter = filter
        for s in query["sortBy"] ?? [] where !s.isEmpty {
            var o = Goldmane_SortOption()
            o.sortBy = try WhiskerJSON.sortBy(s)
            list.sortBy.append(o)
        }
        var stream = Goldmane_FlowStreamRequest()
        stream.startTimeGte = list.startTimeGte
        stream.filter = filter
        return Flows(list: list, stream: stream)
    }

    public static func hints(_ query: [String: [String]]) throws(WhiskerJSON.BadRequest) -> Goldmane_FilterHintsRequest {
        var r = Goldmane_FilterHintsRequest()
        r.type = try WhiskerJSON.hintType(query["type"]?.last)
        r.filter = try WhiskerJSON.filter(query["filters"]?.last)
        (r.page, r.pageSize) = try paging(query)
        return r
    }

    /// Policy name or tier hints searched as the user types: Goldmane's policy matches are
    /// exact, so a Fuzzy value for the very field being hinted is taken out of the filter and
    /// applied to the hint values here (substring), paging over what remains. Nil otherwise.
    public static func policySearch(_ r: Goldmane_FilterHintsRequest, filters: String?) -> (request: Goldmane_FilterHintsRequest, search: String)? {
        let field = r.type == .policyName ? "name" : (r.type == .policyTier ? "tier" : nil)
        guard let field, let text = filters, let data = text.data(using: .utf8),
              let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let policies = o["policies"] as? [[String: Any]] else { return nil }
        let fuzzy = policies.compactMap { p -> String? in
            guard let m = p[field] as? [String: Any], m["type"] as? String == "Fuzzy" else { return nil }
            return m["value"] as? String
        }
        guard let search = fuzzy.first else { return nil }
        var all = r
        all.filter.policies.removeAll { (field == "name" ? $0.name : $0.tier) == search }
        all.page = 0
        all.pageSize = 0
        return (all, search)
    }
}
