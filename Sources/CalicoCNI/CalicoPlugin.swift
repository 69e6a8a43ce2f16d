import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import CalicoNetlink
import Foundation

/// The `calico` plugin: addresses from IPAM, the veth and routes, the WorkloadEndpoint.
struct CalicoPlugin {
    let ctx: PluginContext
    let net: any NetworkCommands

    var dataplane: LinuxDataplane { LinuxDataplane(net: net, log: ctx.log) }
    var usesCalicoIPAM: Bool { ctx.conf.ipam.type == "calico-ipam" }

    func checkNetns() throws(CNIError) {
        do {
            try net.validateNamespace(ctx.env.netns)
        } catch {
            throw CNIError(CNIError.invalidEnvironment, "CNI_NETNS: \(error)")
        }
    }

    func checkIPAMType() throws(CNIError) {
        if ctx.conf.ipam.type.isEmpty {
            throw CNIError(CNIError.invalidNetworkConfig, "invalid network configuration", details: "ipam.type is required (e.g. calico-ipam)")
        }
    }

    // MARK: ADD

    func add() async throws(CNIError) -> String {
        PhaseTimer.mark("add start")
        try checkIPAMType()
        let node = try ctx.nodename()
        try checkNetns()
        let datastore = try ctx.openDatastore()
        PhaseTimer.mark("datastore open")
        let writer = WorkloadEndpointWriter(ctx: ctx, datastore: datastore, node: node)
        let ipamPlugin = CalicoIPAMPlugin(ctx: ctx)
        let hostVeth = ctx.hostVethName
        try await checkHostInterfaceFree(hostVeth, datastore: datastore, writer: writer)
        var allocated = false
        var touchedDataplane = false
        var wroteEndpoint = false
        do {
            let assigned: [IPNet]
            if usesCalicoIPAM {
                // A retried ADD of this container starts afresh: what an earlier attempt held goes.
                // (A failed assignment releases its own partial result.)
                assigned = try await ipamPlugin.assign(datastore: datastore, node: node, releaseFirst: true)
            } else {
                assigned = try DelegatedIPAM(ctx: ctx).add()
            }
            allocated = true
            PhaseTimer.mark("ipam assigned")
            ctx.testHold("allocated")
            let ips = assigned.map { IPNet(address: $0.address, prefixLength: $0.address.bitLength)! }
            let workload = LinuxDataplane.Workload(hostVeth: hostVeth, ifname: ctx.env.ifname, netns: ctx.env.netns, ips: ips,
                                                   mtu: ctx.mtu(), allowIPForwarding: ctx.conf.allowIPForwarding)
            touchedDataplane = true
            let mac = try dataplane.setUp(workload) { PhaseTimer.mark($0); ctx.testHold($0) }
            PhaseTimer.mark("dataplane")
            try await writer.ensureNetworkProfile()
            PhaseTimer.mark("profile")
            wroteEndpoint = true
            try await writer.write(writer.endpoint(ips: ips, hostVeth: hostVeth, mac: mac))
            PhaseTimer.mark("wep written")
            ctx.testHold("endpoint")
            let result = CNIResult(
                interfaces: [CNIResult.Interface(name: hostVeth),
                             CNIResult.Interface(name: ctx.env.ifname, mac: mac, mtu: workload.mtu, sandbox: ctx.env.netns)],
                ips: ips.map { CNIResult.IPConfig(address: $0, interface: 1) })
            return result.json(version: ctx.conf.cniVersion)
        } catch {
            let failure = ErrorClassifier.cniError(error, doing: allocated ? "failed to set up the workload's network" : "failed to assign an IP address")
            ctx.log.error("\(failure); cleaning up")
            await rollback(datastore: datastore, writer: writer, hostVeth: touchedDataplane ? hostVeth : nil,
                           allocated: allocated, wroteEndpoint: wroteEndpoint)
            throw failure
        }
    }

