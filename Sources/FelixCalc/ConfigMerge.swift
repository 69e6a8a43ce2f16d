import CalicoAPI

/// FelixConfiguration in force on one node: `default` overlaid by `node.<hostname>`, field by
/// field (upstream's config batcher; file and `FELIX_*` environment layers are the daemon's).
/// Other nodes' objects are ignored.
struct ConfigMerge {
    let hostname: String
    private var configs: [String: FelixConfiguration] = [:]
    /// Field name → value text (scalars as written, structures as compact JSON).
    private(set) var resolved: [String: String] = [:]

    init(hostname: String) {
        self.hostname = hostname
    }

    private var layers: [String] { ["default", "node.\(hostname)"] }

    mutating func put(_ c: FelixConfiguration) {
        guard layers.contains(c.name) else { return }
        configs[c.name] = c
        resolved = merge()
    }

    mutating func delete(name: String) {
        guard configs.removeValue(forKey: name) != nil else { return }
        resolved = merge()
    }

    private func merge() -> [String: String] {
        var out: [String: String] = [:]
        for name in layers {
            guard let c = configs[name], case let .mapping(pairs, _)? = try? TreeEncoder().encode(c.spec) else { continue }
            for (key, value) in pairs {
                switch value {
                case .scalar(let text, _, _): out[key] = text
                default: out[key] = Emitter.json(value, indent: 0)
                }
            }
        }
        return out
    }
}
