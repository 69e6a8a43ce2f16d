import Foundation
import CalicoAPI

/// What the kernel's `calico` table of one family holds, as far as Felix cares: each chain's
/// rule hashes (from the `cali:<hash>` comments), each set's members, each map's elements.
public struct KernelTable: Sendable, Equatable {
    public var exists = false
    public var chains: [String: [String]] = [:]
    public var sets: [String: Set<String>] = [:]
    /// Sets whose elements could not all be read back (rewritten whole when touched).
    public var unreadableSets: Set<String> = []
    public var maps: [String: [String: String]] = [:]

    public init() {}

    /// Parses `nft -j list table <family> calico`.
    public static func parse(json: String) throws -> KernelTable {
        var t = KernelTable()
        if json.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return t }
        guard case .sequence(let items, _)? = try JSONReader.parse(Array(json.utf8))["nftables"] else { return t }
        for item in items {
            if case .mapping? = item["table"] { t.exists = true }
            if let chain = item["chain"], let name = chain["name"]?.scalarText {
                if t.chains[name] == nil { t.chains[name] = [] }
            }
            if let rule = item["rule"], let chain = rule["chain"]?.scalarText {
                let comment = rule["comment"]?.scalarText ?? ""
                var hash = ""
                if comment.hasPrefix("cali:") { hash = String(comment.dropFirst(5).prefix(16)) }
                t.chains[chain, default: []].append(hash)
            }
            if let set = item["set"], let name = set["name"]?.scalarText {
                var members = Set<String>()
                var readable = true
                if case .sequence(let elems, _)? = set["elem"] {
                    for e in elems {
                        if let m = member(e) { members.insert(m) } else { readable = false }
                    }
                }
                t.sets[name] = members
                if !readable { t.unreadableSets.insert(name) }
            }
            if let map = item["map"], let name = map["name"]?.scalarText {
                var elements: [String: String] = [:]
                if case .sequence(let elems, _)? = map["elem"] {
                    for e in elems {
                        guard case .sequence(let pair, _) = e, pair.count == 2, let key = pair[0].scalarText else { continue }
                        if let target = pair[1]["goto"]?["target"]?.scalarText { elements[key] = "goto \(target)" }
                        else if let target = pair[1]["jump"]?["target"]?.scalarText { elements[key] = "jump \(target)" }
                    }
                }
                t.maps[name] = elements
            }
        }
        return t
    }

    /// One set element in canonical member text, or nil when it is in a shape Felix never writes.
    static func member(_ v: Value) -> String? {
        if let text = v.scalarText { return text.contains(":") ? "\(text)/128" : "\(text)/32" }
        if let p = v["prefix"], let addr = p["addr"]?.scalarText, let len = p["len"]?.scalarText { return "\(addr)/\(len)" }
        if let inner = v["elem"]?["val"] { return member(inner) }
        if case .sequence(let parts, _)? = v["concat"], parts.count == 3, let addr = parts[0].scalarText, let proto = parts[1].scalarText, let port = parts[2].scalarText {
            return "\(addr),\(NftScript.protocolName(proto)):\(port)"
        }
        return nil
    }
}
