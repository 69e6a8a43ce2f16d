import CCurl
import Dispatch
import Synchronization

// HTTP/1.1 POST transfers through libcurl. Every curl call blocks, so none of them runs on
// the Swift concurrency pool: request/response calls run on a few private serial queues
// ("lanes", each owning one reusable easy handle so connections are kept alive), and a
// streaming transfer runs on whatever thread calls it (a watch's own thread).

// A transfer that failed below HTTP: no connection, a connection lost, a timeout.
struct CurlTransferError: Error, Sendable {
    var code: Int
    var message: String
    // Whether request bytes went out, so a write may have reached the server.
    var requestSent: Bool
    // The transfer was stopped by its `shouldAbort` check.
    var aborted: Bool
    // The TLS handshake failed (the server's certificate is not trusted, or the server
    // refused ours): the request never reached the server, and trying again will not help
    // until the certificates change.
    var tlsRefused: Bool = false
}

// One POST to make.
struct CurlRequest: Sendable {
    var url: String
    var body: [UInt8]
    var headers: [String] = []
    var connectTimeoutMs: Int = 2000
    // Whole-transfer limit; 0 for none (streams).
    var timeoutMs: Int = 5000
    var tls: EtcdTLSOptions?
}

// Where the bytes of a response go, and whether to stop the transfer. Lives on the
// thread running the transfer.
final class CurlTransferSink {
    var body: [UInt8] = []
    // Bytes of response body received, whoever took them.
    var received = 0
    let onData: ((UnsafeRawBufferPointer) -> Void)?
    let shouldAbort: (() -> Bool)?

    init(onData: ((UnsafeRawBufferPointer) -> Void)? = nil, shouldAbort: (() -> Bool)? = nil) {
        self.onData = onData
        self.shouldAbort = shouldAbort
    }

    func receive(_ bytes: UnsafeRawBufferPointer) {
        received += bytes.count
        if let onData { onData(bytes) } else { body.append(contentsOf: bytes) }
    }
}

enum CurlGlobal {
    static let initialized: Bool = ccurl_global_init_default() == CURLE_OK
}

