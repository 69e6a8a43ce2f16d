import Foundation

/// Where BGP passwords come from without Kubernetes: a Secret's key is a file,
/// `<directory>/<secret name>/<key>`, laid out as Kubernetes mounts a Secret volume (so a
/// mounted Secret works as is). The value is the file's text without trailing line breaks.
public struct SecretFiles: Sendable {
    public static let defaultDirectory = "/etc/calico/bgp-secrets"
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The values of the secrets (`name/key`) that exist and can be read; names that could
    /// leave the directory (`..`, a slash in a part, a hidden part) are never read.
    public func read(_ paths: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for path in paths {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy(Self.safe) else { continue }
            guard let data = FileManager.default.contents(atPath: directory + "/" + path) else { continue }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            out[path] = text
        }
        return out
    }

    /// A Kubernetes Secret name or key: letters, digits, `-`, `_`, `.`, not starting with `.`.
    static func safe(_ part: Substring) -> Bool {
        !part.isEmpty && !part.hasPrefix(".") && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
