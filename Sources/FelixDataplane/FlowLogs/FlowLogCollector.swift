import CalicoAPI
import FelixCalc
import Foundation
import GoldmaneAPI

/// Felix's flow collector (spec §1.11): NFLOG verdicts of this node's endpoints, named and
/// traced, aggregated per Goldmane flow key between flushes. Fed the calculation graph's
/// updates like the other managers (local endpoints, active policies), so it knows whose
/// address is whose and which policy a prefix names. Thread-safe: the NFLOG thread records,
/// the flush loop drains.
public final class FlowLogCollector: DataplaneManager, @unchecked Sendable {
    private let lock = NSLock()
    private var endpoints: [EndpointID: EndpointUpdate] = [:]
    private var byAddress: [String: EndpointID] = [:]
    /// Active policies with their rules (staged ones too), the profiles and IP sets: what
    /// prefixes name and the pending trace is evaluated against.
    private var active: [PolicyID: ActivePolicy] = [:]
    private var profiles: [String: (inbound: [ParsedRule], outbound: [ParsedRule])] = [:]
    private var ipSets: [String: Set<String>] = [:]
    /// NFLOG prefixes that named no rule Felix knows (the connections were left out).
    public private(set) var unknownPrefixes = 0
    /// Whether pending traces are computed (`flowLogsPolicyEvaluationMode: Continuous`).
    public var evaluatePending = true
    private var connections: [ConnectionKey: Connection] = [:]
    private var intervalStart: Int64
    /// Names endpoints by address — this node's and every other's — with their labels (the
    /// calculation graph knows every endpoint).
    public var directory: @Sendable (String) -> (id: EndpointID, displayName: String, labels: [String: String])? = { _ in nil }

    struct ConnectionKey: Hashable {
        var source: String
        var destination: String
        var proto: Int
        var sourcePort: Int
        var destinationPort: Int
        var inbound: Bool
    }

    struct Connection {
        var prefixes: [String] = []
        /// The first logged packet's ICMP type and code (ICMP connections).
        var icmp: (type: Int, code: Int)?
        var packets: Int64 = 0
        var bytes: Int64 = 0
        /// Reported in an earlier interval (then it counts as live, not started).
        var reported = false
        /// Conntrack's counters at the last flush (original and reply direction).
        var seen: ConntrackEntry?
        /// This interval's packets and bytes in the original direction (the rest are replies).
        var originalShare: (packets: Int64, bytes: Int64)?
    }

    /// Conntrack's table, read at each flush (a seam for tests; nil: counters from NFLOG only).
    public var conntrack: (@Sendable () -> [ConntrackTuple: ConntrackEntry])?

    public init(now: Int64 = Int64(Date().timeIntervalSince1970)) {
        intervalStart = now
    }

    public func onUpdate(_ update: DataplaneUpdate) {
        lock.withLock {
            switch update {
            case .endpointUpdate(let e):
                if let old = endpoints[e.id] { for ip in old.ipv4Nets + old.ipv6Nets { byAddress[DSCPChains.bare(ip)] = nil } }
                endpoints[e.id] = e
                for ip in e.ipv4Nets + e.ipv6Nets { byAddress[DSCPChains.bare(ip)] = e.id }
            case .endpointRemove(let id):
                if let old = endpoints.removeValue(forKey: id) { for ip in old.ipv4Nets + old.ipv6Nets { byAddress[DSCPChains.bare(ip)] = nil } }
            case let .activePolicyUpdate(id, p):
                active[id] = p
            case .activePolicyRemove(let id):
                active[id] = nil
            case let .activeProfileUpdate(name, inbound, outbound):
                profiles[name] = (inbound, outbound)
            case .activeProfileRemove(let name):
                profiles[name] = nil
            case let .ipSetUpdate(id, _, members):
                ipSets[id] = Set(members)
            case let .ipSetDelta(id, added, removed):
                ipSets[id, default: []].subtract(removed)
                ipSets[id, default: []].formUnion(added)
            case .ipSetRemove(let id):
                ipSets[id] = nil
            default:
                break
            }
        }
    }

    @discardableResult
    public func apply() throws -> ApplyOutcome { ApplyOutcome(commands: 0, seconds: 0, resynced: false) }

    /// One logged verdict (a packet of a new connection meeting a rule that decides or passes).
    public func record(_ e: VerdictEvent) {
        let key = ConnectionKey(source: e.source, destination: e.destination, proto: e.proto, sourcePort: e.sourcePort,
                                destinationPort: e.destinationPort, inbound: e.group == 1)
        lock.withLock {
            var c = connections[key] ?? Connection()
            if !c.prefixes.contains(e.prefix) { c.prefixes.append(e.prefix) }
            if c.icmp == nil, let type = e.icmpType { c.icmp = (type, e.icmpCode ?? 0) }
            // A packet meets several logging rules (a pass, then a verdict): count it once.
            if e.prefix == c.prefixes.first {
                c.packets += 1
                c.bytes += Int64(e.length)
            }
            connections[key] = c
        }
    }

