import CalicoAPI
import CalicoSelector

/// The members of every IP set the active rules need (upstream's IP-set member calculator):
/// each endpoint and network set is a numbered source; a source contributes its addresses
/// (or `addr,proto:port` for named-port sets) to each set whose selector matches its labels.
/// Sets are reference-counted per member, so a flush emits only what appeared and
/// disappeared; a label index limits the sources a new set scans.
final class IPSetMemberCalculator {
    private let compiler: SelectorCompiler
    private let index: LabelIndex

    /// What a source offers: its labels and members.
    private enum Offer {
        case endpoint(EndpointRecord, InternedLabels)
        case networkSet(nets: [String], InternedLabels)

        var labels: InternedLabels {
            switch self {
            case .endpoint(_, let l), .networkSet(_, let l): return l
            }
        }
    }
    private enum Source: Hashable { case endpoint(EndpointID), networkSet(String) }
    private var sourceNumbers: [Source: Int] = [:]
    private var sources: [Int: Source] = [:]
    private var offers: [Int: Offer] = [:]
    private var nextSource = 0
    /// Sources changed since the last flush.
    private var dirtySources: Set<Int> = []

    /// One IP set's membership state; a class so it is updated in place, never copied.
    private final class SetState {
        let spec: IPSetSpec
        let probe: SetProbe
        /// Members contributed by each source, by source number.
        var contributions: [Int: [String]] = [:]
        /// How many sources contribute each member.
        var counts: [String: Int] = [:]
        /// Members that appeared or disappeared since the last flush.
        var appeared: Set<String> = []
        var disappeared: Set<String> = []
        /// Members that are CIDRs broader than one address (need coverage handling).
        var broadMembers = 0
        /// Built in this flush: compare with what was sent as a whole.
        var fresh = true

        init(spec: IPSetSpec, probe: SetProbe) {
            self.spec = spec
            self.probe = probe
        }
    }

    /// What evaluating a source against a set needs, shared by reference.
    private final class SetProbe {
        let selector: CompiledSelector
        /// nil for selector sets; (protocol, port name) for named-port sets.
        let namedPort: (proto: String, name: String)?

        init(_ spec: IPSetSpec, _ selector: CompiledSelector) {
            self.selector = selector
            if case let .namedPort(_, proto, name) = spec { namedPort = (proto, name) } else { namedPort = nil }
        }
    }
    private var states: [String: SetState] = [:]
    /// Probes apart from the (large) states, so iterating them copies nothing big.
    private var probes: [String: SetProbe] = [:]
    private var changedSets: Set<String> = []
    /// Members as last emitted, by set id.
    private(set) var emitted: [String: Set<String>] = [:]

    init(compiler: SelectorCompiler) {
        self.compiler = compiler
        self.index = LabelIndex(interner: compiler.interner)
    }

    // MARK: Sources

    func setEndpoint(_ id: EndpointID, _ record: EndpointRecord?, labels: InternedLabels?) {
        set(.endpoint(id), record.map { .endpoint($0, labels ?? InternedLabels()) })
    }

    func setNetworkSet(_ key: String, nets: [String]?, labels: InternedLabels?) {
        set(.networkSet(key), nets.map { .networkSet(nets: $0, labels ?? InternedLabels()) })
    }

    private func set(_ s: Source, _ offer: Offer?) {
        let n: Int
        if let existing = sourceNumbers[s] {
            n = existing
        } else {
            guard offer != nil else { return }
            nextSource += 1
            n = nextSource
            sourceNumbers[s] = n
            sources[n] = s
        }
        offers[n] = offer
        dirtySources.insert(n)
    }

    /// What one source contributes to a set.
    private func contribution(of source: Int, to probe: SetProbe) -> [String] {
        switch offers[source] {
        case let .endpoint(e, labels)?:
            guard probe.selector.matches(labels, interner: compiler.interner) else { return [] }
            guard let (proto, name) = probe.namedPort else { return e.ipv4 + e.ipv6 }
            var out: [String] = []
            for p in e.ports where p.name == name && p.proto == proto {
                for ip in e.ipv4 + e.ipv6 { out.append("\(ip.split(separator: "/")[0]),\(proto):\(p.port)") }
            }
            return out
        case let .networkSet(nets, labels)?:
            guard probe.namedPort == nil, probe.selector.matches(labels, interner: compiler.interner) else { return [] }
            return nets.flatMap { text -> [String] in
                guard let net = IPNet(text) else { return [] }
                // The kernel's sets take no /0: it is split into two /1s.
                if net.prefixLength == 0 { return net.family == .v4 ? ["0.0.0.0/1", "128.0.0.0/1"] : ["::/1", "8000::/1"] }
                return [net.network.description]
            }
        case nil:
            return []
        }
    }

    private func setContribution(_ id: String, source: Int, _ members: [String]) {
        guard let st = states[id] else { return }
        let old = st.contributions[source] ?? []
        if old == members { return }
        for m in old {
            let c = (st.counts[m] ?? 0) - 1
            st.counts[m] = c > 0 ? c : nil
            if c <= 0 {
                if st.appeared.remove(m) == nil { st.disappeared.insert(m) }
                if Self.isBroad(m) { st.broadMembers -= 1 }
            }
        }
        for m in members {
            st.counts[m, default: 0] += 1
            if st.counts[m] == 1 {
                if st.disappeared.remove(m) == nil { st.appeared.insert(m) }
                if Self.isBroad(m) { st.broadMembers += 1 }
            }
        }
        st.contributions[source] = members.isEmpty ? nil : members
        changedSets.insert(id)
    }

