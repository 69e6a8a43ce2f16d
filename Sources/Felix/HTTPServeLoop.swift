import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The health server's event loop: accepts, reads, answers and reaps connections with `poll`
/// on one thread. Connections are kept in accept order, so the first is the oldest.
struct HTTPServeLoop: Sendable {
    let listener: Int32
    /// Readable when the endpoint is stopped.
    let wake: Int32
    let limits: HTTPEndpoint.Limits
    let handler: HTTPEndpoint.Handler
    var connections: [HTTPConnection] = []
    /// After accept fails for lack of descriptors, the listener rests until then (no busy loop).
    var listenerRestsUntil: ContinuousClock.Instant?

    init(listener: Int32, wake: Int32, limits: HTTPEndpoint.Limits, handler: @escaping HTTPEndpoint.Handler) {
        self.listener = listener
        self.wake = wake
        self.limits = limits
        self.handler = handler
    }

    mutating func run() {
        defer {
            for c in connections { close(c.fd) }
            close(listener)
            close(wake)
        }
        while true {
            var now = ContinuousClock.now
            if let rest = listenerRestsUntil, rest <= now { listenerRestsUntil = nil }
            var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: listenerRestsUntil == nil ? listener : -1, events: Int16(POLLIN), revents: 0)]
            for c in connections { fds.append(pollfd(fd: c.fd, events: Int16(c.isWriting ? POLLOUT : POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), timeout(now))
            if n < 0 && errno != EINTR { return }
            if fds[0].revents != 0 { return }
            now = ContinuousClock.now
            for (i, p) in fds.dropFirst(2).enumerated() where p.revents != 0 {
                connections[i].service(limits: limits, handler: handler)
            }
            reap(now)
            if fds[1].revents != 0 { acceptAll(now) }
        }
    }

    static func setCloseOnExecAndNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Milliseconds until the next deadline (or the listener's rest ends); -1 for none.
    func timeout(_ now: ContinuousClock.Instant) -> Int32 {
        var next = connections.map(\.deadline).min()
        if let rest = listenerRestsUntil { next = min(next ?? rest, rest) }
        guard let next else { return -1 }
        let left = now.duration(to: next).components
        let ms = left.seconds * 1000 + left.attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: max(0, ms))
    }

    /// Closes connections that are done or past their deadline.
    mutating func reap(_ now: ContinuousClock.Instant) {
        connections.removeAll { c in
            guard c.isFinished || c.deadline <= now else { return false }
            close(c.fd)
            return true
        }
    }

    mutating func acceptAll(_ now: ContinuousClock.Instant) {
        while true {
            // (Glibc's module map does not offer accept4: the flags are set right after.)
            let c = accept(listener, nil, nil)
            if c < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM: listenerRestsUntil = now + .milliseconds(100)
                default: break
                }
                return
            }
            Self.setCloseOnExecAndNonBlocking(c)
            if connections.count >= limits.maxConnections {
                close(connections.removeFirst().fd)
            }
            var connection = HTTPConnection(fd: c, deadline: now + .milliseconds(Int(limits.requestTimeout * 1000)))
            // The request is usually there already: answer it without another round of poll.
            connection.service(limits: limits, handler: handler)
            if connection.isFinished {
                close(c)
            } else {
                connections.append(connection)
            }
        }
    }
}