    /// An interface named `hostVeth` that another endpoint records is never replaced: the ADD
    /// fails before anything is allocated. (One without such an endpoint is a stale leftover
    /// and is replaced by `setUp`.)
    func checkHostInterfaceFree(_ hostVeth: String, datastore: Datastore, writer: WorkloadEndpointWriter) async throws(CNIError) {
        do {
            guard try net.linkExists(hostVeth, in: .current) else { return }
            let ownership = InterfaceOwnership(datastore: datastore, node: writer.node)
            if let owner = try await ownership.otherOwner(of: hostVeth, containerID: ctx.env.containerID, own: writer.id) {
                throw InterfaceOwnership.taken(hostVeth, by: owner)
            }
        } catch {
            throw ErrorClassifier.cniError(error, doing: "cannot check host interface \(hostVeth)")
        }
    }

    /// Undoes a failed ADD: the host veth (its peer and routes go with it), the endpoint, the addresses.
    func rollback(datastore: Datastore, writer: WorkloadEndpointWriter, hostVeth: String?, allocated: Bool, wroteEndpoint: Bool) async {
        if let hostVeth {
            do {
                try net.deleteLinkPromptly(hostVeth, in: .current)
            } catch {
                ctx.log.error("cleanup: cannot delete \(hostVeth): \(error)")
            }
        }
        if wroteEndpoint {
            do { try await writer.delete() } catch { ctx.log.error("cleanup: cannot delete the workload endpoint: \(error)") }
        }
        guard allocated else { return }
        do {
            if usesCalicoIPAM {
                try await CalicoIPAMPlugin(ctx: ctx).release(datastore: datastore, includingLegacy: false)
            } else {
                try DelegatedIPAM(ctx: ctx).del()
            }
        } catch {
            ctx.log.error("cleanup: cannot release addresses of \(ctx.handle): \(error)")
        }
    }

    // MARK: DEL

    /// Idempotent: a missing namespace, interface, endpoint or handle is success. An endpoint
    /// of another container with the same name (a stale sandbox of a recreated pod) is kept,
    /// with its host interface.
    ///
    /// The container's interface is removed (the kernel takes tens of milliseconds to destroy
    /// a veth) on a thread of its own while the datastore is opened and the endpoint read and
    /// deleted; the host side, which depends on whose endpoint it is, and the addresses follow
    /// once it is gone. Errors are reported as before: the last of interface, endpoint, addresses.
    func del() async throws(CNIError) {
        PhaseTimer.mark("del start")
        try checkIPAMType()
        let node = try ctx.nodename()
        let dataplane = self.dataplane
        let (ifname, netns) = (ctx.env.ifname, ctx.env.netns)
        let containerSide = BackgroundWork { try dataplane.removeContainerSide(ifname: ifname, netns: netns) }
        let datastore: Datastore
        let writer: WorkloadEndpointWriter
        let wep: WorkloadEndpoint?
        do throws(CNIError) {
            datastore = try ctx.openDatastore()
            PhaseTimer.mark("datastore open")
            writer = WorkloadEndpointWriter(ctx: ctx, datastore: datastore, node: node)
            do {
                wep = try await writer.existing()
            } catch {
                throw ErrorClassifier.cniError(error, doing: "failed to read workload endpoint \(writer.name)")
            }
        } catch {
            _ = containerSide.wait()
            throw error
        }
        let foreign = wep.map { ($0.spec.containerID ?? "") != ctx.env.containerID && !($0.spec.containerID ?? "").isEmpty } ?? false
        if foreign { ctx.log.info("endpoint \(writer.name) belongs to container \(wep?.spec.containerID ?? ""); keeping it") }
        // The interface ADD made, as its endpoint records it (names have changed between versions).
        let recorded = foreign ? nil : wep?.spec.interfaceName.flatMap { $0.hasPrefix(Identifiers.vethPrefix) ? $0 : nil }
        let hostVeth = recorded ?? ctx.hostVethName
        PhaseTimer.mark("wep read")
        var endpointError: CNIError?
        if wep != nil && !foreign {
            do { try await writer.delete() } catch {
                endpointError = ErrorClassifier.cniError(error, doing: "failed to delete workload endpoint \(writer.name)")
            }
        }
        PhaseTimer.mark("wep deleted")
        var errors: [CNIError] = []
        do {
            try containerSide.wait().get()
            if !foreign, try net.linkExists(hostVeth, in: .current) {
                // Still there: not this container's pair, or its peer is elsewhere. Only ours goes.
                let ownership = InterfaceOwnership(datastore: datastore, node: node)
                if let owner = try await ownership.otherOwner(of: hostVeth, containerID: ctx.env.containerID, own: writer.id) {
                    ctx.log.info("host interface \(hostVeth) belongs to endpoint \(owner.metadata.name ?? "") (container \(owner.spec.containerID ?? "")); keeping it")
                } else {
                    try dataplane.removeHostSide(hostVeth)
                }
            }
        } catch {
            errors.append(ErrorClassifier.cniError(error, doing: "failed to remove the workload's interface"))
        }
        PhaseTimer.mark("teardown")
        if let endpointError { errors.append(endpointError) }
        // The addresses only once the interface (and its host routes) are gone, so no new
        // workload gets one while the old route is still there.
        do {
            if usesCalicoIPAM {
                try await CalicoIPAMPlugin(ctx: ctx).release(datastore: datastore, includingLegacy: true)
            } else {
                try DelegatedIPAM(ctx: ctx).del()
            }
        } catch {
            errors.append(ErrorClassifier.cniError(error, doing: "failed to release addresses of handle \(ctx.handle)"))
        }
        PhaseTimer.mark("released")
        if let last = errors.last { throw last }
    }

