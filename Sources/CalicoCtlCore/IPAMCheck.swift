import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import Foundation

/// `calicoctl ipam check [--show-all-ips] [--show-problem-ips] [-o FILE]`: loads IPAM and
/// the resources that use addresses, runs `IPAMCheck` and prints (and optionally writes)
/// its findings.
struct IPAMCheckCommand {
    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    static let options = IPAMCommand.baseOptions + [
        OptionSpec(short: nil, long: "show-all-ips", takesValue: false),
        OptionSpec(short: nil, long: "show-problem-ips", takesValue: false),
        OptionSpec(short: "o", long: "output", takesValue: true),
        OptionSpec(short: nil, long: "kubeconfig", takesValue: true),
    ]

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: Self.options, usage: Usage.ipamCheck(prog), noPositionals: true, code: &code) else { return code }
        do {
            let store = try await session.open(parsed)
            var check = try await IPAMCheck.load(from: store)
            check.showAllIPs = parsed.has("show-all-ips")
            check.showProblemIPs = parsed.has("show-problem-ips")
            let outcome = check.run { console.println($0) }
            if let path = parsed.value("output") {
                let text = Emitter.json(outcome.report(info: check.clusterInformation, revision: check.clusterInformationRevision)) + "\n"
                do {
                    try AtomicFile.write(Data(text.utf8), to: path)
                } catch {
                    console.eprintln("failed to write report to \(path): \(error.localizedDescription)")
                    return 1
                }
            }
            return 0
        } catch {
            console.eprintln("\(error)")
            return 1
        }
    }
}

/// The cross-check of IPAM allocations against their users (workload endpoints and node
/// tunnel addresses), pools and handles. Pure over its inputs.
struct IPAMCheck {
    /// One allocated address as the blocks record it, plus who uses it.
    struct Allocation {
        var ip: IPAddress
        var handle: String?
        var sequenceNumber: UInt64
        var attributes: [String: String]
        var block: String
        var blockOwner: String?
        var owners: [String] = []

        var inUse: Bool { !owners.isEmpty }
        /// The allocation's node differs from the host owning the block.
        var borrowed: Bool {
            guard let node = attributes["node"], !node.isEmpty else { return false }
            return node != blockOwner
        }
        var attributeText: String {
            let extra = attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            return "Main:\(handle ?? "<none>") Extra:\(extra)"
        }
    }

    struct Outcome {
        var problems: Int
        /// By address, in address order.
        var allocations: [(ip: IPAddress, allocations: [Allocation])]
        /// Handles that no allocation refers to, with their revisions.
        var leakedHandles: [(id: String, revision: Int64)]

        /// The JSON report of `-o FILE`.
        func report(info: ClusterInformation?, revision: Int64?) -> Value {
            func str(_ s: String) -> Value { .scalar(s, plain: false, mark: nil) }
            func plain(_ s: String) -> Value { .scalar(s, plain: true, mark: nil) }
            let allocationsValue = Value.mapping(allocations.map { entry in
                (key: entry.ip.description, value: Value.sequence(entry.allocations.map { a in
                    let (type, _) = IPAMCommand.allocationUse(a.attributes, handle: a.handle)
                    return Value.mapping([
                        ("ip", str(a.ip.description)),
                        ("handle", str(a.handle ?? "")),
                        ("sequenceNumber", plain(String(a.sequenceNumber))),
                        ("pod", str(a.attributes["pod"] ?? "")),
                        ("namespace", str(a.attributes["namespace"] ?? "")),
                        ("node", str(a.attributes["node"] ?? "")),
                        ("type", str(type)),
                        ("creationTimestamp", str(a.attributes["timestamp"] ?? "")),
                        ("inUse", plain(String(a.inUse))),
                        ("borrowed", plain(String(a.borrowed))),
                        ("owners", .sequence(a.owners.map(str), mark: nil)),
                    ], mark: nil)
                }, mark: nil))
            }, mark: nil)
            return .mapping([
                ("version", str(CalicoCtl.version)),
                ("clusterGUID", str(info?.spec.clusterGUID ?? "")),
                ("datastoreLocked", plain(String(info?.spec.datastoreReady == false))),
                ("clusterInformationRevision", str(revision.map(String.init) ?? "")),
                ("clusterType", str(info?.spec.clusterType ?? "")),
                ("allocations", allocationsValue),
                ("leakedHandles", .sequence(leakedHandles.map { h in
                    .mapping([("handle", str(h.id)), ("revision", str(String(h.revision)))], mark: nil)
                }, mark: nil)),
            ], mark: nil)
        }
    }

