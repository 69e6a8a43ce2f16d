import CalicoNetlink
import Foundation
import Synchronization
import CalicoDatastore
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway single-member etcd for the lab and the tests: loopback ports chosen free, a fresh data
/// directory, removed again by `stop()` (or when the server is released).
///
///     let server = try await EtcdServer.start()
///     defer { server.stop() }
///     let store = EtcdStore(endpoints: [server.endpoint], tls: nil)
///
/// The binary is `$ETCD_BIN`, else `/usr/bin/etcd`, else `etcd` on `PATH`.
///
/// With `start(tls: true)` etcd serves `https://` and requires client certificates (mutual
/// TLS): a CA, a server certificate for 127.0.0.1 and a client certificate are made with the
/// `openssl` CLI in `directory/tls/`, and `clientTLS` holds what a client needs.
///
///     let server = try await EtcdServer.start(tls: true)
///     let store = EtcdStore(endpoints: [server.endpoint], tls: server.clientTLS)
public final class EtcdServer: Sendable {
    /// The client URL, `http://127.0.0.1:<port>` (`https://` with TLS).
    public let endpoint: String
    public let clientPort: Int
    public let peerPort: Int
    /// Holds `data/` (etcd's data dir), `etcd.log` (its output, for failure messages) and,
    /// with TLS, `tls/` (the certificates).
    public let directory: String
    /// The certificates, when the server runs with TLS.
    public let tlsFiles: TLSFiles?
    /// etcd's pid while it runs (started by `ProcessControl.spawnDaemon`, reaped by us).
    private let pid = Mutex<pid_t?>(nil)

    /// etcd's process id while it runs (`ip netns exec` execs etcd: it is etcd's own).
    public var processID: pid_t? { pid.withLock { $0 } }

