import Foundation

/// An in-memory nftables for unit tests: runs the scripts `NftScript` writes against a model
/// of the tables, atomically (a failing command leaves everything as it was), with the
/// kernel's main refusals — a rule in a chain that does not exist, a jump or `@set` to nothing,
/// a chain deleted while it holds rules, an element of a set that does not exist — and lists
/// tables as `nft -j` does, for `KernelTable.parse`. `refuse` lets a test make the "kernel"
/// refuse rule bodies it names (as the kernel refuses an ICMP type above 255).
public final class MemoryNftables: NftBackend, @unchecked Sendable {
    struct Chain {
        var hook: String?
        var rules: [(body: String, comment: String?, handle: Int)] = []
    }
    struct Table {
        var chains: [String: Chain] = [:]
        var sets: [String: Set<String>] = [:]
        var maps: [String: [String: String]] = [:]
    }

    private let lock = NSLock()
    private var tables: [String: Table] = [:]
    private var nextHandle = 1
    private var refuse: @Sendable (String) -> String? = { _ in nil }
    /// Every script run successfully, in order (checks excluded).
    public private(set) var transactions: [[String]] = []

    public init() {}

    /// Makes rule bodies for which `reason` returns a text fail, with that text.
    public func refuseRules(_ reason: @escaping @Sendable (String) -> String?) { lock.withLock { refuse = reason } }

    /// Drops a table behind Felix's back (as `nft delete table` by someone else).
    public func deleteTable(_ family: IPFamily, _ name: String = "calico") { _ = lock.withLock { tables.removeValue(forKey: "\(family.nftFamily) \(name)") } }

    /// Rule bodies of a chain with their handles (nil when the chain does not exist).
    public func rules(_ family: IPFamily, chain: String) -> [(body: String, handle: Int)]? {
        lock.withLock { tables["\(family.nftFamily) calico"]?.chains[chain]?.rules.map { ($0.body, $0.handle) } }
    }

    public func tableExists(_ family: IPFamily, _ name: String = "calico") -> Bool {
        lock.withLock { tables["\(family.nftFamily) \(name)"] != nil }
    }

    public func run(_ script: String, check: Bool) throws {
        try lock.withLock {
            var state = tables
            var handle = nextHandle
            let lines = script.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            for (i, line) in lines.enumerated() {
                do {
                    try apply(line, to: &state, handle: &handle)
                } catch let error as NftError {
                    throw NftError(message: "Error: \(error.message)\nline \(i + 1): \(line)")
                }
            }
            if check { return }
            tables = state
            nextHandle = handle
            transactions.append(lines)
        }
    }

