import CalicoAPI
import CalicoDatastore
import Foundation

/// `calicoctl label <KIND> <NAME> (<key>=<value> [--overwrite] | <key> --remove) [-n NS]`
struct LabelCommand {
    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    static let options = DatastoreSession.commonOptions + [
        OptionSpec(short: nil, long: "overwrite", takesValue: false),
        OptionSpec(short: nil, long: "remove", takesValue: false),
    ]

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: Self.options, usage: Usage.datastoreCommand(prog, "label"), code: &code) else { return code }
        guard parsed.positionals.count == 3 else {
            console.eprintln(Usage.datastoreCommand(prog, "label"))
            return 1
        }
        let (kindArg, name, labelArg) = (parsed.positionals[0], parsed.positionals[1], parsed.positionals[2])
        let remove = parsed.has("remove")
        let key: String, value: String?
        if let eq = labelArg.firstIndex(of: "=") {
            key = String(labelArg[..<eq])
            value = String(labelArg[labelArg.index(after: eq)...])
        } else {
            key = labelArg
            value = nil
        }
        guard remove == (value == nil) else {
            console.eprintln(Usage.datastoreCommand(prog, "label"))
            return 1
        }
        do {
            let kind = try session.kind(kindArg)
            let store = try await session.open(parsed)
            let ns = kind.isNamespaced ? parsed.value("namespace") ?? "default" : nil
            // Retry on a concurrent change (compare-and-swap on resourceVersion).
            for _ in 0..<5 {
                let current: StoredResource
                do {
                    current = try await store.get(kind, namespace: ns, name: name)
                } catch DatastoreError.notFound {
                    console.eprintln("\(kindArg) \(name) not found")
                    return 1
                }
                var r = current.resource
                var labels = r.metadata.labels ?? [:]
                let message: String
                if remove {
                    guard labels[key] != nil else {
                        console.eprintln("can not remove label of \(kindArg) \(name), key \(key) does not exist")
                        return 1
                    }
                    labels[key] = nil
                    message = "Successfully removed label \(key) from \(kindArg) \(name)"
                } else {
                    if labels[key] != nil && !parsed.has("overwrite") {
                        console.eprintln("failed to update label of \(kindArg) \(name), key \(key) is already present. please use '--overwrite' to set a new value")
                        return 1
                    }
                    message = labels[key] == nil ? "Successfully set label \(key) on \(kindArg) \(name)" : "Successfully updated label \(key) on \(kindArg) \(name)"
                    labels[key] = value
                }
                r.metadata.labels = labels.isEmpty ? nil : labels
                do {
                    _ = try await store.update(r)
                    console.println(message)
                    return 0
                } catch DatastoreError.conflict {
                    continue
                }
            }
            console.eprintln("failed to update label of \(kindArg) \(name): too many concurrent changes")
            return 1
        } catch {
            console.eprintln("\(error)")
            return 1
        }
    }
}

/// `calicoctl patch <KIND> <NAME> -p <PATCH> [-t strategic] [-n NS]`: a JSON merge patch
/// (objects merged key by key, `null` removes, lists replaced), applied with
/// compare-and-swap on the version read.
struct PatchCommand {
    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    static let options = DatastoreSession.commonOptions + [
        OptionSpec(short: "p", long: "patch", takesValue: true),
        OptionSpec(short: "t", long: "type", takesValue: true),
    ]

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: Self.options, usage: Usage.datastoreCommand(prog, "patch"), code: &code) else { return code }
        guard parsed.positionals.count == 2, let patchText = parsed.value("patch") else {
            console.eprintln(Usage.datastoreCommand(prog, "patch"))
            return 1
        }
        if let t = parsed.value("type"), t != "strategic", t != "merge" {
            console.eprintln("Failed to execute command: patch type '\(t)' is not supported; use strategic")
            return 1
        }
        do {
            let kind = try session.kind(parsed.positionals[0])
            let name = parsed.positionals[1]
            guard let patch = try DocumentReader.documents(in: patchText).first, case .mapping = patch else {
                throw DatastoreSession.Failure(description: "the patch must be a JSON object")
            }
            let store = try await session.open(parsed)
            let ns = kind.isNamespaced ? parsed.value("namespace") ?? "default" : nil
            let current = try await store.get(kind, namespace: ns, name: name)
            let merged = Self.merge(try ResourceWriter.value(of: current.resource), patch)
            if let change = Self.identityChange(merged, of: current.id, typedName: name) {
                throw DatastoreSession.Failure(description: change)
            }
            let (decoded, errors) = StrictDecoder().decodeCollecting(kind.type, from: merged)
            guard errors.isEmpty, var updated = decoded.map({ $0 as any CalicoResource }) else {
                throw DatastoreSession.Failure(description: errors.map(\.description).joined(separator: "; "))
            }
            updated.metadata.resourceVersion = current.resource.metadata.resourceVersion
            updated.metadata.name = current.resource.name
            updated.metadata.namespace = current.resource.metadata.namespace
            _ = try await store.update(updated)
            console.println("Successfully patched 1 '\(kind.kind)' resource")
            return 0
        } catch {
            console.eprintln("Failed to patch '\(parsed.positionals[0])' resource: \(error)")
            return 1
        }
    }

    /// A patch cannot rename a resource or move it to another namespace (upstream's update of
    /// the patched object fails then); the message names the resource and the field.
    static func identityChange(_ merged: Value, of id: ResourceID, typedName: String) -> String? {
        func text(_ key: String) -> String? {
            guard let v = merged["metadata"]?[key], !v.isNull, let s = v.scalarText, !s.isEmpty else { return nil }
            return s
        }
        func shown(_ s: String?) -> String { s.map { "'\($0)'" } ?? "nothing" }
        let name = text("name")
        if name != id.name && name != typedName {
            return "\(id): metadata.name cannot be changed by a patch (from '\(id.name)' to \(shown(name)))"
        }
        let namespace = text("namespace")
        if namespace != id.namespace {
            return "\(id): metadata.namespace cannot be changed by a patch (from \(shown(id.namespace)) to \(shown(namespace)))"
        }
        return nil
    }

    /// RFC 7386 JSON merge patch on value trees.
    static func merge(_ target: Value, _ patch: Value) -> Value {
        guard case let .mapping(patchPairs, _) = patch else { return patch }
        var pairs: [(key: String, value: Value)]
        if case let .mapping(t, _) = target { pairs = t } else { pairs = [] }
        for (key, value) in patchPairs {
            let index = pairs.firstIndex { $0.key == key }
            if value.isNull {
                if let index { pairs.remove(at: index) }
            } else if let index {
                pairs[index].value = merge(pairs[index].value, value)
            } else {
                pairs.append((key, merge(.mapping([], mark: nil), value)))
            }
        }
        return .mapping(pairs, mark: nil)
    }
}
