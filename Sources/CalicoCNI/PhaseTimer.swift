import Foundation

/// `CALICO_CNI_TIMING=1` in the environment: each phase of a command with the microseconds
/// since the plugin's `main` began, on stderr (for finding where an ADD or DEL spends its time).
enum PhaseTimer {
    static let enabled = ProcessInfo.processInfo.environment["CALICO_CNI_TIMING"] != nil
    static let start = ContinuousClock.now

    static func mark(_ what: @autoclosure () -> String) {
        guard enabled else { return }
        let d = ContinuousClock.now - start
        let us = d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
        FileHandle.standardError.write(Data("[timing] \(us) us: \(what())\n".utf8))
    }
}