    var pools: [IPPool]
    var blocks: [AllocationBlock]
    var handles: [(handle: IPAMHandle, revision: Int64)]
    var nodes: [Node]
    var workloadEndpoints: [WorkloadEndpoint]
    var clusterInformation: ClusterInformation?
    var clusterInformationRevision: Int64?
    var showAllIPs = false
    var showProblemIPs = false

    static let topNodes = 20

    /// Reads everything the check needs from a datastore.
    static func load(from store: Datastore) async throws -> IPAMCheck {
        let client = IPAMClient(datastore: store)
        let pools = try await client.pools()
        let blocks = IPAMCommand.sorted(try await client.allBlocks())
        let (pairs, _) = try await store.kv.list(prefix: IPAMKeys.root + "handle/")
        let handles = try pairs.map { pair -> (handle: IPAMHandle, revision: Int64) in
            (try StrictDecoder().decode(IPAMHandle.self, from: try JSONReader.parse(pair.value)), pair.modRevision)
        }
        let nodes = try await store.list(ResourceRegistry.kind(named: "node")!, namespace: nil).items.compactMap { $0.resource as? Node }
        let weps = try await store.list(ResourceRegistry.kind(named: "workloadendpoint")!, namespace: nil).items
            .compactMap { $0.resource as? WorkloadEndpoint }
        let info = try? await store.clusterInformation()
        return IPAMCheck(pools: pools, blocks: blocks, handles: handles, nodes: nodes, workloadEndpoints: weps,
                         clusterInformation: info?.info, clusterInformationRevision: info?.revision)
    }

