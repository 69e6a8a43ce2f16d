import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a stream up to a limit, so an endless or huge stdin cannot exhaust memory (calicoctl's
/// `-f -`, the CNI plugins' network configuration).
public enum BoundedRead {
    /// Reads `fd` until end of file or until `limit` bytes have been read, whichever is first.
    public static func read(fd: Int32, limit: Int) -> Data {
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while out.count < limit {
            let want = min(buffer.count, limit - out.count)
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }
}
