import CalicoAPI
import CalicoDatastore
import Foundation

/// `calicoctl datastore migrate export | import -f FILE | lock | unlock`: moves everything
/// (resources and IPAM data) between datastores, e.g. from the embedded store to etcd.
///
/// Export writes YAML documents: every v3 resource, then every other key under `/calico/`
/// (IPAM blocks, affinities, handles, config) as a `DatastoreEntry` document carrying the
/// key and its stored value. Import checks everything first and writes it in one
/// transaction, so a failed import writes nothing.
struct MigrateCommand {
    static let entryKind = "DatastoreEntry"

    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    static let options = DatastoreSession.commonOptions + DatastoreSession.fileOptions

    func usage() -> String {
        """
        Usage:
          \(prog) datastore migrate export [--config=<CONFIG>] [--allow-version-mismatch]
          \(prog) datastore migrate import --filename=<FILENAME> [--config=<CONFIG>] [--allow-version-mismatch]
          \(prog) datastore migrate lock [--config=<CONFIG>]
          \(prog) datastore migrate unlock [--config=<CONFIG>]

        Options:
          -h --help                 Show this screen.
          -f --filename=<FILENAME>  File with the exported data ("-" for stdin).
          -c --config=<CONFIG>      Path to the file containing connection configuration in
                                    YAML or JSON format. [default: /etc/calico/calicoctl.cfg]

        Description:
          Moves all Calico data between datastores. Export from the old datastore to a file,
          point calicoctl at the new one (DATASTORE_TYPE, ETCD_ENDPOINTS or --config) and
          import the file. lock/unlock set ClusterInformation datastoreReady so components
          pause while data moves.
        """
    }

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: Self.options, usage: usage(), code: &code) else { return code }
        let p = parsed.positionals
        guard p.count == 2, p[0] == "migrate", ["export", "import", "lock", "unlock"].contains(p[1]) else {
            console.eprintln(usage())
            return 1
        }
        do {
            var openArgs = parsed
            openArgs.flags.insert("allow-version-mismatch")
            let store = try await session.open(openArgs, creating: p[1] == "import")
            switch p[1] {
            case "export":
                // As upstream: the datastore must be locked so nothing changes during the move.
                guard (try? await store.clusterInformation())?.info.spec.datastoreReady == false else {
                    throw DatastoreSession.Failure(description: "Datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to begin migration.", bare: true)
                }
                try await export(store)
            case "import":
                guard !parsed.all("filename").isEmpty else {
                    console.eprintln(usage())
                    return 1
                }
                try await importData(store, parsed)
            default:
                try await setReady(store, p[1] == "unlock")
            }
            return 0
        } catch {
            console.eprintln(failureMessage(error))
            return 1
        }
    }

    func export(_ store: Datastore) async throws {
        var docs: [String] = []
        // A stored resource that no longer decodes is exported as it is stored (a raw
        // entry, imported back byte for byte), and named on stderr: nothing is lost.
        var raw: Set<String> = []
        for kind in ResourceRegistry.allKinds {
            let (items, corrupt, _) = try await store.listSkippingCorrupt(kind)
            for item in items {
                var r = item.resource
                r.metadata.resourceVersion = nil
                docs.append(try ResourceWriter.yaml(r))
            }
            for bad in corrupt {
                console.eprintln("warning: exporting \(bad.key) as stored (it does not decode: \(bad.reason))")
                raw.insert(bad.key)
            }
        }
        let (pairs, _) = try await store.kv.list(prefix: "/calico/")
        for pair in pairs where !pair.key.hasPrefix(ResourcePaths.resourcesRoot) || raw.contains(pair.key) {
            let entry: Value = .mapping([
                ("apiVersion", .scalar(calicoAPIVersion, plain: false, mark: nil)),
                ("kind", .scalar(Self.entryKind, plain: false, mark: nil)),
                ("metadata", .mapping([("name", .scalar(pair.key, plain: false, mark: nil))], mark: nil)),
                ("spec", .mapping([("value", .scalar(String(decoding: pair.value, as: UTF8.self), plain: false, mark: nil))], mark: nil)),
            ], mark: nil)
            docs.append(Emitter.yaml(entry))
        }
        console.out(docs.joined(separator: "---\n"))
    }

    func importData(_ store: Datastore, _ parsed: ParsedArguments) async throws {
        let inputs = try InputFiles.collect(parsed.all("filename"), recursive: false, console: console)
        var ops: [KVOperation] = []
        var problems: [String] = []
        var resources = 0, entries = 0
        for input in inputs {
            for doc in try DocumentReader.documents(in: input.data) where !doc.isNull {
                if case let .scalar(kind, _, _)? = doc["kind"], kind == Self.entryKind {
                    guard case let .scalar(key, _, _)? = doc["metadata"]?["name"], key.hasPrefix("/calico/"),
                          case let .scalar(value, _, _)? = doc["spec"]?["value"] else {
                        problems.append("\(input.name): malformed \(Self.entryKind) document")
                        continue
                    }
                    ops.append(.create(key: key, value: Array(value.utf8)))
                    entries += 1
                    continue
                }
                for item in try ResourceReader.read(Data(Emitter.json(doc).utf8), source: input.name) {
                    do {
                        let (key, value, _) = try store.prepare(try item.result.get())
                        ops.append(.create(key: key, value: value))
                        resources += 1
                    } catch {
                        problems.append("\(item.location): \(error)")
                    }
                }
            }
        }
        if !problems.isEmpty {
            throw DatastoreSession.Failure(description: "nothing was imported:\n" + problems.joined(separator: "\n"))
        }
        // Nothing may exist yet; then write in transactions of at most 100 operations
        // (etcd's limit is 128 per transaction).
        for op in ops where try await store.kv.get(op.key) != nil {
            throw DatastoreSession.Failure(description: "nothing was imported: \(op.key) already exists in the target datastore")
        }
        var start = 0
        while start < ops.count {
            let chunk = Array(ops[start..<min(start + 100, ops.count)])
            do {
                _ = try await store.kv.transaction(chunk)
            } catch KVError.alreadyExists(let key) {
                throw DatastoreSession.Failure(description: "import stopped after \(start) entries: \(key) appeared in the target datastore meanwhile")
            }
            start += chunk.count
        }
        console.println("Successfully imported \(resources) resource(s) and \(entries) IPAM/other entries")
    }

    func setReady(_ store: Datastore, _ ready: Bool) async throws {
        var info = (try? await store.clusterInformation())?.info ?? ClusterInformation(metadata: ObjectMeta(name: "default"))
        info.spec.datastoreReady = ready
        _ = try await store.apply(info)
        console.println(ready ? "Datastore unlocked." : "Datastore locked.")
    }
}
