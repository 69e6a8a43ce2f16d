import Foundation

extension CommandError {
    /// iproute2's way of saying the device, namespace or route is not there.
    public var isNotFound: Bool {
        let s = stderr
        return s.contains("does not exist") || s.contains("Cannot find device") || s.contains("No such device")
            || s.contains("No such file or directory") || s.contains("No such process")
    }

    /// The object to add is already there (`RTNETLINK answers: File exists`).
    public var isExists: Bool { stderr.contains("File exists") }
}

extension NetworkCommands {
    /// Creates a veth pair: `name` in `ns`, `peer` directly inside the namespace at
    /// `peerNamespace` (so its name only has to be free there), both with `mtu`.
    public func createVeth(name: String, peer: String, peerNamespace: String, mtu: Int? = nil, in ns: NetworkNamespace = .current) throws {
        var args = ["link", "add", name]
        if let mtu { args += ["mtu", String(mtu)] }
        args += ["type", "veth", "peer", "name", peer]
        if let mtu { args += ["mtu", String(mtu)] }
        args += ["netns", peerNamespace]
        try ip(args, in: ns)
    }

    /// Sets the MTU, MAC and/or admin state of a link in one command.
    public func setLink(_ name: String, mtu: Int? = nil, mac: String? = nil, up: Bool? = nil, in ns: NetworkNamespace = .current) throws {
        var args = ["link", "set", "dev", name]
        if let mtu { args += ["mtu", String(mtu)] }
        if let mac { args += ["address", mac] }
        if let up { args.append(up ? "up" : "down") }
        try ip(args, in: ns)
    }

    /// Adds an address (`10.0.0.1/32`); IPv6 addresses skip duplicate address detection.
    public func addAddress(_ cidr: String, device: String, in ns: NetworkNamespace = .current) throws {
        var args = ["addr", "add", cidr, "dev", device]
        if cidr.contains(":") { args.append("nodad") }
        try ip(args, in: ns)
    }

    public func addRoute(_ route: RouteSpec, in ns: NetworkNamespace = .current) throws {
        try ip(route.arguments, in: ns)
    }

    /// Deletes a route; false when there was none.
    @discardableResult
    public func deleteRoute(_ destination: String, device: String? = nil, in ns: NetworkNamespace = .current) throws -> Bool {
        var args = (destination.contains(":") ? ["-6"] : []) + ["route", "del", destination]
        if let device { args += ["dev", device] }
        do {
            try ip(args, in: ns)
            return true
        } catch let e as CommandError where e.isNotFound || e.stderr.contains("No such process") {
            return false
        }
    }

    /// Deletes a link (a veth takes its peer with it); false when it did not exist.
    @discardableResult
    public func deleteLink(_ name: String, in ns: NetworkNamespace = .current) throws -> Bool {
        do {
            try ip(["link", "del", "dev", name], in: ns)
            return true
        } catch let e as CommandError where e.isNotFound {
            return false
        }
    }

    /// One link, or nil when there is none of that name.
    public func link(_ name: String, in ns: NetworkNamespace = .current) throws -> LinkInfo? {
        do {
            return IPJSON.array(try ip(["-j", "-d", "link", "show", "dev", name], in: ns)).compactMap(IPJSON.link).first
        } catch let e as CommandError where e.stderr.contains("does not exist") {
            return nil
        }
    }

    public func links(in ns: NetworkNamespace = .current) throws -> [LinkInfo] {
        IPJSON.array(try ip(["-j", "-d", "link", "show"], in: ns)).compactMap(IPJSON.link)
    }

    /// Addresses of one device (empty when the device is missing).
    public func addresses(of device: String, in ns: NetworkNamespace = .current) throws -> [AddressInfo] {
        do {
            return IPJSON.array(try ip(["-j", "addr", "show", "dev", device], in: ns)).flatMap(IPJSON.addresses)
        } catch let e as CommandError where e.stderr.contains("does not exist") {
            return []
        }
    }

    /// Routes of the main table for one family (4 or 6).
    public func routes(family: Int = 4, in ns: NetworkNamespace = .current) throws -> [RouteInfo] {
        IPJSON.array(try ip(["-j", family == 6 ? "-6" : "-4", "route", "show"], in: ns)).compactMap(IPJSON.route)
    }
}
