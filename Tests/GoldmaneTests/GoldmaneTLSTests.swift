import CalicoNetlink
import Foundation
import Testing

/// Goldmane with upstream's TLS settings (server certificate, client certificates verified
/// against a CA) and Whisker as its client with its own certificate: the pair works; a client
/// without a certificate is refused.
@Suite(.serialized) struct GoldmaneTLSTests {
    /// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
    static func certificates(in dir: String) throws {
        func run(_ args: [String]) throws {
            let out = try CommandRunner.run(["openssl"] + args)
            if out.status != 0 { throw DaemonError(message: "openssl \(args.joined(separator: " ")): \(out.stderr)") }
        }
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.crt", "-days", "1", "-subj", "/CN=test-ca"])
        for (name, ext) in [("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")] {
            try run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr", "-subj", "/CN=\(name)"])
            try String("\(ext)\n").write(toFile: "\(dir)/\(name).ext", atomically: true, encoding: .utf8)
            try run(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.crt", "-CAkey", "\(dir)/ca.key", "-CAcreateserial",
                     "-out", "\(dir)/\(name).crt", "-days", "1", "-extfile", "\(dir)/\(name).ext"])
        }
    }

    @Test("mTLS: Whisker with a client certificate lists flows; without one Goldmane refuses it (Whisker answers upstream's error)")
    func mutualTLS() throws {
        let dir = NSTemporaryDirectory() + "goldmane-tls-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.certificates(in: dir)
        let goldmane = try Daemon("goldmane", environment: ["PORT": "0", "HOST": "127.0.0.1", "SERVER_CERT_PATH": "\(dir)/server.crt",
                                                            "SERVER_KEY_PATH": "\(dir)/server.key", "CA_CERT_PATH": "\(dir)/ca.crt"])
        defer { goldmane.stop() }
        let withCert = try Daemon("whisker", environment: ["PORT": "0", "HOST": "127.0.0.1", "GOLDMANE_HOST": "127.0.0.1:\(goldmane.port)",
                                                           "TLS_CERT_PATH": "\(dir)/client.crt", "TLS_KEY_PATH": "\(dir)/client.key",
                                                           "CA_CERT_PATH": "\(dir)/ca.crt"])
        defer { withCert.stop() }
        let ok = try WhiskerEndToEndTests.curl(["http://127.0.0.1:\(withCert.port)/whisker-backend/flows"])
        #expect(ok.stdout.hasPrefix(#"{"items":null,"total":{"totalPages":0}}"#), "\(ok.stdout)")
        let plain = try Daemon("whisker", environment: ["PORT": "0", "HOST": "127.0.0.1", "GOLDMANE_HOST": "127.0.0.1:\(goldmane.port)"])
        defer { plain.stop() }
        let refused = try WhiskerEndToEndTests.curl(["--max-time", "20", "http://127.0.0.1:\(plain.port)/whisker-backend/flows"])
        #expect(refused.stdout.hasPrefix(#"{"error":"Internal Server Error"}"#), "\(refused.stdout)")
    }
}