    /// The flows since the last flush, aggregated per flow key; starts a new interval.
    public func flush(now: Int64 = Int64(Date().timeIntervalSince1970)) -> [Goldmane_Flow] {
        let table = conntrack?()
        let (conns, start, eps, byAddr, pols, pending) = lock.withLock {
            // With conntrack's counters, a connection's packets and bytes are its counters'
            // growth since the last flush, and it is kept (live) while conntrack has it.
            if let table {
                for (k, var c) in connections {
                    let entry = table[ConntrackTuple(source: k.source, destination: k.destination, proto: k.proto,
                                                     sourcePort: k.sourcePort, destinationPort: k.destinationPort)]
                    if let e = entry {
                        let before = c.seen ?? ConntrackEntry(originalPackets: 0, originalBytes: 0, replyPackets: 0, replyBytes: 0, state: "")
                        c.packets = max(0, e.originalPackets - before.originalPackets) + max(0, e.replyPackets - before.replyPackets)
                        c.bytes = max(0, e.originalBytes - before.originalBytes) + max(0, e.replyBytes - before.replyBytes)
                        c.originalShare = (max(0, e.originalPackets - before.originalPackets), max(0, e.originalBytes - before.originalBytes))
                    }
                    c.seen = entry
                    connections[k] = c
                }
            }
            defer {
                // Connections conntrack still has stay for the next interval (as live ones).
                connections = table == nil ? [:] : connections.filter { $0.value.seen != nil && ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV"].contains($0.value.seen!.state) }
                    .mapValues { c in
                        var c = c
                        c.reported = true
                        c.packets = 0
                        c.bytes = 0
                        c.originalShare = nil
                        return c
                    }
                intervalStart = now
            }
            return (connections, intervalStart, endpoints, byAddress, Dictionary(active.keys.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }),
                    evaluatePending ? PendingTrace(policies: active, profiles: profiles, ipSets: ipSets) : nil)
        }
        let staged = Set((pending?.policies ?? [:]).filter { $0.value.staged }.keys)
        var flows: [AggregationKey: Goldmane_Flow] = [:]
        // Within one flush an address names the same end, and a prefix list at an endpoint
        // the same trace: each worked out once.
        var ends: [String: End] = [:]
        func end(_ ip: String) -> End {
            if let e = ends[ip] { return e }
            let e = Self.end(ip, directory)
            ends[ip] = e
            return e
        }
        struct TraceKey: Hashable {
            var prefixes: [String]
            var endpoint: EndpointID
            var inbound: Bool
        }
        var traceIndex: [TraceKey: Int] = [:]
        var traces: [[Goldmane_PolicyHit]] = []
        for (k, c) in conns {
            let reporterSide = k.inbound ? k.destination : k.source
            guard let local = byAddr[reporterSide], let endpoint = eps[local] else { continue }
            var key = Goldmane_FlowKey()
            let src = end(k.source), dst = end(k.destination)
            (key.sourceName, key.sourceNamespace, key.sourceType) = (src.name, src.namespace, src.type)
            (key.destName, key.destNamespace, key.destType) = (dst.name, dst.namespace, dst.type)
            key.destPort = [6, 17, 132].contains(k.proto) ? Int64(k.destinationPort) : 0
            key.proto = Self.protoName(k.proto)
            key.reporter = k.inbound ? .dst : .src
            let traceKey = TraceKey(prefixes: c.prefixes, endpoint: local, inbound: k.inbound)
            let traceID: Int
            if let known = traceIndex[traceKey] {
                traceID = known
            } else {
                traceID = traces.count
                traces.append(FlowTrace.hits(c.prefixes, endpoint: endpoint, inbound: k.inbound, policies: pols, staged: staged))
                traceIndex[traceKey] = traceID
            }
            let trace = traces[traceID]
            // Prefixes Felix cannot map back (another program's NFLOG rules, a policy gone
            // meanwhile) make no flow; they are counted.
            guard !trace.isEmpty else {
                lock.withLock { unknownPrefixes += c.prefixes.count }
                continue
            }
            key.policies.enforcedPolicies = trace
            if let pending {
                let t = FlowTuple(source: k.source, destination: k.destination, proto: k.proto, sourcePort: k.sourcePort, destinationPort: k.destinationPort,
                                  icmpType: c.icmp?.type, icmpCode: c.icmp?.code)
                key.policies.pendingPolicies = pending.evaluate(t, endpoint: endpoint, inbound: k.inbound)
            }
            key.action = trace.last(where: { $0.action != .pass })?.action ?? .deny
            // Aggregated by a plain key (hashing the protobuf message costs more than the rest).
            let aggregation = AggregationKey(source: src.name, sourceNamespace: src.namespace, sourceType: src.type.rawValue,
                                             destination: dst.name, destinationNamespace: dst.namespace, destinationType: dst.type.rawValue,
                                             port: key.destPort, proto: k.proto, inbound: k.inbound, action: key.action.rawValue, trace: traceID,
                                             pending: key.policies.pendingPolicies.map(HitSignature.init))
            let known = flows[aggregation]
            var f = known ?? Goldmane_Flow()
            if known == nil {
                f.key = key
                f.startTime = start
                f.endTime = max(now, start + 1)
                f.sourceLabels = src.labels
                f.destLabels = dst.labels
            }
            // The original direction goes from source to destination: "in" for the destination's
            // report, "out" for the source's; replies the other way.
            let original = c.originalShare ?? (c.packets, c.bytes)
            let reply = (c.packets - original.packets, c.bytes - original.bytes)
            if k.inbound {
                f.packetsIn += original.packets
                f.bytesIn += original.bytes
                f.packetsOut += reply.0
                f.bytesOut += reply.1
            } else {
                f.packetsOut += original.packets
                f.bytesOut += original.bytes
                f.packetsIn += reply.0
                f.bytesIn += reply.1
            }
            if !c.reported { f.numConnectionsStarted += 1 }
            if let state = c.seen?.state, ["TIME_WAIT", "CLOSE", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK"].contains(state) {
                f.numConnectionsCompleted += 1
            } else if c.seen != nil {
                f.numConnectionsLive += 1
            }
            if f.sourceIps.count < 10, !f.sourceIps.contains(k.source) { f.sourceIps.append(k.source) }
            if f.destIps.count < 10, !f.destIps.contains(k.destination) { f.destIps.append(k.destination) }
            flows[aggregation] = f
        }
        return flows.sorted { ($0.key.source, $0.key.destination) < ($1.key.source, $1.key.destination) }.map(\.value)
    }

