import CNftables
import CalicoNetlink
import Foundation

/// A failed nft command: the text nft printed.
public struct NftError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// Runs nft scripts and lists tables: the one place the dataplane touches nftables.
public protocol NftBackend: Sendable {
    /// Runs `script` as one atomic transaction (or only checks it when `check`).
    func run(_ script: String, check: Bool) throws
    /// `list table <family> calico` as JSON ("" when the table does not exist).
    func listJSON(_ family: IPFamily) throws -> String
}

/// libnftables in-process (the default: no process per transaction).
public final class LibNftables: NftBackend, @unchecked Sendable {
    private let lock = NSLock()
    private let ctx: OpaquePointer
    private let jsonCtx: OpaquePointer

    public init() throws {
        guard let c = nft_ctx_new(UInt32(NFT_CTX_DEFAULT)), let j = nft_ctx_new(UInt32(NFT_CTX_DEFAULT)) else {
            throw NftError(message: "libnftables: cannot create a context")
        }
        ctx = c
        jsonCtx = j
        for x in [c, j] {
            _ = nft_ctx_buffer_output(x)
            _ = nft_ctx_buffer_error(x)
        }
        nft_ctx_output_set_flags(j, UInt32(NFT_CTX_OUTPUT_JSON))
    }

    deinit {
        nft_ctx_free(ctx)
        nft_ctx_free(jsonCtx)
    }

    public func run(_ script: String, check: Bool) throws {
        try lock.withLock {
            nft_ctx_set_dry_run(ctx, check)
            defer { nft_ctx_set_dry_run(ctx, false) }
            let rc = nft_run_cmd_from_buffer(ctx, script)
            if rc != 0 {
                throw NftError(message: String(cString: nft_ctx_get_error_buffer(ctx)))
            }
        }
    }

    public func listJSON(_ family: IPFamily) throws -> String {
        try lock.withLock {
            let rc = nft_run_cmd_from_buffer(jsonCtx, "list table \(family.nftFamily) calico")
            if rc != 0 {
                let err = String(cString: nft_ctx_get_error_buffer(jsonCtx))
                if err.contains("No such file or directory") { return "" }
                throw NftError(message: err)
            }
            return String(cString: nft_ctx_get_output_buffer(jsonCtx))
        }
    }
}

/// The `nft` command (`nft -f -` with the script on stdin): a process per transaction.
public struct NftCommand: NftBackend {
    public var binary: String
    public init(binary: String = "nft") { self.binary = binary }

    public func run(_ script: String, check: Bool) throws {
        let out = try CommandRunner.run([binary] + (check ? ["-c"] : []) + ["-f", "-"], input: script)
        if out.status != 0 { throw NftError(message: out.stderr) }
    }

    public func listJSON(_ family: IPFamily) throws -> String {
        let out = try CommandRunner.run([binary, "-j", "list", "table", family.nftFamily, "calico"])
        if out.status != 0 {
            if out.stderr.contains("No such file or directory") { return "" }
            throw NftError(message: out.stderr)
        }
        return out.stdout
    }
}
