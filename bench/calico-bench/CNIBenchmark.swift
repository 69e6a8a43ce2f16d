import CalicoAPI
import CalicoDatastore
import Foundation

/// `calico-bench cni`: ADD+DEL latency (p50/p99) over 200 containers for our `calico` +
/// `calico-ipam` plugins and, in the same run, Debian's reference `ptp` + `host-local`
/// doing the same, each inside a node network namespace of its own (ranges 10.245/16 and
/// 10.246/16; nothing touches the root namespace).
enum CNIBenchmark {
    static let containers = 200

    struct Runner {
        let prefix = "cbench-\(getpid())"
        var node: String { "\(prefix)-node" }

        func sh(_ command: String) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            if p.terminationStatus != 0 { throw CNIBenchFailure(message: "command failed: \(command)") }
        }

        /// Runs a plugin inside the node namespace as a runtime does; returns its exit status and output.
        func plugin(_ binary: String, command: String, container: String, netconf: String, cniPath: String) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            p.arguments = ["netns", "exec", node, "env", "CNI_COMMAND=\(command)", "CNI_CONTAINERID=\(container)",
                           "CNI_NETNS=/var/run/netns/\(prefix)-\(container)", "CNI_IFNAME=eth0", "CNI_PATH=\(cniPath)",
                           "CNI_ARGS=IgnoreUnknown=1", binary]
            let input = Pipe(), output = Pipe()
            p.standardInput = input
            p.standardOutput = output
            p.standardError = output
            try p.run()
            input.fileHandleForWriting.write(Data(netconf.utf8))
            try input.fileHandleForWriting.close()
            let out = output.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: out, as: UTF8.self))
        }

        func setUp() throws {
            try sh("ip netns add \(node) && ip -n \(node) link set lo up && ip netns exec \(node) sysctl -qw net.ipv4.ip_forward=1")
            // A default route so proxy ARP answers (DESIGN §4): into a peer namespace of its own.
            try sh("ip netns add \(prefix)-up && ip link add \(prefix)-a netns \(node) type veth peer name \(prefix)-b netns \(prefix)-up")
            try sh("ip -n \(node) addr add 198.51.100.2/24 dev \(prefix)-a && ip -n \(node) link set \(prefix)-a up && ip -n \(prefix)-up link set \(prefix)-b up && ip -n \(node) route add default via 198.51.100.1")
            for i in 0..<containers { try sh("ip netns add \(prefix)-c\(i)") }
        }

        func tearDown() {
            for i in 0..<containers { try? sh("ip netns del \(prefix)-c\(i)") }
            try? sh("ip netns del \(node)")
            try? sh("ip netns del \(prefix)-up")
        }

        func measure(_ name: String, binary: String, netconf: String, cniPath: String) throws -> [Double] {
            var samples: [Double] = []
            for i in 0..<containers {
                let t = ContinuousClock.now
                let (addStatus, addOut) = try plugin(binary, command: "ADD", container: "c\(i)", netconf: netconf, cniPath: cniPath)
                guard addStatus == 0 else { throw CNIBenchFailure(message: "\(name) ADD failed: \(addOut)") }
                let (delStatus, delOut) = try plugin(binary, command: "DEL", container: "c\(i)", netconf: netconf, cniPath: cniPath)
                guard delStatus == 0 else { throw CNIBenchFailure(message: "\(name) DEL failed: \(delOut)") }
                let d = ContinuousClock.now - t
                samples.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
            }
            return samples.sorted()
        }
    }

    struct CNIBenchFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func run() async throws {
        let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let calico = binDir + "/calico"
        guard FileManager.default.isExecutableFile(atPath: calico), FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/ptp") else {
            say("cni: skipped (needs \(calico) and Debian's containernetworking-plugins)")
            return
        }
        let runner = Runner()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cni-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer {
            runner.tearDown()
            try? FileManager.default.removeItem(atPath: dir)
        }
        try runner.setUp()
        let db = dir + "/datastore.db"
        let store = Datastore(kv: try EmbeddedStore(path: db))
        _ = try await store.create(IPPool(metadata: ObjectMeta(name: "bench"), spec: IPPoolSpec(cidr: "10.245.0.0/16")))
        let calicoConf = """
            {"cniVersion":"1.0.0","name":"bench-net","type":"calico","datastore_type":"embedded","embedded_datastore_path":"\(db)",
             "nodename":"bench-node","ipam":{"type":"calico-ipam"},"ipam_lock_file":"\(dir)/ipam.lock"}
            """
        let ptpConf = """
            {"cniVersion":"1.0.0","name":"bench-ptp","type":"ptp",
             "ipam":{"type":"host-local","ranges":[[{"subnet":"10.246.0.0/16"}]],"dataDir":"\(dir)/host-local"}}
            """
        let ours = try runner.measure("calico", binary: calico, netconf: calicoConf, cniPath: binDir)
        let reference = try runner.measure("ptp", binary: "/usr/lib/cni/ptp", netconf: ptpConf, cniPath: "/usr/lib/cni")
        func ms(_ s: Double) -> String { String(format: "%.1f", s * 1e3) }
        func p(_ xs: [Double], _ q: Double) -> Double { xs[min(xs.count - 1, Int(Double(xs.count) * q))] }
        say("cni[calico+calico-ipam, embedded]: ADD+DEL p50 \(ms(p(ours, 0.5))) ms, p99 \(ms(p(ours, 0.99))) ms over \(containers) containers")
        say("cni[ptp+host-local]: ADD+DEL p50 \(ms(p(reference, 0.5))) ms, p99 \(ms(p(reference, 0.99))) ms")
        say(String(format: "cni[ratio calico/ptp]: p50 %.2fx, p99 %.2fx", p(ours, 0.5) / p(reference, 0.5), p(ours, 0.99) / p(reference, 0.99)))
    }
}
