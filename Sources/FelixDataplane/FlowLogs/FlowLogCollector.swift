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
    /// Active policies by the name prefixes carry, with their rules (staged ones too), the
    /// profiles and IP sets: what the pending trace is evaluated against.
    private var policies: [String: PolicyID] = [:]
    private var active: [PolicyID: ActivePolicy] = [:]
    private var profiles: [String: (inbound: [ParsedRule], outbound: [ParsedRule])] = [:]
    private var ipSets: [String: Set<String>] = [:]
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
        var packets: Int64 = 0
        var bytes: Int64 = 0
    }

    public init(now: Int64 = Int64(Date().timeIntervalSince1970)) {
        intervalStart = now
    }

    public func onUpdate(_ update: DataplaneUpdate) {
        lock.withLock {
            switch update {
            case .endpointUpdate(let e):
                if let old = endpoints[e.id] { for ip in old.ipv4Nets + old.ipv6Nets { byAddress[Self.bare(ip)] = nil } }
                endpoints[e.id] = e
                for ip in e.ipv4Nets + e.ipv6Nets { byAddress[Self.bare(ip)] = e.id }
            case .endpointRemove(let id):
                if let old = endpoints.removeValue(forKey: id) { for ip in old.ipv4Nets + old.ipv6Nets { byAddress[Self.bare(ip)] = nil } }
            case let .activePolicyUpdate(id, p):
                policies[id.name] = id
                active[id] = p
            case .activePolicyRemove(let id):
                policies[id.name] = nil
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

    static func bare(_ net: String) -> String { String(net.split(separator: "/").first ?? Substring(net)) }

    /// One logged verdict (a packet of a new connection meeting a rule that decides or passes).
    public func record(_ e: VerdictEvent) {
        let key = ConnectionKey(source: e.source, destination: e.destination, proto: e.proto, sourcePort: e.sourcePort,
                                destinationPort: e.destinationPort, inbound: e.group == 1)
        lock.withLock {
            var c = connections[key] ?? Connection()
            if !c.prefixes.contains(e.prefix) { c.prefixes.append(e.prefix) }
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
        let (conns, start, eps, byAddr, pols, pending) = lock.withLock {
            defer {
                connections = [:]
                intervalStart = now
            }
            return (connections, intervalStart, endpoints, byAddress, policies,
                    evaluatePending ? PendingTrace(policies: active, profiles: profiles, ipSets: ipSets) : nil)
        }
        let staged = Set((pending?.policies ?? [:]).filter { $0.value.staged }.keys)
        var flows: [Goldmane_FlowKey: Goldmane_Flow] = [:]
        for (k, c) in conns {
            let reporterSide = k.inbound ? k.destination : k.source
            guard let local = byAddr[reporterSide], let endpoint = eps[local] else { continue }
            var key = Goldmane_FlowKey()
            let src = Self.end(k.source, directory), dst = Self.end(k.destination, directory)
            (key.sourceName, key.sourceNamespace, key.sourceType) = (src.name, src.namespace, src.type)
            (key.destName, key.destNamespace, key.destType) = (dst.name, dst.namespace, dst.type)
            key.destPort = [6, 17, 132].contains(k.proto) ? Int64(k.destinationPort) : 0
            key.proto = Self.protoName(k.proto)
            key.reporter = k.inbound ? .dst : .src
            let trace = FlowTrace.hits(c.prefixes, endpoint: endpoint, inbound: k.inbound, policies: pols, staged: staged)
            key.policies.enforcedPolicies = trace
            if let pending {
                let t = FlowTuple(source: k.source, destination: k.destination, proto: k.proto, sourcePort: k.sourcePort, destinationPort: k.destinationPort)
                key.policies.pendingPolicies = pending.evaluate(t, endpoint: endpoint, inbound: k.inbound)
            }
            key.action = trace.last(where: { $0.action != .pass })?.action ?? .deny
            var f = flows[key] ?? Goldmane_Flow()
            if flows[key] == nil {
                f.key = key
                f.startTime = start
                f.endTime = max(now, start + 1)
                f.sourceLabels = src.labels
                f.destLabels = dst.labels
            }
            if k.inbound {
                f.packetsIn += c.packets
                f.bytesIn += c.bytes
            } else {
                f.packetsOut += c.packets
                f.bytesOut += c.bytes
            }
            f.numConnectionsStarted += 1
            if f.sourceIps.count < 10, !f.sourceIps.contains(k.source) { f.sourceIps.append(k.source) }
            if f.destIps.count < 10, !f.destIps.contains(k.destination) { f.destIps.append(k.destination) }
            flows[key] = f
        }
        return flows.values.sorted { ($0.key.sourceName, $0.key.destName) < ($1.key.sourceName, $1.key.destName) }
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

    static func isPrivate(_ ip: String) -> Bool {
        guard let a = IPAddress(ip) else { return false }
        let nets = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
        return nets.compactMap { IPNet($0) }.contains { $0.family == a.family && $0.contains(a) }
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