    /// Runs the check, printing progress and findings through `print`.
    func run(_ print: (String) -> Void) -> Outcome {
        print("Checking IPAM for inconsistencies...")
        print("")

        // Pools.
        print("Loading all IPAM pools...")
        var activePools: [IPNet] = []
        for pool in pools where !(pool.spec.disabled ?? false) {
            guard let net = pool.spec.cidr.flatMap({ IPNet($0) })?.network else { continue }
            print("  \(net)")
            activePools.append(net)
        }
        print("Found \(activePools.count) active IP pools.")
        print("")

        // Blocks and their allocations.
        print("Loading all IPAM blocks...")
        print("Found \(blocks.count) IPAM blocks.")
        var allocations: [IPAddress: [Allocation]] = [:]
        var allocationCount = 0
        for block in blocks {
            print(" IPAM block \(block.net?.description ?? block.cidr) affinity=\(block.affinity ?? "<none>"):")
            for (ordinal, index) in block.allocations.enumerated() {
                guard let index, index < block.attributes.count, let ip = block.address(ordinal) else { continue }
                let attr = block.attributes[index]
                if attr.handleID == IPAMCommand.windowsReservedHandle { continue }
                let a = Allocation(ip: ip, handle: attr.handleID,
                                   sequenceNumber: block.sequenceNumberForAllocation?[String(ordinal)] ?? 0,
                                   attributes: attr.secondary ?? [:], block: block.net?.description ?? block.cidr,
                                   blockOwner: IPAMCommand.owner(of: block))
                allocations[ip, default: []].append(a)
                allocationCount += 1
                if showAllIPs { print("  \(ip) allocated; attrs \(a.attributeText)") }
            }
        }
        print("IPAM blocks record \(allocationCount) allocations.")
        print("")

        // Handles.
        print("Loading all IPAM handles...")
        print("Found \(handles.count) IPAM handles.")
        print("")

        // Users of addresses.
        var inUse: [IPAddress: [String]] = [:]
        print("Loading all nodes.")
        var nodeIPs = 0
        for node in nodes {
            let owner = "Node(\(node.name))"
            let tunnelAddresses = [node.spec.bgp?.ipv4IPIPTunnelAddr, node.spec.ipv4VXLANTunnelAddr, node.spec.ipv6VXLANTunnelAddr,
                                   node.spec.wireguard?.interfaceIPv4Address, node.spec.wireguard?.interfaceIPv6Address]
            for case let text? in tunnelAddresses {
                guard let ip = Self.address(text) else { continue }
                inUse[ip, default: []].append(owner)
                nodeIPs += 1
                if showAllIPs { print("  \(ip) in use by \(owner)") }
            }
        }
        print("Found \(nodeIPs) node tunnel IPs.")
        print("")
        print("Loading all workload endpoints.")
        var wepIPs = 0
        for wep in workloadEndpoints {
            let owner = "WorkloadEndpoint(\(wep.metadata.namespace ?? "default")/\(wep.name))"
            for text in wep.spec.ipNetworks ?? [] {
                guard let ip = Self.address(text) else { continue }
                inUse[ip, default: []].append(owner)
                wepIPs += 1
                if showAllIPs { print("  \(ip) in use by \(owner)") }
            }
        }
        print("Found \(wepIPs) workload IPs.")
        print("Workloads and nodes are using \(inUse.count) IPs.")
        print("")
        for (ip, owners) in inUse {
            guard allocations[ip] != nil else { continue }
            for i in allocations[ip]!.indices { allocations[ip]![i].owners = owners }
        }

        // Allocations per node.
        print("Looking for top (up to \(Self.topNodes)) nodes by allocations...")
        var perNode: [String: Int] = [:]
        for a in allocations.values.joined() {
            perNode[a.attributes["node"].flatMap { $0.isEmpty ? nil : $0 } ?? a.blockOwner ?? "<none>", default: 0] += 1
        }
        let ranked = perNode.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        for (node, count) in ranked.prefix(Self.topNodes) { print("  \(node) has \(count) allocations") }
        let counts = perNode.values.sorted()
        if let most = counts.last {
            print("Node with most allocations has \(most); median is \(counts[counts.count / 2])")
        }
        print("")

        // Problems.
        let sortedAllocations = allocations.keys.sorted().map { (ip: $0, allocations: allocations[$0]!) }
        print("Scanning for IPs that are allocated but not actually in use...")
        var leaked = 0
        for (ip, list) in sortedAllocations {
            for a in list where !a.inUse {
                leaked += 1
                if showProblemIPs { print("  \(ip) leaked; attrs \(a.attributeText)") }
            }
        }
        print("Found \(leaked) IPs that are allocated in IPAM but not actually in use.")

        print("Scanning for IPs that are in use by a workload or node but not allocated in IPAM...")
        var notInPool = 0, notAllocated = 0, multipleOwners = 0
        for ip in inUse.keys.sorted() {
            let owners = inUse[ip]!
            if owners.count > 1 {
                multipleOwners += 1
                if showProblemIPs { print("  \(ip) has multiple owners: \(owners.joined(separator: ", "))") }
            }
            if !activePools.contains(where: { $0.contains(ip) }) {
                notInPool += 1
                if showProblemIPs { print("  \(ip) in use by \(owners.joined(separator: ", ")) is not in any active IP pool") }
            } else if allocations[ip] == nil {
                notAllocated += 1
                if showProblemIPs { print("  \(ip) in use by \(owners.joined(separator: ", ")) is not allocated in IPAM") }
            }
        }
        print("Found \(notInPool) in-use IPs that are not in active IP pools.")
        print("Found \(notAllocated) in-use IPs that are in active IP pools but have no corresponding IPAM allocation.")
        print("Found \(multipleOwners) in-use IPs with multiple owners.")
        print("")

        print("Scanning for IPAM handles with no matching IPs...")
        let allocatedHandles = Set(allocations.values.joined().compactMap(\.handle))
        let knownHandles = Set(handles.map(\.handle.handleID))
        let leakedHandles = handles.filter { !allocatedHandles.contains($0.handle.handleID) }
            .sorted { $0.handle.handleID < $1.handle.handleID }
            .map { (id: $0.handle.handleID, revision: $0.revision) }
        if showProblemIPs { for h in leakedHandles { print("  handle \(h.id) has no matching IPs") } }
        let withoutHandle = sortedAllocations.flatMap(\.allocations).filter { a in a.handle.map { !knownHandles.contains($0) } ?? true }
        print("Found \(leakedHandles.count) handles with no matching IPs (and \(withoutHandle.count) IPs with no matching handle).")
        print("Scanning for IPs with missing handle...")
        let missingHandles = Set(withoutHandle.map { $0.handle ?? "" })
        if showProblemIPs {
            for a in withoutHandle { print("  \(a.ip) has handle \(a.handle ?? "<none>") with no handle resource") }
        }
        print("Found \(missingHandles.count) handles mentioned in blocks with no matching handle resource.")

        let problems = leaked + notInPool + notAllocated + multipleOwners + leakedHandles.count + missingHandles.count
        print("Check complete; found \(problems) problems.")
        return Outcome(problems: problems, allocations: sortedAllocations, leakedHandles: leakedHandles)
    }

    /// An address from `a.b.c.d` or `a.b.c.d/len` text.
    static func address(_ text: String) -> IPAddress? {
        IPNet(text)?.address
    }
}
