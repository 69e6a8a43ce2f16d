import CalicoAPI
import FelixCalc
import Foundation

/// `calico-bench calc`: (a) initial sync of 100k endpoints on 1k nodes, 5k policies using 2k
/// distinct selectors and 1k network sets, for one node with 100 local endpoints: time and
/// peak RSS; (b) one label change on a remote endpoint: time to the IP-set delta, p50/p99
/// over 10k changes; (c) memory per endpoint.
enum CalcBenchmark {
    static let apps = (0..<200).map { "app\($0)" }
    static let envs = ["prod", "staging", "dev"]
    static let teams = (0..<20).map { "team\($0)" }

    static func selector(_ i: Int) -> String {
        switch i % 4 {
        case 0: return "app == '\(apps[i % apps.count])' && env == '\(envs[(i / 200) % 3])'"
        case 1: return "app == '\(apps[i % apps.count])' && team in {'\(teams[i % 20])', '\(teams[(i + 7) % 20])'}"
        case 2: return "team == '\(teams[i % 20])' && has(app) && version != 'v\(i % 7)'"
        default: return "app == '\(apps[i % apps.count])' && zone == 'z\(i % 10)'"
        }
    }

    /// Deterministic, well-mixed label choices (so local endpoints vary too).
    static func mix(_ i: Int, _ salt: UInt64) -> Int {
        var z = UInt64(i) &+ salt &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % 1_000_003)
    }

    static func endpoint(_ i: Int, app: Int? = nil) -> WorkloadEndpoint {
        var w = WorkloadEndpoint(metadata: ObjectMeta(name: "node\(i % 1000)-k8s-pod\(i)-eth0", namespace: "ns\(mix(i, 1) % 50)",
                                                      labels: ["app": apps[app ?? (mix(i, 2) % apps.count)], "env": envs[mix(i, 3) % 3],
                                                               "team": teams[mix(i, 4) % 20], "version": "v\(mix(i, 5) % 7)", "zone": "z\(mix(i, 6) % 10)"]))
        w.spec.node = "node\(i % 1000)"
        w.spec.interfaceName = "cali\(i)"
        w.spec.ipNetworks = ["10.\(244 + (i >> 16))\(".")\((i >> 8) & 255).\(i & 255)/32"]
        w.spec.profiles = ["kns.ns\(mix(i, 1) % 50)"]
        return w
    }

    static func rss() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    static func run() {
        let baseline = rss()
        var events: [CalcEvent] = []
        for n in 0..<50 {
            events.append(.put(Profile(metadata: ObjectMeta(name: "kns.ns\(n)"),
                                       spec: ProfileSpec(ingress: [Rule(action: .allow)], egress: [Rule(action: .allow)],
                                                         labelsToApply: ["pcns.projectcalico.org/name": "ns\(n)"]))))
        }
        for i in 0..<100_000 { events.append(.put(endpoint(i))) }
        for s in 0..<1000 {
            events.append(.put(GlobalNetworkSet(metadata: ObjectMeta(name: "set\(s)", labels: ["app": apps[s % apps.count], "feed": "f\(s % 10)"]),
                                                spec: NetworkSetSpec(nets: (0..<5).map { "203.0.\((s * 5 + $0) % 256).0/24" }))))
        }
        for p in 0..<5000 {
            var policy = GlobalNetworkPolicy(metadata: ObjectMeta(name: "p\(p)"))
            policy.spec.selector = selector(p % 2000)
            policy.spec.order = Double(p % 100)
            policy.spec.ingress = [Rule(action: .allow, protocol: .tcp, source: EntityRule(selector: selector((p * 7 + 3) % 2000)),
                                        destination: EntityRule(ports: [CalicoAPI.Port(80)]))]
            events.append(.put(policy))
        }
        events.append(.inSync)
        let graph = CalcGraph(hostname: "node0")
        let clock = ContinuousClock()
        var initial: [DataplaneUpdate] = []
        let syncTime = clock.measure {
            for e in events { graph.apply(e) }
            initial = graph.flush()
        }
        let afterSync = rss()
        let sets = initial.filter { if case .ipSetUpdate = $0 { return true } else { return false } }.count
        let policies = initial.filter { if case .activePolicyUpdate = $0 { return true } else { return false } }.count
        say(String(format: "calc: initial sync of 100k endpoints (100 local), 5k policies, 2k selectors, 1k network sets: %.2f s, peak RSS %d MB (%d active policies, %d IP sets)",
                   seconds(syncTime), afterSync / 1024, policies, sets))
        events.removeAll()
        // (b) remote label changes.
        var samples: [Double] = []
        var deltas = 0
        for k in 0..<10_000 {
            let i = 1 + (k * 7919) % 99_999
            if i % 1000 == 0 { continue }
            let w = endpoint(i, app: (i + k + 1) % apps.count)
            let t = clock.now
            graph.apply(.put(w))
            let out = graph.flush()
            samples.append(seconds(clock.now - t))
            deltas += out.count
        }
        samples.sort()
        say(String(format: "calc: remote label change to IP-set delta: p50 %.1f us, p99 %.1f us over %d changes (%d updates)",
                   samples[samples.count / 2] * 1e6, samples[samples.count * 99 / 100] * 1e6, samples.count, deltas))
        say(String(format: "calc: memory per endpoint ~%.0f bytes (peak RSS growth / 100k endpoints incl. policies and sets)",
                   Double(afterSync - baseline) * 1024 / 100_000))
    }
}
