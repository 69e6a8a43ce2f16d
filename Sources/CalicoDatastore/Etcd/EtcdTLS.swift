import Foundation

/// Files for talking to etcd over TLS (`https://` endpoints): the CA that signs the
/// server certificate and, for client-certificate authentication, a certificate and key.
public struct EtcdTLSOptions: Sendable, Equatable {
    /// PEM file of the CA to trust (curl's default trust store when nil).
    public var caFile: String?
    /// PEM client certificate.
    public var certFile: String?
    /// PEM private key of the client certificate.
    public var keyFile: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }

    /// The options named by `ETCD_CA_CERT_FILE`, `ETCD_CERT_FILE` and `ETCD_KEY_FILE`;
    /// nil when none is set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> EtcdTLSOptions? {
        func value(_ name: String) -> String? {
            guard let v = environment[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let options = EtcdTLSOptions(caFile: value("ETCD_CA_CERT_FILE"), certFile: value("ETCD_CERT_FILE"),
                                     keyFile: value("ETCD_KEY_FILE"))
        return options == EtcdTLSOptions() ? nil : options
    }
}

/// A user name and password for etcd's authentication (exchanged for a token).
public struct EtcdCredentials: Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The credentials named by `ETCD_USERNAME` and `ETCD_PASSWORD`; nil without a user name.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> EtcdCredentials? {
        guard let user = environment["ETCD_USERNAME"], !user.isEmpty else { return nil }
        return EtcdCredentials(username: user, password: environment["ETCD_PASSWORD"] ?? "")
    }
}
