#if canImport(Glibc)
import Glibc
#endif

/// `calico-probe check`: runs every probe at once and prints `<probe> ok <address>` or
/// `<probe> fail <reason>` per probe, in the order given.
func check(_ probes: [ProbeSpec], timeoutMilliseconds: Int) {
    let deadline = Deadline(afterMilliseconds: timeoutMilliseconds)
    let outcomes = onThreads(probes.count) { index in
        "\(probes[index].text) \(ProbeRunner.run(probes[index], deadline: deadline))"
    }
    writeAll(1, outcomes.map { $0 + "\n" }.joined())
}

/// Writes all of `text` to `fd`.
func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}
