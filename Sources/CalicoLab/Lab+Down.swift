import CalicoNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Lab {
    /// Takes the lab down: Felix stopped, CNI DEL for every pod (best effort, while the
    /// datastore still answers), every process living in a lab namespace ended (servers,
    /// etcd, anything started with `exec`), every namespace `<prefix>-…` deleted (their links
    /// go with them), etcd's directory and the lab's files removed (the state directory too
    /// when nothing else is in it). Every step is tried whatever the others do; problems are
    /// thrown at the end, and `lab.json` is kept while a namespace remains so that `down` can
    /// be run again. Running it twice is harmless.
    public func down() throws {
        var problems: [String] = []
        let s = state.withLock { $0 }

        for n in s.nodes {
            if let pid = n.felixPID, ProcessControl.isProcess(pid, inNetworkNamespace: LabTopology.path(n.netnsName)),
               !ProcessControl.stop(pid, signal: SIGTERM, grace: .seconds(5)) {
                problems.append("Felix on \(n.name) (pid \(pid)) did not end")
            }
        }

        stopUIRelay()

        let datastoreUp = s.datastore == .embedded || s.etcdPID.map(ProcessControl.isAlive) == true
        if datastoreUp {
            for pod in s.pods where s.nodes.contains(where: { $0.name == pod.node && LabTopology.exists($0.netnsName) }) {
                if let out = try? runCNI("DEL", pod: pod, labels: pod.labels), out.status != 0 {
                    // Best effort: the datastore goes away with the lab anyway.
                    warn("CNI DEL of \(pod.name) failed: \(out.stdout)\(out.stderr)")
                }
            }
        }

        let forwarder = client.withLock { c -> NamespaceForwarder? in
            let f = c.forwarder
            c = (nil, nil)
            return f
        }
        forwarder?.close()

        // etcd first, through the object that started it when this process did (it waits for
        // its own child); stop() also deletes etcd's directory.
        etcdServer.withLock { e -> EtcdServer? in
            let server = e
            e = nil
            return server
        }?.stop()

        let namespaces = Array(Set(s.netns + LabTopology.namespaces(withPrefix: s.prefix)))
            .sorted { Self.deletionOrder($0, prefix: s.prefix) < Self.deletionOrder($1, prefix: s.prefix) }
        var pids: [pid_t] = []
        for ns in namespaces { pids += ProcessControl.pids(inNetworkNamespace: LabTopology.path(ns)) }
        let stuck = ProcessControl.stopAll(pids, grace: .seconds(3))
        if !stuck.isEmpty { problems.append("processes still running in the lab's namespaces: \(stuck)") }

        if let dir = s.etcdDirectory, FileManager.default.fileExists(atPath: dir) {
            do { try FileManager.default.removeItem(atPath: dir) } catch { problems.append("cannot remove \(dir): \(error)") }
        }

        for ns in namespaces {
            do { try topology.deleteNamespace(ns) } catch { problems.append("\(error)") }
        }
        let remaining = LabTopology.namespaces(withPrefix: s.prefix)
        if !remaining.isEmpty { problems.append("namespaces still there: \(remaining.joined(separator: ", "))") }

        if remaining.isEmpty {
            removeFiles(problems: &problems)
        } else {
            try? update { $0.netns = remaining }
        }
        if !problems.isEmpty { throw LabError.cleanup(problems) }
    }

    /// Pods first, then the outside host, the node and the router (etcd's home) last.
    static func deletionOrder(_ ns: String, prefix: String) -> (Int, String) {
        switch ns {
        case "\(prefix)-router": return (3, ns)
        case _ where LabNode.isNodeName(String(ns.dropFirst(prefix.count + 1))) && ns.hasPrefix(prefix + "-"): return (2, ns)
        case "\(prefix)-ext": return (1, ns)
        default: return (0, ns)
        }
    }

    /// The lab's files in the state directory; the directory itself when that empties it.
    func removeFiles(problems: inout [String]) {
        let fm = FileManager.default
        let entries = (try? fm.contentsOfDirectory(atPath: stateDirectory)) ?? []
        let ours = entries.filter(LabFiles.isLab)
        // lab.json last: while it exists, the lab can be found again.
        for name in ours.filter({ $0 != LabState.fileName }) + ours.filter({ $0 == LabState.fileName }) {
            do { try fm.removeItem(atPath: stateDirectory + "/" + name) } catch { problems.append("cannot remove \(name): \(error)") }
        }
        if ((try? fm.contentsOfDirectory(atPath: stateDirectory)) ?? ["?"]).isEmpty {
            try? fm.removeItem(atPath: stateDirectory)
        }
    }
}

extension ProcessControl {
    /// SIGTERM to every pid, up to `grace` for all of them to end, then SIGKILL. Returns the
    /// pids still running after that.
    static func stopAll(_ pids: [pid_t], grace: Duration) -> [pid_t] {
        let running = pids.filter(isAlive)
        for pid in running { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now.advanced(by: grace)
        var left = running
        while !left.isEmpty && ContinuousClock.now < deadline {
            usleep(10_000)
            left = left.filter(isAlive)
        }
        for pid in left { kill(pid, SIGKILL) }
        let killDeadline = ContinuousClock.now.advanced(by: .seconds(2))
        while !left.isEmpty && ContinuousClock.now < killDeadline {
            usleep(10_000)
            left = left.filter(isAlive)
        }
        return left
    }
}
