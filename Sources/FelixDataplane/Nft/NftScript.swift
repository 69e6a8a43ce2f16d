/// Builds the one atomic nft transaction that takes a family's table from what the kernel
/// has (`KernelTable`) to what Felix wants (`NftRuleset`), touching only what differs (pure).
public struct NftScript {
    public var family: IPFamily
    var table: String { "\(family.nftFamily) calico" }

    public init(family: IPFamily) { self.family = family }

    static func protocolName(_ p: String) -> String {
        switch p {
        case "6": return "tcp"
        case "17": return "udp"
        case "132": return "sctp"
        default: return p
        }
    }

    /// A member as an nft element.
    func element(_ member: String, kind: NftSetKind) -> String {
        switch kind {
        case .net: return member
        case .addressPort:
            // `10.0.0.1,tcp:8080` → `10.0.0.1 . tcp . 8080`
            guard let comma = member.lastIndex(of: ","), let colon = member.lastIndex(of: ":"), colon > comma else { return member }
            return "\(member[..<comma]) . \(member[member.index(after: comma)..<colon]) . \(member[member.index(after: colon)...])"
        }
    }

    func setType(_ kind: NftSetKind) -> String {
        switch kind {
        case .net: return "{ type \(family.addressType); flags interval; }"
        case .addressPort: return "{ type \(family.addressType) . inet_proto . inet_service; }"
        }
    }

    /// Elements in chunks (a command line per chunk keeps nft's parser memory flat).
    func elements(_ verb: String, _ set: String, _ members: [String], kind: NftSetKind, into out: inout [String]) {
        var i = 0
        while i < members.count {
            let chunk = members[i..<min(i + 1000, members.count)].map { element($0, kind: kind) }
            out.append("\(verb) element \(table) \(set) { \(chunk.joined(separator: ", ")) }")
            i += 1000
        }
    }

    /// The transaction: empty when nothing differs. `dirtySets` limits set comparison to
    /// sets whose members may have changed (nil = compare all).
    public func transaction(from kernel: KernelTable, to want: NftRuleset, dirtySets: Set<String>? = nil) -> [String] {
        var out: [String] = []
        if !kernel.exists { out.append("add table \(table)") }
        // 1. Sets and maps that are new.
        for name in want.sets.keys.sorted() where kernel.sets[name] == nil {
            out.append("add set \(table) \(name) \(setType(want.sets[name]!.kind))")
        }
        for name in want.maps.keys.sorted() where kernel.maps[name] == nil {
            out.append("add map \(table) \(name) { type ifname : verdict; }")
        }
        // 2. Stale map elements.
        for (name, elems) in want.maps.sorted(by: { $0.key < $1.key }) {
            let have = kernel.maps[name] ?? [:]
            let stale = have.filter { elems[$0.key] != $0.value }.keys.sorted()
            if !stale.isEmpty { out.append("delete element \(table) \(name) { \(stale.map { "\"\($0)\"" }.joined(separator: ", ")) }") }
        }
        for name in kernel.maps.keys.sorted() where want.maps[name] == nil && !(kernel.maps[name]!.isEmpty) {
            out.append("flush map \(table) \(name)")
        }
        // 3. Chains: create new ones, empty those going away.
        let staleChains = kernel.chains.keys.filter { want.chains[$0] == nil }.sorted()
        for name in want.chains.keys.sorted() where kernel.chains[name] == nil {
            let c = want.chains[name]!
            out.append("add chain \(table) \(name)" + (c.hook.map { " " + $0.declaration } ?? ""))
        }
        for name in staleChains { out.append("flush chain \(table) \(name)") }
        // 4. Set members.
        for (name, set) in want.sets.sorted(by: { $0.key < $1.key }) {
            guard let have = kernel.sets[name] else {
                elements("add", name, set.members.sorted(), kind: set.kind, into: &out)
                continue
            }
            if let dirty = dirtySets, !dirty.contains(name), !kernel.unreadableSets.contains(name) { continue }
            if kernel.unreadableSets.contains(name) {
                out.append("flush set \(table) \(name)")
                elements("add", name, set.members.sorted(), kind: set.kind, into: &out)
                continue
            }
            let removed = have.subtracting(set.members).sorted()
            let added = set.members.subtracting(have).sorted()
            elements("delete", name, removed, kind: set.kind, into: &out)
            elements("add", name, added, kind: set.kind, into: &out)
        }
        // 5. Chains whose rules differ: rewritten whole.
        for name in want.chains.keys.sorted() {
            let c = want.chains[name]!
            if kernel.chains[name] == c.ruleHashes { continue }
            if kernel.chains[name] != nil && !(kernel.chains[name]!.isEmpty) { out.append("flush chain \(table) \(name)") }
            for (rule, hash) in zip(c.rules, c.ruleHashes) {
                out.append("add rule \(table) \(name) \(rule) comment \"cali:\(hash)\"")
            }
        }
        // 6. New map elements, now that their chains exist.
        for (name, elems) in want.maps.sorted(by: { $0.key < $1.key }) {
            let have = kernel.maps[name] ?? [:]
            let new = elems.filter { have[$0.key] != $0.value }.sorted { $0.key < $1.key }
            if !new.isEmpty { out.append("add element \(table) \(name) { \(new.map { "\"\($0.key)\" : \($0.value)" }.joined(separator: ", ")) }") }
        }
        // 7. What Felix no longer wants.
        for name in staleChains { out.append("delete chain \(table) \(name)") }
        for name in kernel.maps.keys.sorted() where want.maps[name] == nil { out.append("delete map \(table) \(name)") }
        for name in kernel.sets.keys.sorted() where want.sets[name] == nil { out.append("delete set \(table) \(name)") }
        return out
    }
}
