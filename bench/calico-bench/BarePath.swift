import CalicoNetlink
import Foundation

/// The physical path a cross-node packet of the lab takes, built by hand without Calico:
/// pod ─veth─ host ─veth─ bridge ─veth─ host ─veth─ pod, five namespaces, plain routes, no
/// nftables. What `calico-bench cluster` compares the lab's paths against.
///
///     <p>-p1 10.245.1.2/24 ── 10.245.1.1 <p>-h1 198.51.100.1/25 ── br0 in <p>-sw ── 198.51.100.3/25 <p>-h2 10.245.2.1 ── 10.245.2.2/24 <p>-p2
struct BarePath {
    let prefix: String
    var client: String { prefix + "-p1" }
    var server: String { prefix + "-p2" }
    let serverIP = "10.245.2.2"

    init(prefix: String) throws {
        self.prefix = prefix
        do { try build() } catch {
            delete()
            throw error
        }
    }

    private func ip(_ ns: String, _ args: [String]) throws { _ = try CommandRunner.check(["ip", "-n", ns] + args) }

    private func build() throws {
        let (p1, h1, sw, h2, p2) = (prefix + "-p1", prefix + "-h1", prefix + "-sw", prefix + "-h2", server)
        for ns in [p1, h1, sw, h2, p2] {
            _ = try CommandRunner.check(["ip", "netns", "add", ns])
            try ip(ns, ["link", "set", "lo", "up"])
        }
        try ip(sw, ["link", "add", "br0", "address", "02:ca:11:c0:00:0c", "type", "bridge"])
        try ip(sw, ["link", "set", "br0", "up"])
        for (host, pod, side, underlay, podNet, other, otherNet) in [
            (h1, p1, "h1", "198.51.100.1", "10.245.1", "198.51.100.3", "10.245.2.0/24"),
            (h2, p2, "h2", "198.51.100.3", "10.245.2", "198.51.100.1", "10.245.1.0/24"),
        ] {
            try ip(host, ["link", "add", "eth0", "type", "veth", "peer", "name", side, "netns", sw])
            try ip(sw, ["link", "set", side, "master", "br0", "up"])
            try ip(host, ["addr", "add", underlay + "/25", "dev", "eth0"])
            try ip(host, ["link", "set", "eth0", "up"])
            try ip(host, ["link", "add", "pod", "type", "veth", "peer", "name", "eth0", "netns", pod])
            try ip(host, ["addr", "add", podNet + ".1/24", "dev", "pod"])
            try ip(host, ["link", "set", "pod", "up"])
            try ip(host, ["route", "add", otherNet, "via", other, "dev", "eth0"])
            _ = try CommandRunner.check(["ip", "netns", "exec", host, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            try ip(pod, ["addr", "add", podNet + ".2/24", "dev", "eth0"])
            try ip(pod, ["link", "set", "eth0", "up"])
            try ip(pod, ["route", "add", "default", "via", podNet + ".1"])
        }
    }

    func delete() {
        for s in ["-p1", "-h1", "-sw", "-h2", "-p2"] { _ = try? CommandRunner.run(["ip", "netns", "del", prefix + s]) }
    }
}
