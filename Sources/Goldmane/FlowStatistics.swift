import GoldmaneAPI

/// `Statistics.List` over a `FlowStore` (pure), as Goldmane computes it: per policy (or per
/// rule and direction) of every enforced and pending hit — an end-of-tier hit counts for its
/// trigger — the flows' packets, bytes or live connections split by the hit's action; the
/// direction is egress for flows the source reported, ingress for the destination's.
extension FlowStore {
    struct StatKey: Hashable {
        var hit: Goldmane_PolicyHit
        var direction: Goldmane_RuleDirection
    }

    public func statistics(_ r: Goldmane_StatisticsRequest, now: Int64) throws(QueryError) -> [Goldmane_StatisticsResult] {
        let range = try window(gte: r.startTimeGte, lt: r.startTimeLt, now: now)
        let starts = buckets.keys.filter { $0 >= range.gte && $0 + interval <= range.lt }.sorted()
        var series: [StatKey: [Int64: Goldmane_StatisticsResult]] = [:]
        for start in starts {
            for (_, f) in flows(ofBucket: start) {
                let direction: Goldmane_RuleDirection = f.key.reporter == .src ? .egress : .ingress
                for hit in f.key.policies.enforcedPolicies + f.key.policies.pendingPolicies {
                    var subject = hit.kind == .endOfTier && hit.hasTrigger ? hit.trigger : hit
                    subject.clearTrigger()
                    if r.hasPolicyMatch, !FlowMatcher.policy(r.policyMatch, subject) { continue }
                    var keyHit = Goldmane_PolicyHit()
                    keyHit.kind = subject.kind
                    keyHit.namespace = subject.namespace
                    keyHit.name = subject.name
                    keyHit.tier = subject.tier
                    var key = StatKey(hit: keyHit, direction: .any)
                    if r.groupBy == .policyRule {
                        key.hit.action = hit.action
                        // Upstream's quirk: the rule's index is filled from the policy index.
                        key.hit.ruleIndex = hit.policyIndex
                        key.direction = direction
                    }
                    var point = series[key]?[start] ?? Goldmane_StatisticsResult()
                    let (valueIn, valueOut): (Int64, Int64) = switch r.type {
                    case .packetCount: (f.packetsIn, f.packetsOut)
                    case .byteCount: (f.bytesIn, f.bytesOut)
                    default: direction == .ingress ? (f.numConnectionsLive, 0) : (0, f.numConnectionsLive)
                    }
                    func bump(_ a: inout [Int64], _ v: Int64) { if a.isEmpty { a = [v] } else { a[0] += v } }
                    switch hit.action {
                    case .allow: bump(&point.allowedIn, valueIn); bump(&point.allowedOut, valueOut)
                    case .deny: bump(&point.deniedIn, valueIn); bump(&point.deniedOut, valueOut)
                    case .pass: bump(&point.passedIn, valueIn); bump(&point.passedOut, valueOut)
                    default: break
                    }
                    series[key, default: [:]][start] = point
                }
            }
        }
        var out: [Goldmane_StatisticsResult] = []
        for (key, points) in series {
            var res = Goldmane_StatisticsResult()
            res.policy = key.hit
            res.direction = key.direction
            res.groupBy = r.groupBy
            res.type = r.type
            let times = r.timeSeries ? points.keys.sorted() : [points.keys.min() ?? 0]
            for t in times {
                let ps = r.timeSeries ? [points[t]!] : Array(points.values)
                func sum(_ path: KeyPath<Goldmane_StatisticsResult, [Int64]>) -> Int64 { ps.reduce(0) { $0 + ($1[keyPath: path].first ?? 0) } }
                res.allowedIn.append(sum(\.allowedIn))
                res.allowedOut.append(sum(\.allowedOut))
                res.deniedIn.append(sum(\.deniedIn))
                res.deniedOut.append(sum(\.deniedOut))
                res.passedIn.append(sum(\.passedIn))
                res.passedOut.append(sum(\.passedOut))
                if r.timeSeries { res.x.append(t) }
            }
            out.append(res)
        }
        return out.sorted { PolicyHitString.format($0.policy) + "\($0.direction.rawValue)" < PolicyHitString.format($1.policy) + "\($1.direction.rawValue)" }
    }
}
