import CalicoAPI
import FelixCalc
import CalicoValidation
import Foundation

/// `calicoctl convert`: Calico v1 manifests (`apiVersion: v1`) → projectcalico.org/v3, offline,
/// as upstream calicoctl's `convert`: every resource converted, validated (unless
/// `--ignore-validation`) and printed; more than one is wrapped in a Kubernetes `List`.
///
/// Kubernetes `networking.k8s.io/v1` NetworkPolicies convert with Felix's own converter
/// (FelixCalc), under the policy's own name.
struct ConvertCommand {
    static let options = [
        OptionSpec(short: "h", long: "help", takesValue: false),
        OptionSpec(short: "f", long: "filename", takesValue: true),
        OptionSpec(short: "o", long: "output", takesValue: true),
        OptionSpec(short: nil, long: "ignore-validation", takesValue: false),
        OptionSpec(short: nil, long: "allow-version-mismatch", takesValue: false),
    ]

    let prog: String
    let console: Console

    func run(_ args: [String]) -> Int32 {
        var code: Int32 = 0
        guard let parsed = console.parseCommand(args, options: Self.options, usage: Usage.convert(prog), noPositionals: true, code: &code) else {
            return code
        }
        guard let filename = parsed.value("filename") else {
            console.eprintln(Usage.convert(prog))
            return 1
        }
        let output = parsed.value("output") ?? "yaml"
        let format: ObjectFormat
        switch output {
        case "yaml", "yml": format = .yaml
        case "json": format = .json
        default:
            console.eprintln("unrecognized output format '\(output)'")
            return 1
        }

        let inputs: [ConvertInput]
        do {
            inputs = try V1ResourceLoader.load(try read(filename))
        } catch {
            console.eprintln("Failed to create resources from file: \(error)")
            return 1
        }
        let converted = inputs.map(Self.convert)
        // Decoding and v1 validation happen while upstream reads the file, before any conversion.
        for case .failure(let error) in converted where error.atLoad {
            console.eprintln("Failed to create resources from file: \(error)")
            return 1
        }
        var results: [any CalicoResource] = []
        for result in converted {
            switch result {
            case .failure(let error):
                console.eprintln("Failed to convert resource: \(error)")
                return 1
            case .success(let resource):
                if !parsed.has("ignore-validation") {
                    let errors = Validator.validate(resource)
                    if !errors.isEmpty {
                        console.eprintln("Converted manifest resource(s) failed validation: \(FieldError.upstreamText(errors))"
                            + "Re-run the command with '--ignore-validation' flag to see the converted output.\n")
                        return 1
                    }
                }
                results.append(resource)
            }
        }
        do {
            console.print(try Self.render(results, format: format))
        } catch {
            console.eprintln("Failed to print results: \(error)")
            return 1
        }
        return 0
    }

    /// The file's bytes (`-` is stdin), with Go's `open` error wording.
    func read(_ filename: String) throws(ConvertError) -> Data {
        if filename == "-" { return console.readStdin() }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: filename, isDirectory: &isDir) else {
            throw ConvertError("open \(filename): no such file or directory")
        }
        if isDir.boolValue { throw ConvertError("read \(filename): is a directory") }
        guard let data = FileManager.default.contents(atPath: filename) else {
            throw ConvertError("open \(filename): permission denied")
        }
        return data
    }

    static func convert(_ input: ConvertInput) -> Result<any CalicoResource, ConvertError> {
        do throws(ConvertError) {
            switch input {
            case .policy(let r): return .success(try V1PolicyConverters.policy(r))
            case .profile(let r): return .success(try V1PolicyConverters.profile(r))
            case .hostEndpoint(let r): return .success(try V1EndpointConverters.hostEndpoint(r))
            case .workloadEndpoint(let r): return .success(try V1EndpointConverters.workloadEndpoint(r))
            case .node(let r): return .success(try V1EndpointConverters.node(r))
            case .ipPool(let r): return .success(try V1EndpointConverters.ipPool(r))
            case .bgpPeer(let r): return .success(try V1EndpointConverters.bgpPeer(r))
            case .kubernetes(let knp):
                // As Felix sees it (the same converter), under the Kubernetes policy's own name.
                var (policy, errors) = KubernetesPolicyConverter.convert(knp)
                if let first = errors.first { throw ConvertError("\(first)") }
                if policy.name.hasPrefix(KubernetesPolicyConverter.namePrefix) {
                    policy.metadata.name = String(policy.name.dropFirst(KubernetesPolicyConverter.namePrefix.count))
                }
                return .success(policy)
            }
        } catch {
            return .failure(error)
        }
    }

    /// One resource as itself; several as a `v1` `List` (as kubectl prints one).
    static func render(_ resources: [any CalicoResource], format: ObjectFormat) throws -> String {
        let items = try resources.map(ObjectPrinter.objectValue)
        let value: Value
        switch items.count {
        case 0:
            // An empty Go slice: `[]` in YAML, `null` in JSON.
            return format == .yaml ? "[]\n" : "null\n"
        case 1:
            value = items[0]
        default:
            value = .mapping([
                ("kind", .scalar("List", plain: false, mark: nil)),
                ("apiVersion", .scalar("v1", plain: false, mark: nil)),
                ("metadata", .mapping([], mark: nil)),
                ("items", .sequence(items, mark: nil)),
            ], mark: nil)
        }
        switch format {
        case .json: return ObjectPrinter.goJSONEscaped(Emitter.json(value)) + "\n"
        case .yaml: return Emitter.yaml(ObjectPrinter.sortedKeys(value))
        }
    }

}
