import FelixCalc
import Foundation

/// What one `apply()` did.
public struct ApplyOutcome: Sendable {
    /// nft commands in the transaction (0 = the kernel already matched).
    public var commands: Int
    public var seconds: Double
    public var resynced: Bool
}

/// Felix's nftables dataplane: takes the calculation graph's updates and keeps the kernel's
/// `ip calico` / `ip6 calico` tables equal to them, one atomic transaction per apply.
///
/// Nothing is written before in-sync. The first apply (and every refresh) reads the tables
/// back and writes only chains whose rule hashes differ, set members that differ, and
/// deletes objects of the table nobody wants any more. A transaction the kernel refuses
/// because of one policy quarantines that policy (its last good version stays in force, or
/// nothing of it for a new policy) and the rest is applied; the policy is retried with backoff.
public final class NftablesDataplane: DataplaneManager, @unchecked Sendable {
    let backend: any NftBackend
    let model: DataplaneModel
    let log: @Sendable (String) -> Void
    private var kernel: [IPFamily: KernelTable] = [:]
    private var needsResync = true
    private var retryAt: [PolicyID: (Date, Double)] = [:]
    public private(set) var lastError: String?
    public private(set) var appliedOnce = false

    public init(backend: any NftBackend, settings: FelixSettings, hostname: String = "", log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.backend = backend
        self.model = DataplaneModel(settings: settings, hostname: hostname)
        self.log = log
    }

    public var settings: FelixSettings {
        get { model.settings }
        set { model.settings = newValue }
    }
    var families: [IPFamily] { model.settings.ipv6Support ? [.v4, .v6] : [.v4] }

    public var inSync: Bool { model.inSync }
    public var datastoreConfig: [String: String]? { model.datastoreConfig }
    /// Policies currently refused by the kernel.
    public var quarantinedPolicies: [PolicyID] { model.quarantined.keys.sorted() }
    /// In sync, applied, nothing refused.
    public var isReady: Bool { appliedOnce && lastError == nil && model.quarantined.isEmpty }
    public var endpointCount: Int { model.endpoints.count }
    public var policyCount: Int { model.policies.count }
    public var ipSetCount: Int { model.ipSets.count }

    public func onUpdate(_ update: DataplaneUpdate) { model.apply(update) }

    /// Forces the next apply to read the kernel tables back (periodic refresh).
    public func requestResync() { needsResync = true }

    /// The version of a policy last applied to the kernel.
    public func appliedPolicy(_ id: PolicyID) -> ActivePolicy? { model.lastGood[id] }
    public var appliedPolicyCount: Int { model.lastGood.count }

    /// Brings the kernel to the desired state. Throws when the kernel refused the
    /// transaction for a reason no single policy explains (the caller retries with backoff).
    @discardableResult
    public func apply() throws -> ApplyOutcome {
        let start = Date()
        guard model.inSync else { return ApplyOutcome(commands: 0, seconds: 0, resynced: false) }
        releaseQuarantine()
        let resynced = needsResync
        if needsResync {
            for f in IPFamily.allCases { kernel[f] = try KernelTable.parse(json: backend.listJSON(f)) }
            needsResync = false
        }
        for attempt in 0..<8 {
            var script: [String] = []
            var wanted: [IPFamily: NftRuleset] = [:]
            for f in families {
                let want = model.ruleset(f)
                wanted[f] = want
                script += NftScript(family: f).transaction(from: kernel[f] ?? KernelTable(), to: want, dirtySets: resynced ? nil : model.dirtySets)
            }
            // A family switched off: its table goes.
            for f in IPFamily.allCases where !families.contains(f) && (kernel[f]?.exists ?? false) {
                script.append("delete table \(f.nftFamily) calico")
            }
            if script.isEmpty {
                finish(wanted)
                return ApplyOutcome(commands: 0, seconds: Date().timeIntervalSince(start), resynced: resynced)
            }
            do {
                try backend.run(script.joined(separator: "\n") + "\n", check: false)
                finish(wanted)
                for f in IPFamily.allCases where !families.contains(f) { kernel[f] = KernelTable() }
                return ApplyOutcome(commands: script.count, seconds: Date().timeIntervalSince(start), resynced: resynced)
            } catch let error as NftError {
                let refused = attempt < 7 ? culprits(wanted) : []
                if !refused.isEmpty {
                    for (id, place, reason) in refused { quarantine(id, place, reason) }
                    continue
                }
                lastError = "nftables transaction failed: \(error.message)"
                needsResync = true
                log(lastError!)
                throw error
            }
        }
        throw NftError(message: "too many refused policies")
    }

