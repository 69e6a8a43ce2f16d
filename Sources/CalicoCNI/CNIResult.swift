import CalicoAPI
import Foundation

/// A CNI ADD result, printed in the version the network configuration asks for.
public struct CNIResult: Sendable, Equatable {
    public struct Interface: Sendable, Equatable {
        public var name: String
        public var mac: String?
        public var mtu: Int?
        public var sandbox: String?

        public init(name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
        }
    }

    public struct IPConfig: Sendable, Equatable {
        public var address: IPNet
        /// Index into `interfaces` (nil for IPAM results).
        public var interface: Int?

        public init(address: IPNet, interface: Int? = nil) {
            self.address = address
            self.interface = interface
        }
    }

    public var interfaces: [Interface] = []
    public var ips: [IPConfig] = []

    public init(interfaces: [Interface] = [], ips: [IPConfig] = []) {
        self.interfaces = interfaces
        self.ips = ips
    }

    /// The result as JSON of `version` (0.3.0, 0.3.1, 0.4.0 carry `version` per IP; 1.0.0 does not).
    public func json(version: String) -> String {
        var o: [String: Any] = ["cniVersion": version, "dns": [String: Any]()]
        let perIPVersion = version.hasPrefix("0.")
        if !interfaces.isEmpty {
            o["interfaces"] = interfaces.map { i -> [String: Any] in
                var d: [String: Any] = ["name": i.name]
                if let mac = i.mac { d["mac"] = mac }
                if let mtu = i.mtu, mtu > 0, !perIPVersion { d["mtu"] = mtu }
                if let sandbox = i.sandbox { d["sandbox"] = sandbox }
                return d
            }
        }
        o["ips"] = ips.map { ip -> [String: Any] in
            var d: [String: Any] = ["address": ip.address.description]
            if let index = ip.interface { d["interface"] = index }
            if perIPVersion { d["version"] = ip.address.family == .v4 ? "4" : "6" }
            return d
        }
        return JSONText.encode(o)
    }

    /// The addresses of a result another (delegated) plugin printed, in any version:
    /// `ips[].address` (0.3.0+) or `ip4.ip` / `ip6.ip` (0.1.0, 0.2.0).
    public static func addresses(inResultJSON data: Data) -> [IPNet]? {
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        if let ips = o["ips"] as? [[String: Any]] {
            return ips.compactMap { ($0["address"] as? String).flatMap { IPNet($0) } }
        }
        return ["ip4", "ip6"].compactMap { ((o[$0] as? [String: Any])?["ip"] as? String).flatMap { IPNet($0) } }
    }
}

/// The reply to `VERSION`.
public enum CNIVersionInfo {
    public static func json(cniVersion: String = NetConf.latestVersion) -> String {
        JSONText.encode(["cniVersion": cniVersion, "supportedVersions": NetConf.supportedVersions])
    }
}