    // MARK: CHECK

    func check() async throws(CNIError) {
        try checkIPAMType()
        let node = try ctx.nodename()
        try checkNetns()
        let datastore = try ctx.openDatastore()
        let writer = WorkloadEndpointWriter(ctx: ctx, datastore: datastore, node: node)
        var problems: [String] = []
        var ips = (ctx.conf.prevResultIPs ?? []).compactMap { IPNet($0) }.map { IPNet(address: $0.address, prefixLength: $0.address.bitLength)! }
        do {
            if ips.isEmpty && usesCalicoIPAM {
                ips = try await IPAMClient(datastore: datastore).ipsByHandle(ctx.handle).map { IPNet(address: $0, prefixLength: $0.bitLength)! }
            }
            if ips.isEmpty { problems.append("no addresses are assigned to handle \(ctx.handle)") }
            if let wep = try await writer.existing() {
                if wep.spec.containerID != ctx.env.containerID {
                    problems.append("workload endpoint \(writer.name) belongs to container \(wep.spec.containerID ?? "none")")
                }
                if wep.spec.interfaceName != ctx.hostVethName {
                    problems.append("workload endpoint \(writer.name) names interface \(wep.spec.interfaceName ?? "none"), not \(ctx.hostVethName)")
                }
                let recorded = Set(wep.spec.ipNetworks ?? [])
                for ip in ips where !recorded.contains(ip.description) {
                    problems.append("workload endpoint \(writer.name) lacks \(ip)")
                }
            } else {
                problems.append("workload endpoint \(writer.name) does not exist")
            }
            if usesCalicoIPAM {
                let held = Set(try await IPAMClient(datastore: datastore).ipsByHandle(ctx.handle))
                for ip in ips where !held.contains(ip.address) { problems.append("\(ip.address) is not assigned to handle \(ctx.handle)") }
            }
        } catch {
            throw ErrorClassifier.cniError(error, doing: "CHECK failed")
        }
        let workload = LinuxDataplane.Workload(hostVeth: ctx.hostVethName, ifname: ctx.env.ifname, netns: ctx.env.netns, ips: ips,
                                               mtu: ctx.mtu(), allowIPForwarding: ctx.conf.allowIPForwarding)
        problems += dataplane.problems(workload)
        if !problems.isEmpty {
            throw CNIError(CNIError.checkFailed, "CHECK failed", details: problems.joined(separator: "; "))
        }
    }
}