// One curl easy handle; used by one thread at a time.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer

    init() throws(CurlTransferError) {
        _ = CurlGlobal.initialized
        guard let handle = curl_easy_init() else {
            throw CurlTransferError(code: -1, message: "curl_easy_init failed", requestSent: false, aborted: false)
        }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(handle) }

    // Runs the transfer to the end; returns the HTTP status. The response body is in
    // `sink.body` unless `sink.onData` took it.
    func perform(_ request: CurlRequest, sink: CurlTransferSink) -> Result<Int, CurlTransferError> {
        let h = handle
        curl_easy_reset(h)
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        for header in ["Content-Type: application/json", "Expect:"] + request.headers {
            headers = curl_slist_append(headers, header)
        }
        defer { curl_slist_free_all(headers) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var body = request.body
        let code: CURLcode = body.withUnsafeMutableBytes { bodyBytes in
            errorBuffer.withUnsafeMutableBufferPointer { errorBytes in
                _ = ccurl_setopt_string(h, CURLOPT_URL, request.url)
                _ = ccurl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
                // Talk to the endpoints directly, whatever proxy the environment names.
                _ = ccurl_setopt_string(h, CURLOPT_PROXY, "")
                // HTTP/1.1 for https too (libcurl would negotiate HTTP/2 there): one transfer
                // per connection, and the same failures whatever the scheme.
                _ = ccurl_setopt_long(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
                _ = ccurl_setopt_long(h, CURLOPT_POST, 1)
                _ = ccurl_setopt_long(h, CURLOPT_POSTFIELDSIZE, bodyBytes.count)
                _ = ccurl_setopt_pointer(h, CURLOPT_POSTFIELDS, bodyBytes.baseAddress)
                _ = ccurl_setopt_pointer(h, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))
                _ = ccurl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, max(1, request.connectTimeoutMs))
                _ = ccurl_setopt_long(h, CURLOPT_TIMEOUT_MS, max(0, request.timeoutMs))
                _ = ccurl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
                _ = ccurl_setopt_long(h, CURLOPT_TCP_KEEPIDLE, 10)
                _ = ccurl_setopt_long(h, CURLOPT_TCP_KEEPINTVL, 5)
                _ = ccurl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBytes.baseAddress)
                Self.setTLSOptions(h, request.tls)
                let context = Unmanaged.passUnretained(sink).toOpaque()
                _ = ccurl_setopt_write_function(h) { data, size, count, context in
                    let n = size * count
                    guard let context else { return 0 }
                    let sink = Unmanaged<CurlTransferSink>.fromOpaque(context).takeUnretainedValue()
                    if let data, n > 0 { sink.receive(UnsafeRawBufferPointer(start: data, count: n)) }
                    return n
                }
                _ = ccurl_setopt_pointer(h, CURLOPT_WRITEDATA, context)
                if sink.shouldAbort != nil {
                    _ = ccurl_setopt_long(h, CURLOPT_NOPROGRESS, 0)
                    _ = ccurl_setopt_xferinfo_function(h) { context, _, _, _, _ in
                        guard let context else { return 0 }
                        let sink = Unmanaged<CurlTransferSink>.fromOpaque(context).takeUnretainedValue()
                        return sink.shouldAbort?() == true ? 1 : 0
                    }
                    _ = ccurl_setopt_pointer(h, CURLOPT_XFERINFODATA, context)
                }
                let code = withExtendedLifetime(sink) { curl_easy_perform(h) }
                // The handle is reused: it must not keep pointers to this call's buffers.
                _ = ccurl_setopt_pointer(h, CURLOPT_ERRORBUFFER, nil)
                return code
            }
        }
        if code != CURLE_OK {
            var sent = 0
            _ = ccurl_getinfo_long(h, CURLINFO_REQUEST_SIZE, &sent)
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            var answered = 0
            _ = ccurl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &answered)
            let tlsMessage = Self.tlsFailure(code, message, request)
                ?? Self.probeTLSRefusal(code, request, responded: answered > 0 || sink.received > 0)
            if let tlsMessage {
                // With TLS 1.3 the server judges the client certificate after the client has
                // sent its request, so curl counts the request as sent: it was not processed.
                return .failure(CurlTransferError(code: Int(code.rawValue), message: tlsMessage, requestSent: false,
                                                  aborted: false, tlsRefused: true))
            }
            var text = message
            if code == CURLE_GOT_NOTHING && request.url.hasPrefix("http://") {
                text += " (if etcd serves TLS, use an https:// endpoint)"
            }
            return .failure(CurlTransferError(code: Int(code.rawValue), message: text, requestSent: sent > 0,
                                              aborted: code == CURLE_ABORTED_BY_CALLBACK))
        }
        var status = 0
        _ = ccurl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return .success(status)
    }

    static func setTLSOptions(_ h: UnsafeMutableRawPointer, _ tls: EtcdTLSOptions?) {
        guard let tls else { return }
        if let ca = tls.caFile { _ = ccurl_setopt_string(h, CURLOPT_CAINFO, ca) }
        if let cert = tls.certFile { _ = ccurl_setopt_string(h, CURLOPT_SSLCERT, cert) }
        if let key = tls.keyFile { _ = ccurl_setopt_string(h, CURLOPT_SSLKEY, key) }
    }

    // With TLS 1.3 a server that refuses the client certificate says so only after the
    // client has finished its side of the handshake and sent its request, so the refusal
    // often shows as a reset connection instead of the server's alert. When an https
    // transfer failed that way before any answer, a TLS 1.2 handshake alone (no request;
    // there the server judges the certificate before the handshake ends) tells whether the
    // server refuses us. Returns the refusal's message, or nil.
    static func probeTLSRefusal(_ code: CURLcode, _ request: CurlRequest, responded: Bool) -> String? {
        guard request.url.hasPrefix("https://"), !responded,
              [CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM].contains(code),
              let probe = curl_easy_init() else { return nil }
        defer { curl_easy_cleanup(probe) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let result: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorBytes in
            _ = ccurl_setopt_string(probe, CURLOPT_URL, request.url)
            _ = ccurl_setopt_long(probe, CURLOPT_NOSIGNAL, 1)
            _ = ccurl_setopt_string(probe, CURLOPT_PROXY, "")
            _ = ccurl_setopt_long(probe, CURLOPT_CONNECT_ONLY, 1)
            _ = ccurl_setopt_long(probe, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2)
            _ = ccurl_setopt_long(probe, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(request.connectTimeoutMs, 1000)))
            _ = ccurl_setopt_pointer(probe, CURLOPT_ERRORBUFFER, errorBytes.baseAddress)
            setTLSOptions(probe, request.tls)
            return curl_easy_perform(probe)
        }
        guard result != CURLE_OK else { return nil }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
        // Only a refusal of our certificate counts (not e.g. a server without TLS 1.2).
        guard isCertificateAlert(message) else { return nil }
        return tlsFailure(result, message, request)
    }

    // OpenSSL's text for a TLS alert about the client's certificate ("sslv3 alert bad
    // certificate", "tlsv13 alert certificate required", "tlsv1 alert unknown ca", ...).
    static func isCertificateAlert(_ message: String) -> Bool {
        message.contains(" alert ") && (message.contains("certificate") || message.contains("unknown ca"))
    }

    // A message saying what went wrong when `code` is a failed TLS handshake, else nil.
    static func tlsFailure(_ code: CURLcode, _ message: String, _ request: CurlRequest) -> String? {
        let tls = request.tls ?? EtcdTLSOptions()
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            let trusted = tls.caFile.map { "the CA in \($0)" } ?? "the system's CAs (no CA file configured)"
            return "TLS handshake failed: the server's certificate is not trusted by \(trusted): \(message)"
        case CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE:
            return "TLS: cannot use the configured certificate files: \(message)"
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CLIENTCERT, CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            // A certificate alert from the server: it refused the handshake (with TLS 1.3 this
            // only shows when the response is read).
            if isCertificateAlert(message) || code == CURLE_SSL_CLIENTCERT {
                if let cert = tls.certFile {
                    return "TLS handshake failed: the server refused the client certificate \(cert): \(message)"
                }
                return "TLS handshake failed: the server requires a client certificate and none is configured: \(message)"
            }
            return code == CURLE_SSL_CONNECT_ERROR ? "TLS handshake failed: \(message)" : nil
        default:
            return nil
        }
    }
}

