import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One client connection of the health server (a non-blocking socket): reads the request
/// head, answers it, then drains what the client still sends until it closes, so the answer
/// is not lost to a reset. `HTTPServeLoop` closes it when finished or past its deadline.
struct HTTPConnection: Sendable {
    enum State: Sendable {
        case reading, writing, draining, finished
    }

    let fd: Int32
    let deadline: ContinuousClock.Instant
    private(set) var state = State.reading
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var sent = 0

    init(fd: Int32, deadline: ContinuousClock.Instant) {
        self.fd = fd
        self.deadline = deadline
    }

    var isWriting: Bool { state == .writing }
    var isFinished: Bool { state == .finished }

    /// Does whatever the socket allows now without blocking.
    mutating func service(limits: HTTPEndpoint.Limits, handler: HTTPEndpoint.Handler) {
        if state == .reading { readHead(limits: limits, handler: handler) }
        if state == .writing { writeResponse() }
        if state == .draining { drain() }
    }

    private mutating func readHead(limits: HTTPEndpoint.Limits, handler: HTTPEndpoint.Handler) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                let scanFrom = max(0, input.count - 3)
                input += buffer[0..<n]
                if HTTPRequestHead.isComplete(input, from: scanFrom) {
                    return respond(HTTPRequestHead.response(to: input, handler: handler))
                }
                if input.count > limits.maxHeadBytes {
                    return respond(HTTPRequestHead.render(status: 431, contentType: "text/plain", body: "request head too large\n"))
                }
                continue
            }
            if n == 0 {
                // The client stopped sending: answer what it sent, if anything.
                if input.isEmpty {
                    state = .finished
                } else {
                    respond(HTTPRequestHead.response(to: input, handler: handler))
                }
                return
            }
            if errno == EINTR { continue }
            if errno != EAGAIN && errno != EWOULDBLOCK { state = .finished }
            return
        }
    }

    private mutating func respond(_ response: [UInt8]) {
        output = response
        input = []
        state = .writing
    }

    private mutating func writeResponse() {
        while sent < output.count {
            let n = output.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            state = .finished
            return
        }
        shutdown(fd, Int32(SHUT_WR))
        state = .draining
    }

    private mutating func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            state = .finished
            return
        }
    }
}

/// The request side of the protocol: where a head ends, and the answer to it.
enum HTTPRequestHead {
    /// Whether `bytes` holds a blank line (CRLF CRLF or LF LF), looking from `from` on.
    static func isComplete(_ bytes: [UInt8], from: Int) -> Bool {
        var i = from
        while i + 1 < bytes.count {
            if bytes[i] == 10 && bytes[i + 1] == 10 { return true }
            if i + 3 < bytes.count && bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return true }
            i += 1
        }
        return false
    }

    static func response(to head: [UInt8], handler: HTTPEndpoint.Handler) -> [UInt8] {
        var line = head.split(separator: 10, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        if line.last == 13 { line = line.dropLast() }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[0] == "GET" || words[0] == "HEAD" else {
            return render(status: 405, contentType: "text/plain", body: "method not allowed\n")
        }
        let path = String(words[1].split(separator: "?", omittingEmptySubsequences: false)[0])
        let r = handler(path)
        return render(status: r.status, contentType: r.contentType, body: words[0] == "HEAD" ? "" : r.body)
    }

    static func render(status: Int, contentType: String, body: String) -> [UInt8] {
        let reasons = [200: "OK", 404: "Not Found", 405: "Method Not Allowed", 431: "Request Header Fields Too Large",
                       503: "Service Unavailable"]
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status) \(reasons[status] ?? "Status")\r\nContent-Type: \(contentType)\r\n"
            + "Content-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + bytes
    }
}
