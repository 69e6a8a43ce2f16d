import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import Foundation

/// The `calico-ipam` plugin (spec §2.8): addresses from Calico IPAM under the handle
/// `<network>.<containerID>`, under the host-wide IPAM lock. The `calico` plugin calls the
/// same code in-process when its `ipam.type` is `calico-ipam`.
struct CalicoIPAMPlugin {
    let ctx: PluginContext

    /// Attributes stored with each allocation.
    func attributes(node: String) -> [String: String] {
        var a = ["node": node, "timestamp": Self.goTimestamp(Date())]
        if ctx.isKubernetesPod {
            a["namespace"] = ctx.env.args.podNamespace
            a["pod"] = ctx.env.args.podName
        }
        return a
    }

    /// Assigns the addresses the configuration asks for (`IP=` in `CNI_ARGS` for specific
    /// ones), returned with their block's mask (specific ones as /32 or /128). A partial
    /// success is released again before the error is thrown. With `releaseFirst`, what the
    /// handle already holds (an earlier attempt for this container) is released beforehand.
    func assign(datastore: Datastore, node: String, releaseFirst: Bool = false) async throws -> [IPNet] {
        let ipam = IPAMClient(datastore: datastore)
        let handle = ctx.handle
        let attrs = attributes(node: node)
        let conf = ctx.conf.ipam
        return try await ctx.lock.withLock {
            if releaseFirst, try await ipam.releaseByHandle(handle) > 0 {
                ctx.log.info("released addresses an earlier ADD of \(handle) held")
            }
            do {
                let requested = ctx.env.args.requestedIPs
                if !requested.isEmpty {
                    var out: [IPNet] = []
                    for text in requested {
                        guard let ip = IPAddress(text) else {
                            throw CNIError(CNIError.invalidEnvironment, "CNI_ARGS: IP=\(text) is not an IP address")
                        }
                        _ = try await ipam.assignIP(ip, handleID: handle, attributes: attrs, hostname: node)
                        out.append(IPNet(address: ip, prefixLength: ip.bitLength)!)
                    }
                    return out
                }
                let request = AutoAssignRequest(num4: conf.assignIPv4 ? 1 : 0, num6: conf.assignIPv6 ? 1 : 0, handleID: handle,
                                                attributes: attrs, hostname: node, ipv4Pools: conf.ipv4Pools, ipv6Pools: conf.ipv6Pools)
                let result = try await ipam.autoAssign(request)
                ctx.log.info("assigned \(result.ipv4 + result.ipv6) to handle \(handle)")
                return result.ipv4 + result.ipv6
            } catch {
                // Nothing of a failed request stays allocated (dual-stack half success included).
                _ = try? await ipam.releaseByHandle(handle)
                throw error
            }
        }
    }

    /// Releases the handle's addresses (and, with `includingLegacy`, those of upstream's
    /// older handle forms `<namespace>.<pod>` / `<containerID>`); a missing handle is fine.
    func release(datastore: Datastore, includingLegacy: Bool) async throws {
        let ipam = IPAMClient(datastore: datastore)
        try await ctx.lock.withLock {
            var n = try await ipam.releaseByHandle(ctx.handle)
            if includingLegacy {
                let legacy = ctx.isKubernetesPod ? "\(ctx.podNamespace).\(ctx.env.args.podName ?? "")" : ctx.env.containerID
                n += try await ipam.releaseByHandle(legacy)
            }
            if n > 0 { ctx.log.info("released \(n) address(es) of handle \(ctx.handle)") }
        }
    }

    // MARK: Commands

    func add() async throws(CNIError) -> String {
        let node = try ctx.nodename()
        let datastore = try ctx.openDatastore()
        let ips: [IPNet]
        do {
            ips = try await assign(datastore: datastore, node: node)
        } catch {
            throw ErrorClassifier.cniError(error, doing: "failed to assign an IP address")
        }
        ctx.testHold("allocated")
        return CNIResult(ips: ips.map { CNIResult.IPConfig(address: $0) }).json(version: ctx.conf.cniVersion)
    }

    func del() async throws(CNIError) {
        _ = try ctx.nodename()
        let datastore = try ctx.openDatastore()
        do {
            try await release(datastore: datastore, includingLegacy: true)
        } catch {
            throw ErrorClassifier.cniError(error, doing: "failed to release addresses of handle \(ctx.handle)")
        }
    }

    /// The handle still holds the addresses of `prevResult` (or any, without one).
    func check() async throws(CNIError) {
        let datastore = try ctx.openDatastore()
        let held: [IPAddress]
        do {
            held = try await IPAMClient(datastore: datastore).ipsByHandle(ctx.handle)
        } catch {
            throw ErrorClassifier.cniError(error, doing: "failed to read handle \(ctx.handle)")
        }
        let expected = (ctx.conf.prevResultIPs ?? []).compactMap { IPNet($0)?.address }
        if held.isEmpty {
            throw CNIError(CNIError.checkFailed, "CHECK failed", details: "handle \(ctx.handle) holds no addresses")
        }
        let missing = expected.filter { !held.contains($0) }
        if !missing.isEmpty {
            throw CNIError(CNIError.checkFailed, "CHECK failed",
                           details: "handle \(ctx.handle) does not hold \(missing.map(\.description).joined(separator: ", ")) (holds \(held.map(\.description).joined(separator: ", ")))")
        }
    }

    /// Go's `time.Time.String()` in UTC, as upstream stores `timestamp`:
    /// `2006-01-02 15:04:05.999999999 +0000 UTC`.
    static func goTimestamp(_ date: Date) -> String { UTCTime.goString(date) }
}
