import CalicoAPI
import CalicoBGP
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import Foundation

/// `calico-node -confd`: this node's BIRD configuration, rendered from the datastore (see
/// `CalicoBGP.BIRDConfig`) into `CALICO_BIRD_CONFIG_DIR` (default `/etc/calico/confd/config`)
/// as `bird.cfg`, written only when the text changes, after BIRD itself accepted it
/// (`bird -p -c`), then BIRD asked to reload over `CALICO_BIRD_SOCKET` (default
/// `/var/run/calico/bird.ctl`; `birdc configure`). A configuration BIRD rejects is not
/// written: the last good one stays, and the log says which resources were involved.
public final class Confd: @unchecked Sendable {
    public let datastore: Datastore
    public let nodeName: String
    public let directory: String
    public let socket: String
    public let routerID: String?
    let birdBinary: String
    let birdc: String
    let log: (String) -> Void
    private var reported: Set<String> = []

    public init(datastore: Datastore, nodeName: String, environment: [String: String], log: @escaping (String) -> Void) {
        self.datastore = datastore
        self.nodeName = nodeName
        directory = environment["CALICO_BIRD_CONFIG_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/etc/calico/confd/config"
        socket = environment["CALICO_BIRD_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } ?? "/var/run/calico/bird.ctl"
        routerID = environment["CALICO_ROUTER_ID"].flatMap { $0.isEmpty ? nil : $0 }
        birdBinary = environment["CALICO_BIRD_BINARY"] ?? "bird"
        birdc = environment["CALICO_BIRDC_BINARY"] ?? "birdc"
        self.log = log
    }

    public var configPath: String { directory + "/bird.cfg" }

    /// Everything the configuration is rendered from, read now.
    public func inputs() async throws -> BGPInputs {
        func all<T: CalicoResource>(_ type: T.Type) async throws -> [T] {
            let kind = ResourceRegistry.kind(named: T.kindName.lowercased())!
            return try await datastore.list(kind, namespace: nil).items.compactMap { $0.resource as? T }
        }
        let ipam = IPAMClient(datastore: datastore)
        let blocks = try await ipam.affineBlocks(host: nodeName, family: .v4) + ipam.affineBlocks(host: nodeName, family: .v6)
        return BGPInputs(hostname: nodeName, nodes: try await all(Node.self), configurations: try await all(BGPConfiguration.self),
                         peers: try await all(BGPPeer.self), pools: try await all(IPPool.self), blocks: blocks.map(\.description),
                         filters: try await all(BGPFilter.self))
    }

    /// Renders, and when the text changed and BIRD accepts it, writes it and reloads BIRD.
    /// Returns whether the file changed.
    @discardableResult
    public func update() async throws -> Bool {
        let rendered = BIRDConfig(try await inputs(), routerID: routerID).render()
        let problems = Set(rendered.problems)
        for p in problems.subtracting(reported).sorted() { log("confd: \(p)") }
        reported = problems
        let current = FileManager.default.contents(atPath: configPath).map { String(decoding: $0, as: UTF8.self) }
        guard rendered.text != current else { return false }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let candidate = configPath + ".new"
        try AtomicFile.write(Data(rendered.text.utf8), to: candidate)
        let check = try CommandRunner.run([birdBinary, "-p", "-c", candidate])
        guard check.status == 0 else {
            try? FileManager.default.removeItem(atPath: candidate)
            let why = (check.stderr + check.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
            log("confd: BIRD rejects the new configuration (\(why)); keeping the last good one")
            return false
        }
        // The checked file itself takes the place of the old one (one write, atomically).
        guard rename(candidate, configPath) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: candidate)
            throw AtomicFile.POSIXFailure(operation: "rename", path: configPath, code: code)
        }
        log("confd: wrote \(configPath)")
        reload()
        return true
    }

    /// `birdc -s <socket> configure`; nothing when BIRD is not running (no socket).
    func reload() {
        guard FileManager.default.fileExists(atPath: socket) else {
            log("confd: BIRD is not running (no \(socket)); it reads \(configPath) when it starts")
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

    /// Renders now and after every relevant change (bursts settle for 20 ms), until cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                let revision = try await datastore.kv.revision()
                try await update()
                var due: ContinuousClock.Instant? = nil
                for try await event in datastore.kv.watch(prefix: "/calico/", afterRevision: revision) {
                    guard relevant(event.key) else { continue }
                    if due == nil { due = .now + .milliseconds(20) }
                    try await Task.sleep(until: due!)
                    due = nil
                    try await update()
                }
            } catch is CancellationError {
                return
            } catch {
                log("confd: \(error); retrying in 1 s")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func relevant(_ key: String) -> Bool {
        key.contains("/nodes/") || key.contains("/bgpconfigurations/") || key.contains("/bgppeers/") || key.contains("/ippools/")
            || key.contains("/bgpfilters/") || key.contains("/ipam/v2/host/\(nodeName)/")
    }
}
