import CalicoAPI
import CalicoValidation
import Foundation

/// `calicoctl validate`: strict decode + offline validation of every resource given.
struct ValidateCommand {
    static let options = [
        OptionSpec(short: "h", long: "help", takesValue: false),
        OptionSpec(short: "f", long: "filename", takesValue: true),
        OptionSpec(short: "R", long: "recursive", takesValue: false),
        OptionSpec(short: nil, long: "skip-empty", takesValue: false),
        OptionSpec(short: nil, long: "allow-version-mismatch", takesValue: false),
    ]

    let prog: String
    let console: Console

    func run(_ args: [String]) async -> Int32 {
        let parsed: ParsedArguments
        do {
            parsed = try parseArguments(args, options: Self.options)
        } catch {
            console.eprintln("Invalid option: \(error.message)")
            console.eprintln(Usage.validate(prog))
            return 1
        }
        if parsed.has("help") {
            console.println(Usage.validate(prog))
            return 0
        }
        let files = parsed.all("filename")
        guard !files.isEmpty, parsed.positionals.isEmpty else {
            console.eprintln(Usage.validate(prog))
            return 1
        }
        let inputs: [InputSource]
        do {
            inputs = try InputFiles.collect(files, recursive: parsed.has("recursive"), console: console)
        } catch {
            console.eprintln(failureMessage(error, lowercase: true))
            return 1
        }
        var reports: [ResourceReport] = []
        for input in inputs {
            let read: [ReadResource]
            do {
                read = try ResourceReader.read(input.data, source: input.name)
            } catch {
                console.eprintln(failureMessage(error, lowercase: true))
                return 1
            }
            if read.isEmpty {
                if parsed.has("skip-empty") { continue }
                let isDir = files.count == 1 && isDirectory(files[0])
                console.eprintln("failed to execute command: no resources specified in \(isDir ? "directory \(files[0])" : "file \(input.name)")")
                return 1
            }
            reports.append(contentsOf: read.map(check))
        }
        if reports.isEmpty {
            if parsed.has("skip-empty") {
                console.println("No resources specified")
                return 0
            }
            console.eprintln("failed to execute command: no resources specified in file \(files.joined(separator: ", "))")
            return 1
        }
        return summarize(reports)
    }

    func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Decodes (already done) and validates one resource, applying calicoctl's namespace
    /// defaulting first.
    func check(_ item: ReadResource) -> ResourceReport {
        switch item.result {
        case .failure(let failure):
            var problems = failure.errors.map(Problem.init)
            // Validate what could be decoded, so every problem of the document is reported;
            // fields whose decoding failed were left unset and are not reported twice.
            if var partial = failure.partial {
                defaultNamespace(&partial)
                let decodePaths = Set(failure.errors.map(\.path))
                problems += Validator.validate(partial).filter { !decodePaths.contains($0.field) }.map(Problem.init)
            }
            let namespaced = failure.kind.flatMap { ResourceRegistry.kind(apiVersion: calicoAPIVersion, kind: $0) }?.isNamespaced ?? false
            return ResourceReport(location: item.location, kind: failure.kind ?? "<unknown kind>", name: failure.name ?? "",
                                  namespace: namespaced ? (failure.namespace ?? "default") : failure.namespace,
                                  problems: problems, decodeFailed: true)
        case .success(var resource):
            defaultNamespace(&resource)
            let problems = Validator.validate(resource).map(Problem.init)
            return ResourceReport(location: item.location, kind: resource.kind, name: resource.name,
                                  namespace: type(of: resource).isNamespaced ? resource.metadata.namespace : nil, problems: problems)
        }
    }

    /// calicoctl gives namespaced kinds without a namespace the `default` namespace.
    func defaultNamespace(_ resource: inout any CalicoResource) {
        if type(of: resource).isNamespaced && (resource.metadata.namespace ?? "").isEmpty {
            resource.metadata.namespace = "default"
        }
    }

    /// Prints upstream-style result lines; exit 0 only when everything validated. A document
    /// that could not be decoded is a file error upstream (`failed to execute command: …`).
    func summarize(_ reports: [ResourceReport]) -> Int32 {
        let report = ResultReport(verb: ("validate", "validated"))
        if reports.contains(where: \.decodeFailed) {
            console.eprintln(report.fileErrorLine(reports.filter { !$0.problems.isEmpty }.map(\.message)))
            return 1
        }
        return report.print(
            reports.map { ResultReport.Item(kind: $0.kind, error: $0.problems.isEmpty ? nil : $0.message) }, console: console)
    }
}
