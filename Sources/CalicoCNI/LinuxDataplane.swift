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
    ///
    /// Few processes: one `ip -batch` in this namespace makes the veth (its peer straight
    /// into the container), gives the host side its MAC, brings it up and adds the IPv4 host
    /// routes; sysctls are written directly; one `ip -batch` started inside the container
    /// configures its side and shows its MAC. The host side has no carrier until the
    /// container side is up, so its sysctls (IPv6 DAD off included) are all in place before
    /// any traffic can flow and before it gets its IPv6 link-local address.
    func setUp(_ w: Workload, hold: (String) -> Void) throws -> String {
        let container = NetworkNamespace.path(w.netns)
        if try net.deleteLinkPromptly(w.hostVeth, in: .current) {
            log.info("deleted stale host interface \(w.hostVeth)")
        }
        let v4 = w.ips.filter { $0.family == .v4 }
        let v6 = w.ips.filter { $0.family == .v6 }
        var host: [[String]] = [
            ["link", "add", w.hostVeth, "mtu", String(w.mtu), "type", "veth", "peer", "name", w.ifname, "mtu", String(w.mtu), "netns", w.netns],
            ["link", "set", "dev", w.hostVeth, "address", Self.hostMAC, "up"],
        ]
        host += v4.map { Self.hostRoute($0, device: w.hostVeth) }
        try hostBatch(host, w)
        hold("veth")
        try hostSysctls(w)

        if w.hasV6 {
            for key in ["all", "default", "lo"] { try net.setSysctl("net/ipv6/conf/\(key)/disable_ipv6", "0", in: container) }
            // As upstream: no duplicate address detection on a point-to-point link (it holds
            // the link-local address, and so the pod's IPv6 replies, for about a second);
            // before the link comes up.
            try net.setSysctl("net/ipv6/conf/\(w.ifname)/accept_dad", "0", in: container)
        }
        var lines: [[String]] = [["link", "set", "dev", w.ifname, "up"]]
        for ip in w.ips {
            lines.append(["addr", "add", ip.description, "dev", w.ifname] + (ip.family == .v6 ? ["nodad"] : []))
        }
        if w.hasV4 {
            lines.append(["route", "add", Self.gatewayV4, "dev", w.ifname, "scope", "link"])
            lines.append(["route", "add", "default", "via", Self.gatewayV4, "dev", w.ifname])
        }
        lines.append(["link", "show", "dev", w.ifname])
        let shown = try net.ipBatch(lines, in: container)
        guard let mac = Self.mac(inLinkShow: shown) else {
            throw CommandError(command: container.wrap(["ip", "link", "show", "dev", w.ifname]), status: 1,
                               stderr: "no MAC address for \(w.ifname) in \(w.netns): \(shown)")
        }
        if w.hasV6 {
            // The host side gets its link-local address once both ends are up (carrier).
            try net.ipBatch([["route", "add", "::/0", "via", try hostLinkLocal(w.hostVeth), "dev", w.ifname]], in: container)
        }
        if w.allowIPForwarding {
            if w.hasV4 { try net.setSysctl("net/ipv4/ip_forward", "1", in: container) }
            if w.hasV6 { try net.setSysctl("net/ipv6/conf/all/forwarding", "1", in: container) }
        }
        if !v6.isEmpty {
            // IPv6 host routes need IPv6 on the veth (its sysctls, above).
            try hostBatch(v6.map { Self.hostRoute($0, device: w.hostVeth) }, w)
        }
        hold("routes")
        return mac
    }

    /// `route add <ip> dev <veth> scope link` (a batch line: the family follows from the address).
    static func hostRoute(_ ip: IPNet, device: String) -> [String] {
        ["route", "add", ip.description, "dev", device, "scope", "link"]
    }

    /// The MAC in `ip link show` output (`link/ether <mac> brd …`).
    static func mac(inLinkShow text: String) -> String? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        guard let i = words.firstIndex(of: "link/ether"), i + 1 < words.count else { return nil }
        return String(words[i + 1])
    }

    /// Runs host-side commands as one batch. A veth that cannot be made because a name is
    /// taken, and a host route that exists through another interface, are errors that say
    /// so; a host route already there through this veth (Felix may have added it) is fine,
    /// and the rest of the batch goes on.
    func hostBatch(_ commands: [[String]], _ w: Workload) throws {
        var rest = commands[...]
        while !rest.isEmpty {
            do {
                try net.ipBatch(Array(rest), in: .current)
                return
            } catch let e as CommandError {
                guard let index = e.batchIndex, index < rest.count else { throw e }
                let failed = rest[rest.startIndex + index]
                if failed.starts(with: ["link", "add"]) && e.isExists {
                    throw CommandError(command: e.command, status: e.status,
                                       stderr: "an interface named \(w.hostVeth) here or \(w.ifname) in \(w.netns) already exists (\(e.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
                }
                if e.isExists, let ip = w.ips.first(where: { Self.hostRoute($0, device: w.hostVeth) == failed }) {
                    try checkExistingHostRoute(ip, device: w.hostVeth, error: e)
                    rest = rest[(rest.startIndex + index + 1)...]
                    continue
                }
                throw e
            }
        }
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
            if let a = try net.ipv6LinkLocal(of: device, in: .current) { return a }
            if attempt < 19 { Thread.sleep(forTimeInterval: 0.05) }
        }
        throw CommandError(command: ["ip", "-6", "addr", "show", "dev", device], status: 1,
                           stderr: "\(device) has no IPv6 link-local address (is IPv6 disabled on this host?)")
    }

    /// A host route `ip` refused as existing: fine when it goes through `device` (Felix may
    /// have added it), else an error naming the other interface.
    func checkExistingHostRoute(_ ip: IPNet, device: String, error e: CommandError) throws {
        let existing = try net.routes(family: ip.family.rawValue).first { $0.normalizedDestination == ip.description }
        if existing?.device == device { return }
        throw CommandError(command: e.command, status: e.status,
                           stderr: "route for \(ip) already exists for an interface other than '\(device)': \(existing?.device ?? "unknown")")
    }

    /// Removes the interface, in two steps (DEL runs the first while it reads the datastore):
    /// `ifname` inside the container, a veth taking its host side and routes with it (a missing
    /// namespace or link is fine; a path that is not a container network namespace is left
    /// alone). Links are deleted "promptly": done once the kernel has unregistered them, not
    /// once it has finished destroying them.
    func removeContainerSide(ifname: String, netns: String) throws {
        guard !netns.isEmpty else { return }
        do {
            try net.validateNamespace(netns)
            let ns = NetworkNamespace.path(netns)
            if try net.deleteLinkPromptly(ifname, in: ns) { log.info("deleted \(ifname) in \(netns)") }
        } catch let problem as NamespaceProblem {
            log.info("not cleaning \(netns): \(problem)")
        }
    }

    /// Then the host veth by name when given and still there (deleting the container side
    /// usually took it along: finding that out needs no process).
    func removeHostSide(_ hostVeth: String?) throws {
        if let hostVeth, try net.deleteLinkPromptly(hostVeth, in: .current) {
            log.info("deleted host interface \(hostVeth)")
        }
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
