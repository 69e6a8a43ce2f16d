import CalicoAPI
import CalicoDatastore
import CalicoSelector
import Foundation

/// `calicoctl get (<KIND> [<NAME>...] | -f FILE) [-o FORMAT] [-n NS | -A] [--export] [--selector SEL]`
struct GetCommand {
    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    static let options = DatastoreSession.commonOptions + DatastoreSession.fileOptions + [
        OptionSpec(short: "o", long: "output", takesValue: true),
        OptionSpec(short: "A", long: "all-namespaces", takesValue: false),
        OptionSpec(short: "a", long: "all-namespaces-alias", takesValue: false),
        OptionSpec(short: nil, long: "export", takesValue: false),
        OptionSpec(short: "l", long: "selector", takesValue: true),
    ]

    enum Format {
        case table(wide: Bool)
        case object(ObjectFormat)
        case customColumns([String])
        case template(String)
    }

    func format(_ text: String?) throws -> Format {
        let t = text ?? "ps"
        switch t {
        case "ps": return .table(wide: false)
        case "wide": return .table(wide: true)
        case "yaml", "yml": return .object(.yaml)
        case "json": return .object(.json)
        default: break
        }
        if t.hasPrefix("custom-columns") {
            let cols = t.dropFirst("custom-columns".count).drop { $0 == "=" }.split(separator: ",").map(String.init)
            guard !cols.isEmpty else { throw DatastoreSession.Failure(description: "need to specify at least one column") }
            return .customColumns(cols)
        }
        if t.hasPrefix("go-template-file") {
            let path = String(t.dropFirst("go-template-file".count).drop { $0 == "=" })
            guard !path.isEmpty else { throw DatastoreSession.Failure(description: "need to specify a template file") }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DatastoreSession.Failure(description: "cannot read template file \(path)")
            }
            return .template(String(decoding: data, as: UTF8.self))
        }
        if t.hasPrefix("go-template") {
            let tpl = String(t.dropFirst("go-template".count).drop { $0 == "=" })
            guard !tpl.isEmpty else { throw DatastoreSession.Failure(description: "need to specify a template") }
            return .template(tpl)
        }
        throw DatastoreSession.Failure(description: "unrecognized output format '\(t)'")
    }

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: Self.options, usage: Usage.datastoreCommand(prog, "get"), code: &code) else { return code }
        let fromFile = !parsed.all("filename").isEmpty
        guard fromFile != !parsed.positionals.isEmpty else {
            console.eprintln(Usage.datastoreCommand(prog, "get"))
            return 1
        }
        let allNamespaces = parsed.has("all-namespaces") || parsed.has("all-namespaces-alias")
        do {
            let format = try format(parsed.value("output"))
            if allNamespaces && parsed.value("namespace") != nil {
                throw DatastoreSession.Failure(description: "cannot use both --namespace and --all-namespaces flags at the same time", bare: true)
            }
            // Requests: (kind, namespace, name?) triples.
            var requests: [(ResourceKind, String?, String?)] = []
            var listOp = false
            if fromFile {
                for item in try session.readFiles(parsed) ?? [] {
                    var r = try item.result.get()
                    try session.resolveNamespace(&r, flag: parsed.value("namespace"))
                    guard let kind = ResourceRegistry.kind(of: r) else { continue }
                    requests.append((kind, r.metadata.namespace, r.name))
                }
            } else {
                let kind: ResourceKind
                do { kind = try session.kind(parsed.positionals[0]) } catch {
                    throw DatastoreSession.Failure(description: "Failed to get resources: \(error)", bare: true)
                }
                if !kind.isNamespaced && (parsed.value("namespace") != nil || allNamespaces) {
                    throw DatastoreSession.Failure(description: "\(kind.kind) is not namespaced", bare: true)
                }
                let ns = kind.isNamespaced ? (allNamespaces ? nil : parsed.value("namespace") ?? "default") : nil
                let names = parsed.positionals.dropFirst()
                if names.contains("") { throw DatastoreSession.Failure(description: "Failed to get resources: resource name may not be empty", bare: true) }
                if names.isEmpty { listOp = true; requests.append((kind, ns, nil)) } else { requests += names.map { (kind, ns, $0) } }
            }
            let store = try await session.open(parsed)
            let selector = try parsed.value("selector").map { text -> Selector in
                do { return try Selector(parsing: text) } catch { throw DatastoreSession.Failure(description: "\(error)") }
            }
            var errors: [String] = []
            var outputs: [(kind: ResourceKind, items: [any CalicoResource], list: Bool, revision: String?)] = []
            for (kind, ns, name) in requests {
                do {
                    if let name, kind.isNamespaced && ns == nil {
                        // -A with names: that name in every namespace.
                        let listing = try await store.listSkippingCorrupt(kind, namespace: nil)
                        let found = listing.items.filter { $0.resource.name == name }
                        let bad = listing.corrupt.filter { c in
                            ResourcePaths.parse(c.key).map { $0.name == name || $0.name.hasSuffix(".\(name)") } ?? false
                        }
                        errors += bad.map(\.reason)
                        if found.isEmpty && bad.isEmpty { throw DatastoreError.notFound(ResourceID(kind: kind.kind, namespace: nil, name: name)) }
                        outputs.append((kind, found.map { export($0.resource, parsed.has("export")) }, false, nil))
                    } else if let name, kind.type == Profile.self, name == DefaultAllowProfile.name {
                        outputs.append((kind, [export(DefaultAllowProfile.profile, parsed.has("export"))], false, nil))
                    } else if let name {
                        let r = try await store.get(kind, namespace: ns, name: name)
                        outputs.append((kind, [export(r.resource, parsed.has("export"))], false, nil))
                    } else {
                        // A stored value that does not decode is named, and the rest listed.
                        var (items, corrupt, rev) = try await store.listSkippingCorrupt(kind, namespace: ns)
                        errors += corrupt.map(\.reason)
                        if let selector {
                            items = items.filter { selector.matches($0.resource.metadata.labels ?? [:]) }
                        }
                        var listed = items.map(\.resource)
                        if kind.type == Profile.self, selector?.matches([:]) ?? true {
                            listed = DefaultAllowProfile.merged(into: listed)
                        }
                        outputs.append((kind, Self.listOrder(listed), true, String(rev)))
                    }
                } catch {
                    errors.append("\(error)")
                }
            }
            let showNamespace = parsed.value("namespace") != nil || allNamespaces
            var endpointCounts: [String: Int] = [:]
            if case .table(true) = format, outputs.contains(where: { $0.kind.type == QoSPolicy.self }) {
                endpointCounts = try await QoSEndpointCount.counts(outputs.flatMap(\.items).compactMap { $0 as? QoSPolicy }, store: store)
            }
            try print(outputs, format: format, showNamespace: showNamespace, store: store, listOp: listOp, endpointCounts: endpointCounts)
            if !errors.isEmpty {
                console.eprintln(errors.joined(separator: "\n"))
                return 1
            }
            return 0
        } catch {
            console.eprintln(failureMessage(error))
            return 1
        }
    }

    /// A listing in the datastore's key order (by namespace and name), except tiers, which
    /// upstream lists by order (none last), then name.
    static func listOrder(_ items: [any CalicoResource]) -> [any CalicoResource] {
        guard items.allSatisfy({ $0 is Tier }) else { return items }
        return items.sorted { a, b in
            let oa = (a as? Tier)?.spec.order ?? .infinity, ob = (b as? Tier)?.spec.order ?? .infinity
            return oa != ob ? oa < ob : a.name < b.name
        }
    }

    func export(_ r: any CalicoResource, _ strip: Bool) -> any CalicoResource {
        guard strip else { return r }
        var r = r
        r.metadata.namespace = nil
        r.metadata.uid = nil
        r.metadata.resourceVersion = nil
        r.metadata.creationTimestamp = nil
        r.metadata.deletionTimestamp = nil
        r.metadata.deletionGracePeriodSeconds = nil
        return r
    }

    func print(_ outputs: [(kind: ResourceKind, items: [any CalicoResource], list: Bool, revision: String?)], format: Format,
               showNamespace: Bool, store: Datastore, listOp: Bool, endpointCounts: [String: Int] = [:]) throws {
        let globalAS = "64512"
        switch format {
        case .table(let wide):
            for o in outputs {
                console.out(TablePrinter.render(o.items, kind: o.kind, wide: wide, showNamespace: showNamespace && o.kind.isNamespaced,
                                                globalASNumber: globalAS, endpointCounts: endpointCounts))
            }
        case .object(let f):
            let all = outputs.flatMap(\.items)
            guard let kind = outputs.first?.kind else { return }
            if listOp, let o = outputs.first {
                console.out(try ObjectPrinter.render(o.items, format: f, asList: true, kind: kind, listRevision: o.revision))
            } else {
                console.out(try ObjectPrinter.render(all, format: f, asList: false, kind: kind, listRevision: nil))
            }
        case .customColumns(let columns):
            for o in outputs {
                console.out(try CustomColumns.render(o.items, kind: o.kind, columns: columns, globalASNumber: globalAS))
            }
        case .template(let tpl):
            let values = try outputs.flatMap(\.items).map { try ResourceWriter.value(of: $0) }
            console.out(try GoTemplate.render(tpl, data: .sequence(values, mark: nil), globalASNumber: globalAS))
        }
    }
}
