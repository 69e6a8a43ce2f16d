import CalicoAPI
import Foundation

/// A host network interface and its addresses (with their prefix lengths and host bits,
/// e.g. `10.0.0.5/24`), in the kernel's interface order.
public struct HostInterface: Sendable, Equatable {
    public var name: String
    public var addresses: [IPNet]
    public init(name: String, addresses: [IPNet]) {
        self.name = name
        self.addresses = addresses
    }
}

/// An address chosen for the node: the interface and the address with its prefix.
public struct DetectedAddress: Sendable, Equatable, CustomStringConvertible {
    public var interface: String
    public var address: IPNet
    public init(interface: String, address: IPNet) {
        self.interface = interface
        self.address = address
    }
    public var description: String { "\(address) on \(interface)" }
}

public struct AutodetectionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `IP_AUTODETECTION_METHOD` / `IP6_AUTODETECTION_METHOD`.
public enum AutodetectionMethod: Sendable, Equatable {
    /// The first global-unicast address on an interface not matching the default exclusions.
    case firstFound
    /// `interface=<regex>,…`: the first address on an interface matching any regex (the
    /// default exclusions do not apply).
    case interface([String])
    /// `skip-interface=<regex>,…`: first-found with these added to the exclusions.
    case skipInterface([String])
    /// `cidr=<cidr>,…`: the first address inside any of these (default exclusions apply).
    case cidr([IPNet])
    /// `can-reach=<ip or host>`: the source address the kernel picks toward the destination.
    case canReach(String)
    /// `kubernetes-internal-ip`: the Kubernetes Node's InternalIP.
    case kubernetesInternalIP

