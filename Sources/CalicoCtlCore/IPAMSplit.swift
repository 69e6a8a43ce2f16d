import CalicoAPI
import CalicoDatastore
import Foundation

/// `calicoctl ipam split <NUMBER> (--cidr=<CIDR> | --name=<POOL>)` (also upstream's older form
/// `ipam split <CIDR> <NUMBER>`): replaces an IP pool by NUMBER (a power of 2) equal pools
/// `split-<pool>-<i>` with its settings. The datastore must be locked
/// (`datastore migrate lock`). Unlike upstream (disable, create each, delete), the old pool's
/// removal and the new pools are one transaction: a failure leaves the old pool as it was.
struct IPAMSplit {
    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    typealias Failure = DatastoreSession.Failure

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        let options = IPAMCommand.baseOptions + [
            OptionSpec(short: nil, long: "cidr", takesValue: true),
            OptionSpec(short: nil, long: "name", takesValue: true),
        ]
        guard let parsed = console.parseCommand(args, options: options, usage: Usage.ipamSplit(prog), code: &code) else { return code }
        var cidr = parsed.value("cidr") ?? ""
        let poolName = parsed.value("name") ?? ""
        var numberText: String
        switch parsed.positionals.count {
        case 1: numberText = parsed.positionals[0]
        case 2 where IPNet(parsed.positionals[0], allowBareIP: false) != nil:
            cidr = parsed.positionals[0]
            numberText = parsed.positionals[1]
        default:
            console.eprintln(Usage.ipamSplit(prog))
            return 1
        }
        guard let number = Int(numberText) else {
            console.eprintln("Error reading number to split IP pools into. \(numberText) is not a valid number")
            return 1
        }
        do {
            let store = try await session.open(parsed)
            let (old, pieces) = try await split(store, cidr: cidr, name: poolName, number: number)
            console.println("IP Pool \(old) was successfully split into \(number) smaller pools.")
            for (name, c) in pieces { console.println("Created \(name) with CIDR \(c).") }
            console.println("Please refer to the documentation for final steps.")
            return 0
        } catch {
            console.eprintln(failureMessage(error))
            return 1
        }
    }

    func split(_ store: Datastore, cidr: String, name: String, number: Int) async throws -> (String, [(String, String)]) {
        if cidr.isEmpty && name.isEmpty {
            throw Failure.bare("No name or CIDR provided. Provide a name or CIDR to denote the IP pool to split")
        }
        let info: ClusterInformation
        do {
            info = try await store.clusterInformation().info
        } catch DatastoreError.corrupt(let message) {
            throw Failure.bare("Error while checking if datastore was locked: \(message)")
        } catch let e as DatastoreError {
            throw Failure.bare("Error while checking if datastore was locked: Error retrieving ClusterInformation: \(e)")
        }
        guard info.spec.datastoreReady == false else {
            throw Failure.bare("Datastore is not locked. Run the `calicoctl datastore migrate lock` command in order split the IP pools.")
        }
        let poolKind = ResourceRegistry.kind(named: "ippool")!
        let listing = try await store.list(poolKind, namespace: nil)
        let found = listing.items.first { item in
            guard let p = item.resource as? IPPool else { return false }
            return name.isEmpty ? p.spec.cidr == cidr : p.name == name
        }
        guard let stored = found, let pool = stored.resource as? IPPool, let net = pool.spec.cidr.flatMap({ IPNet($0) }) else {
            throw Failure.bare("Unable to find IP pool \(name) covering the specified CIDR \(cidr)")
        }
        let pieces = try Self.pieces(of: net, number: number, blockSize: pool.spec.blockSize ?? (net.family == .v4 ? 26 : 122))
        var ops: [KVOperation] = [.delete(key: ResourcePaths.key(poolKind, namespace: nil, name: pool.name), expectedRevision: stored.revision)]
        var created: [(String, String)] = []
        for (i, piece) in pieces.enumerated() {
            var newName = "split-\(pool.name)-\(i)"
            if newName.count > 253 { newName = "split-\(pool.name.prefix(245))-\(i)" }
            var p = IPPool(metadata: ObjectMeta(name: newName, labels: pool.metadata.labels, annotations: pool.metadata.annotations),
                           spec: pool.spec)
            p.spec.cidr = piece.description
            p.spec.disabled = nil
            p.metadata.uid = UUID().uuidString.lowercased()
            p.metadata.creationTimestamp = Datastore.timestamp()
            let (key, value, _) = try store.prepare(p)
            ops.append(.create(key: key, value: value))
            created.append((p.name, piece.description))
        }
        do {
            _ = try await store.kv.transaction(ops)
        } catch {
            throw Failure.bare("Error splitting IP pool \(pool.name): \(error); nothing was changed")
        }
        return (pool.name, created)
    }

    /// `number` (a power of 2) equal parts of `net`, each no smaller than a block.
    static func pieces(of net: IPNet, number: Int, blockSize: Int) throws -> [IPNet] {
        guard number >= 2, number & (number - 1) == 0 else {
            throw Failure.bare("Error splitting the CIDR \(net) into \(number) CIDRs: Number to split CIDR into is not a valid power of 2: \(number)")
        }
        let power = number.trailingZeroBitCount
        let prefix = net.prefixLength + power
        guard prefix <= blockSize, prefix <= net.address.bitLength else {
            throw Failure.bare("Error splitting the CIDR \(net) into \(number) CIDRs: The CIDR \(net) is not large enough to be split into \(number) parts")
        }
        let base = net.network.address.bytes
        return (0..<number).map { i in
            var bytes = base
            for b in 0..<power where (i >> (power - 1 - b)) & 1 == 1 {
                let position = net.prefixLength + b
                bytes[position / 8] |= UInt8(0x80) >> UInt8(position % 8)
            }
            return IPNet(address: IPAddress(bytes: bytes)!, prefixLength: prefix)!
        }
    }
}
