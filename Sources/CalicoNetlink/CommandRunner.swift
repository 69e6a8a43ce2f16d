import Foundation

/// What a finished command printed and how it exited.
public struct CommandOutput: Sendable, Equatable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// A command that could not be started or exited non-zero: the command line, its exit
/// status (-1 when it did not start) and what it wrote to stderr.
public struct CommandError: Error, Sendable, Equatable, CustomStringConvertible {
    public var command: [String]
    public var status: Int32
    public var stderr: String

    public init(command: [String], status: Int32, stderr: String) {
        self.command = command
        self.status = status
        self.stderr = stderr
    }

    public var description: String {
        let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let what = status < 0 ? "could not run" : "exit \(status)"
        return "`\(command.joined(separator: " "))` failed (\(what))" + (detail.isEmpty ? "" : ": \(detail)")
    }
}

/// Runs external programs (iproute2, nsenter, sysctl) and collects their output.
public enum CommandRunner {
    /// Where programs are looked up after `PATH`: runtimes often start plugins with a bare
    /// environment.
    static let fallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    /// The absolute path of `program` (already absolute, or found in `PATH` or the fallbacks).
    public static func resolve(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + fallbackDirectories
        for dir in dirs where !dir.isEmpty {
            let candidate = dir + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `argv` to completion, feeding `input` on stdin, and returns its output whatever
    /// the exit status. Throws only when the program cannot be started.
    public static func run(_ argv: [String], input: String? = nil, environment: [String: String]? = nil) throws -> CommandOutput {
        guard let program = argv.first, let executable = resolve(program) else {
            throw CommandError(command: argv, status: -1, stderr: "\(argv.first ?? "(empty command)"): not found")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = input == nil ? nil : Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe ?? FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CommandError(command: argv, status: -1, stderr: "\(error)")
        }
        // Dedicated threads, not the global dispatch pool: a pool thread that blocks on a pipe
        // can wait long for a sibling to be started.
        let errData = DataBox()
        let errDone = DispatchSemaphore(value: 0)
        let errHandle = errPipe.fileHandleForReading
        Thread.detachNewThread {
            errData.set(errHandle.readDataToEndOfFile())
            errDone.signal()
        }
        var inDone: DispatchSemaphore?
        if let inPipe, let input {
            let writer = inPipe.fileHandleForWriting
            let bytes = Data(input.utf8)
            if bytes.count <= 16_384 {
                // Fits the pipe buffer: cannot block.
                try? writer.write(contentsOf: bytes)
                try? writer.close()
            } else {
                let done = DispatchSemaphore(value: 0)
                inDone = done
                Thread.detachNewThread {
                    try? writer.write(contentsOf: bytes)
                    try? writer.close()
                    done.signal()
                }
            }
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        inDone?.wait()
        process.waitUntilExit()
        return CommandOutput(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// Runs `argv` and returns its stdout; a non-zero exit is a `CommandError`.
    @discardableResult
    public static func check(_ argv: [String], input: String? = nil) throws -> String {
        let out = try run(argv, input: input)
        guard out.status == 0 else { throw CommandError(command: argv, status: out.status, stderr: out.stderr) }
        return out.stdout
    }
}

/// Bytes handed from a reader thread to the waiting one.
final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func set(_ d: Data) { lock.withLock { data = d } }
    func get() -> Data { lock.withLock { data } }
}
