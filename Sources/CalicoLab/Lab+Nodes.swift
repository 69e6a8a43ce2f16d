import CalicoAPI
import CalicoDatastore
import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Lab {
    static let nodeKind = ResourceRegistry.kind(named: "node")!

    /// Adds node `index` (`node<index>`, the next free one when nil): its namespace on its
    /// subnet, `calico-node -startup`, `-allocate-tunnel-addrs` and (with `startFelix`) Felix,
    /// and `calico-probe serve`. With `waitForFelix` it waits that long for Felix to be ready.
    @discardableResult
    public func addNode(index: Int? = nil, startFelix: Bool = true, startProbeServer: Bool = true,
                        waitForFelix: Duration? = .seconds(15)) async throws -> LabNode {
        let taken = Set(nodes.map(\.index))
        let i = index ?? (1...LabNode.maxIndex).first { !taken.contains($0) } ?? 0
        guard (1...LabNode.maxIndex).contains(i), !taken.contains(i) else {
            throw LabError.step("add node", "node\(i) exists already or is out of range (1–\(LabNode.maxIndex))")
        }
        let n = LabNode.plan(index: i, encapsulation: encapsulation, prefix: prefix, ipv6: ipv6, routing: routing)
        try update { $0.nodes.append(n) }
        try topology.addNode(n, forwarding: !startFelix) { ns in try update { $0.netns.append(ns) } }
        try await runStartup(n)
        try startAllocator(on: n.name)
        if routing == .bgp { try await startBGP(on: n.name) }
        if torRunning { try apply(LabToR.peers(for: n)) }
        if startFelix { try self.startFelix(on: n.name) }
        if startProbeServer {
            let pid = try self.startProbeServer(target: n.name, netns: n.netnsName)
            try update { $0.servers[n.name] = pid }
        }
        if startFelix, let wait = waitForFelix {
            try await self.waitForFelix(on: n.name, timeout: wait)
            await waitForTunnels(timeout: wait)
        }
        return node(n.name) ?? n
    }

    /// With VXLAN, waits until every node's Felix has a tunnel entry for every other node (the
    /// tunnel addresses come from each node's allocate-tunnel-addrs, after Felix is ready);
    /// warns when that takes longer than `timeout`.
    func waitForTunnels(timeout: Duration) async {
        let ns = nodes
        guard encapsulation != .none, ns.count > 1, ns.allSatisfy({ felixPID(on: $0.name) != nil }) else { return }
        let devices = ["vxlan.calico"] + (ipv6 ? ["vxlan-v6.calico"] : [])
        func complete() -> Bool {
            ns.allSatisfy { n in
                devices.allSatisfy { d in
                    let out = (try? topology.net.ip(["neigh", "show", "dev", d], in: .named(n.netnsName))) ?? ""
                    return out.split(separator: "\n").filter { $0.contains("PERMANENT") }.count >= ns.count - 1
                }
            }
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if complete() { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        warn("not every node had a VXLAN tunnel to every other node within \(timeout)")
    }

    /// Removes a node as a cluster does: its pods go (CNI DEL), its processes stop, its Node is
    /// deleted with its IPAM (addresses, block affinities, tunnel addresses) released, and its
    /// namespace goes. The other nodes' Felixes then drop their routes and tunnels to it.
    public func removeNode(_ name: String) async throws {
        guard let n = node(name) else { throw LabError.unknownTarget(name, known: nodes.map(\.name)) }
        guard nodes.count > 1 else { throw LabError.step("remove node", "\(name) is the lab's last node (take the lab down instead)") }
        var problems: [String] = []
        for pod in pods where pod.node == name {
            do { try await removePod(pod.name) } catch { problems.append("\(error)") }
        }
        for pid in ProcessControl.pids(inNetworkNamespace: LabTopology.path(n.netnsName)) {
            ProcessControl.stop(pid, grace: .seconds(3))
        }
        if torRunning { try? removeToRPeers(of: n) }
        let out = try calicoctl(["delete", "node", name])
        if out.status != 0 { problems.append("calicoctl delete node \(name): \(out.stdout)\(out.stderr)") }
        do { try topology.deleteNamespace(n.netnsName) } catch { problems.append("\(error)") }
        try update { s in
            s.nodes.removeAll { $0.name == name }
            s.netns.removeAll { $0 == n.netnsName }
            s.servers[name] = nil
        }
        if !problems.isEmpty { throw LabError.cleanup(problems) }
    }

    // MARK: allocate-tunnel-addrs

    /// Starts `calico-node -allocate-tunnel-addrs` in a node's namespace (a daemon, output
    /// appended to `allocate-tunnel-addrs-<node>.log`).
    func startAllocator(on node: String) throws {
        guard let n = self.node(node) else { throw LabError.unknownTarget(node, known: nodes.map(\.name)) }
        if running(n.allocatorPID, in: n.netnsName) { return }
        let argv = inNamespace(n.netnsName, [binary("calico-node"), "-allocate-tunnel-addrs"], environment: nodeEnvironment(n))
        let pid = try ProcessControl.spawnDaemon(argv, environment: nil, logPath: path(n.allocatorLog))
        try updateNode(node) { $0.allocatorPID = pid }
    }

    /// Stops a node's `allocate-tunnel-addrs` (SIGTERM, then SIGKILL after 5 s).
    public func stopAllocator(on node: String) throws {
        guard let n = self.node(node), let pid = n.allocatorPID else { return }
        if running(pid, in: n.netnsName) { ProcessControl.stop(pid, signal: SIGTERM, grace: .seconds(5)) }
        try updateNode(node) { $0.allocatorPID = nil }
    }

    /// Restarts a node's `allocate-tunnel-addrs`.
    public func restartAllocator(on node: String) throws {
        try stopAllocator(on: node)
        try startAllocator(on: node)
    }

    /// The variables every Calico process of a node runs with: datastore and node name.
    func nodeEnvironment(_ n: LabNode) -> [String: String] {
        var env = datastoreEnvironment
        env["NODENAME"] = n.name
        env["CALICO_NODENAME_FILE"] = path(n.nodenameFile)
        return env
    }

    func updateNode(_ name: String, _ change: (inout LabNode) -> Void) throws {
        try update { s in
            if let i = s.nodes.firstIndex(where: { $0.name == name }) { change(&s.nodes[i]) }
        }
    }
}
