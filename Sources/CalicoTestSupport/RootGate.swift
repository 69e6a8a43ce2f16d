import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The one gate of root-only tests (network namespaces, veths, nftables, other users): run as
/// root they go on; otherwise they fail with a message saying what needs root, never skip
/// (a kernel test that skips would pass silently). CI runs every test as root
/// (`scripts/run-tests.sh`).
///
///     @Test func vethIntoANamespace() throws {
///         try RootGate.require("network namespaces and veths")
///         …
///     }
public enum RootGate {
    public static var isRoot: Bool { geteuid() == 0 }

    /// Fails the test (a `#require` failure at the caller) unless it runs as root; `what` says
    /// what needs root.
    public static func require(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(isRoot, "needs root (\(what)): run the kernel tests as root, as scripts/run-tests.sh does in CI",
                     sourceLocation: sourceLocation)
    }
}