    /// A CIDR member wider than one address (`a.b.c.0/24`), as opposed to `a.b.c.d/32`.
    static func isBroad(_ m: String) -> Bool {
        guard let slash = m.firstIndex(of: "/") else { return false }
        let len = m[m.index(after: slash)...]
        return len != "32" && len != "128"
    }

    // MARK: Flush

    /// Brings every set up to date — `wanted` (when the active rules were recomputed) is the
    /// new collection of sets — and returns new sets, member deltas and removed sets.
    func flush(wanted: Set<IPSetSpec>?) -> (added: [DataplaneUpdate], deltas: [DataplaneUpdate], removed: [DataplaneUpdate]) {
        for n in dirtySources { index.update(n, labels: offers[n]?.labels) }
        if let wanted { want(wanted) }
        for source in dirtySources.sorted() {
            for (id, probe) in probes { setContribution(id, source: source, contribution(of: source, to: probe)) }
        }
        for n in dirtySources where offers[n] == nil {
            if let s = sources.removeValue(forKey: n) { sourceNumbers[s] = nil }
            offers[n] = nil
        }
        dirtySources.removeAll()
        return emitChanges()
    }

    private func want(_ wanted: Set<IPSetSpec>) {
        let byID = Dictionary(uniqueKeysWithValues: wanted.map { ($0.id, $0) })
        for id in states.keys where byID[id] == nil {
            states[id] = nil
            probes[id] = nil
            changedSets.insert(id)
        }
        for (id, spec) in byID where states[id] == nil {
            let probe = SetProbe(spec, compiler.compile(spec.selector))
            states[id] = SetState(spec: spec, probe: probe)
            probes[id] = probe
            changedSets.insert(id)
            let scan = index.candidates(for: spec.selector) ?? Array(offers.keys)
            for source in scan { setContribution(id, source: source, contribution(of: source, to: probe)) }
        }
    }

    private func emitChanges() -> (added: [DataplaneUpdate], deltas: [DataplaneUpdate], removed: [DataplaneUpdate]) {
        var added: [DataplaneUpdate] = [], deltas: [DataplaneUpdate] = [], removed: [DataplaneUpdate] = []
        for id in changedSets.sorted() {
            guard let st = states[id] else {
                if emitted.removeValue(forKey: id) != nil { removed.append(.ipSetRemove(id: id)) }
                continue
            }
            let type = st.spec.type
            defer {
                st.appeared.removeAll()
                st.disappeared.removeAll()
                st.fresh = false
            }
            guard let current = emitted[id] else {
                // New set: all members.
                let raw = Set(st.counts.keys)
                let members = type == .net && st.broadMembers > 0 ? CIDRCoverage.removeCovered(raw) : raw
                emitted[id] = members
                added.append(.ipSetUpdate(id: id, type: type, members: members.sorted()))
                continue
            }
            let plus: [String], minus: [String]
            if st.fresh || (type == .net && (st.broadMembers > 0 || current.contains(where: Self.isBroad))) {
                // CIDRs may cover each other: recompute the set.
                let raw = Set(st.counts.keys)
                let members = type == .net ? CIDRCoverage.removeCovered(raw) : raw
                plus = members.subtracting(current).sorted()
                minus = current.subtracting(members).sorted()
                emitted[id] = members
            } else {
                plus = st.appeared.sorted()
                minus = st.disappeared.sorted()
                emitted[id]!.subtract(minus)
                emitted[id]!.formUnion(plus)
            }
            if !plus.isEmpty || !minus.isEmpty { deltas.append(.ipSetDelta(id: id, added: plus, removed: minus)) }
        }
        changedSets.removeAll()
        return (added, deltas, removed)
    }
}

/// Removing CIDRs covered by broader ones of the same set.
enum CIDRCoverage {
    static func removeCovered(_ members: Set<String>) -> Set<String> {
        let nets = members.compactMap { m -> (String, IPNet)? in IPNet(m).map { (m, $0) } }
        let broad = nets.filter { $0.1.prefixLength < $0.1.address.bitLength }
        if broad.isEmpty { return members }
        var out = Set<String>()
        for (text, net) in nets {
            let covered = broad.contains { other in
                other.1.family == net.family && other.1.prefixLength < net.prefixLength && other.1.contains(net.address)
                    || (other.1 == net && other.0 != text)
            }
            if !covered { out.insert(text) }
        }
        return out
    }
}

/// Compiles selectors against one interner, each distinct selector once.
final class SelectorCompiler {
    let interner = LabelInterner()
    private var cache: [String: CompiledSelector] = [:]

    func compile(_ sel: Selector) -> CompiledSelector {
        if let c = cache[sel.canonical] { return c }
        let c = CompiledSelector(sel.expression, interner: interner)
        cache[sel.canonical] = c
        return c
    }
}
