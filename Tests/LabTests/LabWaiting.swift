import CalicoLab
import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Polls `condition` every `interval` seconds for up to `seconds` (a throw counts as false);
/// true as soon as it holds.
func pollUntil(_ seconds: Double = 10, interval: Double = 0.1, _ condition: () throws -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if (try? condition()) == true { return true }
        usleep(UInt32(interval * 1_000_000))
    } while Date() < deadline
    return (try? condition()) == true
}

extension Lab {
    /// Runs `traffic` while tcpdump listens in `target` on `interface` for `filter`; returns
    /// the packets it saw (`-nn` text lines, `-v` with `verbose`), at most `count`.
    func capture(in target: String, interface: String = "any", filter: String, count: Int = 1, verbose: Bool = false,
                 during traffic: () throws -> Void) throws -> [String] {
        let out = NSTemporaryDirectory() + "capture-\(getpid())-\(UUID().uuidString.prefix(6)).txt"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let argv = try commandLine(in: target, ["timeout", "4", "tcpdump", "-i", interface, "-nn", "-l", "-c", "\(count)"]
                                   + (verbose ? ["-v"] : []) + [filter])
        let pid = try ProcessControl.spawnDaemon(argv, environment: nil, logPath: out)
        // tcpdump announces itself on stderr ("listening on …") once it captures.
        _ = pollUntil(3) { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("listening on") }
        try traffic()
        ProcessControl.waitForExit(pid, within: .seconds(5))
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { !$0.contains("listening on") && !$0.contains("packets captured")
            && !$0.contains("received by filter") && !$0.contains("dropped by kernel") && !$0.contains("verbose output") && !$0.isEmpty }
    }
}
