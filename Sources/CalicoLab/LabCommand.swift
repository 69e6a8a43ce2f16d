import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `calico-lab`: the local lab from the command line (`up`, `status`, `down`, `exec`,
/// `calicoctl`, `add-pod`, `remove-pod`, `felix`). `main.swift` only calls `LabCommand.main`.
public enum LabCommand {
    static let usage = """
        calico-lab: a small Calico cluster in Linux network namespaces (a router joining two
        underlay subnets, nodes, an outside host and pods), run by this build's calico-node, CNI
        plugins, calicoctl and calico-probe.

        Usage:
          calico-lab up [--nodes N] [--encap none|vxlan|vxlan-crosssubnet] [--routing felix|bgp [--tor]] [--pods N] [--ipv6]
                        [--datastore embedded|etcdv3] [--state-dir D] [--no-felix]
          calico-lab status [--state-dir D]
          calico-lab exec [--state-dir D] <pod|nodeK|ext|router> -- <command> [args...]
          calico-lab calicoctl [--state-dir D] <calicoctl arguments...>
          calico-lab down [--state-dir D]
          calico-lab add-pod <name> [--node nodeK] [--namespace NS] [--labels k=v,...] [--service-account SA] [--state-dir D]
          calico-lab remove-pod <name> [--state-dir D]
          calico-lab add-node [--state-dir D]
          calico-lab remove-node <nodeK> [--state-dir D]
          calico-lab felix start|stop|restart [--node nodeK] [--state-dir D]
          calico-lab -h | --help

        up         builds the lab: N nodes (default 1; node1 … nodeN), each running calico-node
                   -startup, -allocate-tunnel-addrs and -felix; --encap none puts every node on
                   subnet A (198.51.100.0/25) with Felix-programmed routes, vxlan and
                   vxlan-crosssubnet alternate nodes between subnets A and B (198.51.100.128/25).
                   N pods (default 4) spread over the nodes and the Kubernetes namespaces
                   demo (team=demo) and prod (team=prod, env=production), labelled app=web|db|...
                   A one-node lab routes the pod pool from the router to node1; with more nodes
                   pods reach the outside host only through NAT outgoing. --ipv6: dual stack
                   (underlay fd00:10:244:ff0a::/64 and fd00:10:244:ff0b::/64, IPv6 pool
                   fd00:10:244::/56 with the same encapsulation, pods get both families).
                   --routing bgp: every node runs calico-node -confd and BIRD 2 (full mesh;
                   nodes alternate subnets; Felix programs no cluster routes). --tor: the
                   router runs BIRD too (AS 65000); every node peers with it over eBGP
                   (BGPPeers tor-<node>), so pods on different subnets reach each other.
                   BGP passwords: <state dir>/bgp-secrets/<secret>/<key>.
        status     namespaces, datastore, Felix, servers, pods with their addresses
        exec       runs a command in a pod's, the node's, the outside host's or the router's namespace
        calicoctl  runs calicoctl against the lab's datastore
        down       stops everything the lab started and deletes its namespaces and files
        add-pod    adds a pod (on node1 unless --node; namespace NS, default "default") wired by
                   the calico CNI plugin
        remove-pod CNI DEL, stops the pod's server, deletes its namespace
        add-node   adds the next node (startup, tunnel addresses, Felix, probe server)
        remove-node removes a node: its pods, processes, Node (with its IPAM) and namespace
        felix      starts or stops calico-node -felix on a node (default node1)

        The state directory is --state-dir, else $CALICO_LAB_STATE_DIR, else \(LabConfig.defaultStateDirectory).
        Needs root. Binaries are taken from the directory of calico-lab itself.
        """

    static func fail(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data(("calico-lab: " + message + "\n").utf8))
        exit(code)
    }

    static func usageError(_ message: String) -> Never {
        fail("\(message)\nRun `calico-lab --help` for usage.", code: 2)
    }

    /// Options of a command: `--name value`, `--name=value`, flags; the rest in order.
    struct Options {
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var rest: [String] = []

        /// Parses `args`; `valued` options take a value, `boolean` ones none; with
        /// `stopAtPositional`, everything from the first positional argument on is `rest`.
        init(_ args: [String], valued: Set<String>, boolean: Set<String>, stopAtPositional: Bool = false) {
            var i = 0
            while i < args.count {
                let a = args[i]
                if a == "--" && !stopAtPositional {
                    rest += args[(i + 1)...]
                    break
                }
                if a.hasPrefix("--"), a.count > 2 {
                    let body = String(a.dropFirst(2))
                    let (name, inline) = body.contains("=") ? (String(body.prefix { $0 != "=" }), String(body.drop { $0 != "=" }.dropFirst())) : (body, nil)
                    if valued.contains(name) {
                        if let inline {
                            values[name] = inline
                        } else {
                            guard i + 1 < args.count else { usageError("--\(name) needs a value") }
                            values[name] = args[i + 1]
                            i += 1
                        }
                    } else if boolean.contains(name), inline == nil {
                        flags.insert(name)
                    } else {
                        if stopAtPositional {
                            rest += args[i...]
                            break
                        }
                        usageError("unknown option \(a)")
                    }
                } else {
                    if stopAtPositional {
                        rest += args[i...]
                        break
                    }
                    rest.append(a)
                }
                i += 1
            }
        }
    }

    static func stateDirectory(_ options: Options) -> String {
        options.values["state-dir"] ?? ProcessInfo.processInfo.environment["CALICO_LAB_STATE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? LabConfig.defaultStateDirectory
    }

    static func requireRoot() {
        if getuid() != 0 { fail("needs root (it creates network namespaces and veths); run it as root") }
    }

    static func loadLab(_ options: Options) -> Lab {
        do {
            return try Lab.load(stateDirectory: stateDirectory(options))
        } catch {
            fail("\(error)")
        }
    }

    /// Replaces this process with `argv` (stdin, stdout and the exit status are the command's).
    static func execReplacing(_ argv: [String]) -> Never {
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execvp(argv[0], cArgs)
        fail("cannot run \(argv[0]): \(String(cString: strerror(errno)))")
    }

    /// The pods `up` makes: alternately in demo and prod, two of each app before the next app.
    static func demoPods(_ count: Int) -> [(name: String, namespace: String, labels: [String: String], serviceAccount: String?)] {
        let apps = ["web", "db", "cache", "api", "queue", "auth"]
        return (0..<count).map { i in
            let namespace = i % 2 == 0 ? "demo" : "prod"
            let app = apps[(i / 2) % apps.count]
            let round = i / (2 * apps.count)
            let name = "\(namespace)-\(app)" + (round > 0 ? "-\(round + 1)" : "")
            return (name, namespace, ["app": app], app == "db" ? "db" : nil)
        }
    }

    static func up(_ options: Options) async -> Never {
        requireRoot()
        guard options.rest.isEmpty else { usageError("up takes no arguments (got \(options.rest.joined(separator: " ")))") }
        let podCount: Int
        if let text = options.values["pods"] {
            guard let n = Int(text), (0...200).contains(n) else { usageError("--pods must be a number from 0 to 200 (got \(text))") }
            podCount = n
        } else {
            podCount = 4
        }
        var config = LabConfig(stateDirectory: stateDirectory(options))
        if let text = options.values["datastore"] {
            guard let kind = LabDatastore(rawValue: text) else { usageError("--datastore must be embedded or etcdv3 (got \(text))") }
            config.datastore = kind
        }
        config.startFelix = !options.flags.contains("no-felix")
        config.ipv6 = options.flags.contains("ipv6")
        config.tor = options.flags.contains("tor")
        config.flows = !options.flags.contains("no-flows")
        if config.flows {
            config.uiPort = LabAddresses.whiskerPort
            if let text = options.values["ui-port"] {
                guard let n = Int(text), (1...65535).contains(n) else { usageError("--ui-port must be a port number (got \(text))") }
                config.uiPort = n
            }
        }
        if let text = options.values["routing"] {
            guard let r = LabRouting(rawValue: text) else { usageError("--routing must be felix or bgp (got \(text))") }
            config.routing = r
        }
        if config.tor && config.routing != .bgp { usageError("--tor needs --routing bgp") }
        if let text = options.values["nodes"] {
            guard let n = Int(text), (1...LabNode.maxIndex).contains(n) else { usageError("--nodes must be a number from 1 to \(LabNode.maxIndex) (got \(text))") }
            config.nodes = n
        }
        if let text = options.values["encap"] {
            guard let e = LabEncapsulation(rawValue: text) else { usageError("--encap must be none, vxlan or vxlan-crosssubnet (got \(text))") }
            config.encapsulation = e
        }
        let started = ContinuousClock.now
        let lab: Lab
        do {
            lab = try await Lab.up(config)
        } catch LabError.alreadyUp(let directory) {
            fail("\(LabError.alreadyUp(directory))")
        } catch {
            fail("up failed (everything it made is removed again): \(error)")
        }
        do {
            if podCount > 0 {
                try await lab.ensureNamespace("demo", labels: ["team": "demo"])
                try await lab.ensureNamespace("prod", labels: ["team": "prod", "env": "production"])
            }
            let nodes = lab.nodes.map(\.name)
            for (i, p) in demoPods(podCount).enumerated() {
                _ = try await lab.addPod(name: p.name, namespace: p.namespace, labels: p.labels, serviceAccount: p.serviceAccount,
                                         node: nodes[i % nodes.count])
            }
        } catch {
            do { try lab.down() } catch { FileHandle.standardError.write(Data("calico-lab: cleanup: \(error)\n".utf8)) }
            fail("up failed while adding pods (everything it made is removed again): \(error)")
        }
        let elapsed = ContinuousClock.now - started
        print(summary(lab, elapsed: elapsed))
        // Exit while `lab` is still referenced: an etcd this process started keeps running.
        withExtendedLifetime(lab) { exit(0) }
    }

    static func summary(_ lab: Lab, elapsed: Duration) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var lines = ["Lab \(lab.prefix) is up (\(String(format: "%.1f", seconds)) s); state in \(lab.stateDirectory)"]
        for n in lab.nodes {
            let felix = lab.felixPID(on: n.name).map { "Felix pid \($0), log \(lab.stateDirectory)/\(n.felixLog)" } ?? "Felix off"
            lines.append("  \(n.name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(n.ip)\(n.ipv6.map { " " + $0 } ?? "")  subnet \(n.subnet.rawValue.uppercased())  namespace \(n.netnsName)  (\(felix))")
        }
        lines.append("  ext     \(lab.extIP)  namespace \(lab.extNamespace)")
        lines.append("  router  \(LabAddresses.routerNodeSide) / \(LabAddresses.routerSubnetB) / 203.0.113.254  namespace \(lab.routerNamespace)")
        lines.append("  encapsulation: \(lab.encapsulation.rawValue), routing: \(lab.routing.rawValue)"
                     + (lab.torRunning ? ", ToR: BIRD AS \(LabToR.asNumber) in the router namespace (BGPPeers tor-<node>)" : ""))
        lines.append("  datastore: \(lab.datastoreKind.rawValue) " + (lab.datastoreEnvironment["EMBEDDED_DATASTORE_PATH"] ?? lab.etcdEndpoint ?? ""))
        if let ui = lab.uiURL {
            lines.append("  flows: Goldmane \(lab.goldmaneAddress) (router namespace); Whisker UI: \(ui)")
        }
        if !lab.pods.isEmpty {
            lines.append("Pods:")
            for p in lab.pods {
                let labels = p.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                lines.append("  \(p.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(p.node.padding(toLength: 6, withPad: " ", startingAt: 0)) ns=\(p.namespace.padding(toLength: 5, withPad: " ", startingAt: 0)) \(p.ip.padding(toLength: 14, withPad: " ", startingAt: 0)) \(p.ipv6.map { $0 + " " } ?? "")\(labels)" + (p.serviceAccount.map { " sa=\($0)" } ?? ""))
            }
        }
        for w in lab.warnings { lines.append("warning: \(w)") }
        lines.append("Next:")
        lines.append("  calico-lab status")
        if let a = lab.pods.first, let b = lab.pods.dropFirst().first {
            lines.append("  calico-lab exec \(a.name) -- ping -c1 \(b.ip)")
            lines.append("  calico-lab exec ext -- ping -c1 \(a.ip)")
        }
        lines.append("  calico-lab calicoctl get workloadendpoints -A -o wide")
        lines.append("  calico-lab down")
        return lines.joined(separator: "\n")
    }

    /// Runs the command line `arguments` (the program name first) and exits.
    public static func main(_ arguments: [String]) async -> Never {
        let arguments = Array(arguments.dropFirst())
        let leading = Options(arguments, valued: ["state-dir"], boolean: ["help"], stopAtPositional: true)
        if leading.flags.contains("help") || leading.rest.first == "-h" || leading.rest.first == "help" {
            print(usage)
            exit(0)
        }
        guard let command = leading.rest.first else { usageError("no command given") }
        let commandArgs = Array(leading.rest.dropFirst())
        if ["up", "status", "down", "add-pod", "remove-pod", "add-node", "remove-node", "felix"].contains(command), commandArgs.contains(where: { $0 == "-h" || $0 == "--help" }) {
            print(usage)
            exit(0)
        }
        let inherited = leading.values

        switch command {
        case "up":
            var o = Options(commandArgs, valued: ["pods", "datastore", "state-dir", "nodes", "encap", "routing", "ui-port"], boolean: ["no-felix", "ipv6", "tor", "no-flows"])
            o.values.merge(inherited) { a, _ in a }
            await up(o)
        case "relay":
            guard commandArgs.count == 3, let port = Int(commandArgs[1]), let local = Int(commandArgs[2]) else { usageError("relay <netns> <port> <local port>") }
            do { try Lab.relay(namespace: commandArgs[0], port: port, localPort: local) } catch { fail("relay: \(error)") }
        case "status":
            var o = Options(commandArgs, valued: ["state-dir"], boolean: [])
            o.values.merge(inherited) { a, _ in a }
            guard o.rest.isEmpty else { usageError("status takes no arguments") }
            print(loadLab(o).status())
        case "down":
            var o = Options(commandArgs, valued: ["state-dir"], boolean: [])
            o.values.merge(inherited) { a, _ in a }
            guard o.rest.isEmpty else { usageError("down takes no arguments") }
            requireRoot()
            let directory = stateDirectory(o)
            guard FileManager.default.fileExists(atPath: directory + "/lab.json") else {
                print("No lab in \(directory): nothing to take down.")
                exit(0)
            }
            let started = ContinuousClock.now
            let lab = loadLab(o)
            do {
                try lab.down()
            } catch {
                fail("down: \(error)")
            }
            print("Lab \(lab.prefix) is down (\(ContinuousClock.now - started)).")
        case "exec":
            var o = Options(commandArgs, valued: ["state-dir"], boolean: [], stopAtPositional: true)
            o.values.merge(inherited) { a, _ in a }
            guard let target = o.rest.first else { usageError("exec needs a target (a pod, node1, ext or router) and a command") }
            var argv = Array(o.rest.dropFirst())
            if argv.first == "--" { argv.removeFirst() }
            guard !argv.isEmpty else { usageError("exec needs a command after the target: calico-lab exec \(target) -- <command>") }
            requireRoot()
            let lab = loadLab(o)
            do {
                execReplacing(try lab.commandLine(in: target, argv))
            } catch {
                fail("\(error)")
            }
        case "calicoctl":
            var o = Options(commandArgs, valued: ["state-dir"], boolean: [], stopAtPositional: true)
            o.values.merge(inherited) { a, _ in a }
            requireRoot()
            execReplacing(loadLab(o).calicoctlCommandLine(o.rest))
        case "add-pod":
            var o = Options(commandArgs, valued: ["state-dir", "namespace", "labels", "service-account", "node"], boolean: [])
            o.values.merge(inherited) { a, _ in a }
            guard o.rest.count == 1 else { usageError("add-pod takes one pod name") }
            requireRoot()
            var labels: [String: String] = [:]
            for pair in (o.values["labels"] ?? "").split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, !kv[0].isEmpty else { usageError("--labels takes key=value pairs separated by commas (got \(pair))") }
                labels[kv[0]] = kv[1]
            }
            let lab = loadLab(o)
            do {
                let pod = try await lab.addPod(name: o.rest[0], namespace: o.values["namespace"] ?? "default", labels: labels,
                                               serviceAccount: o.values["service-account"], node: o.values["node"] ?? LabAddresses.nodeName)
                print("Pod \(pod.name) (namespace \(pod.namespace), \(pod.node)) has \(pod.ip) on \(pod.interfaceName); endpoint \(pod.endpointName)")
                for w in lab.warnings where w.contains(pod.name) { print("warning: \(w)") }
            } catch {
                fail("add-pod: \(error)")
            }
        case "remove-pod":
            var o = Options(commandArgs, valued: ["state-dir"], boolean: [])
            o.values.merge(inherited) { a, _ in a }
            guard o.rest.count == 1 else { usageError("remove-pod takes one pod name") }
            requireRoot()
            do {
                try await loadLab(o).removePod(o.rest[0])
                print("Pod \(o.rest[0]) removed.")
            } catch {
                fail("remove-pod: \(error)")
            }
        case "add-node":
            var o = Options(commandArgs, valued: ["state-dir"], boolean: [])
            o.values.merge(inherited) { a, _ in a }
            guard o.rest.isEmpty else { usageError("add-node takes no arguments") }
            requireRoot()
            let lab = loadLab(o)
            do {
                let n = try await lab.addNode()
                print("Node \(n.name) is up: \(n.ip) on subnet \(n.subnet.rawValue.uppercased()), namespace \(n.netnsName)")
            } catch {
                fail("add-node: \(error)")
            }
        case "remove-node":
            var o = Options(commandArgs, valued: ["state-dir"], boolean: [])
            o.values.merge(inherited) { a, _ in a }
            guard o.rest.count == 1 else { usageError("remove-node takes one node name") }
            requireRoot()
            do {
                try await loadLab(o).removeNode(o.rest[0])
                print("Node \(o.rest[0]) removed.")
            } catch {
                fail("remove-node: \(error)")
            }
        case "felix":
            var o = Options(commandArgs, valued: ["state-dir", "node"], boolean: [])
            o.values.merge(inherited) { a, _ in a }
            guard o.rest.count == 1, let action = o.rest.first, ["start", "stop", "restart"].contains(action) else {
                usageError("felix takes one of start, stop, restart")
            }
            requireRoot()
            let lab = loadLab(o)
            let node = o.values["node"] ?? LabAddresses.nodeName
            do {
                if action != "start" { try lab.stopFelix(on: node) }
                if action != "stop" {
                    try lab.startFelix(on: node)
                    try await lab.waitForFelix(on: node, timeout: .seconds(15))
                }
                let log = lab.node(node).map { "\(lab.stateDirectory)/\($0.felixLog)" } ?? ""
                print(lab.felixPID(on: node).map { "Felix runs on \(node) (pid \($0)); log \(log)" } ?? "Felix is stopped on \(node).")
            } catch {
                fail("felix \(action): \(error)")
            }
        default:
            usageError("unknown command \(command)")
        }

        exit(0)
    }
}
