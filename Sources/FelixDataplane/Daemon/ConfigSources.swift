import Foundation

/// Felix's non-datastore configuration layers: the config file and `FELIX_*` environment.
public enum ConfigSources {
    /// `FELIX_<NAME>=v` → `name: v` (lower-cased).
    public static func environment(_ env: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in env where k.uppercased().hasPrefix("FELIX_") {
            out[String(k.dropFirst(6)).lowercased()] = v
        }
        return out
    }

    /// An INI file (`Key = value` lines in any section; `#`/`;` comments).
    public static func file(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || line.hasPrefix("[") { continue }
            guard let eq = line.firstIndex(of: "=") ?? line.firstIndex(of: ":") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out[key] = value
        }
        return out
    }

    /// The config file path: `-c <path>` / `--config-file`, `FELIX_CONFIGFILE`, else `/etc/calico/felix.cfg`.
    public static func filePath(arguments: [String], environment: [String: String]) -> String {
        if let i = arguments.firstIndex(where: { $0 == "-c" || $0 == "--config-file" || $0 == "-config-file" }), i + 1 < arguments.count {
            return arguments[i + 1]
        }
        return environment["FELIX_CONFIGFILE"] ?? "/etc/calico/felix.cfg"
    }
}