    /// PEM file of the CA that signed the server and client certificates (TLS only).
    public var caFile: String? { tlsFiles?.caFile }
    /// PEM client certificate the server accepts (TLS only).
    public var clientCertFile: String? { tlsFiles?.clientCertFile }
    /// PEM private key of `clientCertFile` (TLS only).
    public var clientKeyFile: String? { tlsFiles?.clientKeyFile }
    /// The options a client needs to talk to this server (nil without TLS).
    public var clientTLS: EtcdTLSOptions? { tlsFiles?.clientOptions }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The network namespace etcd runs in (nil: this process's), and the addresses it
    /// listens on besides 127.0.0.1 there.
    public let namespace: String?
    public let extraAddresses: [String]

    private init(clientPort: Int, peerPort: Int, directory: String, tlsFiles: TLSFiles?,
                 namespace: String? = nil, extraAddresses: [String] = []) {
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.directory = directory
        self.tlsFiles = tlsFiles
        self.namespace = namespace
        self.extraAddresses = extraAddresses
        endpoint = "\(tlsFiles == nil ? "http" : "https")://127.0.0.1:\(clientPort)"
    }

    /// The client URL on one of `extraAddresses`.
    public func endpoint(on address: String) -> String { "http://\(address):\(clientPort)" }

    /// Starts a plain-HTTP etcd inside network namespace `namespace` (created by the caller),
    /// listening on 127.0.0.1 and `addresses` there: for processes that run in other
    /// namespaces (e.g. CNI plugins in node namespaces). Returns once etcdctl there sees it
    /// healthy.
    public static func start(inNamespace namespace: String, addresses: [String]) async throws -> EtcdServer {
        let ports = try freeLoopbackPorts(2)
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("calico-etcd-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = EtcdServer(clientPort: ports[0], peerPort: ports[1], directory: directory, tlsFiles: nil,
                                    namespace: namespace, extraAddresses: addresses)
        do {
            try server.launch()
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while ContinuousClock.now < deadline {
                let probe = try CommandRunner.run(["ip", "netns", "exec", namespace, "etcdctl", "--endpoints", server.endpoint, "endpoint", "health"],
                                                  environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"])
                if probe.status == 0 { return server }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw Failure(description: "etcd in namespace \(namespace) did not answer within 30 s:\n\(server.logTail())")
        } catch {
            server.stop()
            throw error
        }
    }

    deinit { stop() }

    /// Starts etcd and returns once it answers requests; with `tls`, on `https://` with
    /// client-certificate authentication.
    public static func start(tls: Bool = false) async throws -> EtcdServer {
        var attempt = 0
        while true {
            attempt += 1
            let ports = try freeLoopbackPorts(2)
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("calico-etcd-test-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let files: TLSFiles?
            do {
                files = tls ? try TLSFiles.generate(in: directory + "/tls") : nil
            } catch {
                try? FileManager.default.removeItem(atPath: directory)
                throw error
            }
            let server = EtcdServer(clientPort: ports[0], peerPort: ports[1], directory: directory, tlsFiles: files)
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
        let running = pid.withLock { current -> pid_t? in
            defer { current = nil }
            return current
        }
        guard let running else { return }
        ProcessControl.stop(running, signal: graceful ? SIGTERM : SIGKILL, grace: .seconds(10))
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
        let store = EtcdStore(endpoints: [endpoint], tls: clientTLS)
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            let running = pid.withLock { $0.map(ProcessControl.isAlive) ?? false }
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

    /// Starts etcd the way the lab starts its daemons (`ProcessControl.spawnDaemon`: a session
    /// of its own, output appended to `etcd.log`).
    private func launch() throws {
        let peer = "http://127.0.0.1:\(peerPort)"
        let listen = ([endpoint] + extraAddresses.map { endpoint(on: $0) }).joined(separator: ",")
        var argv = [
            Self.binary(),
            "--name", "default",
            "--data-dir", directory + "/data",
            "--listen-client-urls", listen,
            "--advertise-client-urls", endpoint,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "default=\(peer)",
        ]
        if let tlsFiles {
            argv += [
                "--cert-file", tlsFiles.serverCertFile,
                "--key-file", tlsFiles.serverKeyFile,
                "--trusted-ca-file", tlsFiles.caFile,
                "--client-cert-auth",
            ]
        }
        if let namespace {
            // `ip netns exec` execs etcd: the process is etcd itself.
            argv = ["ip", "netns", "exec", namespace] + argv
        }
        // etcd reads ETCD_* variables as flags: keep the test's own out of it.
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ETCD_") }
        let started = try ProcessControl.spawnDaemon(argv, environment: environment, logPath: directory + "/etcd.log")
        pid.withLock { $0 = started }
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

extension EtcdServer {
    /// A test PKI made with the `openssl` CLI: a CA, a server certificate (subjectAltName
    /// `IP:127.0.0.1`, usable for server and client authentication, as etcd's gateway dials
    /// etcd with it) and a client certificate, all signed by the CA. Keys are unencrypted
    /// P-256 PEM files; certificates are valid for two days.
    public struct TLSFiles: Sendable, Equatable {
        public var caFile: String
        public var caKeyFile: String
        public var serverCertFile: String
        public var serverKeyFile: String
        public var clientCertFile: String
        public var clientKeyFile: String

        /// What a client of a server using these files passes to `EtcdStore`.
        public var clientOptions: EtcdTLSOptions {
            EtcdTLSOptions(caFile: caFile, certFile: clientCertFile, keyFile: clientKeyFile)
        }

        /// Makes the files in `directory` (created when missing): `ca.pem`/`ca.key`,
        /// `server.pem`/`server.key`, `client.pem`/`client.key`. Each call makes a new,
        /// unrelated CA.
        public static func generate(in directory: String, serverIP: String = "127.0.0.1",
                                    clientName: String = "calico-test-client") throws -> TLSFiles {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            func path(_ name: String) -> String { directory + "/" + name }
            let files = TLSFiles(caFile: path("ca.pem"), caKeyFile: path("ca.key"),
                                 serverCertFile: path("server.pem"), serverKeyFile: path("server.key"),
                                 clientCertFile: path("client.pem"), clientKeyFile: path("client.key"))
            try write(path("ca.cnf"), """
                [req]
                distinguished_name = dn
                prompt = no
                [dn]
                CN = calico-test-ca-\(UUID().uuidString.prefix(8))
                [v3_ca]
                basicConstraints = critical, CA:TRUE
                keyUsage = critical, keyCertSign, cRLSign
                subjectKeyIdentifier = hash

                """)
            try write(path("server.ext"), """
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature, keyEncipherment
                extendedKeyUsage = serverAuth, clientAuth
                subjectAltName = IP:\(serverIP)

                """)
            try write(path("client.ext"), """
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature, keyEncipherment
                extendedKeyUsage = clientAuth

                """)
            try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", files.caKeyFile])
            try openssl(["req", "-x509", "-new", "-key", files.caKeyFile, "-config", path("ca.cnf"), "-extensions", "v3_ca",
                         "-days", "2", "-out", files.caFile])
            for (name, subject, cert, key) in [("server", "/CN=\(serverIP)", files.serverCertFile, files.serverKeyFile),
                                               ("client", "/CN=\(clientName)", files.clientCertFile, files.clientKeyFile)] {
                let csr = path("\(name).csr")
                try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
                try openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr])
                try openssl(["x509", "-req", "-in", csr, "-CA", files.caFile, "-CAkey", files.caKeyFile,
                             "-set_serial", "0x" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16),
                             "-days", "2", "-extfile", path("\(name).ext"), "-out", cert])
            }
            return files
        }

        private static func write(_ path: String, _ text: String) throws {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw Failure(description: "cannot write \(path)")
            }
        }

        /// Runs `openssl` with `arguments`; throws with its output when it fails.
        private static func openssl(_ arguments: [String]) throws {
            let out: CommandOutput
            do {
                out = try CommandRunner.run([opensslBinary()] + arguments)
            } catch {
                throw Failure(description: "cannot run \(opensslBinary()): \(error)")
            }
            guard out.status == 0 else {
                throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed (\(out.status)):\n\(out.stdout)\(out.stderr)")
            }
        }

        /// `$OPENSSL_BIN`, else `openssl` on `PATH`, else `/usr/bin/openssl`.
        static func opensslBinary() -> String {
            let environment = ProcessInfo.processInfo.environment
            if let bin = environment["OPENSSL_BIN"], !bin.isEmpty { return bin }
            for dir in (environment["PATH"] ?? "").split(separator: ":") {
                let path = "\(dir)/openssl"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            return "/usr/bin/openssl"
        }
    }
}
