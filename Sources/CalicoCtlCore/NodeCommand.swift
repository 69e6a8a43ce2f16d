import CalicoBGP
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `calicoctl node status` as upstream prints it: whether Felix runs, then BIRD's BGP sessions
/// per family read over its control socket. One BIRD 2 daemon serves both families here, so
/// both tables come from `CALICO_BIRD_SOCKET` (default `/var/run/calico/bird.ctl`, then
/// `/var/run/bird/bird.ctl`); a separate IPv6 daemon is read at `CALICO_BIRD6_SOCKET`.
struct NodeCommand {
    let prog: String
    let console: Console
    let environment: [String: String]

    func run(_ args: [String]) async -> Int32 {
        guard let sub = args.first else {
            console.eprintln(Usage.node(prog))
            return 1
        }
        if sub == "-h" || sub == "--help" {
            console.println(Usage.node(prog))
            return 0
        }
        guard sub == "status" else {
            if ["run", "diags", "checksystem"].contains(sub) {
                console.eprintln("\(prog) node \(sub): not available in this build")
                return 1
            }
            console.eprintln(Usage.node(prog))
            return 1
        }
        if args.count > 1 {
            if args[1] == "-h" || args[1] == "--help" {
                console.println(Usage.nodeStatus(prog))
                return 0
            }
            console.eprintln(Usage.nodeStatus(prog))
            return 1
        }
        guard getuid() == 0 else {
            console.eprintln("This command must be run as root.")
            return 1
        }
        let processes = Self.commandLines()
        guard processes.contains(where: { Self.isFelix($0) }) else {
            console.eprintln("Calico process is not running.")
            return 1
        }
        var out = "Calico process is running.\n"
        let birds = processes.filter { Self.executable($0) == "bird" }
        let bird6 = processes.contains { Self.executable($0) == "bird6" }
        if birds.isEmpty && !bird6 {
            out += "\nThe BGP backend process (BIRD) is not running.\n"
            console.print(out + "\n")
            return 0
        }
        do {
            var v4: [BGPPeerStatus] = [], v6: [BGPPeerStatus] = []
            if !birds.isEmpty {
                let all = try BIRDStatus.peers(socket: try socket(environment["CALICO_BIRD_SOCKET"], defaults: ["/var/run/calico/bird.ctl", "/var/run/bird/bird.ctl"]))
                v4 = all.filter { !$0.isIPv6 }
                v6 = all.filter(\.isIPv6)
            }
            if bird6 || environment["CALICO_BIRD6_SOCKET"] != nil {
                v6 = try BIRDStatus.peers(socket: try socket(environment["CALICO_BIRD6_SOCKET"], defaults: ["/var/run/calico/bird6.ctl", "/var/run/bird/bird6.ctl"])).filter(\.isIPv6)
            }
            out += birds.isEmpty ? "\nINFO: BIRDv4 process: 'bird' is not running.\n" : Self.table(v4, family: "4")
            out += Self.table(v6, family: "6")
        } catch {
            console.print(out)
            console.eprintln("Error executing command: \(error)")
            return 1
        }
        console.print(out + "\n")
        return 0
    }

    func socket(_ configured: String?, defaults: [String]) throws -> String {
        if let c = configured, !c.isEmpty { return c }
        return defaults.first { FileManager.default.fileExists(atPath: $0) } ?? defaults[0]
    }

    static func table(_ peers: [BGPPeerStatus], family: String) -> String {
        let out = "\nIPv\(family) BGP status\n"
        guard !peers.isEmpty else { return out + "No IPv\(family) peers found.\n" }
        var t = BorderedTable(header: ["PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "INFO"])
        for p in peers { t.append([p.address, p.type, p.state, p.since, p.info]) }
        return out + t.render()
    }

    /// Every process's argv (from /proc).
    static func commandLines() -> [[String]] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
            return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The program's name (the last part of argv[0]).
    static func executable(_ argv: [String]) -> String { argv.first.map { ($0 as NSString).lastPathComponent } ?? "" }

    /// `calico-felix`, or `calico-node -felix`.
    static func isFelix(_ argv: [String]) -> Bool {
        let exe = executable(argv)
        return exe == "calico-felix" || (exe == "calico-node" && argv.dropFirst().contains { $0 == "-felix" || $0 == "--felix" })
    }
}
