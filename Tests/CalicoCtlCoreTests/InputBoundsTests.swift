import CalicoAPI
import Foundation
import Testing
@testable import CalicoCtlCore

/// What calicoctl reads is bounded: stdin like files (64 MiB), and `-R` visits each directory
/// and each file once however symlinks loop.
@Suite struct InputBoundsTests {
    @Test func stdinLargerThanTheFileLimitIsRefused() async {
        // A valid policy followed by a comment: over the limit only because of its size.
        let padding = String(repeating: "x", count: InputFiles.maxFileBytes)
        let r = await run(["validate", "-f", "-"], stdin: goodPolicy + "\n#" + padding + "\n")
        #expect(r.code == 1)
        #expect(r.err.contains("<stdin>"), "\(r.err.prefix(300))")
        #expect(r.err.contains("larger than 64 MiB"), "\(r.err.prefix(300))")
        #expect(r.out.isEmpty)
    }

    @Test func stdinAtTheLimitIsRead() async {
        let r = await run(["validate", "-f", "-"], stdin: goodPolicy + "\n")
        #expect(r.code == 0, "\(r.err)")
    }

    /// The real stdin reader stops after the limit instead of reading to the end of the stream.
    @Test func boundedReadStopsAtTheLimitOfAnEndlessStream() throws {
        let fd = open("/dev/zero", O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        let data = BoundedRead.read(fd: fd, limit: 3 << 20)
        #expect(data.count == 3 << 20)
    }

    @Test func boundedReadReturnsShortStreamsWhole() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("hello", to: dir + "/f")
        let fd = open(dir + "/f", O_RDONLY)
        defer { close(fd) }
        #expect(BoundedRead.read(fd: fd, limit: 100) == Data("hello".utf8))
    }

    /// A directory tree with `self -> .` and `up -> ..` symlinks (a loop each).
    func loopingTree() throws -> String {
        let dir = try tempDir()
        try write(goodPolicy, to: dir + "/top/a.yaml")
        try write(goodPolicy.replacingOccurrences(of: "allow-dns", with: "allow-b"), to: dir + "/top/sub/b.yaml")
        try FileManager.default.createSymbolicLink(atPath: dir + "/top/self", withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: dir + "/top/sub/up", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: dir + "/top/sub/again", withDestinationPath: ".")
        // A file reached through a second name is read once.
        try FileManager.default.createSymbolicLink(atPath: dir + "/top/sub/alias.yaml", withDestinationPath: "b.yaml")
        return dir
    }

    @Test func recursiveInputReadsEachFileOnceDespiteSymlinkLoops() async throws {
        let dir = try loopingTree()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ContinuousClock()
        let start = clock.now
        let r = await run(["validate", "-R", "-f", dir + "/top"])
        #expect(clock.now - start < .seconds(10))
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == "Successfully validated 2 'GlobalNetworkPolicy' resource(s)\n")
    }

    @Test func collectVisitsEachDirectoryOnce() throws {
        let dir = try loopingTree()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = Captured()
        let inputs = try InputFiles.collect([dir + "/top"], recursive: true, console: c.console)
        let names = inputs.map { ($0.name as NSString).lastPathComponent }.sorted()
        #expect(names == ["a.yaml", "alias.yaml"] || names == ["a.yaml", "b.yaml"], "\(inputs.map(\.name))")
        // Without -R only the top directory is read.
        #expect(try InputFiles.collect([dir + "/top"], recursive: false, console: c.console).map(\.name) == [dir + "/top/a.yaml"])
    }
}