// Runs blocking curl work off the concurrency pool, on a few serial queues that each
// keep one easy handle (and so its open connections) between calls.
final class CurlHTTPClient: Sendable {
    private final class Lane: @unchecked Sendable {
        let queue: DispatchQueue
        let pending = Atomic<Int>(0)
        // Touched only on `queue`.
        private var easy: CurlEasy?

        init(label: String) { queue = DispatchQueue(label: label) }

        // Call on `queue` only.
        func handle() throws(CurlTransferError) -> CurlEasy {
            if let easy { return easy }
            let made = try CurlEasy()
            easy = made
            return made
        }
    }

    private let lanes: [Lane]

    init(lanes count: Int = 4) {
        lanes = (0..<max(1, count)).map { Lane(label: "calico.etcd.curl.\($0)") }
    }

    // Runs `body` with an easy handle on a lane (the least busy), off the concurrency pool.
    func run<T: Sendable>(_ body: @escaping @Sendable (CurlEasy) throws -> T) async throws -> T {
        let lane = lanes.min { $0.pending.load(ordering: .relaxed) < $1.pending.load(ordering: .relaxed) }!
        lane.pending.add(1, ordering: .relaxed)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            lane.queue.async {
                defer { lane.pending.subtract(1, ordering: .relaxed) }
                do {
                    continuation.resume(returning: try body(try lane.handle()))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
