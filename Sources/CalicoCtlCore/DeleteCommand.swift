import CalicoAPI
import CalicoDatastore

/// `calicoctl delete (<KIND> [<NAME>...] | -f FILE) [--skip-not-exists] [-n NS]`
struct DeleteCommand {
    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    static let options = DatastoreSession.commonOptions + DatastoreSession.fileOptions + [
        OptionSpec(short: "s", long: "skip-not-exists", takesValue: false),
    ]

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: Self.options, usage: Usage.datastoreCommand(prog, "delete"), code: &code) else { return code }
        let fromFile = !parsed.all("filename").isEmpty
        guard fromFile != !parsed.positionals.isEmpty, fromFile || parsed.positionals.count >= 2 else {
            console.eprintln(Usage.datastoreCommand(prog, "delete"))
            return 1
        }
        do {
            var targets: [(ResourceKind, String?, String, String?)] = []
            if fromFile {
                for item in try session.readFiles(parsed) ?? [] {
                    var r = try item.result.get()
                    try session.resolveNamespace(&r, flag: parsed.value("namespace"))
                    guard let kind = ResourceRegistry.kind(of: r) else {
                        throw DatastoreSession.Failure(description: "resource type '\(r.kind)' is not supported")
                    }
                    targets.append((kind, r.metadata.namespace, r.name, r.metadata.resourceVersion))
                }
            } else {
                let kind = try session.kind(parsed.positionals[0])
                if !kind.isNamespaced && parsed.value("namespace") != nil {
                    throw DatastoreSession.Failure(description: "\(kind.kind) is not namespaced")
                }
                for name in parsed.positionals.dropFirst() {
                    if name.isEmpty { throw DatastoreSession.Failure(description: "resource name may not be empty") }
                    targets.append((kind, kind.isNamespaced ? parsed.value("namespace") ?? "default" : nil, name, nil))
                }
            }
            let store = try await session.open(parsed)
            var items: [ResultReport.Item] = []
            for (kind, ns, name, version) in targets {
                let policyKind = ["NetworkPolicy", "StagedNetworkPolicy", "GlobalNetworkPolicy", "StagedGlobalNetworkPolicy"].contains(kind.kind)
                    && kind.type != KubernetesNetworkPolicy.self
                do {
                    try UpstreamRefusals.check(kind: kind.kind, namespace: ns, name: name, .delete)
                } catch {
                    console.eprintln("Failed to delete '\(kind.kind)' resource: \(error)")
                    items.append(.init(kind: kind.kind, error: "\(error)"))
                    continue
                }
                if policyKind && (name.hasPrefix("knp.default.") || name.hasPrefix("kanp.")) {
                    let message = "operation Delete is not supported on \(kind.kind)(\(ns.map { "\($0)/" } ?? "")\(name)): must be managed through the kubernetes API"
                    console.eprintln("Failed to delete '\(kind.kind)' resource: \(message)")
                    items.append(.init(kind: kind.kind, error: message))
                    continue
                }
                do {
                    if kind.type == Node.self {
                        // As upstream: the node's endpoints, addresses and affinities go first.
                        _ = try await store.get(kind, namespace: nil, name: name)
                        try await NodeCleanup(store: store).run(node: name)
                    }
                    _ = try await store.delete(kind, namespace: ns, name: name, resourceVersion: version)
                    items.append(.init(kind: kind.kind, error: nil))
                } catch DatastoreError.notFound where parsed.has("skip-not-exists") {
                    items.append(.init(kind: kind.kind, error: nil))
                } catch {
                    console.eprintln("Failed to delete '\(kind.kind)' resource: \(error)")
                    items.append(.init(kind: kind.kind, error: "\(error)"))
                }
            }
            return ResultReport(verb: ("delete", "deleted")).print(items, console: console)
        } catch {
            console.eprintln(failureMessage(error))
            return 1
        }
    }
}
