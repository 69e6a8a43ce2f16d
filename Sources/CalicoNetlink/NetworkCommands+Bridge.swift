/// The kernel's `bridge` (iproute2), for every `NetworkCommands` that does not model it.
extension NetworkCommands {
    @discardableResult
    public func bridge(_ args: [String], in ns: NetworkNamespace) throws -> String {
        let argv = ["bridge"] + args
        return try ns.perform { try CommandRunner.check(argv) }
    }

    /// Several `bridge` commands in one process (`bridge -batch -`), stopping at the first failure.
    public func bridgeBatch(_ commands: [[String]], in ns: NetworkNamespace) throws {
        guard !commands.isEmpty else { return }
        let script = commands.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n"
        let argv = ["bridge", "-batch", "-"]
        try ns.perform {
            let out = try CommandRunner.run(argv, input: script)
            guard out.status == 0 else { throw CommandError(command: argv + ["<<", script.replacingOccurrences(of: "\n", with: "; ")], status: out.status, stderr: out.stderr) }
        }
    }
}
