import GRPCCore
import GRPCNIOTransportHTTP2

/// How Goldmane's clients (Felix, Whisker) reach it: plaintext, or mutual TLS with a client
/// certificate and key (and a CA to verify Goldmane with). An address literal is dialled as
/// such, never as a TLS server name (SNI refuses IP addresses).
public enum GoldmaneClient {
    public static func transport(host: String, port: Int, certificate: String? = nil, key: String? = nil,
                                 ca: String? = nil) throws -> HTTP2ClientTransport.Posix {
        let security: HTTP2ClientTransport.Posix.TransportSecurity
        if let certificate, let key {
            security = .mTLS(certificateChain: [.file(path: certificate, format: .pem)], privateKey: .file(path: key, format: .pem)) { tls in
                if let ca { tls.trustRoots = .certificates([.file(path: ca, format: .pem)]) }
                tls.serverCertificateVerification = .noHostnameVerification
            }
        } else {
            security = .plaintext
        }
        if host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) {
            return try HTTP2ClientTransport.Posix(target: .ipv4(address: host, port: port), transportSecurity: security)
        }
        if host.contains(":") {
            return try HTTP2ClientTransport.Posix(target: .ipv6(address: host, port: port), transportSecurity: security)
        }
        return try HTTP2ClientTransport.Posix(target: .dns(host: host, port: port), transportSecurity: security)
    }
}
