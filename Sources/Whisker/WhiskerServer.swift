import Foundation
import Goldmane
import GoldmaneAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOHTTP1
import NIOPosix

/// Whisker's configuration from upstream's whisker-backend environment: `HOST` (""), `PORT`
/// (8080), `GOLDMANE_HOST` (`goldmane.calico-system.svc:7443`), `TLS_CERT_PATH` + `TLS_KEY_PATH`
/// (client certificate for Goldmane; plaintext when unset) and `CA_CERT_PATH`; and
/// `WHISKER_UI_DIR` (swift-calico's: where the UI files are; default the bundled ones).
public struct WhiskerConfig: Sendable {
    public var host = ""
    public var port = 8080
    public var goldmaneHost = "goldmane.calico-system.svc"
    public var goldmanePort = 7443
    public var tlsCert: String?
    public var tlsKey: String?
    public var caCert: String?
    public var uiDirectory: String?

    public init() {}

    public static func from(environment env: [String: String]) throws(WhiskerJSON.BadRequest) -> WhiskerConfig {
        var c = WhiskerConfig()
        c.host = env["HOST"] ?? ""
        if let p = env["PORT"], !p.isEmpty {
            guard let n = Int(p), (0...65535).contains(n) else { throw .init("PORT=\(p): not a port number") }
            c.port = n
        }
        if let g = env["GOLDMANE_HOST"], !g.isEmpty {
            guard let colon = g.lastIndex(of: ":"), let n = Int(g[g.index(after: colon)...]) else {
                throw .init("GOLDMANE_HOST=\(g): expected host:port")
            }
            c.goldmaneHost = String(g[..<colon])
            c.goldmanePort = n
        }
        c.tlsCert = env["TLS_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        c.tlsKey = env["TLS_KEY_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        c.caCert = env["CA_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        c.uiDirectory = env["WHISKER_UI_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        for path in [c.tlsCert, c.tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw .init("cannot load the client certificate for Goldmane: cannot read \(path)")
        }
        return c
    }

    func goldmaneTransport() throws -> HTTP2ClientTransport.Posix {
        try GoldmaneClient.transport(host: goldmaneHost, port: goldmanePort, certificate: tlsCert, key: tlsKey, ca: caCert)
    }
}
