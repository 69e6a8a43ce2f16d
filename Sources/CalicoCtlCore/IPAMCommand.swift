import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import Foundation

/// `calicoctl ipam (show|check|release|configure|split) …`
struct IPAMCommand {
    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    static let baseOptions = [
        OptionSpec(short: "h", long: "help", takesValue: false),
        OptionSpec(short: "c", long: "config", takesValue: true),
        OptionSpec(short: nil, long: "context", takesValue: true),
        OptionSpec(short: nil, long: "allow-version-mismatch", takesValue: false),
    ]

    func run(_ args: [String]) async -> Int32 {
        guard let sub = args.first, !sub.hasPrefix("-") else {
            if args.contains("-h") || args.contains("--help") {
                console.println(Usage.ipam(prog))
                return 0
            }
            console.eprintln(Usage.ipam(prog))
            return 1
        }
        let rest = Array(args.dropFirst())
        switch sub {
        case "show": return await show(rest)
        case "check": return await IPAMCheckCommand(prog: prog, session: session).run(rest)
        case "release": return await release(rest)
        case "configure": return await configure(rest)
        case "split": return await IPAMSplit(prog: prog, session: session).run(rest)
        default:
            console.eprintln("Invalid option: 'ipam \(sub)'. Use flag '--help' to read about a specific subcommand.")
            console.eprintln(Usage.ipam(prog))
            return 1
        }
    }

    /// Parses a subcommand's options (no positionals), handling `--help` and usage errors.
    func parse(_ args: [String], _ options: [OptionSpec], usage: String, code: inout Int32) -> ParsedArguments? {
        console.parseCommand(args, options: Self.baseOptions + options, usage: usage, noPositionals: true, code: &code)
    }

    // MARK: show

    func show(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        let options = [
            OptionSpec(short: nil, long: "ip", takesValue: true),
            OptionSpec(short: nil, long: "show-blocks", takesValue: false),
            OptionSpec(short: nil, long: "show-borrowed", takesValue: false),
            OptionSpec(short: nil, long: "show-configuration", takesValue: false),
        ]
        guard let parsed = parse(args, options, usage: Usage.ipamShow(prog), code: &code) else { return code }
        let modes = ["ip", "show-blocks", "show-borrowed", "show-configuration"].filter { parsed.has($0) }
        guard modes.count <= 1 else {
            console.eprintln(Usage.ipamShow(prog))
            return 1
        }
        var ip: IPAddress?
        if let text = parsed.value("ip") {
            guard let parsedIP = IPAddress(text) else {
                console.eprintln("Error executing command: invalid IP address specified: \(text)")
                return 1
            }
            ip = parsedIP
        }
        do {
            let client = IPAMClient(datastore: try await session.open(parsed))
            if let ip {
                guard let attr = try await client.allocation(of: ip) else {
                    console.println(IPAMError.notAllocated(ip.description).description)
                    return 0
                }
                console.println("IP \(ip) is in use")
                let attrs = attr.secondary ?? [:]
                if attrs.isEmpty {
                    console.println("No attributes defined")
                } else {
                    console.println("Attributes:")
                    for (k, v) in attrs.sorted(by: { $0.key < $1.key }) { console.println("  \(k): \(v)") }
                }
                return 0
            }
            if parsed.has("show-configuration") {
                let s = try await client.settings()
                var table = BorderedTable(header: ["PROPERTY", "VALUE"])
                table.append(["StrictAffinity", String(s.strictAffinity)])
                table.append(["AutoAllocateBlocks", String(s.autoAllocateBlocks)])
                table.append(["MaxBlocksPerHost", String(s.maxBlocksPerHost)])
                console.out(table.render())
                return 0
            }
            let blocks = Self.sorted(try await client.allBlocks())
            if parsed.has("show-borrowed") {
                let (table, withoutNode) = Self.borrowedTable(blocks)
                console.out(table.render())
                if withoutNode > 0 {
                    console.println("\(withoutNode) allocation(s) have no node attribute and cannot be checked for borrowing.")
                }
                return 0
            }
            let pools = try await client.pools()
            console.out(Self.utilizationTable(pools: pools, blocks: blocks, showBlocks: parsed.has("show-blocks")).render())
            return 0
        } catch {
            console.eprintln("\(error)")
            return 1
        }
    }

