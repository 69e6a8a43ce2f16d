import CalicoNetlink
import Foundation

/// The kind of traffic a `Probe` sends.
public enum ProbeProtocol: String, Sendable {
    case tcp, udp, icmp
}

/// One exchange of traffic towards an address and (for TCP and UDP) a port. Its description
/// is the `calico-probe check` form: `tcp:10.0.0.1:80`, `udp:[fd00::1]:53`, `icmp:10.0.0.1`.
public struct Probe: Hashable, Sendable, CustomStringConvertible {
    public var proto: ProbeProtocol
    public var address: String
    public var port: Int?

    public init(_ proto: ProbeProtocol, _ address: String, port: Int? = nil) {
        self.proto = proto
        self.address = address
        self.port = port
    }

    public static func tcp(_ address: String, _ port: Int) -> Probe { Probe(.tcp, address, port: port) }
    public static func udp(_ address: String, _ port: Int) -> Probe { Probe(.udp, address, port: port) }
    public static func icmp(_ address: String) -> Probe { Probe(.icmp, address) }

    public var description: String {
        let host = address.contains(":") ? "[\(address)]" : address
        guard proto != .icmp, let port else { return "\(proto.rawValue):\(host)" }
        return "\(proto.rawValue):\(host):\(port)"
    }
}

/// Where probes are sent from: a display name (`pod-a`, `node`) and the `ip netns` name to
/// run in (empty: the checker's own namespace).
public struct ProbeSource: Hashable, Sendable {
    public var name: String
    public var namespace: String

    public init(name: String, namespace: String) {
        self.name = name
        self.namespace = namespace
    }
}

/// A probe from a source towards a target (named for display) and whether it should get
/// through.
public struct ConnectivityExpectation: Sendable {
    public var source: ProbeSource
    public var target: String
    public var probe: Probe
    public var expectReachable: Bool

    public init(source: ProbeSource, target: String, probe: Probe, expectReachable: Bool) {
        self.source = source
        self.target = target
        self.probe = probe
        self.expectReachable = expectReachable
    }
}

/// What happened to an expectation's probe: whether it got through, and the probe's output
/// line (`tcp:10.0.0.2:80 ok 10.0.0.1`, `udp:10.0.0.2:53 fail timeout`).
public struct ConnectivityResult: Sendable {
    public var expectation: ConnectivityExpectation
    public var actualReachable: Bool
    public var detail: String

    public init(expectation: ConnectivityExpectation, actualReachable: Bool, detail: String) {
        self.expectation = expectation
        self.actualReachable = actualReachable
        self.detail = detail
    }

    public var matched: Bool { actualReachable == expectation.expectReachable }
}

/// Checks a reachability matrix with real traffic, using `calico-probe check` inside each
/// source's network namespace.
public struct ConnectivityChecker: Sendable {
    public var probeBinary: String
    /// How long each probe waits for its answer.
    public var probeTimeoutMilliseconds: Int

    public init(probeBinary: String, probeTimeoutMilliseconds: Int = 400) {
        self.probeBinary = probeBinary
        self.probeTimeoutMilliseconds = probeTimeoutMilliseconds
    }

    /// Runs every expectation once: one `calico-probe check` process per source namespace, all
    /// sources in parallel. Results come in the order of `expectations`. Throws a
    /// `CommandError` when a probe process fails or prints something unexpected.
    public func run(_ expectations: [ConnectivityExpectation]) throws -> [ConnectivityResult] {
        var sources: [ProbeSource] = []
        var indicesBySource: [ProbeSource: [Int]] = [:]
        for (index, expectation) in expectations.enumerated() {
            if indicesBySource[expectation.source] == nil { sources.append(expectation.source) }
            indicesBySource[expectation.source, default: []].append(index)
        }
        let outputs = ThreadResults<Result<[String], any Error>>(count: sources.count)
        let group = DispatchGroup()
        for (slot, source) in sources.enumerated() {
            let probes = indicesBySource[source, default: []].map { expectations[$0].probe }
            group.enter()
            Thread.detachNewThread {
                outputs.set(slot, Result { try self.probe(from: source, probes) })
                group.leave()
            }
        }
        group.wait()

        var results = [ConnectivityResult?](repeating: nil, count: expectations.count)
        for (slot, source) in sources.enumerated() {
            let lines = try outputs.value(slot).get()
            for (index, line) in zip(indicesBySource[source, default: []], lines) {
                let words = line.split(separator: " ")
                results[index] = ConnectivityResult(
                    expectation: expectations[index], actualReachable: words.count > 1 && words[1] == "ok", detail: line)
            }
        }
        return results.map { $0! }
    }

