import CalicoAPI
import CalicoValidation
import Foundation
import FuzzSupport

@main enum FuzzResource {
    static func main() { runLibFuzzer(fuzz) }
}

/// libFuzzer entry: reads the input as calicoctl reads a file (YAML/JSON documents, lists,
/// strict decoding) and validates every resource; each decoded resource is written as YAML
/// and JSON and must read back to the same resource. The input is also read as a stored
/// datastore value (JSONReader + StrictDecoder), as the datastore reads its own writes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(inputBytes(data, size))
    readAsFile(bytes)
    readAsStoredValue(Array(bytes))
    return 0
}

func readAsFile(_ bytes: Data) {
    let read: [ReadResource]
    do {
        read = try ResourceReader.read(bytes, source: "fuzz")
    } catch {
        _ = error.description
        return
    }
    for entry in read {
        switch entry.result {
        case .success(let resource):
            _ = Validator.validate(resource).map(\.detail)
            roundTrip(resource, input: bytes)
        case .failure(let failure):
            _ = failure.description
            _ = failure.errors.map(\.description)
            if let partial = failure.partial { _ = Validator.validate(partial).map(\.detail) }
        }
    }
}

/// Written as YAML and as JSON, a resource reads back (through calicoctl's reader and, for
/// JSON, the datastore's) and writes out again to the same text.
func roundTrip(_ resource: any CalicoResource, input: Data) {
    let input = String(decoding: input, as: UTF8.self)
    let yaml: String, json: String
    do {
        yaml = try ResourceWriter.yaml(resource)
        json = try ResourceWriter.json(resource)
    } catch {
        finding("a decoded resource does not encode", ["input": input, "error": "\(error)"])
    }
    for (format, text) in [("yaml", yaml), ("json", json)] {
        let again: [ReadResource]
        do {
            again = try ResourceReader.read(text, source: "written")
        } catch {
            finding("written \(format) does not read back", ["input": input, "written": text, "error": "\(error)"])
        }
        guard again.count == 1, case .success(let back) = again[0].result else {
            let why = again.first.map { "\($0.result)" } ?? "no resource"
            finding("written \(format) does not decode", ["input": input, "written": text, "result": why])
        }
        let rewritten = (try? format == "yaml" ? ResourceWriter.yaml(back) : ResourceWriter.json(back)) ?? "<encoding failed>"
        if rewritten != text {
            finding("\(format) round trip changes the resource", ["input": input, "first": text, "second": rewritten])
        }
    }
    let stored: Value
    do {
        stored = try JSONReader.parse(Array(json.utf8))
    } catch {
        finding("written json does not parse with JSONReader", ["input": input, "written": json, "error": "\(error)"])
    }
    let resourceType: any CalicoResource.Type = type(of: resource)
    let (back, errors) = decode(resourceType, stored)
    guard let back, errors.isEmpty else {
        finding("written json does not decode from the datastore", ["input": input, "written": json, "errors": "\(errors)"])
    }
    if (try? ResourceWriter.json(back)) != json {
        finding("datastore round trip changes the resource", ["input": input, "written": json])
    }
}

func readAsStoredValue(_ bytes: [UInt8]) {
    guard let value = try? JSONReader.parse(bytes),
          case .scalar(let apiVersion, _, _)? = value["apiVersion"], case .scalar(let kindName, _, _)? = value["kind"],
          let kind = ResourceRegistry.kind(apiVersion: apiVersion, kind: kindName) else { return }
    let (resource, errors) = decode(kind.type, value)
    _ = errors.map(\.description)
    if let resource { _ = Validator.validate(resource).map(\.detail) }
}

func decode<T: CalicoResource>(_ type: T.Type, _ value: Value) -> ((any CalicoResource)?, [DecodeError]) {
    let (resource, errors) = StrictDecoder().decodeCollecting(type, from: value)
    return (resource, errors)
}
