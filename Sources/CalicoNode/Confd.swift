import CalicoAPI
import CalicoBGP
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import Foundation

/// `calico-node -confd`: this node's BIRD configuration, rendered from the datastore (see
/// `CalicoBGP.BIRDConfig`) into `CALICO_BIRD_CONFIG_DIR` (default `/etc/calico/confd/config`)
/// as `bird.cfg` (both families for one BIRD 2; IPv4 only, beside an IPv6 `bird6.cfg`, when
/// `CALICO_BIRD6_SOCKET` names a second daemon), written only when the text changes, after BIRD itself accepted it
/// (`bird -p -c`), then BIRD asked to reload over `CALICO_BIRD_SOCKET` (default
/// `/var/run/calico/bird.ctl`; `birdc configure`). A configuration BIRD rejects is not
/// written: the last good one stays, and the log names the resource the rejected line came
/// from. BGP passwords are read from files, `CALICO_BGP_SECRETS_DIR/<secret name>/<key>`.
public final class Confd: @unchecked Sendable {
    public let datastore: Datastore
    public let nodeName: String
    public let directory: String
    public let socket: String
    /// `CALICO_BIRD6_SOCKET`: a second BIRD daemon serves IPv6 from `bird6.cfg`, and
    /// `bird.cfg` is IPv4 only; nil: one daemon, both families in `bird.cfg`.
    public let socket6: String?
    public let routerID: String?
    public let secrets: SecretFiles
    let birdBinary: String
    let birdc: String
    let log: (String) -> Void
    /// Problems logged already (each once while it lasts); only `update` touches it.
    private var reported: Set<String> = []
    private let lock = NSLock()
    /// The secrets the last rendering referred to, and those it could read (`name/key` →
    /// value), for the secret poll.
    private var lastSecrets: (referenced: [String], read: [String: String]) = ([], [:])

