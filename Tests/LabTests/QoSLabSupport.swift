import CalicoAPI
import CalicoLab
import CalicoNetlink
import CalicoTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The lab the QoS tests share: one node (no encapsulation, NAT outgoing on), the outside
/// host, and pods in namespace `qos`: `sink` (no controls; the other end of every
/// measurement), `eg10`/`in10` created with a 10 Mbit/s egress/ingress bandwidth through the
/// CNI plugin's `args.cni.annotations`, `eg100`/`in100` (100 Mbit/s, set later by calicoctl
/// patch), and `x`/`y` for the other controls, set and removed by each test.
final class QoSLab: @unchecked Sendable {
    let lab: Lab

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: QoSLab?
    nonisolated(unsafe) private static var failure: String?

    static func get() async throws -> QoSLab {
        try RootGate.require("the QoS LabTests (network namespaces, tc, nftables, iperf3)")
        if let s = lock.withLock({ shared }) { return s }
        if let f = lock.withLock({ failure }) { throw LabTestError(message: f) }
        do {
            let s = try await QoSLab()
            lock.withLock { shared = s }
            atexit { QoSLab.lock.withLock { QoSLab.shared }?.tearDown() }
            return s
        } catch {
            lock.withLock { failure = "QoS lab setup failed: \(error)" }
            throw error
        }
    }

    static let bw = "qos.projectcalico.org/"

