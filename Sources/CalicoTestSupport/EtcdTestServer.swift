import Foundation
import Synchronization
import CalicoDatastore
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway single-member etcd for tests: loopback ports chosen free, a fresh data
/// directory, removed again by `stop()` (or when the server is released).
///
///     let server = try await EtcdTestServer.start()
///     defer { server.stop() }
///     let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
///
/// The binary is `$ETCD_BIN`, else `/usr/bin/etcd`, else `etcd` on `PATH`.
public final class EtcdTestServer: Sendable {
    /// The client URL, `http://127.0.0.1:<port>`.
    public let endpoint: String
    public let clientPort: Int
    public let peerPort: Int
    /// Holds `data/` (etcd's data dir) and `etcd.log` (its output, for failure messages).
    public let directory: String
    private let process = Mutex<Process?>(nil)

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    private init(clientPort: Int, peerPort: Int, directory: String) {
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.directory = directory
        endpoint = "http://127.0.0.1:\(clientPort)"
    }

    deinit { stop() }

    /// Starts etcd and returns once it answers requests.
    public static func start() async throws -> EtcdTestServer {
        var attempt = 0
        while true {
            attempt += 1
            let ports = try freeLoopbackPorts(2)
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("calico-etcd-test-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let server = EtcdTestServer(clientPort: ports[0], peerPort: ports[1], directory: directory)
            do {
                try await server.launchAndWait()
                return server
            } catch {
                // Another process may have taken a port between picking and binding it.
                let portTaken = server.logTail().contains("address already in use")
                server.stop()
                if !portTaken || attempt >= 5 { throw error }
            }
        }
    }

    /// Kills etcd (SIGKILL, as in a crash; SIGTERM when `graceful`) and starts it again on the
    /// same data directory and ports; returns once it answers again.
    public func restart(graceful: Bool = false) async throws {
        halt(graceful: graceful)
        try await resume()
    }

    /// Stops the etcd process, keeping its data, until `resume()`.
    public func halt(graceful: Bool = false) {
        let running = process.withLock { current -> Process? in
            let p = current
            current = nil
            return p
        }
        guard let running else { return }
        if running.isRunning {
            if graceful { running.terminate() } else { kill(running.processIdentifier, SIGKILL) }
        }
        running.waitUntilExit()
    }

    /// Starts the halted etcd again (same data directory and ports).
    public func resume() async throws {
        try await launchAndWait()
    }

    /// Stops etcd and deletes its directory. Safe to call more than once.
    public func stop() {
        halt(graceful: false)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The last lines etcd wrote.
    public func logTail(_ lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: directory + "/etcd.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private func launchAndWait() async throws {
        try launch()
        let store = EtcdStore(endpoints: [endpoint], tls: nil)
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            let running = process.withLock { $0?.isRunning ?? false }
            if !running {
                throw Failure(description: "etcd exited while starting:\n\(logTail())")
            }
            do {
                _ = try await store.revision()
                return
            } catch is EtcdError {
                return  // it answers (refusing us: authentication is on)
            } catch {
                // not up yet
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "etcd at \(endpoint) did not answer within 30 s:\n\(logTail())")
    }

    private func launch() throws {
        let peer = "http://127.0.0.1:\(peerPort)"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary())
        p.arguments = [
            "--name", "default",
            "--data-dir", directory + "/data",
            "--listen-client-urls", endpoint,
            "--advertise-client-urls", endpoint,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "default=\(peer)",
        ]
        // etcd reads ETCD_* variables as flags: keep the test's own out of it.
        p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ETCD_") }
        let logPath = directory + "/etcd.log"
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw Failure(description: "cannot write \(logPath)")
        }
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process.withLock { $0 = p }
    }

    public static func binary() -> String {
        if let bin = ProcessInfo.processInfo.environment["ETCD_BIN"], !bin.isEmpty { return bin }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") { return "/usr/bin/etcd" }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/etcd"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return "/usr/bin/etcd"
    }

    /// Ports this process handed out already: never handed out twice, so tests running in
    /// parallel do not collide.
    private static let handedOut = Mutex<Set<Int>>([])

    /// `count` distinct loopback ports nobody listens on (sockets held until all are picked),
    /// never returned before by this process.
    public static func freeLoopbackPorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        while ports.count < count {
            let (fd, port) = try bindLoopback(port: 0)
            sockets.append(fd)
            if handedOut.withLock({ $0.insert(port).inserted }) { ports.append(port) }
        }
        return ports
    }

    /// A TCP socket bound to 127.0.0.1:`port` (0: any free one), not listening yet.
    public static func bindLoopback(port: Int) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw Failure(description: "cannot bind a loopback port")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
