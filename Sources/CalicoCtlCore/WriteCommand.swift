import CalicoAPI
import CalicoDatastore
import CalicoValidation
import Foundation

/// `calicoctl create | apply | replace -f …`: every document is decoded and checked before
/// anything is written, so one invalid document means nothing is written.
struct WriteCommand {
    enum Mode: String {
        case create, apply, replace
        var past: String { self == .apply ? "applied" : rawValue + "d" }
        var operation: UpstreamRefusals.Operation {
            switch self {
            case .create: return .create
            case .apply: return .apply
            case .replace: return .replace
            }
        }
    }

    let mode: Mode
    let prog: String
    let session: DatastoreSession
    var console: Console { session.console }

    var options: [OptionSpec] {
        var o = DatastoreSession.commonOptions + DatastoreSession.fileOptions
        if mode == .create { o.append(OptionSpec(short: nil, long: "skip-exists", takesValue: false)) }
        return o
    }

    func run(_ args: [String]) async -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: options, usage: Usage.datastoreCommand(prog, mode.rawValue), noPositionals: true, code: &code) else { return code }
        guard !parsed.all("filename").isEmpty else {
            console.eprintln(Usage.datastoreCommand(prog, mode.rawValue))
            return 1
        }
        do {
            guard let read = try session.readFiles(parsed) else { return 1 }
            if read.isEmpty {
                console.println("No resources specified")
                return 0
            }
            let store = try await session.open(parsed, creating: true)
            // 1. Decode, namespace rules and the write checks for every document.
            var resources: [(ResourceLocation, any CalicoResource)] = []
            var bad: [ResourceReport] = []
            // Tiers created by this same command count as existing for its policies.
            let pendingTiers = Set(read.compactMap { item -> String? in
                guard case .success(let r) = item.result, r is Tier else { return nil }
                return r.name
            })
            for item in read {
                switch item.result {
                case .failure(let f):
                    bad.append(ResourceReport(location: item.location, kind: f.kind ?? "<unknown kind>", name: f.name ?? "",
                                              namespace: f.namespace, problems: f.errors.map(Problem.init), decodeFailed: true))
                case .success(var r):
                    do {
                        try session.resolveNamespace(&r, flag: parsed.value("namespace"))
                        try UpstreamRefusals.check(kind: r.kind, namespace: r.metadata.namespace, name: r.name, mode.operation)
                        _ = try store.prepare(r)
                        try await store.checkReferences(r, pendingTiers: pendingTiers)
                        resources.append((item.location, r))
                    } catch {
                        bad.append(ResourceReport(location: item.location, kind: r.kind, name: r.name,
                                                  namespace: type(of: r).isNamespaced ? r.metadata.namespace : nil,
                                                  problems: Problem.all(of: error)))
                    }
                }
            }
            if !bad.isEmpty {
                ResultReport(verb: (mode.rawValue, mode.past)).printNothingWritten(bad, of: read, console: console)
                return 1
            }
            // 2. Write, into an initialised datastore (ClusterInformation and the tiers), as
            // upstream's writes call EnsureInitialized first (its failure does not stop the write).
            _ = try? await store.ensureInitialized()
            var items: [ResultReport.Item] = []
            for (_, r) in resources {
                do {
                    switch mode {
                    case .create: _ = try await store.create(r)
                    case .apply: _ = try await store.apply(r)
                    case .replace: _ = try await store.update(r)
                    }
                    items.append(.init(kind: r.kind, error: nil))
                } catch DatastoreError.alreadyExists where parsed.has("skip-exists") {
                    items.append(.init(kind: r.kind, error: nil))
                } catch {
                    items.append(.init(kind: r.kind, error: "\(error)"))
                }
            }
            return ResultReport(verb: (mode.rawValue, mode.past), singularHitError: mode != .apply).print(items, console: console)
        } catch {
            console.eprintln(failureMessage(error))
            return 1
        }
    }
}
