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
public final class NftablesDataplane: @unchecked Sendable {
    let backend: any NftBackend
    let model: DataplaneModel
    let log: @Sendable (String) -> Void
    private var kernel: [IPFamily: KernelTable] = [:]
    private var needsResync = true
    private var retryAt: [PolicyID: (Date, Double)] = [:]
    public private(set) var lastError: String?
    public private(set) var appliedOnce = false

    public init(backend: any NftBackend, settings: FelixSettings, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.backend = backend
        self.model = DataplaneModel(settings: settings)
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

    public func update(_ updates: [DataplaneUpdate]) {
        for u in updates { model.apply(u) }
    }

    /// Forces the next apply to read the kernel tables back (periodic refresh).
    public func requestResync() { needsResync = true }

    /// Local workload routes the kernel should have (destination → interface).
    public var workloadRoutes: [String: String] { model.workloadRoutes() }

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
                if let id = culprit(error.message), attempt < 7 {
                    quarantine(id, error.message)
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
        for (id, p) in model.policies where model.quarantined[id] == nil { model.lastGood[id] = p }
        lastError = nil
        appliedOnce = true
    }

    /// The policy whose chain the kernel's error points at.
    func culprit(_ message: String) -> PolicyID? {
        for line in message.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count > 4, words[0] == "add", words[1] == "rule", words[3] == "calico" else { continue }
            if let id = model.owner(ofChain: String(words[4])), model.quarantined[id] == nil { return id }
        }
        return nil
    }

    private func quarantine(_ id: PolicyID, _ message: String) {
        let badLine = message.split(separator: "\n").first { $0.hasPrefix("add rule") }.map(String.init) ?? ""
        var where_ = ""
        if let p = model.policies[id] {
            for (dir, rules) in [("inbound", p.inbound), ("outbound", p.outbound)] {
                for (i, r) in rules.enumerated() {
                    for f in IPFamily.allCases where RuleRenderer(family: f, settings: model.settings).render(r).contains(where: { badLine.contains($0) }) {
                        where_ = " \(dir) rule \(i)"
                    }
                }
            }
        }
        let first = message.split(separator: "\n").first.map(String.init) ?? message
        log("policy \(id)\(where_) refused by the kernel (\(first)); keeping its last good version, retrying with backoff: \(badLine)")
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