    /// Blocks in address order (unparseable CIDRs last).
    static func sorted(_ blocks: [AllocationBlock]) -> [AllocationBlock] {
        blocks.sorted { a, b in
            guard let x = a.net else { return false }
            guard let y = b.net else { return true }
            return x.address == y.address ? x.prefixLength < y.prefixLength : x.address < y.address
        }
    }

    /// `%.5g` of a count and `%.0f%%` of its share, as upstream's `genRow`.
    static func utilizationRow(_ grouping: String, _ cidr: String, inUse: Double, capacity: Double) -> [String] {
        let free = capacity - inUse
        return [
            grouping, cidr,
            String(format: "%.5g", capacity),
            String(format: "%.5g (%.0f%%)", inUse, 100 * inUse / capacity),
            String(format: "%.5g (%.0f%%)", free, 100 * free / capacity),
        ]
    }

    /// One `IP Pool` row per pool (in-use = sum over its blocks of capacity − free), each
    /// followed by its `Block` rows when asked. Blocks outside every pool (upstream's
    /// "orphaned allocation blocks" group) are not shown.
    static func utilizationTable(pools: [IPPool], blocks: [AllocationBlock], showBlocks: Bool) -> BorderedTable {
        var table = BorderedTable(header: ["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"])
        for pool in pools {
            guard let net = pool.spec.cidr.flatMap({ IPNet($0) })?.network else { continue }
            let mine = blocks.filter { b in b.net.map { net.contains($0.address) } ?? false }
            let inUse = mine.reduce(0.0) { $0 + Double($1.inUse) }
            let capacity = pow(2.0, Double(net.address.bitLength - net.prefixLength))
            table.append(utilizationRow("IP Pool", net.description, inUse: inUse, capacity: capacity))
            if showBlocks {
                for b in mine {
                    table.append(utilizationRow("Block", b.net?.description ?? b.cidr, inUse: Double(b.inUse), capacity: Double(b.size)))
                }
            }
        }
        return table
    }

    /// Allocations whose `node` attribute differs from the block's owner; also the number of
    /// allocations that carry no `node` attribute.
    static func borrowedTable(_ blocks: [AllocationBlock]) -> (BorderedTable, Int) {
        var table = BorderedTable(header: ["IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER", "TYPE", "ALLOCATED-TO"])
        var withoutNode = 0
        for block in blocks {
            let owner = Self.owner(of: block)
            for (ordinal, index) in block.allocations.enumerated() {
                guard let index, index < block.attributes.count, let ip = block.address(ordinal) else { continue }
                let attr = block.attributes[index]
                if attr.handleID == windowsReservedHandle { continue }
                let attrs = attr.secondary ?? [:]
                guard let node = attrs["node"], !node.isEmpty else {
                    withoutNode += 1
                    continue
                }
                guard node != owner else { continue }
                let (type, to) = Self.allocationUse(attrs, handle: attr.handleID)
                table.append([ip.description, node, block.net?.description ?? block.cidr, owner ?? "<none>", type, to])
            }
        }
        return (table, withoutNode)
    }

    static let windowsReservedHandle = "windows-reserved-ipam-handle"

    /// The host of a `host:<node>` affinity (a virtual affinity gives its full string).
    static func owner(of block: AllocationBlock) -> String? {
        guard let a = block.affinity, !a.isEmpty else { return nil }
        if a.hasPrefix("host:") { return String(a.dropFirst(5)) }
        return a
    }