    private func finish(_ wanted: [IPFamily: NftRuleset]) {
        for (f, want) in wanted {
            var t = KernelTable()
            t.exists = true
            t.chains = want.chains.mapValues(\.ruleHashes)
            t.sets = want.sets.mapValues(\.members)
            t.maps = want.maps
            kernel[f] = t
        }
        model.dirtySets.removeAll()
        model.pruneRetiredSets()
        for (id, p) in model.policies where model.quarantined[id] == nil { model.lastGood[id] = p }
        lastError = nil
        appliedOnce = true
    }

    /// The policies (and the rule in each) the kernel refuses, found by trying each rule of
    /// every policy about to change in a scratch table that the same transaction deletes
    /// again (nft's error text does not reliably name the failing line).
    func culprits(_ wanted: [IPFamily: NftRuleset]) -> [(PolicyID, String, String)] {
        var out: [(PolicyID, String, String)] = []
        for (id, policy) in model.policies.sorted(by: { $0.key < $1.key }) where model.quarantined[id] == nil && !policy.staged {
            let changed = families.contains { f in
                model.policyChains(id, f).contains { kernel[f]?.chains[$0.name] != $0.ruleHashes }
            }
            guard changed else { continue }
            search: for f in families {
                let renderer = RuleRenderer(family: f, settings: model.settings)
                for (direction, rules) in [("inbound", policy.inbound), ("outbound", policy.outbound)] {
                    for (i, rule) in rules.enumerated() {
                        for body in renderer.render(rule) {
                            if let reason = scratchCheck(body, rule: rule, family: f) {
                                out.append((id, "\(direction) rule \(i)", reason))
                                break search
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// nil when the kernel takes `body`, else nft's first error line.
    func scratchCheck(_ body: String, rule: ParsedRule, family f: IPFamily) -> String? {
        let table = "\(f.nftFamily) calico-check"
        var script = ["add table \(table)"]
        let setIDs = rule.allIPSetIDs
        let script4 = NftScript(family: f)
        for id in Set(setIDs) {
            let kind: NftSetKind = model.ipSets[id]?.type == .ipAndPort ? .addressPort : .net
            script.append("add set \(table) \(RuleRenderer.setName(id, f)) \(script4.setType(kind))")
        }
        script += ["add chain \(table) check", "add rule \(table) check \(body)", "delete table \(table)"]
        do {
            try backend.run(script.joined(separator: "\n") + "\n", check: false)
            return nil
        } catch {
            _ = try? backend.run("delete table \(table)\n", check: false)
            return "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
    }

    private func quarantine(_ id: PolicyID, _ place: String, _ reason: String) {
        log("policy \(id) \(place) refused by the kernel (\(reason)); keeping its last good version, retrying with backoff")
        model.quarantined[id] = .some(model.lastGood[id])
        let backoff = min((retryAt[id]?.1 ?? 0.5) * 2, 30)
        retryAt[id] = (Date().addingTimeInterval(backoff), backoff)
    }

    /// Quarantined policies whose backoff has passed get another try.
    private func releaseQuarantine() {
        let now = Date()
        for id in model.quarantined.keys where (retryAt[id]?.0 ?? now) <= now {
            model.quarantined[id] = nil
        }
        for id in retryAt.keys where model.policies[id] == nil { retryAt[id] = nil }
    }

    /// Seconds until the next quarantined policy is due for a retry.
    public var nextRetry: Double? {
        let due = model.quarantined.keys.compactMap { retryAt[$0]?.0.timeIntervalSinceNow }
        return due.min().map { max($0, 0) }
    }
}
