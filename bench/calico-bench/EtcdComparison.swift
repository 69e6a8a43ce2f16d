import CalicoDatastore
import CalicoLab
import Foundation

/// The etcd half of `calico-bench datastore`: our client through `Datastore` against a
/// throwaway etcd on loopback, and `etcdctl` doing the same puts and gets on the same etcd.
enum EtcdComparison {
    static func run(count: Int, benchmark: (Datastore, String) async throws -> DatastoreBenchmark.Figures) async throws {
        let server = try await EtcdServer.start()
        defer { server.stop() }
        let ours = try await benchmark(Datastore(kv: EtcdStore(endpoints: [server.endpoint])), "etcd")
        say(ours.report())

        // etcdctl: one process per operation, as a shell script would use it (1,000 ops, to
        // keep the run short), and batched puts (128 per `etcdctl txn`) for throughput.
        let sample = 1000
        let putSeconds = try DatastoreBenchmark.syncTime {
            for i in 0..<sample { try etcdctl(server, ["put", "/bench/etcdctl/\(i)", value(i)]) }
        }
        let getSeconds = try DatastoreBenchmark.syncTime {
            for i in 0..<sample { try etcdctl(server, ["get", "/bench/etcdctl/\(i)"]) }
        }
        let txnSeconds = try DatastoreBenchmark.syncTime {
            var i = 0
            while i < count {
                let batch = (i..<min(i + 128, count)).map { "put /bench/etcdctl-txn/\($0) '\(value($0))'" }.joined(separator: "\n")
                try etcdctl(server, ["txn"], stdin: "\n\(batch)\n\n\n")
                i += 128
            }
        }
        let listSeconds = try DatastoreBenchmark.syncTime {
            try etcdctl(server, ["get", "--prefix", "/bench/etcdctl-txn/", "--keys-only=false"], discardOutput: true)
        }
        func us(_ s: Double) -> String { String(format: "%.1f", s * 1e6) }
        let perPut = putSeconds / Double(sample), perGet = getSeconds / Double(sample)
        let perTxnPut = txnSeconds / Double(count)
        say("datastore[etcdctl]: put \(us(perPut)) us/op (process per op), get \(us(perGet)) us/op, "
              + "batched put (128/txn) \(us(perTxnPut)) us/key, get --prefix of \(count) \(String(format: "%.1f", listSeconds * 1e3)) ms")
        let ourCreate = ours.createSeconds / Double(DatastoreBenchmark.count), ourGet = ours.getSeconds / Double(DatastoreBenchmark.count)
        say(String(format: "datastore[ratio etcdctl/ours]: create %.2fx, get %.2fx, create vs batched etcdctl txn %.2fx, list %.2fx",
                     perPut / ourCreate, perGet / ourGet, perTxnPut / ourCreate, listSeconds / ours.listSeconds))
    }

    static func value(_ i: Int) -> String { "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkSet\",\"n\":\(i)}" }

    static func etcdctl(_ server: EtcdServer, _ args: [String], stdin: String? = nil, discardOutput: Bool = true) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/etcdctl")
        p.arguments = ["--endpoints", server.endpoint] + args
        p.environment = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let pipe = Pipe()
        if stdin != nil { p.standardInput = pipe }
        try p.run()
        if let stdin {
            pipe.fileHandleForWriting.write(Data(stdin.utf8))
            try pipe.fileHandleForWriting.close()
        }
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw EtcdServer.Failure(description: "etcdctl \(args.first ?? "") failed") }
    }
}

extension DatastoreBenchmark {
    static func syncTime(_ body: () throws -> Void) throws -> Double {
        let t = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - t
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