    /// What an allocation is for: `pod` with `namespace/pod`, a tunnel type with its node,
    /// or `unknown` with the handle.
    static func allocationUse(_ attrs: [String: String], handle: String?) -> (type: String, to: String) {
        if let pod = attrs["pod"], !pod.isEmpty {
            return ("pod", "\(attrs["namespace"] ?? "")/\(pod)")
        }
        if let t = attrs["type"], !t.isEmpty { return (t, attrs["node"] ?? "") }
        if let s = attrs["service"], !s.isEmpty { return ("service", "\(attrs["namespace"] ?? "")/\(s)") }
        return ("unknown", handle ?? "")
    }

    // MARK: release

    func release(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        let options = [
            OptionSpec(short: nil, long: "ip", takesValue: true),
            OptionSpec(short: nil, long: "from-report", takesValue: true),
            OptionSpec(short: nil, long: "force", takesValue: false),
        ]
        guard let parsed = parse(args, options, usage: Usage.ipamRelease(prog), code: &code) else { return code }
        if parsed.has("from-report") {
            do {
                let store = try await session.open(parsed)
                try await IPAMReleaseReport(console: console, store: store, force: parsed.has("force")).run(parsed.all("from-report"))
                console.println("You may now unlock the data store.")
                return 0
            } catch {
                console.eprintln(failureMessage(error))
                return 1
            }
        }
        guard let text = parsed.value("ip") else {
            console.eprintln(Usage.ipamRelease(prog))
            return 1
        }
        guard let ip = IPAddress(text) else {
            console.eprintln("Error executing command: invalid IP address specified: \(text)")
            return 1
        }
        do {
            let client = IPAMClient(datastore: try await session.open(parsed))
            let unallocated = try await client.releaseIPs([ip])
            if !unallocated.isEmpty {
                console.eprintln("Error: IP address \(ip) is not assigned")
                return 1
            }
            console.println("Successfully released IP address \(ip)")
            return 0
        } catch {
            console.eprintln("Error: \(error)")
            return 1
        }
    }

    // MARK: configure

    func configure(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        let options = [
            OptionSpec(short: nil, long: "strictaffinity", takesValue: true),
            OptionSpec(short: nil, long: "max-blocks-per-host", takesValue: true),
        ]
        guard let parsed = parse(args, options, usage: Usage.ipamConfigure(prog), code: &code) else { return code }
        guard let text = parsed.value("strictaffinity") else {
            console.eprintln(Usage.ipamConfigure(prog))
            return 1
        }
        guard let strict = Self.parseGoBool(text) else {
            console.eprintln("Invalid value for --strictaffinity: \(text) (expected true or false)")
            return 1
        }
        var maxBlocks: Int?
        if let m = parsed.value("max-blocks-per-host") {
            guard let n = Int(m), n >= 0, n <= Int(Int32.max) else {
                console.eprintln("Invalid value for --max-blocks-per-host: \(m) (expected a non-negative number)")
                return 1
            }
            maxBlocks = n
        }
        do {
            let client = IPAMClient(datastore: try await session.open(parsed, creating: true))
            var s = try await client.settings()
            s.strictAffinity = strict
            if let maxBlocks { s.maxBlocksPerHost = maxBlocks }
            try await client.setSettings(s)
            console.println("Successfully set StrictAffinity to: \(strict)")
            if let maxBlocks { console.println("Successfully set MaxBlocksPerHost to: \(maxBlocks)") }
            return 0
        } catch {
            console.eprintln("Error: \(error)")
            return 1
        }
    }

    /// Go's `strconv.ParseBool`.
    static func parseGoBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }
}

extension Usage {
    static func ipam(_ prog: String) -> String {
        """
        Usage:
          \(prog) ipam <command> [<args>...]

            check            Check the integrity of the IPAM datastructures.
            release          Release a Calico assigned IP address.
            show             Show details of a Calico configuration,
                             assigned IP address, or of overall IP usage.
            split            Split an IP pool into the specified number of smaller IP pools.
            configure        Configure IPAM

        Options:
          -h --help      Show this screen.

        Description:
          IP address management commands for Calico.

          See '\(prog) ipam <command> --help' to read about a specific subcommand.
        """
    }

