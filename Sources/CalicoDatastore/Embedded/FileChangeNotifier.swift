#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Wakes waiters when files in a directory change (Linux inotify), with a slow fallback
/// tick, so readers in one process see commits made by other processes within
/// milliseconds without busy polling.
final class FileChangeNotifier: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [(UInt64, CheckedContinuation<UInt64, Never>)] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let fd: Int32
    private let fallback: Duration

    /// Watches `directory` for writes to files whose name starts with `prefix`.
    init(directory: String, prefix: String, fallback: Duration = .milliseconds(500)) {
        self.fallback = fallback
        #if canImport(Glibc)
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd >= 0 {
            _ = inotify_add_watch(fd, directory, UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO))
        }
        #else
        fd = -1
        #endif
        let thread = Thread { [self] in self.loop(prefix: prefix) }
        thread.name = "calico-datastore-notifier"
        thread.start()
    }

    /// Signals a change made by this process.
    func signal() {
        let waiters = state.withLock { s -> [(UInt64, CheckedContinuation<UInt64, Never>)] in
            s.generation += 1
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        let g = state.withLock { $0.generation }
        for (_, c) in waiters { c.resume(returning: g) }
    }

    var generation: UInt64 { state.withLock { $0.generation } }

    /// Returns once the generation is past `seen` (a change may have happened).
    func wait(after seen: UInt64) async -> UInt64 {
        await withCheckedContinuation { (c: CheckedContinuation<UInt64, Never>) in
            let ready: UInt64? = state.withLock { s in
                if s.generation > seen || s.stopped { return s.generation }
                s.waiters.append((seen, c))
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        signal()
    }

    private func loop(prefix: String) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let tickMs = Int32(fallback.components.seconds * 1000 + fallback.components.attoseconds / 1_000_000_000_000_000)
        var lastTick = ContinuousClock.now
        while !state.withLock({ $0.stopped }) {
            var changed = false
            if fd >= 0 {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&pfd, 1, min(tickMs, 100))
                if r > 0 {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n > 0 { changed = eventsMention(prefix: prefix, buffer: buffer, count: n) }
                }
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
            if ContinuousClock.now - lastTick >= fallback {
                lastTick = .now
                changed = true
            }
            if changed { signal() }
        }
        if fd >= 0 { close(fd) }
    }

    private func eventsMention(prefix: String, buffer: [UInt8], count: Int) -> Bool {
        #if canImport(Glibc)
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= count {
            let len = buffer.withUnsafeBytes { $0.load(fromByteOffset: offset + 12, as: UInt32.self) }
            let nameStart = offset + header
            let nameEnd = min(nameStart + Int(len), count)
            let nameBytes = buffer[nameStart..<nameEnd].prefix { $0 != 0 }
            if String(decoding: nameBytes, as: UTF8.self).hasPrefix(prefix) { return true }
            offset = nameStart + Int(len)
        }
        return false
        #else
        return true
        #endif
    }
}
