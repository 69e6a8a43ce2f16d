import Foundation
import Testing

/// The package's built executables (`.build/debug/<name>`), for tests that run them as a user
/// or a runtime would. A missing one fails the test with a message saying how to build it.
public enum BuiltProducts {
    /// The package root (this file is `Sources/CalicoTestSupport/BuiltProducts.swift`).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// Where `swift build` puts the debug executables.
    public static let directory = packageRoot + "/.build/debug"

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// The path of executable `name`; a `#require` failure at the caller when it is not built.
    @discardableResult
    public static func require(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = path(name)
        try #require(FileManager.default.isExecutableFile(atPath: path),
                     "\(path) is missing: build the package first (swift build --build-tests)", sourceLocation: sourceLocation)
        return path
    }
}