    static let ipamConfigOption = """
          -c --config=<CONFIG>         Path to the file containing connection configuration in
                                       YAML or JSON format.
                                       [default: /etc/calico/calicoctl.cfg]
             --allow-version-mismatch  Allow client and cluster versions mismatch.
        """

    static func ipamShow(_ prog: String) -> String {
        """
        Usage:
          \(prog) ipam show [--ip=<IP> | --show-blocks | --show-borrowed | --show-configuration] [--config=<CONFIG>] [--allow-version-mismatch]

        Options:
          -h --help                    Show this screen.
             --ip=<IP>                 Report whether this specific IP address is in use.
             --show-blocks             Show detailed information for IP blocks as well as pools.
             --show-borrowed           Show detailed information for "borrowed" IP addresses.
             --show-configuration      Show current Calico IPAM configuration.
        \(ipamConfigOption)

        Description:
          The ipam show command prints information about a given IP address, or about
          overall IP usage.
        """
    }

    static func ipamCheck(_ prog: String) -> String {
        """
        Usage:
          \(prog) ipam check [--config=<CONFIG>] [--show-all-ips] [--show-problem-ips] [-o <FILE>] [--allow-version-mismatch]

        Options:
          -h --help                    Show this screen.
          -o --output=<FILE>           Path to output report file.
             --show-all-ips            Print all IPs that are checked.
             --show-problem-ips        Print all IPs that are leaked or not allocated properly.
        \(ipamConfigOption)

        Description:
          The ipam check command checks the integrity of the IPAM datastructures against
          Kubernetes.
        """
    }

    static func ipamRelease(_ prog: String) -> String {
        """
        Usage:
          \(prog) ipam release [--ip=<IP>] [--from-report=<REPORT>...] [--config=<CONFIG>] [--force] [--allow-version-mismatch]

        Options:
          -h --help                    Show this screen.
             --ip=<IP>                 IP address to release.
             --from-report=<REPORT>    Release all leaked addresses from the report.
             --force                   Force release of leaked addresses.
        \(ipamConfigOption)

        Description:
          The ipam release command releases an IP address from the Calico IP Address
          Manager that was been previously assigned to an endpoint.  When an IP address
          is released, it becomes available for assignment to any endpoint.

          Note that this does not remove the IP from any existing endpoints that may be
          using it, so only use this command to clean up addresses from endpoints that
          were not cleanly removed from Calico.
        """
    }

    static func ipamConfigure(_ prog: String) -> String {
        """
        Usage:
          \(prog) ipam configure --strictaffinity=<true/false> [--max-blocks-per-host=<number>] [--config=<CONFIG>] [--allow-version-mismatch]

        Options:
          -h --help                        Show this screen.
             --strictaffinity=<true/false>  Set StrictAffinity to true/false. When StrictAffinity
                                           is true, borrowing IP addresses is not allowed.
             --max-blocks-per-host=<number> Set the maximum number of blocks that can be affine
                                           to a host (requires StrictAffinity).
        \(ipamConfigOption)

        Description:
          Modify configuration for Calico IP address management.
        """
    }

    static func ipamSplit(_ prog: String) -> String {
        """
        Usage:
          \(prog) ipam split <NUMBER> [--cidr=<CIDR>] [--name=<POOL_NAME>] [--config=<CONFIG>] [--allow-version-mismatch]

        Options:
          -h --help                    Show this screen.
             --cidr=<CIDR>             CIDR of the IP pool to split.
             --name=<POOL_NAME>        Name of the IP pool to split.
        \(ipamConfigOption)

        Description:
          Split an IP pool into the specified number of smaller IP pools (a power of 2).
          The datastore must be locked first ('datastore migrate lock').
        """
    }
}
