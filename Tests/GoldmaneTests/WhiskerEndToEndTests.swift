import CalicoNetlink
import CalicoTestSupport
import Foundation
import GoldmaneAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// A built daemon (goldmane, whisker) run for a test; its port read from its "serving … :PORT" line.
final class Daemon: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let errors = Pipe()

    init(_ name: String, environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: BuiltProducts.directory + "/" + name)
        process.environment = environment
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let line = seen.split(separator: "\n").first(where: { $0.contains("serving") }),
               let m = line.firstMatch(of: /:(\d+)[ ,]/), let port = Int(m.1) {
                self.port = port
                return
            }
        }
        process.terminate()
        throw DaemonError(message: "\(name) did not start: \(seen)")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct DaemonError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The goldmane and whisker executables together: flows pushed to Goldmane over gRPC come out
/// of Whisker's HTTP API (list, hints, event stream) in upstream's JSON; the UI is served.
@Suite(.serialized) struct WhiskerEndToEndTests {
    static func curl(_ args: [String]) throws -> CommandOutput {
        try CommandRunner.run(["curl", "-s", "-S", "-w", "\n%{http_code}"] + args)
    }

    @Test("Push → Goldmane (1 s buckets) → Whisker: list JSON with both traces, hints with Global, 400s, an SSE stream, the UI")
    func pipeline() async throws {
        let goldmane = try Daemon("goldmane", environment: ["PORT": "0", "AGGREGATION_WINDOW": "1s"])
        defer { goldmane.stop() }
        let whisker = try Daemon("whisker", environment: ["PORT": "0", "HOST": "127.0.0.1", "GOLDMANE_HOST": "127.0.0.1:\(goldmane.port)"])
        defer { whisker.stop() }
        let now = Int64(Date().timeIntervalSince1970)
        var allow = F.hit(.globalNetworkPolicy, "allow-web", action: .allow)
        allow.ruleIndex = 2
        let stagedDeny = F.hit(.stagedGlobalNetworkPolicy, "lockdown", tier: "default", action: .deny)
        let sent = [F.flow("web", "db", start: now - 3, enforced: [allow], pending: [stagedDeny], srcIPs: ["10.244.0.5"], dstIPs: ["10.244.1.7"]),
                    F.flow("pub", "db", srcNS: "-", action: .deny, start: now - 3)]
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: goldmane.port), transportSecurity: .plaintext)
        try await withGRPCClient(transport: transport) { client in
            let collector = Goldmane_FlowCollector.Client(wrapping: client)
            try await collector.connect(requestProducer: { w in
                for f in sent {
                    var u = Goldmane_FlowUpdate()
                    u.flow = f
                    try await w.write(u)
                }
            }, onResponse: { r in for try await _ in r.messages {} })
        }
        try await Task.sleep(for: .seconds(2))
        let base = "http://127.0.0.1:\(whisker.port)"

        let list = try Self.curl(["\(base)/whisker-backend/flows?startTimeGte=-60"])
        #expect(list.stdout.hasSuffix("\n200"), "\(list.stdout)")
        let json = try JSONSerialization.jsonObject(with: Data(list.stdout.dropLast(4).utf8)) as? [String: Any]
        let items = json?["items"] as? [[String: Any]] ?? []
        let web = try #require(items.first { $0["source_name"] as? String == "web" }, "\(list.stdout)")
        let policies = web["policies"] as? [String: Any]
        let enforced = (policies?["enforced"] as? [[String: Any]])?.first
        let pending = (policies?["pending"] as? [[String: Any]])?.first
        #expect(enforced?["name"] as? String == "allow-web" && enforced?["kind"] as? String == "GlobalNetworkPolicy"
                && enforced?["tier"] as? String == "default" && enforced?["action"] as? String == "Allow" && enforced?["rule_index"] as? Int == 2)
        #expect(pending?["name"] as? String == "lockdown" && pending?["kind"] as? String == "StagedGlobalNetworkPolicy" && pending?["action"] as? String == "Deny")
        #expect(web["action"] as? String == "Allow" && web["reporter"] as? String == "Src" && web["dest_port"] as? Int == 8080 && web["protocol"] as? String == "tcp")
        #expect((web["start_time"] as? String)?.hasSuffix("Z") == true && web["source_labels"] as? String == "app=x")
        #expect(web["source_ips"] as? [String] == ["10.244.0.5"])
        #expect(items.contains { $0["source_name"] as? String == "PUBLIC NETWORK" }, "pub spelled out")

        let denied = try Self.curl(["\(base)/whisker-backend/flows?startTimeGte=-60&filters=" + #"{"actions":["Deny"]}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!])
        #expect(denied.stdout.contains("PUBLIC NETWORK") && !denied.stdout.contains("\"web\""), "\(denied.stdout)")
        let byIP = try Self.curl(["\(base)/whisker-backend/flows?filters=" + #"{"dest_ips":[{"value":"10.244.1.0/24"}]}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!])
        #expect(byIP.stdout.contains("\"web\"") && !byIP.stdout.contains("PUBLIC NETWORK"), "\(byIP.stdout)")

        let hints = try Self.curl(["\(base)/whisker-backend/flows-filter-hints?type=SourceNamespace"])
        #expect(hints.stdout.contains(#"{"value":"Global"}"#) && hints.stdout.contains(#"{"value":"demo"}"#), "\(hints.stdout)")
        let search = #"{"policies":[{"name":{"value":"allow","type":"Fuzzy"}}]}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let policyHints = try Self.curl(["\(base)/whisker-backend/flows-filter-hints?type=PolicyName&filters=\(search)"])
        #expect(policyHints.stdout.hasPrefix(#"{"items":[{"value":"allow-web"}],"total":{"totalPages":1}}"#), "typing part of a policy name: \(policyHints.stdout)")
        let badType = try Self.curl(["\(base)/whisker-backend/flows-filter-hints?type=Nope"])
        #expect(badType.stdout.hasPrefix(#"{"error":"unknown filter type value Nope; allowed values are "#) && badType.stdout.hasSuffix("\n400"), "\(badType.stdout)")
        let badSort = try Self.curl(["\(base)/whisker-backend/flows?sortBy=Bogus"])
        #expect(badSort.stdout == "{\"error\":\"unknown sortBy value: Bogus\"}\n400", "\(badSort.stdout)")

        let badJSON = try Self.curl(["\(base)/whisker-backend/flows?filters=%7Bnope"])
        #expect(badJSON.stdout == "{\"error\":\"filters: not a JSON object\"}\n400", "\(badJSON.stdout)")
        let badPage = try Self.curl(["\(base)/whisker-backend/flows-filter-hints?type=SourceName&pageSize=5000"])
        #expect(badPage.stdout == "{\"error\":\"pageSize: 5000 is out of range (0 to 1000)\"}\n400", "\(badPage.stdout)")
        let negative = try Self.curl(["\(base)/whisker-backend/flows?page=-1"])
        #expect(negative.stdout.hasSuffix("\n400"), "\(negative.stdout)")

        // The event stream: backfilled from 30 s ago, then live; curl stops after 3 s.
        let events = try CommandRunner.run(["curl", "-s", "-N", "-i", "--max-time", "3", "\(base)/whisker-backend/flows?watch=true&startTimeGte=-30"])
        #expect(events.stdout.lowercased().contains("content-type: text/event-stream"), "\(events.stdout)")
        let dataLines = events.stdout.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("data: {") }
        #expect(dataLines.count >= 2 && dataLines.contains { $0.contains("\"source_name\":\"web\"") }, "\(events.stdout)")

        let page = try Self.curl(["\(base)/"])
        #expect(page.stdout.contains("Whisker") && page.stdout.hasSuffix("\n200"))
        let script = try Self.curl(["-I", "\(base)/whisker.js"])
        #expect(script.stdout.lowercased().contains("content-type: application/javascript"), "\(script.stdout)")
    }

    @Test("A client generated from the .proto by another toolchain (Python grpcio-tools) pushes, lists, asks hints and statistics")
    func pythonClient() throws {
        let goldmane = try Daemon("goldmane", environment: ["PORT": "0", "AGGREGATION_WINDOW": "1s"])
        defer { goldmane.stop() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/goldmane-python-client.py").path
        // Flows two seconds old: their 1 s bucket is complete by the time the client lists.
        let start = Int64(Date().timeIntervalSince1970) - 2
        let out = try CommandRunner.run(["python3", script, "127.0.0.1:\(goldmane.port)", "\(start)"])
        let json = try #require((try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) as? [String: Any], "\(out.stdout)\(out.stderr)")
        #expect(json["receipts"] as? Int == 2)
        #expect(json["total"] as? Int == 2)
        let flows = json["flows"] as? [[Any]] ?? []
        #expect(flows.count == 2 && flows.contains { ($0[3] as? String) == "Deny" && ($0[2] as? Int) == 22 && ($0[4] as? String) == "py-policy" && ($0[5] as? Int) == 3 },
                "\(flows)")
        #expect(json["hints"] as? [String] == ["py-db"])
        let stats = json["stats"] as? [[Any]] ?? []
        #expect(stats.first?[0] as? String == "py-policy" && (stats.first?[1] as? [Int]) == [3] && (stats.first?[2] as? [Int]) == [3], "\(stats)")
        #expect(json["sort_error"] as? String == "unsupported sort order")
    }
}