    /// What flows are aggregated by: Goldmane's flow key, with the enforced trace as its index
    /// in this flush's traces.
    struct AggregationKey: Hashable {
        var source, sourceNamespace: String
        var sourceType: Int
        var destination, destinationNamespace: String
        var destinationType: Int
        var port: Int64
        var proto: Int
        var inbound: Bool
        var action: Int
        var trace: Int
        var pending: [HitSignature]
    }

    struct HitSignature: Hashable {
        var kind: Int, action: Int
        var name, tier, namespace, trigger: String
        var rule: Int64

        init(_ h: Goldmane_PolicyHit) {
            (kind, action, name, tier, namespace, rule) = (h.kind.rawValue, h.action.rawValue, h.name, h.tier, h.namespace, h.ruleIndex)
            trigger = h.hasTrigger ? h.trigger.name : ""
        }
    }

    struct End {
        var name: String
        var namespace: String
        var type: Goldmane_EndpointType
        var labels: [String]
    }

    /// An address as a flow end: an endpoint (of any node), else a network (`pvt` for RFC 1918 and
    /// unique-local addresses, `pub` otherwise).
    static func end(_ ip: String, _ directory: (String) -> (id: EndpointID, displayName: String, labels: [String: String])?) -> End {
        if let (id, displayName, own) = directory(ip) {
            let labels = own.filter { !$0.key.hasPrefix("projectcalico.org/") }.map { "\($0.key)=\($0.value)" }.sorted()
            switch id {
            case let .workload(ns, name): return End(name: displayName.isEmpty ? name : displayName, namespace: ns, type: .workloadEndpoint, labels: labels)
            case let .host(name): return End(name: name, namespace: "-", type: .hostEndpoint, labels: labels)
            }
        }
        return End(name: isPrivate(ip) ? "pvt" : "pub", namespace: "-", type: .network, labels: [])
    }

    static let privateNets = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"].compactMap { IPNet($0) }

    static func isPrivate(_ ip: String) -> Bool {
        guard let a = IPAddress(ip) else { return false }
        return privateNets.contains { $0.family == a.family && $0.contains(a) }
    }

    static func protoName(_ p: Int) -> String {
        switch p {
        case 6: return "tcp"
        case 17: return "udp"
        case 1: return "icmp"
        case 58: return "icmp6"
        case 132: return "sctp"
        case 4: return "ipip"
        case 50: return "esp"
        default: return String(p)
        }
    }
}
