import CalicoNetlink
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("CNI plugins under concurrency and crashes")
struct CNIConcurrencyTests {
    static let count = 50

    @Test("50 concurrent ADDs on one node get distinct addresses; 50 concurrent DELs leave nothing behind")
    func concurrentAddDel() async throws {
        try await withLab("conc") { lab in
            let ids = (0..<Self.count).map { String(format: "conc%04d", $0) }
            for id in ids { try lab.container(id) }
            let adds = try await Self.parallel(ids) { id in
                try lab.run("ADD", containerID: id, netns: "/var/run/netns/\(lab.prefix)-\(id)")
            }
            let failed = adds.filter { $0.value.status != 0 }.map { "\($0.key): \($0.value.summary)" }
            #expect(failed.isEmpty, "failed ADDs: \(failed)")
            let ips = adds.values.map(\.firstIP)
            #expect(Set(ips).count == Self.count, "addresses handed out twice: \(ips.sorted())")
            let links = try lab.nodeLeftovers()
            #expect(links.links.count == Self.count && links.routes.count == Self.count)
            let dels = try await Self.parallel(ids) { id in
                try lab.run("DEL", containerID: id, netns: "/var/run/netns/\(lab.prefix)-\(id)")
            }
            let failedDel = dels.filter { $0.value.status != 0 }.map { "\($0.key): \($0.value.summary)" }
            #expect(failedDel.isEmpty, "failed DELs: \(failedDel)")
            let left = try await lab.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "\(left)")
            let nodeLeft = try lab.nodeLeftovers()
            #expect(nodeLeft.links.isEmpty && nodeLeft.routes.isEmpty, "\(nodeLeft)")
        }
    }

    @Test("kill -9 of the plugin mid-ADD leaves nothing a later DEL cannot clean",
          arguments: ["allocated", "veth", "routes", "endpoint"])
    func killMidAdd(stage: String) async throws {
        try await withLab("kill-\(stage)") { lab in
            let netns = try lab.container("c1")
            let id = "killed\(stage)"
            let hold = lab.dir + "/hold-\(stage)"
            let env = lab.environment("ADD", containerID: id, netns: netns,
                                      extra: ["CALICO_CNI_TEST_HOLD_AT": stage, "CALICO_CNI_TEST_HOLD_FILE": hold])
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip").resolvingSymlinksInPath()
            process.arguments = Array(lab.commandLine("calico", env: env).dropFirst())
            let stdin = Pipe()
            process.standardInput = stdin
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try stdin.fileHandleForWriting.write(contentsOf: Data(lab.netconf().utf8))
            try stdin.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: hold) && process.isRunning && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let reached = FileManager.default.fileExists(atPath: hold)
            // `ip netns exec` and `env` exec the plugin: the pid is the plugin's.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try #require(reached, "the plugin never reached stage \(stage)")
            #expect(process.terminationReason == .uncaughtSignal)

            let del = try lab.run("DEL", containerID: id, netns: netns)
            #expect(del.status == 0, "\(del.summary)")
            let left = try await lab.leftovers()
            #expect(left.allocated == 0 && left.handles.isEmpty && left.endpoints.isEmpty, "after kill at \(stage): \(left)")
            let nodeLeft = try lab.nodeLeftovers()
            #expect(nodeLeft.links.isEmpty && nodeLeft.routes.isEmpty, "after kill at \(stage): \(nodeLeft)")
            #expect(try lab.net.link("eth0", in: lab.containerNamespace("c1")) == nil)
            // The container can be added again afterwards.
            let again = try lab.add(id, netns: netns)
            #expect(again.ips.count == 1)
        }
    }

    /// Runs `body` for every item at once on threads (each a blocking plugin run).
    static func parallel(_ items: [String], _ body: @escaping @Sendable (String) throws -> PluginRun) async throws -> [String: PluginRun] {
        try await withThrowingTaskGroup(of: (String, PluginRun).self) { group in
            for item in items {
                group.addTask {
                    try await withCheckedThrowingContinuation { continuation in
                        Thread.detachNewThread {
                            continuation.resume(with: Result { (item, try body(item)) })
                        }
                    }
                }
            }
            var out: [String: PluginRun] = [:]
            for try await (k, v) in group { out[k] = v }
            return out
        }
    }
}
