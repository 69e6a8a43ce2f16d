import CalicoDatastore
import CalicoTestSupport
import Foundation
import Testing
@testable import CalicoCtlCore
#if canImport(Glibc)
import Glibc
#endif

/// The built `calicoctl`, for cases that must not run in the test process (a crash would end it)
/// or that run as another user.
enum CalicoctlBinary {
    static let path = BuiltProducts.path("calicoctl")

    /// Runs the binary with `environment` only (as `user` when given, through `runuser`).
    static func run(_ args: [String], environment: [String: String], user: String? = nil) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        if let user {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            p.arguments = ["-u", user, "--", "/usr/bin/env", "-i"] + environment.map { "\($0.key)=\($0.value)" } + [path] + args
            p.environment = [:]
        } else {
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = args
            p.environment = environment
        }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

func fileMode(_ path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return st.st_mode & 0o7777
}

/// The embedded datastore file as calicoctl sees it: bad paths, missing stores, permissions,
/// corruption, and credentials in endpoint URLs.
@Suite struct EmbeddedFileTests {
    static let tier = "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n"

    @Test("a datastore path that is a directory, or under a file, is a clear error (not a crash or a Cocoa error)")
    func badPaths() throws {
        try BuiltProducts.require("calicoctl")
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/t.yaml"
        try write(Self.tier, to: input)
        for args in [["get", "tiers"], ["apply", "-f", input]] {
            let r = try CalicoctlBinary.run(args, environment: ["EMBEDDED_DATASTORE_PATH": dir])
            #expect(r.code == 1, "\(args): \(r)")
            #expect(r.err.contains("\(dir) is a directory, not a datastore file"), "\(args): \(r.err)")
        }
        let file = dir + "/plain"
        try write("x", to: file)
        let under = file + "/datastore.db"
        let create = try CalicoctlBinary.run(["apply", "-f", input], environment: ["EMBEDDED_DATASTORE_PATH": under])
        #expect(create.code == 1 && create.err.contains("cannot create \(under): \(file) is not a directory"), "\(create)")
        #expect(!create.err.contains("NSCocoaErrorDomain"))
        let read = try CalicoctlBinary.run(["get", "tiers"], environment: ["EMBEDDED_DATASTORE_PATH": under])
        #expect(read.code == 1 && read.err.contains("no datastore at \(under)") && read.err.contains("\(file) is not a directory"), "\(read)")
    }

    @Test("read-only commands never create a store; commands that write do, and say so")
    func missingStore() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/typo/datastore.db"
        let env = ["EMBEDDED_DATASTORE_PATH": path]
        let readOnly: [[String]] = [
            ["get", "ippools"], ["ipam", "show"], ["ipam", "check"], ["datastore", "migrate", "export"],
            ["delete", "tier", "security"], ["patch", "tier", "security", "-p", "{\"spec\": {\"order\": 1}}"],
            ["label", "tier", "security", "a=b"], ["datastore", "migrate", "lock"],
        ]
        for args in readOnly {
            let r = await run(args, environment: env)
            #expect(r.code == 1, "\(args): \(r)")
            #expect(r.err.contains("no datastore at \(path)"), "\(args): \(r.err)")
            #expect(!FileManager.default.fileExists(atPath: path), "\(args) created the store")
        }
        let input = dir + "/t.yaml"
        try write(Self.tier, to: input)
        let created = await run(["apply", "-f", input], environment: env)
        #expect(created.code == 0, "\(created)")
        #expect(created.err.contains("created a new datastore at \(path)"), "\(created.err)")
        #expect(FileManager.default.fileExists(atPath: path))
        let again = await run(["apply", "-f", input], environment: env)
        #expect(again.code == 0 && again.err.isEmpty, "\(again)")
        #expect(await run(["get", "tier", "security"], environment: env).code == 0)
        // ipam configure may create one too.
        let other = dir + "/other/datastore.db"
        let configured = await run(["ipam", "configure", "--strictaffinity=true"], environment: ["EMBEDDED_DATASTORE_PATH": other])
        #expect(configured.code == 0 && configured.err.contains("created a new datastore at \(other)"), "\(configured)")
    }

