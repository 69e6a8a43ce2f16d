import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file atomically: a temporary file next to it, flushed, then renamed over it.
/// (Foundation's `.atomic` option on Linux goes through a `TemporaryDirectory.*` under /tmp
/// that it never removes.)
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw POSIXFailure(operation: "open", path: temporary, code: errno) }
        var ok = true
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; ok = false; return }
                offset += n
            }
        }
        let code = errno
        if !ok || fsync(fd) != 0 {
            close(fd); unlink(temporary)
            throw POSIXFailure(operation: "write", path: temporary, code: ok ? errno : code)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw POSIXFailure(operation: "rename", path: path, code: e)
        }
    }

    public struct POSIXFailure: Error, CustomStringConvertible {
        public let operation: String, path: String, code: Int32
        public init(operation: String, path: String, code: Int32) {
            self.operation = operation
            self.path = path
            self.code = code
        }
        public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }
}
