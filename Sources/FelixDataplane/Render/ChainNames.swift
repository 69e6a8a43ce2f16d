import FelixCalc

/// Chain and map names in the `calico` table: layer prefix + upstream's chain name.
enum ChainNames {
    enum Layer: String { case filter, mangle, raw, nat }

    static func name(_ layer: Layer, _ base: String) -> String { "\(layer.rawValue)-\(base)" }

    /// A name nft takes unquoted (letters, digits, `/ _ . -`), hashed when it is not or is long.
    static func safe(_ s: String) -> String {
        let ok = s.count <= 200 && s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "/" || c == "_" || c == "." || c == "-"
        }
        return ok ? s : "h" + StableHash.hex(s)
    }

    static func policyLayer(_ p: ActivePolicy) -> Layer { p.untracked ? .raw : (p.preDNAT ? .mangle : .filter) }

    /// `cali-pi-<tier>/<name>` (inbound) or `cali-po-…` (outbound).
    static func policy(_ id: PolicyID, inbound: Bool, layer: Layer) -> String {
        name(layer, (inbound ? "cali-pi-" : "cali-po-") + safe("\(id.tier)/\(id.name)"))
    }

    static func profile(_ profile: String, inbound: Bool) -> String {
        name(.filter, (inbound ? "cali-pri-" : "cali-pro-") + safe(profile))
    }

    static func interfaceSuffix(_ iface: String) -> String { iface == "*" ? "any-interface-at-all" : safe(iface) }

    /// Per-endpoint chains: `tw`/`fw` (workloads), `th`/`fh` (hosts), `thfw`/`fhfw` (forward).
    static func endpoint(_ kind: String, _ iface: String, layer: Layer = .filter) -> String {
        name(layer, "cali-\(kind)-" + interfaceSuffix(iface))
    }

    static let toWorkloadDispatch = name(.filter, "cali-to-wl-dispatch")
    static let fromWorkloadDispatch = name(.filter, "cali-from-wl-dispatch")
    /// The verdict maps the dispatch chains look interfaces up in (same names as the chains, as upstream).
    static let toWorkloadMap = toWorkloadDispatch
    static let fromWorkloadMap = fromWorkloadDispatch
}
