import CalicoDatastore
import CalicoNode
import FelixCalc
import Felix
import Foundation

/// `calico-node -startup | -felix | -confd | -v`, with Go `flag` syntax (`-x` or `--x`).
let usage = """
    Usage of calico-node:
      -startup
        \tInitialize a new node (register the Node, default pools and cluster configuration)
      -felix
        \tRun Felix: program nftables (table ip/ip6 calico) and workload routes from the datastore
        \t(-felix --calc-only --dump prints what would be programmed instead; -c <file> names a config file)
      -allocate-tunnel-addrs
        \tAssign this node's VXLAN/IPIP tunnel addresses from IPAM and keep them as the pools require
        \t(runs until stopped, following Nodes, pools and IPAM)
      -allocate-tunnel-addrs-run-once
        \tRun allocate-tunnel-addrs in oneshot mode
      -confd
        \tRender BIRD's configuration from the datastore into CALICO_BIRD_CONFIG_DIR and reload BIRD
        \tover CALICO_BIRD_SOCKET (runs until stopped)
      -v\tDisplay version
    """

/// Writes `message` (without credentials in endpoint URLs) to stderr and exits.
func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data((Redaction.stripUserInfo(message) + "\n").utf8))
    exit(code)
}

let args = CommandLine.arguments.dropFirst().map { $0.hasPrefix("--") ? String($0.dropFirst()) : $0 }
guard let flag = args.first else { fail("No valid options provided.\n" + usage, code: 1) }
let felixDump = flag == "-felix" && Set(args.dropFirst()) == ["-calc-only", "-dump"]
let felixWithFile = flag == "-felix" && args.count == 3 && (args[1] == "-c" || args[1] == "-config-file")
if args.count > 1 && !felixDump && !felixWithFile { fail("Only one option may be given.\n" + usage, code: 1) }

switch flag {
case "-v", "-version":
    print(NodeStartup.calicoVersion)
case "-startup":
    let environment = ProcessInfo.processInfo.environment
    let startup = NodeStartup(environment: environment, log: { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    })
    do {
        let store = try NodeStartup.openDatastore(environment: environment, createIfMissing: true)
        _ = try await startup.run(datastore: store)
    } catch {
        fail("calico-node startup failed: \(error)", code: 1)
    }
case "-felix" where felixDump:
    // The calculation graph for this node, printed: endpoints with tiers and policies, IP sets.
    let environment = ProcessInfo.processInfo.environment
    do {
        let store = try NodeStartup.openDatastore(environment: environment, createIfMissing: false)
        let hostname = NodeStartup(environment: environment, log: { _ in }).nodeName().name
        let graph = CalcGraph(hostname: hostname)
        for event in try await Syncer(datastore: store).snapshot().events { graph.apply(event) }
        print("Node \(hostname)")
        print(CalcDump.render(graph.flush(), skipped: graph.skipped, held: graph.heldPolicies))
    } catch {
        fail("calico-node -felix --calc-only --dump failed: \(error)", code: 1)
    }
case "-felix":
    let environment = ProcessInfo.processInfo.environment
    do {
        let store = try NodeStartup.openDatastore(environment: environment, createIfMissing: false)
        let hostname = environment["FELIX_FELIXHOSTNAME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NodeStartup(environment: environment, log: { _ in }).nodeName().name
        let daemon = try FelixDaemon(hostname: hostname, datastore: store, environment: environment, arguments: Array(args.dropFirst()))
        try await daemon.run()
    } catch {
        fail("calico-node -felix failed: \(error)", code: 1)
    }
case "-allocate-tunnel-addrs", "-allocate-tunnel-addrs-run-once":
    let environment = ProcessInfo.processInfo.environment
    do {
        let store = try NodeStartup.openDatastore(environment: environment, createIfMissing: false)
        let name = NodeStartup(environment: environment, log: { _ in }).nodeName().name
        let allocator = TunnelAddressAllocator(datastore: store, nodeName: name, log: { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        })
        if flag == "-allocate-tunnel-addrs-run-once" {
            for line in try await allocator.reconcile() { print(line) }
        } else {
            await allocator.run()
        }
    } catch {
        fail("calico-node -allocate-tunnel-addrs failed: \(error)", code: 1)
    }
case "-confd":
    let environment = ProcessInfo.processInfo.environment
    do {
        let store = try NodeStartup.openDatastore(environment: environment, createIfMissing: false)
        let name = NodeStartup(environment: environment, log: { _ in }).nodeName().name
        let confd = Confd(datastore: store, nodeName: name, environment: environment, log: { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        })
        await confd.run()
    } catch {
        fail("calico-node -confd failed: \(error)", code: 1)
    }
case "-shutdown", "-monitor-addresses", "-monitor-token",
     "-bird-ready", "-bird6-ready", "-bird-live", "-bird6-live", "-felix-ready", "-felix-live", "-status-reporter", "-hostpath-init":
    fail("calico-node \(flag): not available in this build yet", code: 1)
case "-h", "-help":
    print(usage)
default:
    fail("flag provided but not defined: \(flag)\n" + usage, code: 2)
}
