import CalicoAPI
import CalicoDatastore
import Foundation

/// What every datastore command shares: options, opening the datastore, the version check
/// and calicoctl's namespace rules.
struct DatastoreSession {
    let console: Console
    let environment: [String: String]

    static let commonOptions = [
        OptionSpec(short: "h", long: "help", takesValue: false),
        OptionSpec(short: "c", long: "config", takesValue: true),
        OptionSpec(short: "n", long: "namespace", takesValue: true),
        OptionSpec(short: nil, long: "context", takesValue: true),
        OptionSpec(short: nil, long: "allow-version-mismatch", takesValue: false),
    ]

    static let fileOptions = [
        OptionSpec(short: "f", long: "filename", takesValue: true),
        OptionSpec(short: "R", long: "recursive", takesValue: false),
        OptionSpec(short: nil, long: "skip-empty", takesValue: false),
    ]

    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// Printed as is (upstream prints config and version errors without a prefix).
        var bare = false

        /// An error upstream prints as it is, without `Failed to execute command:`.
        static func bare(_ description: String) -> Failure { Failure(description: description, bare: true) }
    }

    /// Opens the configured datastore and checks the cluster version unless allowed. Only a
    /// command that creates resources (`creating`) may create a missing embedded store, and
    /// says so on stderr; the others fail with "no datastore at <path>".
    func open(_ args: ParsedArguments, creating: Bool = false) async throws -> Datastore {
        let config: DatastoreConfig
        do {
            config = try DatastoreConfig.load(configPath: args.value("config"), environment: environment)
        } catch {
            throw Failure(description: "\(error)", bare: true)
        }
        let store: Datastore
        do {
            store = try config.open(createIfMissing: creating)
        } catch {
            throw Failure(description: "\(error)")
        }
        if let embedded = store.kv as? EmbeddedStore, embedded.created {
            console.eprintln("created a new datastore at \(embedded.path)")
        }
        if !args.has("allow-version-mismatch") && !Self.mismatchAllowedByEnvironment(environment) { try await checkVersion(store) }
        return store
    }

    /// `CALICOCTL_ALLOW_VERSION_MISMATCH` set to a true value (as Go's ParseBool reads one)
    /// does what `--allow-version-mismatch` does.
    static func mismatchAllowedByEnvironment(_ environment: [String: String]) -> Bool {
        IPAMCommand.parseGoBool(environment["CALICOCTL_ALLOW_VERSION_MISMATCH"] ?? "") == true
    }

    /// calicoctl refuses to work against a cluster of another Calico version.
    func checkVersion(_ store: Datastore) async throws {
        guard let cluster = (try? await store.clusterInformation())?.info.spec.calicoVersion, !cluster.isEmpty else { return }
        // As upstream: `v` and any `-suffix` dropped before comparing; the cluster's version
        // is printed as compared.
        func base(_ v: String) -> String {
            let t = v.hasPrefix("v") ? String(v.dropFirst()) : v
            return String(t.split(separator: "-", omittingEmptySubsequences: false).first ?? Substring(t))
        }
        if base(cluster) != base(CalicoCtl.version) {
            throw Failure(description: "Version mismatch.\nClient Version:   \(CalicoCtl.version)\nCluster Version:  \(base(cluster))\nUse --allow-version-mismatch to override.\n", bare: true)
        }
    }

    /// Applies calicoctl's namespace rules to a resource read from a file.
    func resolveNamespace(_ resource: inout any CalicoResource, flag: String?) throws {
        let namespaced = type(of: resource).isNamespaced
        let given = resource.metadata.namespace.flatMap { $0.isEmpty ? nil : $0 }
        if !namespaced {
            if given != nil {
                throw Failure(description: "namespace should not be specified for a non-namespaced resource. \(resource.kind) is not a namespaced resource")
            }
            return
        }
        if let given, let flag, given != flag {
            throw Failure(description: "resource namespace does not match client namespace. \(given) != \(flag)")
        }
        resource.metadata.namespace = given ?? flag ?? "default"
    }

    /// The kind a user typed on the command line.
    func kind(_ name: String) throws -> ResourceKind {
        guard let kind = ResourceRegistry.kind(named: name) else {
            throw Failure(description: "resource type '\(name)' is not supported")
        }
        return kind
    }

    /// Reads `-f` inputs into resources, failing on the first unreadable file.
    func readFiles(_ args: ParsedArguments) throws -> [ReadResource]? {
        let inputs = try InputFiles.collect(args.all("filename"), recursive: args.has("recursive"), console: console)
        var all: [ReadResource] = []
        for input in inputs {
            let read = try ResourceReader.read(input.data, source: input.name)
            if read.isEmpty && !args.has("skip-empty") {
                throw Failure(description: "No resources specified in file \(input.name)", bare: true)
            }
            all += read
        }
        return all
    }
}

/// `Failed to execute command: <err>` (upstream's datastore commands; `validate`, new in 3.31,
/// writes it in lower case), except for errors upstream prints bare. Credentials in endpoint
/// URLs never appear.
func failureMessage(_ error: any Error, lowercase: Bool = false) -> String {
    if let f = error as? DatastoreSession.Failure, f.bare { return Redaction.stripUserInfo(f.description) }
    return Redaction.stripUserInfo("\(lowercase ? "f" : "F")ailed to execute command: \(error)")
}
