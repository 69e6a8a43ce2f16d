import Foundation

/// The pod MTU file Felix writes and the CNI plugin reads (upstream's `/var/lib/calico/mtu`):
/// the number alone.
public enum MTUFile {
    public static let defaultPath = "/var/lib/calico/mtu"

    /// The MTU in the file at `path`; nil when there is none or it is not a number.
    public static func read(_ path: String = defaultPath) -> Int? {
        FileManager.default.contents(atPath: path).flatMap { Int(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Writes the file atomically, making its directory when missing.
    public static func write(_ mtu: Int, to path: String = defaultPath) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try AtomicFile.write(Data("\(mtu)".utf8), to: path)
    }
}