    private init() async throws {
        let dir = NSTemporaryDirectory() + "qostests-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        lab = try await Lab.up(LabConfig(stateDirectory: dir, binDirectory: SharedLab.binDirectory, datastore: .embedded,
                                         felixEnvironment: ["FELIX_ROUTEREFRESHINTERVAL": "5"], prefix: "cqs-\(getpid())",
                                         nodes: 1, encapsulation: .none))
        do {
            try await lab.ensureNamespace("qos", labels: [:])
            _ = try await lab.addPod(name: "sink", namespace: "qos", labels: ["app": "sink"])
            _ = try await lab.addPod(name: "eg10", namespace: "qos", labels: ["app": "eg10"], annotations: [Self.bw + "egressBandwidth": "10M"])
            _ = try await lab.addPod(name: "in10", namespace: "qos", labels: ["app": "in10"], annotations: [Self.bw + "ingressBandwidth": "10M"])
            for name in ["eg100", "in100", "x", "y"] { _ = try await lab.addPod(name: name, namespace: "qos", labels: ["app": name]) }
            let out = try lab.calicoctl(["patch", "ippool", "default-ipv4-ippool", "-p", #"{"spec":{"natOutgoing":true}}"#])
            if out.status != 0 { throw LabTestError(message: "calicoctl patch ippool: \(out.stdout)\(out.stderr)") }
        } catch {
            tearDown()
            throw error
        }
    }

    func tearDown() { try? lab.down() }

    func ip(_ pod: String) -> String { lab.pod(pod)!.ip }
    func iface(_ pod: String) -> String { lab.pod(pod)!.interfaceName }

    /// Sets (a value) or removes (nil) annotations of a pod's endpoint with `calicoctl patch`.
    func annotate(_ pod: String, _ values: [String: String?]) throws { try patchMetadata(pod, "annotations", values) }

    /// Sets a pod endpoint's labels (calicoctl patch; nil removes one).
    func label(_ pod: String, _ values: [String: String?]) throws { try patchMetadata(pod, "labels", values) }

    func patchMetadata(_ pod: String, _ field: String, _ values: [String: String?]) throws {
        let p = lab.pod(pod)!
        let body = values.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value.map { "\"\($0)\"" } ?? "null")" }.joined(separator: ",")
        let out = try lab.calicoctl(["patch", "workloadendpoint", p.endpointName, "-n", p.namespace, "-p", "{\"metadata\":{\"\(field)\":{\(body)}}}"])
        if out.status != 0 { throw LabTestError(message: "calicoctl patch workloadendpoint \(pod) \(field): \(out.stdout)\(out.stderr)") }
    }

    func calicoctl(_ args: [String], input: String? = nil) throws -> CommandOutput {
        try lab.calicoctl(args, input: input)
    }

    /// The qdiscs of a device on the node (`tc -j qdisc show dev`): kind, handle, rate in bit/s.
    func qdiscs(_ device: String) -> [(kind: String, root: Bool, rate: Int64?)] {
        guard let out = try? lab.exec("node1", ["tc", "-j", "qdisc", "show", "dev", device]), out.status == 0,
              let data = out.stdout.data(using: .utf8),
              let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else { return [] }
        return list.map { o in
            let rate = ((o["options"] as? [String: Any])?["rate"] as? Int).map { Int64($0) * 8 }
            return (o["kind"] as? String ?? "", o["root"] as? Bool ?? false, rate)
        }
    }

    /// The rate of the TBF at the root of a pod's veth (ingress limit), nil when none.
    func ingressRate(_ pod: String) -> Int64? { qdiscs(iface(pod)).first { $0.kind == "tbf" && $0.root }?.rate }
    /// The device a pod veth's ingress filter redirects to (its IFB), nil when none.
    func redirect(_ pod: String) -> String? {
        guard let out = try? lab.exec("node1", ["tc", "-j", "filter", "show", "dev", iface(pod), "ingress"]), out.status == 0,
              let data = out.stdout.data(using: .utf8),
              let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else { return nil }
        for o in list {
            for a in ((o["options"] as? [String: Any])?["actions"] as? [[String: Any]]) ?? [] {
                if let to = a["to_dev"] as? String { return to }
            }
        }
        return nil
    }

    /// The rate of the TBF on the IFB device a pod's egress is redirected to (egress limit),
    /// nil when none.
    func egressRate(_ pod: String) -> Int64? {
        guard let ifb = redirect(pod), ifb.hasPrefix("bwcali"), ifb.count <= 15 else { return nil }
        return qdiscs(ifb).first { $0.kind == "tbf" && $0.root }?.rate
    }

    /// Felix's readiness report on the node.
    var readiness: String { lab.felixReadiness(on: "node1")?.report ?? "(no answer)" }
    var felixLog: String { lab.felixLogTails(lines: 12) }

    /// Receiver-side throughput of TCP from `sender` to `receiver` for `seconds` (iperf3 in
    /// reverse mode: the server in the sender sends, the client in the receiver counts what
    /// arrives), each second's Mbit/s after the first `omit` seconds.
    func throughput(from sender: String, to receiver: String, port: Int, seconds: Int, omit: Int = 0) throws -> [Double] {
        var last = ""
        for _ in 0..<5 {
            _ = try lab.exec(sender, ["iperf3", "-s", "-1", "-D", "-p", "\(port)"])
            usleep(300_000)
            let out = try lab.exec(receiver, ["iperf3", "-c", ip(sender), "-p", "\(port)", "-R", "-t", "\(seconds)", "-O", "\(omit)", "-J"])
            last = out.stdout + out.stderr
            guard out.status == 0, let data = out.stdout.data(using: .utf8),
                  let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let intervals = o["intervals"] as? [[String: Any]] else { continue }
            return intervals.compactMap { i in
                guard let sum = i["sum"] as? [String: Any], (sum["omitted"] as? Bool) != true,
                      let bps = sum["bits_per_second"] as? Double else { return nil }
                return bps / 1e6
            }
        }
        throw LabTestError(message: "iperf3 \(sender) → \(receiver) failed: \(last.suffix(400))")
    }

    /// Pings sent every `interval` seconds from `from` to `to`: how many were answered, and
    /// over how many seconds (ping slows down while answers are missing).
    func pings(from: String, to: String, count: Int, interval: Double) throws -> (answered: Int, seconds: Double) {
        let out = try lab.exec(from, ["ping", "-q", "-n", "-i", "\(interval)", "-c", "\(count)", "-W", "1", to])
        guard let line = out.stdout.split(separator: "\n").first(where: { $0.contains("packets transmitted") }),
              let received = line.split(separator: ",").dropFirst().first?.split(separator: " ").first.flatMap({ Int($0) }),
              let time = line.split(separator: ",").last?.split(separator: " ").last.flatMap({ Double($0.replacingOccurrences(of: "ms", with: "")) }) else {
            throw LabTestError(message: "ping \(from) → \(to): \(out.stdout)\(out.stderr)")
        }
        return (received, time / 1000)
    }

    /// Opens `count` TCP connections one after the other from `client` to `server`'s port and
    /// reports each (`open`, `reset`, `timeout`), then whether each open one still echoes.
    func connections(from client: String, to server: String, port: Int, count: Int) throws -> (opened: [String], alive: Int) {
        let serverScript = """
            import socket, threading
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", \(port))); s.listen(16)
            def echo(c):
                while True:
                    d = c.recv(64)
                    if not d: break
                    c.sendall(d)
            s.settimeout(20)
            try:
                while True:
                    c, _ = s.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()
            except Exception:
                pass
            """
        let clientScript = """
            import socket, time
            opened, socks = [], []
            for i in range(\(count)):
                c = socket.socket(); c.settimeout(2)
                try:
                    c.connect(("\(ip(server))", \(port))); opened.append("open"); socks.append(c)
                except ConnectionRefusedError:
                    opened.append("reset")
                except socket.timeout:
                    opened.append("timeout")
                time.sleep(0.2)
            alive = 0
            for c in socks:
                try:
                    c.sendall(b"ping")
                    if c.recv(4) == b"ping": alive += 1
                except Exception:
                    pass
            print(" ".join(opened), alive)
            """
        let argv = try lab.commandLine(in: server, ["python3", "-c", serverScript])
        let pid = try ProcessControl.spawnDaemon(argv, environment: nil, logPath: lab.stateDirectory + "/conn-server.log")
        defer { kill(pid, SIGTERM); ProcessControl.waitForExit(pid, within: .seconds(2)) }
        usleep(500_000)
        let out = try lab.exec(client, ["python3", "-c", clientScript])
        let words = out.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard words.count == count + 1, let alive = Int(words[count]) else {
            throw LabTestError(message: "connection client: \(out.stdout)\(out.stderr)")
        }
        return (Array(words.prefix(count)), alive)
    }
}