    public func listJSON(_ family: IPFamily) throws -> String {
        try lock.withLock {
            let key = "\(family.nftFamily) calico"
            guard let t = tables[key] else { return "" }
            var items: [Any] = [["table": ["family": family.nftFamily, "name": "calico"]]]
            for (name, c) in t.chains.sorted(by: { $0.key < $1.key }) {
                items.append(["chain": ["family": family.nftFamily, "table": "calico", "name": name]])
                for r in c.rules {
                    var rule: [String: Any] = ["family": family.nftFamily, "table": "calico", "chain": name, "handle": r.handle]
                    if let comment = r.comment { rule["comment"] = comment }
                    items.append(["rule": rule])
                }
            }
            for (name, members) in t.sets.sorted(by: { $0.key < $1.key }) {
                var set: [String: Any] = ["family": family.nftFamily, "table": "calico", "name": name]
                if !members.isEmpty { set["elem"] = members.sorted().map(Self.jsonElement) }
                items.append(["set": set])
            }
            for (name, elements) in t.maps.sorted(by: { $0.key < $1.key }) {
                var map: [String: Any] = ["family": family.nftFamily, "table": "calico", "name": name]
                if !elements.isEmpty {
                    map["elem"] = elements.sorted { $0.key < $1.key }.map { key, verdict -> [Any] in
                        let parts = verdict.split(separator: " ", maxSplits: 1).map(String.init)
                        return [key, [parts[0]: ["target": parts.count > 1 ? parts[1] : ""]]]
                    }
                }
                items.append(["map": map])
            }
            let data = try JSONSerialization.data(withJSONObject: ["nftables": items])
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// A member as `nft -j` lists it: a single address bare, a prefix as an object, an
    /// address-protocol-port as a concatenation.
    static func jsonElement(_ member: String) -> Any {
        if let comma = member.firstIndex(of: ","), let colon = member.lastIndex(of: ":") {
            return ["concat": [String(member[..<comma]), String(member[member.index(after: comma)..<colon]), Int(member[member.index(after: colon)...]) ?? 0]]
        }
        let parts = member.split(separator: "/").map(String.init)
        if parts.count == 2, let len = Int(parts[1]), len != (parts[0].contains(":") ? 128 : 32) {
            return ["prefix": ["addr": parts[0], "len": len]]
        }
        return parts[0]
    }

    // MARK: Commands

    private func apply(_ line: String, to state: inout [String: Table], handle: inout Int) throws {
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 4 else { throw NftError(message: "syntax error") }
        let verb = words[0], object = words[1]
        let tableKey = "\(words[2]) \(words[3])"
        words.removeFirst(4)
        if object == "table" {
            switch verb {
            case "add": if state[tableKey] == nil { state[tableKey] = Table() }
            case "delete":
                guard state.removeValue(forKey: tableKey) != nil else { throw NftError(message: "No such file or directory; table \(tableKey)") }
            default: throw NftError(message: "syntax error: \(verb) table")
            }
            return
        }
        guard var t = state[tableKey] else { throw NftError(message: "No such file or directory; did you mean table ‘calico’?") }
        guard let name = words.first else { throw NftError(message: "syntax error: no name") }
        // What follows `<verb> <object> <family> <table> <name>`.
        let split = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        let rest = split.count > 5 ? String(split[5]).trimmingCharacters(in: .whitespaces) : ""
        switch (verb, object) {
        case ("add", "chain"):
            if t.chains[name] == nil { t.chains[name] = Chain(hook: rest.isEmpty ? nil : rest) }
        case ("flush", "chain"):
            guard t.chains[name] != nil else { throw NftError(message: "No such file or directory: chain \(name)") }
            t.chains[name]!.rules = []
        case ("delete", "chain"):
            guard let c = t.chains[name] else { throw NftError(message: "No such file or directory: chain \(name)") }
            guard c.rules.isEmpty else { throw NftError(message: "Device or resource busy: chain \(name) is not empty") }
            let referenced = t.chains.values.contains { $0.rules.contains { Self.targets($0.body).contains(name) } }
                || t.maps.values.contains { $0.values.contains { $0.hasSuffix(" \(name)") } }
            guard !referenced else { throw NftError(message: "Device or resource busy: chain \(name) is in use") }
            t.chains[name] = nil
        case ("add", "rule"):
            guard t.chains[name] != nil else { throw NftError(message: "No such file or directory: chain \(name)") }
            var body = rest, comment: String?
            if let r = body.range(of: " comment \"") {
                comment = String(body[r.upperBound...].dropLast())
                body = String(body[..<r.lowerBound])
            }
            for target in Self.targets(body) where t.chains[target] == nil {
                throw NftError(message: "Could not process rule: No such file or directory: chain \(target)")
            }
            for set in Self.setReferences(body) where t.sets[set] == nil && t.maps[set] == nil {
                throw NftError(message: "Could not process rule: No such file or directory: set \(set)")
            }
            if let reason = refuse(body) { throw NftError(message: "Could not process rule: \(reason)") }
            t.chains[name]!.rules.append((body, comment, handle))
            handle += 1
        case ("add", "set"): if t.sets[name] == nil { t.sets[name] = [] }
        case ("add", "map"): if t.maps[name] == nil { t.maps[name] = [:] }
        case ("flush", "set"):
            guard t.sets[name] != nil else { throw NftError(message: "No such file or directory: set \(name)") }
            t.sets[name] = []
        case ("flush", "map"):
            guard t.maps[name] != nil else { throw NftError(message: "No such file or directory: map \(name)") }
            t.maps[name] = [:]
        case ("delete", "set"):
            guard t.sets.removeValue(forKey: name) != nil else { throw NftError(message: "No such file or directory: set \(name)") }
        case ("delete", "map"):
            guard t.maps.removeValue(forKey: name) != nil else { throw NftError(message: "No such file or directory: map \(name)") }
        case ("add", "element"), ("delete", "element"):
            let elements = Self.elements(rest)
            if t.maps[name] != nil {
                for e in elements {
                    let kv = e.components(separatedBy: " : ")
                    let key = kv[0].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    if verb == "add" {
                        guard kv.count == 2 else { throw NftError(message: "syntax error: map element \(e)") }
                        let target = kv[1].split(separator: " ").last.map(String.init) ?? ""
                        guard t.chains[target] != nil else { throw NftError(message: "No such file or directory: chain \(target)") }
                        t.maps[name]![key] = kv[1]
                    } else {
                        guard t.maps[name]!.removeValue(forKey: key) != nil else { throw NftError(message: "No such file or directory: element \(key)") }
                    }
                }
            } else if t.sets[name] != nil {
                for e in elements {
                    let member = Self.member(e)
                    if verb == "add" { t.sets[name]!.insert(member) }
                    else if t.sets[name]!.remove(member) == nil { throw NftError(message: "No such file or directory: element \(e)") }
                }
            } else {
                throw NftError(message: "No such file or directory: set \(name)")
            }
        default:
            throw NftError(message: "syntax error: \(verb) \(object)")
        }
        state[tableKey] = t
    }

    /// `{ a, b }` → `[a, b]`.
    static func elements(_ text: String) -> [String] {
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}") else { return [] }
        return text[text.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// An element as member text: `10.0.0.1 . tcp . 8080` → `10.0.0.1,tcp:8080`; a bare
    /// address gets its full-length prefix.
    static func member(_ element: String) -> String {
        let parts = element.components(separatedBy: " . ")
        if parts.count == 3 { return "\(parts[0]),\(parts[1]):\(parts[2])" }
        if element.contains("/") { return element }
        return element + (element.contains(":") ? "/128" : "/32")
    }

    /// Chains a rule body jumps or goes to.
    static func targets(_ body: String) -> [String] {
        let words = body.split(separator: " ").map(String.init)
        return words.indices.compactMap { i in
            (words[i] == "jump" || words[i] == "goto") && i + 1 < words.count ? words[i + 1] : nil
        }
    }

    /// Sets and maps a rule body refers to (`@name`, `vmap @name`).
    static func setReferences(_ body: String) -> [String] {
        body.split(separator: " ").compactMap { w in
            w.hasPrefix("@") ? String(w.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) : nil
        }
    }
}
