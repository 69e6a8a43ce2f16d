import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import NIOSSL

/// Goldmane's listening socket for gRPC: plaintext, or TLS from a `NIOSSLContext` Goldmane
/// builds itself, since the cipher suites (`TLS_CIPHER_SUITES`) are not among the stock
/// transport's TLS settings.
struct GoldmaneListener: HTTP2ServerTransport.ListenerFactory {
    let host: String
    let port: Int
    let tls: NIOSSLContext?

    var eventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    func makeListeningChannel(listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
                              connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator)
        async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        let tls = self.tls
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { listenerConfigurator.configure(channel: $0) }
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                }.flatMap {
                    connectionConfigurator.configure(channel: channel, tls: tls == nil ? .none : .configured(requireALPN: false))
                }
            }
    }

    /// The server's TLS: its certificate and key, client certificates verified against `ca`
    /// when given, TLS 1.2–1.3 with the chosen suites, ALPN for gRPC.
    static func context(certificate: String, key: String, ca: String?, suites: TLSCipherSuites) throws -> NIOSSLContext {
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                                                         privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        c.minimumTLSVersion = suites.allowsTLS12 ? .tlsv12 : .tlsv13
        c.maximumTLSVersion = suites.allowsTLS13 ? .tlsv13 : .tlsv12
        if suites.allowsTLS12 { c.cipherSuiteValues = suites.tls12Codes.map { NIOTLSCipher(rawValue: $0) } }
        if let ca {
            c.trustRoots = .file(ca)
            c.certificateVerification = .noHostnameVerification
        }
        c.applicationProtocols = ["grpc-exp", "h2"]
        return try NIOSSLContext(configuration: c)
    }
}
