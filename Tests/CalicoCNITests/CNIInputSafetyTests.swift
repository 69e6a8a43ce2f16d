import CalicoNetlink
import Foundation
import Testing
@testable import CalicoCNI
#if canImport(Glibc)
import Glibc
#endif

/// The plugins in-process with inputs that must fail cleanly: a FIFO as CNI_NETNS, a datastore
/// path that names nothing, credentials in etcd endpoint URLs. No kernel changes.
@Suite("CNI input safety")
struct CNIInputSafetyTests {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "cni-safety-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func netconf(_ dir: String, _ extra: [String: Any]) -> Data {
        var o: [String: Any] = ["cniVersion": "1.0.0", "name": "testnet", "type": "calico", "nodename": "node1",
                                "ipam_lock_file": dir + "/ipam.lock", "ipam": ["type": "calico-ipam"]]
        o.merge(extra) { _, b in b }
        return try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
    }

    func environment(_ command: String, netns: String, containerID: String = "safety1") -> [String: String] {
        ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns, "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin"]
    }

    func code(_ outcome: CNIPlugin.Outcome) -> Int? {
        ((try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any])?["code"] as? Int
    }

    /// Opens `path` for writing whenever a reader waits on it (which releases a reader blocked
    /// in `open`), from 2 s on until cancelled or `seconds` pass, so a plugin that blocks there still ends.
    func releaseReaders(of path: String, for seconds: Double) -> Task<Int, Never> {
        Task.detached {
            let deadline = Date().addingTimeInterval(seconds)
            var released = 0
            try? await Task.sleep(for: .seconds(2))
            while Date() < deadline && !Task.isCancelled {
                let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                if fd >= 0 {
                    close(fd)
                    released += 1
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return released
        }
    }

    @Test("a FIFO as CNI_NETNS is refused at once, for ADD, CHECK and the namespace check itself")
    func fifoNetns() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/netns-fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        // Before the plugin checked the file type, it blocked in open(2) until a writer came.
        let release = releaseReaders(of: fifo, for: 30)
        let started = ContinuousClock.now
        var problem: NamespaceProblem?
        do throws(NamespaceProblem) {
            try NamespaceInspector.validate(fifo)
        } catch {
            problem = error
        }
        #expect(ContinuousClock.now - started < .seconds(1), "validate blocked on the FIFO")
        #expect(problem.map { "\($0)" }?.contains("not a network namespace") == true, "\(String(describing: problem))")
        for command in ["ADD", "CHECK"] {
            let t0 = ContinuousClock.now
            let outcome = await CNIPlugin.run(.calico, environment: environment(command, netns: fifo),
                                              stdin: { self.netconf(dir, ["datastore_type": "embedded", "embedded_datastore_path": dir + "/ds.db"]) })
            #expect(ContinuousClock.now - t0 < .seconds(1), "\(command) blocked on the FIFO")
            #expect(outcome.exitCode == 1 && code(outcome) == CNIError.invalidEnvironment, "\(command): \(outcome.stdout)")
            #expect(outcome.stdout.contains("CNI_NETNS") && outcome.stdout.contains("not a network namespace"), "\(outcome.stdout)")
        }
        release.cancel()
        #expect(await release.value == 0, "something waited on the FIFO")
    }

    @Test("a datastore path naming no store fails, and no empty store is created")
    func missingEmbeddedStore() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/typo/datastore.db"
        let conf = netconf(dir, ["datastore_type": "embedded", "embedded_datastore_path": path])
        for (kind, command) in [(CNIPlugin.Kind.calicoIPAM, "ADD"), (.calico, "DEL"), (.calicoIPAM, "DEL")] {
            let netns = command == "ADD" ? "/var/run/netns/unused" : ""
            let outcome = await CNIPlugin.run(kind, environment: environment(command, netns: netns), stdin: { conf })
            #expect(outcome.exitCode == 1, "\(kind) \(command): \(outcome.stdout)")
            #expect(outcome.stdout.contains("no datastore at \(path)"), "\(kind) \(command): \(outcome.stdout)")
            #expect(!FileManager.default.fileExists(atPath: path), "\(kind) \(command) created \(path)")
        }
        // The same through EMBEDDED_DATASTORE_PATH.
        var env = environment("DEL", netns: "")
        env["EMBEDDED_DATASTORE_PATH"] = path
        let viaEnv = await CNIPlugin.run(.calico, environment: env, stdin: { self.netconf(dir, [:]) })
        #expect(viaEnv.exitCode == 1 && viaEnv.stdout.contains("no datastore at \(path)"), "\(viaEnv.stdout)")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("credentials in etcd_endpoints never reach the error JSON")
    func credentialsStayHidden() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Nothing listens on 127.0.0.1:1: refused at once.
        let conf = netconf(dir, ["datastore_type": "etcdv3", "etcd_endpoints": "http://alice:s3cr3t-pw@127.0.0.1:1,https://bob:hunter2@127.0.0.1:1"])
        for kind in [CNIPlugin.Kind.calico, .calicoIPAM] {
            let outcome = await CNIPlugin.run(kind, environment: environment("DEL", netns: ""), stdin: { conf })
            #expect(outcome.exitCode == 1 && outcome.stdout.contains("127.0.0.1:1"), "\(outcome.stdout)")
            for secret in ["s3cr3t", "alice", "hunter2", "bob"] {
                #expect(!outcome.stdout.contains(secret), "\(kind): \(outcome.stdout)")
            }
        }
    }
}
