import Foundation

/// Where a resource came from: file, YAML document (1-based) and list item (0-based).
public struct ResourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var document: Int
    public var item: Int?
    public var mark: SourceMark?
    public init(source: String, document: Int, item: Int? = nil, mark: SourceMark? = nil) {
        self.source = source
        self.document = document
        self.item = item
        self.mark = mark
    }
    public var description: String {
        var s = "\(source) document \(document)"
        if let item { s += " item \(item)" }
        return s
    }
}

/// A document that could not be turned into a resource.
public struct ResourceDecodeFailure: Error, Sendable, CustomStringConvertible {
    public var location: ResourceLocation
    public var kind: String?
    public var name: String?
    public var namespace: String?
    /// The first problem.
    public var error: DecodeError
    /// Every problem found in the document (the first is `error`).
    public var errors: [DecodeError]
    /// What could be decoded around the problems (fields with bad values left unset), so
    /// validation can still report the rest of the document's problems.
    public var partial: (any CalicoResource)?

    public init(location: ResourceLocation, kind: String?, name: String?, namespace: String? = nil,
                errors: [DecodeError], partial: (any CalicoResource)? = nil) {
        self.location = location
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.error = errors[0]
        self.errors = errors
        self.partial = partial
    }

    public var description: String {
        let what = [kind, name].compactMap { $0 }.joined(separator: " ")
        let subject = what.isEmpty ? "" : " (\(what))"
        return "\(location)\(subject): \(error)"
    }
}

/// One entry read from input: a decoded resource or the reason it could not be decoded.
public struct ReadResource: Sendable {
    public var location: ResourceLocation
    public var result: Result<any CalicoResource, ResourceDecodeFailure>
}

/// Reads resources from YAML/JSON text: multi-document streams, top-level lists and
/// `<Kind>List` objects, each resource decoded strictly into the type its
/// `apiVersion` + `kind` name.
public enum ResourceReader {
    /// Reads everything; a YAML syntax error fails the whole input (as calicoctl does),
    /// a resource-level decode error fails only that resource.
    public static func read(_ data: Data, source: String) throws(SyntaxError) -> [ReadResource] {
        let documents: [Value]
        do {
            documents = try DocumentReader.documents(in: data)
        } catch let error as SyntaxError {
            throw SyntaxError("\(source): \(error.message)", mark: error.mark)
        } catch {
            throw SyntaxError("\(source): \(error)")
        }
        var out: [ReadResource] = []
        for (i, doc) in documents.enumerated() {
            if doc.isNull { continue }
            let location = ResourceLocation(source: source, document: i + 1, mark: doc.mark)
            switch doc {
            case .sequence(let items, _):
                for (j, item) in items.enumerated() {
                    var loc = location
                    loc.item = j
                    loc.mark = item.mark
                    out.append(contentsOf: expand(item, at: loc))
                }
            default:
                out.append(contentsOf: expand(doc, at: location))
            }
        }
        return out
    }

    public static func read(_ text: String, source: String = "<input>") throws(SyntaxError) -> [ReadResource] {
        try read(Data(text.utf8), source: source)
    }

    static func expand(_ value: Value, at location: ResourceLocation) -> [ReadResource] {
        guard case .mapping = value else {
            return [failure(location, nil, nil, DecodeError(path: "", reason: "expected a resource object, got \(value.shapeName)", mark: value.mark))]
        }
        let kind = scalarText(value.field("kind"))
        let apiVersion = scalarText(value.field("apiVersion"))
        let name = scalarText(value.field("metadata")?.field("name"))
        let isList = kind == "List"
            || (kind?.hasSuffix("List") == true && ResourceRegistry.kind(apiVersion: apiVersion ?? "", kind: String(kind!.dropLast(4))) != nil)
        if let kind, isList {
            guard case let .sequence(items, _)? = value["items"] else {
                return [failure(location, kind, name, DecodeError(path: "items", reason: "a \(kind) needs an items array"))]
            }
            return items.enumerated().map { j, item in
                var loc = location
                loc.item = j
                loc.mark = item.mark
                return decode(item, at: loc)
            }
        }
        return [decode(value, at: location)]
    }

    static func decode(_ value: Value, at location: ResourceLocation) -> ReadResource {
        let kind = scalarText(value.field("kind"))
        let apiVersion = scalarText(value.field("apiVersion"))
        let name = scalarText(value.field("metadata")?.field("name"))
        guard let kind, !kind.isEmpty else {
            return failure(location, nil, name, DecodeError(path: "kind", reason: "resource has no kind", mark: value.mark))
        }
        guard let apiVersion, !apiVersion.isEmpty else {
            return failure(location, kind, name, DecodeError(path: "apiVersion", reason: "resource has no apiVersion", mark: value.mark))
        }
        guard let resourceKind = ResourceRegistry.kind(apiVersion: apiVersion, kind: kind) else {
            return failure(location, kind, name, DecodeError(path: "kind", reason: "Unknown resource type (\(kind)) and/or version (\(apiVersion))", mark: value.mark))
        }
        let (resource, errors) = decodeAny(resourceKind.type, value)
        if errors.isEmpty, let resource {
            return ReadResource(location: location, result: .success(resource))
        }
        return ReadResource(location: location, result: .failure(ResourceDecodeFailure(
            location: location, kind: kind, name: name, namespace: scalarText(value.field("metadata")?.field("namespace")),
            errors: errors, partial: resource)))
    }

    static func decodeAny<T: CalicoResource>(_ type: T.Type, _ value: Value) -> ((any CalicoResource)?, [DecodeError]) {
        let (resource, errors) = StrictDecoder().decodeCollecting(type, from: value)
        return (resource, errors)
    }

    static func failure(_ location: ResourceLocation, _ kind: String?, _ name: String?, _ error: DecodeError,
                        namespace: String? = nil) -> ReadResource {
        ReadResource(location: location, result: .failure(
            ResourceDecodeFailure(location: location, kind: kind, name: name, namespace: namespace, errors: [error])))
    }

    static func scalarText(_ value: Value?) -> String? {
        if case let .scalar(s, _, _)? = value, !(value?.isNull ?? true) { return s }
        return nil
    }
}

/// Encodes resources for output.
public enum ResourceWriter {
    public static func value(of resource: any CalicoResource) throws -> Value {
        try TreeEncoder().encode(resource)
    }
    public static func yaml(_ resource: any CalicoResource) throws -> String {
        Emitter.yaml(try value(of: resource))
    }
    public static func json(_ resource: any CalicoResource) throws -> String {
        Emitter.json(try value(of: resource))
    }
}
