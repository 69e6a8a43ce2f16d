import CalicoNetlink
import Foundation

/// The lab's certificates for flow logs, as upstream deploys them: a CA; Goldmane's server
/// certificate (for the router's addresses); client certificates for Felix (given as its
/// Typha certificate, which upstream's Felix presents to Goldmane) and for Whisker. Goldmane
/// requires client certificates signed by the CA, so every hop is mutual TLS. Made with
/// openssl (P-256 keys, a day's validity) in `<state>/flow-tls`.
struct FlowCertificates {
    let directory: String

    var ca: String { directory + "/ca.crt" }
    func certificate(_ name: String) -> String { directory + "/\(name).crt" }
    func key(_ name: String) -> String { directory + "/\(name).key" }

    static func make(in directory: String, serverAddresses: [String]) throws -> FlowCertificates {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func openssl(_ args: [String]) throws {
            let out = try CommandRunner.run(["openssl"] + args)
            if out.status != 0 { throw LabError.step("flow certificates", "openssl \(args.prefix(2).joined(separator: " ")): \(out.stderr)") }
        }
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + curve + ["-keyout", "\(directory)/ca.key", "-out", "\(directory)/ca.crt", "-days", "1",
                                                "-subj", "/CN=calico-lab-flows-ca"])
        let san = "subjectAltName=" + serverAddresses.map { "IP:\($0)" }.joined(separator: ",") + "\nextendedKeyUsage=serverAuth\n"
        for (name, ext) in [("goldmane", san), ("felix", "extendedKeyUsage=clientAuth\n"), ("whisker", "extendedKeyUsage=clientAuth\n")] {
            try openssl(["req"] + curve + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", "/CN=\(name)"])
            try ext.write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
            try openssl(["x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/ca.crt", "-CAkey", "\(directory)/ca.key",
                         "-CAcreateserial", "-out", "\(directory)/\(name).crt", "-days", "1", "-extfile", "\(directory)/\(name).ext"])
        }
        return FlowCertificates(directory: directory)
    }

    /// Felix's settings for them (upstream's Typha client certificate, key and CA).
    var felixEnvironment: [String: String] {
        ["FELIX_TYPHACERTFILE": certificate("felix"), "FELIX_TYPHAKEYFILE": key("felix"), "FELIX_TYPHACAFILE": ca]
    }

    var goldmaneEnvironment: [String: String] {
        ["SERVER_CERT_PATH": certificate("goldmane"), "SERVER_KEY_PATH": key("goldmane"), "CA_CERT_PATH": ca]
    }

    var whiskerEnvironment: [String: String] {
        ["TLS_CERT_PATH": certificate("whisker"), "TLS_KEY_PATH": key("whisker"), "CA_CERT_PATH": ca]
    }
}
