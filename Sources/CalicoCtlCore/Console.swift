import CalicoAPI
import Foundation

/// Where a command writes: standard output and standard error, and where it reads stdin
/// (`readStdin` may stop one byte past `InputFiles.maxFileBytes`: more is refused anyway).
public struct Console: Sendable {
    public var out: @Sendable (String) -> Void
    public var err: @Sendable (String) -> Void
    public var readStdin: @Sendable () -> Data

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void,
                readStdin: @escaping @Sendable () -> Data) {
        self.out = out
        self.err = err
        self.readStdin = readStdin
    }

    /// The process's real streams.
    public static let standard = Console(
        out: { FileHandle.standardOutput.write(Data($0.utf8)) },
        err: { FileHandle.standardError.write(Data($0.utf8)) },
        readStdin: { BoundedRead.read(fd: STDIN_FILENO, limit: InputFiles.maxFileBytes + 1) })

    func println(_ s: String) { out(s + "\n") }
    func print(_ s: String) { out(s) }
    func eprintln(_ s: String) { err(s + "\n") }
}