    /// Parses a method as upstream does; empty means `first-found`.
    public init(parsing text: String) throws(AutodetectionError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        func list(_ prefix: String) -> [String] {
            t.dropFirst(prefix.count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if t.isEmpty || t == "first-found" {
            self = .firstFound
        } else if t == "kubernetes-internal-ip" {
            self = .kubernetesInternalIP
        } else if t.hasPrefix("interface=") {
            let regexes = list("interface=")
            guard !regexes.isEmpty else { throw AutodetectionError("no interface regex given in autodetection method '\(t)'") }
            try Self.checkRegexes(regexes)
            self = .interface(regexes)
        } else if t.hasPrefix("skip-interface=") {
            let regexes = list("skip-interface=")
            guard !regexes.isEmpty else { throw AutodetectionError("no interface regex given in autodetection method '\(t)'") }
            try Self.checkRegexes(regexes)
            self = .skipInterface(regexes)
        } else if t.hasPrefix("cidr=") {
            let items = list("cidr=")
            guard !items.isEmpty else { throw AutodetectionError("no CIDR given in autodetection method '\(t)'") }
            var nets: [IPNet] = []
            for item in items {
                guard let net = IPNet(item, allowBareIP: false) else {
                    throw AutodetectionError("invalid CIDR '\(item)' in autodetection method '\(t)'")
                }
                nets.append(net.network)
            }
            self = .cidr(nets)
        } else if t.hasPrefix("can-reach=") {
            let dest = String(t.dropFirst("can-reach=".count)).trimmingCharacters(in: .whitespaces)
            guard !dest.isEmpty else { throw AutodetectionError("no destination given in autodetection method '\(t)'") }
            self = .canReach(dest)
        } else {
            throw AutodetectionError("invalid IP autodetection method: \(t)")
        }
    }

    static func checkRegexes(_ patterns: [String]) throws(AutodetectionError) {
        for p in patterns where (try? Regex(p)) == nil {
            throw AutodetectionError("invalid interface regex '\(p)'")
        }
    }
}

/// Chooses the node's address from the host's interfaces (pure: the interfaces and the
/// kernel's source-address answer for `can-reach` are inputs).
public struct AddressAutodetector: Sendable {
    /// Upstream's `DEFAULT_INTERFACES_TO_EXCLUDE`.
    public static let defaultExcludes = [
        "^docker.*", "^cbr.*", "^dummy.*", "^podman.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo",
        "^br-.*", "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", "^vxlan\\.calico.*",
        "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*", "^nodelocaldns.*",
    ]

    public var interfaces: [HostInterface]

    public init(interfaces: [HostInterface]) { self.interfaces = interfaces }

    /// Runs a method for one family. `sourceAddress` answers "which local address would the
    /// kernel use toward this destination" (only `can-reach` calls it).
    public func detect(_ method: AutodetectionMethod, family: IPAddress.Family,
                       sourceAddress: (String, IPAddress.Family) throws -> IPAddress?) throws -> DetectedAddress {
        let fam = "IPv\(family.rawValue)"
        switch method {
        case .firstFound:
            return try first(family, include: nil, exclude: Self.defaultExcludes, within: nil)
                .orThrow("no valid \(fam) addresses found on the host interfaces")
        case .skipInterface(let regexes):
            return try first(family, include: nil, exclude: Self.defaultExcludes + regexes, within: nil)
                .orThrow("no valid \(fam) addresses found on the host interfaces (skipping \(regexes.joined(separator: ",")))")
        case .interface(let regexes):
            return try first(family, include: regexes, exclude: [], within: nil)
                .orThrow("no valid \(fam) addresses found on interfaces matching \(regexes.joined(separator: ","))")
        case .cidr(let nets):
            return try first(family, include: nil, exclude: Self.defaultExcludes, within: nets.filter { $0.family == family })
                .orThrow("no valid \(fam) addresses found on the host interfaces within \(nets.map(\.description).joined(separator: ","))")
        case .canReach(let dest):
            guard let local = try sourceAddress(dest, family) else {
                throw AutodetectionError("unable to find a local \(fam) address to reach \(dest)")
            }
            return try interface(holding: local)
                .orThrow("unable to find the interface holding \(local), the local address used to reach \(dest)")
        case .kubernetesInternalIP:
            throw AutodetectionError("autodetection method kubernetes-internal-ip needs the Kubernetes Node, which this build does not read")
        }
    }

    /// The first global-unicast address of `family`, in interface order, on an interface
    /// that matches an `include` regex (when given) and no `exclude` regex, and that lies in
    /// one of `within` (when given).
    public func first(_ family: IPAddress.Family, include: [String]?, exclude: [String], within: [IPNet]?) throws -> DetectedAddress? {
        let inc = try include.map(Self.compile)
        let exc = try Self.compile(exclude)
        for iface in interfaces {
            if let inc, !inc.contains(where: { iface.name.contains($0) }) { continue }
            if exc.contains(where: { iface.name.contains($0) }) { continue }
            for addr in iface.addresses where addr.family == family && Self.isGlobalUnicast(addr.address) {
                if let within, !within.contains(where: { $0.contains(addr.address) }) { continue }
                return DetectedAddress(interface: iface.name, address: addr)
            }
        }
        return nil
    }

    /// The interface holding an address, with that interface's prefix for it.
    public func interface(holding ip: IPAddress) -> DetectedAddress? {
        for iface in interfaces {
            if let addr = iface.addresses.first(where: { $0.address == ip }) {
                return DetectedAddress(interface: iface.name, address: addr)
            }
        }
        return nil
    }

    /// The interfaces Calico reports in `Node.spec.interfaces`: not excluded, sorted by name.
    public func reportedInterfaces(extraExcludes: [String] = []) -> [NodeInterface] {
        let exc = (try? Self.compile(Self.defaultExcludes + extraExcludes)) ?? []
        return interfaces
            .filter { iface in !exc.contains { iface.name.contains($0) } }
            .sorted { $0.name < $1.name }
            .map { NodeInterface(name: $0.name, addresses: $0.addresses.isEmpty ? nil : $0.addresses.map(\.address.description)) }
    }

    /// Go's `net.IP.IsGlobalUnicast`: not unspecified, loopback, multicast, link-local or
    /// the IPv4 broadcast address.
    public static func isGlobalUnicast(_ ip: IPAddress) -> Bool {
        let b = ip.bytes
        switch ip.family {
        case .v4:
            if b == [0, 0, 0, 0] || b == [255, 255, 255, 255] { return false }
            if b[0] == 127 || b[0] >= 224 { return false }
            if b[0] == 169 && b[1] == 254 { return false }
            return true
        case .v6:
            if b.allSatisfy({ $0 == 0 }) { return false }
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return false }
            if b[0] == 0xff { return false }
            if b[0] == 0xfe && (b[1] & 0xc0) == 0x80 { return false }
            // An IPv4-mapped address is judged as IPv4.
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
                return isGlobalUnicast(IPAddress(bytes: Array(b[12...]))!)
            }
            return true
        }
    }

    static func compile(_ patterns: [String]) throws -> [Regex<AnyRegexOutput>] {
        try patterns.map { p in
            do { return try Regex(p) } catch { throw AutodetectionError("invalid interface regex '\(p)'") }
        }
    }
}

extension Optional where Wrapped == DetectedAddress {
    func orThrow(_ message: String) throws -> DetectedAddress {
        guard let self else { throw AutodetectionError(message) }
        return self
    }
}
