import CalicoNetlink
import Foundation
import Testing
@testable import Goldmane

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

    /// A fresh temporary directory with the certificates in it (the caller removes it).
    static func certificateDirectory(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try certificates(in: dir)
        return dir
    }

    @Test("mTLS: Whisker with a client certificate lists flows; without one Goldmane refuses it (Whisker answers upstream's error)")
    func mutualTLS() throws {
        let dir = try Self.certificateDirectory("goldmane-tls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
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

    @Test("TLS_CIPHER_SUITES: Goldmane accepts only the chosen suites (TLS 1.2 only when no 1.3 suite is chosen); an unknown name stops it at start")
    func cipherSuites() throws {
        let dir = try Self.certificateDirectory("goldmane-ciphers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var env = ["PORT": "0", "HOST": "127.0.0.1", "SERVER_CERT_PATH": "\(dir)/server.crt", "SERVER_KEY_PATH": "\(dir)/server.key",
                   "CA_CERT_PATH": "\(dir)/ca.crt", "TLS_CIPHER_SUITES": " TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 , TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"]
        let goldmane = try Daemon("goldmane", environment: env)
        defer { goldmane.stop() }
        func handshake(_ args: [String]) throws -> CommandOutput {
            try CommandRunner.run(["openssl", "s_client", "-connect", "127.0.0.1:\(goldmane.port)", "-cert", "\(dir)/client.crt",
                                   "-key", "\(dir)/client.key", "-CAfile", "\(dir)/ca.crt", "-alpn", "h2"] + args, input: "")
        }
        let chosen = try handshake(["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
        #expect(chosen.status == 0 && chosen.stdout.contains("ECDHE-RSA-AES128-GCM-SHA256"), "\(chosen.stdout)\(chosen.stderr)")
        let other = try handshake(["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"])
        #expect(other.status != 0 && !other.stdout.contains("Cipher is ECDHE-RSA-AES256"), "a suite not chosen is refused: \(other.stdout)")
        let tls13 = try handshake(["-tls1_3"])
        #expect(tls13.status != 0, "no TLS 1.3 suite chosen, no TLS 1.3: \(tls13.stdout)")
        env["TLS_CIPHER_SUITES"] = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_NULL_WITH_NULL_NULL"
        #expect {
            _ = try Daemon("goldmane", environment: env)
        } throws: { "\($0)".contains("unsupported cipher: TLS_NULL_WITH_NULL_NULL") }
    }
}

@Suite struct TLSCipherSuitesTests {
    @Test("Parsing TLS_CIPHER_SUITES: empty is the default (1.3 suites, then ECDHE, no legacy RSA); names trimmed; unknown refused with upstream's words")
    func parse() throws {
        #expect(try TLSCipherSuites.parse(nil) == .default && TLSCipherSuites.default.names.count == 12)
        #expect(!TLSCipherSuites.default.names.contains("TLS_RSA_WITH_AES_128_GCM_SHA256"))
        #expect(try TLSCipherSuites.parse(" , ") == .default)
        let two = try TLSCipherSuites.parse(" TLS_RSA_WITH_AES_128_GCM_SHA256 ,TLS_AES_128_GCM_SHA256")
        #expect(two.names == ["TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"])
        #expect(two.tls12Codes == [0x9C] && two.allowsTLS13 && two.allowsTLS12)
        #expect(try !TLSCipherSuites.parse("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA").allowsTLS13)
        #expect(throws: TLSCipherSuites.Unsupported.self) { try TLSCipherSuites.parse("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,rc4") }
        #expect(TLSCipherSuites.Unsupported(name: "rc4").description == "failed to create TLS Config: unsupported cipher: rc4")
    }
}