    /// The output lines of one `calico-probe check` run of `probes` in `source`'s namespace.
    private func probe(from source: ProbeSource, _ probes: [Probe]) throws -> [String] {
        let check = [probeBinary, "check", "--timeout-ms", String(probeTimeoutMilliseconds)] + probes.map(\.description)
        let argv = source.namespace.isEmpty ? check : ["ip", "netns", "exec", source.namespace] + check
        let output = try CommandRunner.run(argv)
        guard output.status == 0 else { throw CommandError(command: argv, status: output.status, stderr: output.stderr) }
        let lines = output.stdout.split(separator: "\n").map(String.init)
        guard lines.count == probes.count,
              zip(lines, probes).allSatisfy({ $0.hasPrefix($1.description + " ") }) else {
            throw CommandError(command: argv, status: output.status,
                               stderr: "unexpected output for \(probes.count) probes:\n\(output.stdout)\(output.stderr)")
        }
        return lines
    }

    /// Runs the expectations until every one is met or `timeout` seconds pass (retrying about
    /// every 200 ms), and returns whether they were met, with the last results.
    public func check(_ expectations: [ConnectivityExpectation], timeout: Double = 10) throws
        -> (matched: Bool, results: [ConnectivityResult]) {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(timeout * 1000))
        while true {
            let results = try run(expectations)
            if results.allSatisfy(\.matched) { return (true, results) }
            if clock.now >= deadline { return (false, results) }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Expected against actual reachability as a table: a row per source, a column per target
    /// and probe. `✓` reachable, `✗` blocked, both as expected; `✓≠✗` expected reachable but
    /// blocked, `✗≠✓` expected blocked but reachable. Mismatches are listed below with the
    /// probe output.
    public static func table(_ results: [ConnectivityResult]) -> String {
        struct Column: Hashable { var target: String; var probe: Probe }
        var rows: [ProbeSource] = []
        var columns: [Column] = []
        var cells: [ProbeSource: [Column: String]] = [:]
        for result in results {
            let expectation = result.expectation
            let column = Column(target: expectation.target, probe: expectation.probe)
            if cells[expectation.source] == nil { rows.append(expectation.source) }
            if !columns.contains(column) { columns.append(column) }
            let expected = expectation.expectReachable ? "✓" : "✗"
            let actual = result.actualReachable ? "✓" : "✗"
            cells[expectation.source, default: [:]][column] = result.matched ? expected : "\(expected)≠\(actual)"
        }

        let firstWidth = rows.map(\.name.count).max() ?? 0
        let widths = columns.map { column in
            ([column.target.count, column.probe.description.count]
                + rows.map { cells[$0]?[column]?.count ?? 1 }).max()!
        }
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        func line(_ first: String, _ items: [String]) -> String {
            ([pad(first, firstWidth)] + zip(items, widths).map { pad($0, $1) }).joined(separator: "  ")
                .replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        }

        var lines = [line("", columns.map(\.target)), line("", columns.map(\.probe.description))]
        for row in rows {
            lines.append(line(row.name, columns.map { cells[row]?[$0] ?? "-" }))
        }
        let mismatches = results.filter { !$0.matched }
        if !mismatches.isEmpty {
            lines.append("\(mismatches.count) mismatch\(mismatches.count == 1 ? "" : "es"):")
            for result in mismatches {
                let expectation = result.expectation
                lines.append("  \(expectation.source.name) -> \(expectation.target) \(expectation.probe): expected "
                    + "\(expectation.expectReachable ? "reachable" : "blocked"), got \"\(result.detail)\"")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Values produced by several threads, one slot each.
private final class ThreadResults<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) { lock.withLock { slots[index] = value } }

    func value(_ index: Int) -> Value { lock.withLock { slots[index]! } }
}