    @Test("a new store is readable by its owner only: file, WAL and SHM 0600, a directory made for it 0700")
    func permissions() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/state/datastore.db"
        let old = umask(0o022)
        defer { umask(old) }
        let input = dir + "/t.yaml"
        try write(Self.tier, to: input)
        #expect(await run(["apply", "-f", input], environment: ["EMBEDDED_DATASTORE_PATH": path]).code == 0)
        #expect(fileMode(path) == 0o600, "datastore mode \(String(fileMode(path) ?? 0, radix: 8))")
        #expect(fileMode(dir + "/state") == 0o700, "directory mode \(String(fileMode(dir + "/state") ?? 0, radix: 8))")
        // The side files exist while the store is open.
        var config = DatastoreConfig()
        config.embeddedPath = path
        let store = try config.open()
        _ = try await store.kv.revision()
        for side in ["-wal", "-shm"] {
            #expect(fileMode(path + side) == 0o600, "\(side) mode \(String(fileMode(path + side) ?? 0, radix: 8))")
        }
        withExtendedLifetime(store) {}
    }

    @Test("another user: a read-only store of its own can be read; one it cannot read is a clear error")
    func otherUser() async throws {
        try RootGate.require("running calicoctl as another user")
        try BuiltProducts.require("calicoctl")
        try #require(getpwnam("nobody") != nil, "needs the user nobody")
        let nobody = getpwnam("nobody")!.pointee
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o755)
        let input = dir + "/t.yaml"
        try write(Self.tier, to: input)

        // Root's store: nobody may not read it.
        let rootStore = dir + "/root/datastore.db"
        #expect(await run(["apply", "-f", input], environment: ["EMBEDDED_DATASTORE_PATH": rootStore]).code == 0)
        chmod(dir + "/root", 0o755)
        let denied = try CalicoctlBinary.run(["get", "tiers"], environment: ["EMBEDDED_DATASTORE_PATH": rootStore], user: "nobody")
        #expect(denied.code == 1 && denied.err.contains(rootStore) && denied.err.contains("permission denied"), "\(denied)")
        // Readable, but in a directory nobody may not write: SQLite cannot make its side files.
        chmod(rootStore, 0o644)
        let sideFiles = try CalicoctlBinary.run(["get", "tiers"], environment: ["EMBEDDED_DATASTORE_PATH": rootStore], user: "nobody")
        #expect(sideFiles.code == 1 && sideFiles.err.contains("read-only") && sideFiles.err.contains(rootStore + "-shm"), "\(sideFiles)")

        // nobody's own store, read-only for it: get works, apply says why not.
        let own = dir + "/own"
        let ownStore = own + "/datastore.db"
        #expect(await run(["apply", "-f", input], environment: ["EMBEDDED_DATASTORE_PATH": ownStore]).code == 0)
        chown(own, nobody.pw_uid, nobody.pw_gid)
        chown(ownStore, nobody.pw_uid, nobody.pw_gid)
        chmod(ownStore, 0o400)
        let got = try CalicoctlBinary.run(["get", "tiers"], environment: ["EMBEDDED_DATASTORE_PATH": ownStore], user: "nobody")
        #expect(got.code == 0 && got.out.contains("security"), "\(got)")
        let refused = try CalicoctlBinary.run(["apply", "-f", input], environment: ["EMBEDDED_DATASTORE_PATH": ownStore], user: "nobody")
        #expect(refused.code == 1 && refused.err.contains(ownStore) && refused.err.contains("read-only"), "\(refused)")
    }

    @Test("a damaged page anywhere in the file makes get and apply fail, naming the file")
    func corruption() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let original = dir + "/original.db"
        let sets = (1...200).map { i in
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: set-\(i), labels: {role: r\(i % 7)}}\nspec: {nets: [10.\(i % 250).0.0/16]}\n"
        }
        let input = dir + "/sets.yaml"
        try write(sets.joined(separator: "---\n"), to: input)
        #expect(await run(["apply", "-f", input], environment: ["EMBEDDED_DATASTORE_PATH": original]).code == 0)
        let pageSize = 4096
        let size = try #require(try FileManager.default.attributesOfItem(atPath: original)[.size] as? Int)
        let pages = size / pageSize
        try #require(pages > 10, "store has \(pages) pages")
        let tierInput = dir + "/t.yaml"
        try write(Self.tier, to: tierInput)
        var unnoticed: [String] = []
        // Every page but the header page, overwritten with garbage in its own copy.
        for page in 1..<pages {
            let copy = dir + "/copy.db"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: original, toPath: copy)
            let handle = try #require(FileHandle(forUpdatingAtPath: copy))
            try handle.seek(toOffset: UInt64(page * pageSize))
            handle.write(Data((0..<pageSize).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
            try handle.close()
            let env = ["EMBEDDED_DATASTORE_PATH": copy]
            let get = await run(["get", "globalnetworksets"], environment: env)
            if get.code == 0 || !get.err.contains(copy) { unnoticed.append("get, page \(page + 1): exit \(get.code), \(get.out.split(separator: "\n").count) lines, \(get.err)") }
            let apply = await run(["apply", "-f", tierInput], environment: env)
            if apply.code == 0 || !apply.err.contains(copy) { unnoticed.append("apply, page \(page + 1): exit \(apply.code) \(apply.err)") }
        }
        #expect(unnoticed.isEmpty, "\(unnoticed.count) damaged copies not refused: \(unnoticed.prefix(6))")
    }

    @Test("credentials in an etcd endpoint URL never appear in messages")
    func credentialsStayHidden() async throws {
        let port = try EtcdTestServer.freeLoopbackPorts(1)[0]
        let endpoint = "http://alice:s3cr3t-pw@127.0.0.1:\(port)"
        let r = await run(["get", "tiers"], environment: ["DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": endpoint])
        #expect(r.code == 1)
        #expect(r.err.contains("127.0.0.1:\(port)"), "\(r.err)")
        #expect(!r.err.contains("s3cr3t") && !r.err.contains("alice"), "\(r.err)")
        let version = await run(["version"], environment: ["DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": endpoint])
        #expect(!version.err.contains("s3cr3t") && !version.out.contains("s3cr3t"), "\(version)")
    }
}