    public init(datastore: Datastore, nodeName: String, environment: [String: String], log: @escaping (String) -> Void) {
        func setting(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        self.datastore = datastore
        self.nodeName = nodeName
        directory = setting("CALICO_BIRD_CONFIG_DIR") ?? "/etc/calico/confd/config"
        socket = setting("CALICO_BIRD_SOCKET") ?? "/var/run/calico/bird.ctl"
        socket6 = setting("CALICO_BIRD6_SOCKET")
        routerID = setting("CALICO_ROUTER_ID")
        secrets = SecretFiles(directory: setting("CALICO_BGP_SECRETS_DIR") ?? SecretFiles.defaultDirectory)
        birdBinary = setting("CALICO_BIRD_BINARY") ?? "bird"
        birdc = setting("CALICO_BIRDC_BINARY") ?? "birdc"
        self.log = log
    }

    public var configPath: String { directory + "/bird.cfg" }

    /// The files rendered, each with its families and the socket of the BIRD that reads it.
    public var targets: [(path: String, families: [BGPFamily], socket: String)] {
        guard let socket6 else { return [(configPath, BGPFamily.allCases, socket)] }
        return [(configPath, [.v4], socket), (directory + "/bird6.cfg", [.v6], socket6)]
    }

    /// A stored resource that does not decode, of a kind without which rendering could leak
    /// routes or lose settings (everything but BGPPeers): nothing renders until it is fixed.
    public struct Undecodable: Error, CustomStringConvertible {
        public var key: String
        public var reason: String
        public var description: String { "\(key) does not decode (\(reason))" }
    }

    /// Everything the configuration is rendered from, read now, and problems with it (a
    /// BGPPeer that does not decode is left out: no session rather than a wrong one).
    public func inputs() async throws -> (inputs: BGPInputs, problems: [String]) {
        var problems: [String] = []
        func all<T: CalicoResource>(_ type: T.Type) async throws -> [T] {
            let kind = ResourceRegistry.kind(named: T.kindName.lowercased())!
            let listed = try await datastore.listSkippingCorrupt(kind)
            if let bad = listed.corrupt.first {
                guard T.self == BGPPeer.self else { throw Undecodable(key: bad.key, reason: bad.reason) }
                problems += listed.corrupt.map { "\($0.key) does not decode (\($0.reason)); no session for it" }
            }
            return listed.items.compactMap { $0.resource as? T }
        }
        let ipam = IPAMClient(datastore: datastore)
        let blocks = try await ipam.affineBlocks(host: nodeName, family: .v4) + ipam.affineBlocks(host: nodeName, family: .v6)
        var inputs = BGPInputs(hostname: nodeName, nodes: try await all(Node.self), configurations: try await all(BGPConfiguration.self),
                               peers: try await all(BGPPeer.self), pools: try await all(IPPool.self), blocks: blocks.map(\.description),
                               filters: try await all(BGPFilter.self))
        inputs.secrets = secrets.read(inputs.referencedSecrets)
        return (inputs, problems)
    }

    /// Renders, and when the text changed and BIRD accepts it, writes it and reloads BIRD.
    /// Returns whether the file changed.
    @discardableResult
    public func update() async throws -> Bool {
        let inputs: BGPInputs, inputProblems: [String]
        do {
            (inputs, inputProblems) = try await self.inputs()
        } catch let e as Undecodable {
            let problem = "\(e); keeping the last good configuration until it is fixed"
            if !reported.contains(problem) { log("confd: \(problem)") }
            reported = [problem]
            return false
        }
        lock.withLock { lastSecrets = (inputs.referencedSecrets, inputs.secrets) }
        let rendered = targets.map { (target: $0, rendered: BIRDConfig(inputs, routerID: routerID, families: $0.families).render()) }
        let problems = Set(rendered.flatMap(\.rendered.problems) + inputProblems)
        for p in problems.subtracting(reported).sorted() { log("confd: \(p)") }
        reported = problems
        var changed = false
        for (target, r) in rendered {
            changed = try install(r.text, at: target.path, socket: target.socket) || changed
        }
        return changed
    }

    /// Writes a rendered file when its text changed and BIRD accepts it, then reloads that
    /// BIRD; whether it was written.
    func install(_ text: String, at path: String, socket: String) throws -> Bool {
        let current = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        guard text != current else { return false }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let candidate = path + ".new"
        try AtomicFile.write(Data(text.utf8), to: candidate)
        let check = try CommandRunner.run([birdBinary, "-p", "-c", candidate])
        guard check.status == 0 else {
            try? FileManager.default.removeItem(atPath: candidate)
            let why = (check.stderr + check.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
            let origin = Self.origin(of: why, in: text).map { " from \($0)" } ?? ""
            log("confd: BIRD rejects the new configuration\(origin) (\(why)); keeping the last good one")
            return false
        }
        // The checked file itself takes the place of the old one (one write, atomically).
        guard rename(candidate, path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: candidate)
            throw AtomicFile.POSIXFailure(operation: "rename", path: path, code: code)
        }
        log("confd: wrote \(path)")
        reload(socket: socket, config: path)
        return true
    }

    /// The resource a BIRD error (`bird: <file>:<line>:<column> <message>`) points at: the
    /// nearest `# From …` comment at or above that line of the rendered text.
    static func origin(of error: String, in text: String) -> String? {
        guard let match = error.firstMatch(of: /:(\d+):\d+\s/), let line = Int(match.1), line >= 1 else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line <= lines.count else { return nil }
        for l in lines[..<line].reversed() where l.hasPrefix("# From ") { return String(l.dropFirst("# From ".count)) }
        return nil
    }

    /// `birdc -s <socket> configure`; nothing when BIRD is not running (no socket).
    func reload(socket: String, config: String) {
        guard FileManager.default.fileExists(atPath: socket) else {
            log("confd: BIRD is not running (no \(socket)); it reads \(config) when it starts")
            return
        }
        do {
            let out = try CommandRunner.run([birdc, "-s", socket, "configure"])
            let text = (out.stdout + out.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
            log("confd: BIRD reload: \(text.split(separator: "\n").last.map(String.init) ?? text)")
        } catch {
            log("confd: BIRD reload failed: \(error)")
        }
    }

    /// Renders now, after every relevant datastore change and when a password file changes
    /// (looked at every 2 s), until cancelled. Bursts settle for 3 ms; changes arriving while a rendering runs make one more.
    public func run() async {
        let (kicks, kick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchDatastore(kick) }
            group.addTask { await self.watchSecrets(kick) }
            for await _ in kicks {
                try? await Task.sleep(for: .milliseconds(3))
                if Task.isCancelled { break }
                do { try await update() } catch { log("confd: \(error); trying again on the next change") }
            }
            group.cancelAll()
        }
    }

    private func watchDatastore(_ kick: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            do {
                let revision = try await datastore.kv.revision()
                kick.yield()
                for try await event in datastore.kv.watch(prefix: "/calico/", afterRevision: revision) where relevant(event.key) {
                    kick.yield()
                }
            } catch is CancellationError {
                break
            } catch {
                log("confd: \(error); watching again in 1 s")
                try? await Task.sleep(for: .seconds(1))
            }
        }
        kick.finish()
    }

    private func watchSecrets(_ kick: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            let last = lock.withLock { lastSecrets }
            if secrets.read(last.referenced) != last.read { kick.yield() }
        }
    }

    func relevant(_ key: String) -> Bool {
        key.contains("/nodes/") || key.contains("/bgpconfigurations/") || key.contains("/bgppeers/") || key.contains("/ippools/")
            || key.contains("/bgpfilters/") || key.contains("/ipam/v2/host/\(nodeName)/")
    }
}
