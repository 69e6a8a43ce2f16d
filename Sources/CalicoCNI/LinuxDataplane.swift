import CalicoAPI
import CalicoNetlink
import Foundation

/// The workload's interface as upstream's Linux dataplane builds it (spec §2.4): a veth with
/// the host side (MAC `ee:ee:ee:ee:ee:ee`, no address, proxy ARP/NDP) in the namespace the
/// plugin runs in and `CNI_IFNAME` in the container, host-length addresses, a link-scope
/// route to 169.254.1.1 and the default route through it, and a host route per address.
struct LinuxDataplane {
    static let hostMAC = "ee:ee:ee:ee:ee:ee"
    static let gatewayV4 = "169.254.1.1"

    struct Workload {
        var hostVeth: String
        var ifname: String
        var netns: String
        /// Host-length addresses (/32, /128).
        var ips: [IPNet]
        var mtu: Int
        var allowIPForwarding: Bool

        var hasV4: Bool { ips.contains { $0.family == .v4 } }
        var hasV6: Bool { ips.contains { $0.family == .v6 } }
    }

    let net: any NetworkCommands
    let log: PluginLog

    /// Builds the interface; returns the container side's MAC. `hold` marks progress (test hook).
    func setUp(_ w: Workload, hold: (String) -> Void) throws -> String {
        let container = NetworkNamespace.path(w.netns)
        if try net.deleteLink(w.hostVeth) { log.info("deleted stale host interface \(w.hostVeth)") }
        do {
            try net.createVeth(name: w.hostVeth, peer: w.ifname, peerNamespace: w.netns, mtu: w.mtu)
        } catch let e as CommandError where e.isExists {
            throw CommandError(command: e.command, status: e.status,
                               stderr: "an interface named \(w.hostVeth) here or \(w.ifname) in \(w.netns) already exists (\(e.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        hold("veth")
        // Sysctls first: with DAD off before the link comes up, its IPv6 link-local address
        // (the container's v6 gateway) is usable at once.
        try hostSysctls(w)
        try net.setLink(w.hostVeth, mac: Self.hostMAC, up: true)

        var lines: [[String]] = [["link", "set", "dev", w.ifname, "up"]]
        if w.hasV6 {
            for key in ["all", "default", "lo"] { try net.setSysctl("net/ipv6/conf/\(key)/disable_ipv6", "0", in: container) }
        }
        for ip in w.ips {
            lines.append(["addr", "add", ip.description, "dev", w.ifname] + (ip.family == .v6 ? ["nodad"] : []))
        }
        if w.hasV4 {
            lines.append(["route", "add", Self.gatewayV4, "dev", w.ifname, "scope", "link"])
            lines.append(["route", "add", "default", "via", Self.gatewayV4, "dev", w.ifname])
        }
        try net.ipBatch(lines, in: container)
        if w.hasV6 {
            // The host side gets its link-local address once both ends are up (carrier).
            try net.ipBatch([["route", "add", "::/0", "via", try hostLinkLocal(w.hostVeth), "dev", w.ifname]], in: container)
        }
        if w.allowIPForwarding {
            if w.hasV4 { try net.setSysctl("net/ipv4/ip_forward", "1", in: container) }
            if w.hasV6 { try net.setSysctl("net/ipv6/conf/all/forwarding", "1", in: container) }
        }
        guard let mac = try net.link(w.ifname, in: container)?.mac else {
            throw CommandError(command: ["ip", "link", "show", w.ifname], status: 1, stderr: "\(w.ifname) vanished from \(w.netns)")
        }
        for ip in w.ips { try addHostRoute(ip, device: w.hostVeth) }
        hold("routes")
        return mac
    }

    func hostSysctls(_ w: Workload) throws {
        let v = w.hostVeth
        if w.hasV4 {
            try net.setSysctl("net/ipv4/conf/\(v)/route_localnet", "1", in: .current)
            do {
                try net.setSysctl("net/ipv4/neigh/\(v)/proxy_delay", "0", in: .current)
            } catch {
                log.warning("cannot set proxy_delay on \(v): \(error)")
            }
            try net.setSysctl("net/ipv4/conf/\(v)/proxy_arp", "1", in: .current)
            try net.setSysctl("net/ipv4/conf/\(v)/forwarding", "1", in: .current)
        }
        if w.hasV6 {
            try net.setSysctl("net/ipv6/conf/\(v)/accept_dad", "0", in: .current)
            try net.setSysctl("net/ipv6/conf/\(v)/disable_ipv6", "0", in: .current)
            try net.setSysctl("net/ipv6/conf/\(v)/proxy_ndp", "1", in: .current)
            try net.setSysctl("net/ipv6/conf/\(v)/forwarding", "1", in: .current)
        }
        do {
            try net.setSysctl("net/ipv6/conf/\(v)/accept_ra", "0", in: .current)
        } catch {
            log.debug("cannot set accept_ra on \(v): \(error)")
        }
    }

    /// The host veth's IPv6 link-local address (the container's v6 gateway), waited for
    /// briefly as the kernel adds it when the link comes up.
    func hostLinkLocal(_ device: String) throws -> String {
        for attempt in 0..<20 {
            if let a = try net.addresses(of: device).first(where: { $0.family == 6 && $0.address.hasPrefix("fe80:") }) {
                return a.address
            }
            if attempt < 19 { Thread.sleep(forTimeInterval: 0.05) }
        }
        throw CommandError(command: ["ip", "-6", "addr", "show", "dev", device], status: 1,
                           stderr: "\(device) has no IPv6 link-local address (is IPv6 disabled on this host?)")
    }

    /// `<ip> dev <veth> scope link`; an identical route already there is fine (Felix may
    /// have added it), one through another interface is an error naming it.
    func addHostRoute(_ ip: IPNet, device: String) throws {
        do {
            try net.addRoute(RouteSpec(destination: ip.description, device: device, scopeLink: true))
        } catch let e as CommandError where e.isExists {
            let existing = try net.routes(family: ip.family.rawValue).first { $0.normalizedDestination == ip.description }
            if existing?.device == device { return }
            throw CommandError(command: e.command, status: e.status,
                               stderr: "route for \(ip) already exists for an interface other than '\(device)': \(existing?.device ?? "unknown")")
        }
    }

    /// Removes the interface: `ifname` inside the container (a missing namespace or link is
    /// fine; a path that is not a container network namespace is left alone) and the host
    /// veth by name when given. Routes go with the link.
    func tearDown(ifname: String, netns: String, hostVeth: String?) throws {
        if !netns.isEmpty {
            do {
                try NamespaceInspector.validate(netns)
                if try net.deleteLink(ifname, in: .path(netns)) { log.info("deleted \(ifname) in \(netns)") }
            } catch let problem as NamespaceProblem {
                log.info("not cleaning \(netns): \(problem)")
            }
        }
        if let hostVeth, try net.deleteLink(hostVeth) { log.info("deleted host interface \(hostVeth)") }
    }

    /// What differs from what `setUp` builds (empty when all is in place).
    func problems(_ w: Workload) -> [String] {
        var out: [String] = []
        let container = NetworkNamespace.path(w.netns)
        do {
            guard let host = try net.link(w.hostVeth) else { return ["host interface \(w.hostVeth) does not exist"] }
            if !host.isUp { out.append("host interface \(w.hostVeth) is down") }
            if host.mac?.lowercased() != Self.hostMAC { out.append("host interface \(w.hostVeth) has MAC \(host.mac ?? "none"), not \(Self.hostMAC)") }
            guard let inner = try net.link(w.ifname, in: container) else { return out + ["\(w.ifname) does not exist in \(w.netns)"] }
            if !inner.isUp { out.append("\(w.ifname) in \(w.netns) is down") }
            let addrs = try net.addresses(of: w.ifname, in: container).map(\.description)
            for ip in w.ips where !addrs.contains(ip.description) {
                out.append("\(w.ifname) in \(w.netns) lacks address \(ip) (has \(addrs.joined(separator: ", ")))")
            }
            if w.hasV4 {
                let routes = try net.routes(family: 4, in: container)
                if !routes.contains(where: { $0.destination == Self.gatewayV4 && $0.device == w.ifname && $0.scope == "link" }) {
                    out.append("\(w.netns) lacks the route \(Self.gatewayV4) dev \(w.ifname) scope link")
                }
                if !routes.contains(where: { $0.destination == "default" && $0.gateway == Self.gatewayV4 && $0.device == w.ifname }) {
                    out.append("\(w.netns) lacks the default route via \(Self.gatewayV4) dev \(w.ifname)")
                }
            }
            if w.hasV6, !(try net.routes(family: 6, in: container)).contains(where: { $0.destination == "default" && $0.device == w.ifname }) {
                out.append("\(w.netns) lacks the IPv6 default route dev \(w.ifname)")
            }
            for family in [4, 6] where w.ips.contains(where: { $0.family.rawValue == family }) {
                let routes = try net.routes(family: family)
                for ip in w.ips where ip.family.rawValue == family {
                    if !routes.contains(where: { $0.normalizedDestination == ip.description && $0.device == w.hostVeth }) {
                        out.append("no host route \(ip) dev \(w.hostVeth)")
                    }
                }
            }
        } catch {
            out.append("\(error)")
        }
        return out
    }
}
