import CalicoAPI

/// `-o yaml|yml` / `-o json`.
enum ObjectFormat: Sendable, Equatable {
    case yaml
    case json
}

/// Prints resources as YAML or JSON, as calicoctl does: one object as itself, a list
/// operation as the `<Kind>List` object, several objects as a sequence/array.
///
/// Upstream marshals the Go objects: JSON (`json.MarshalIndent`, 2 spaces, then a newline)
/// keeps the struct field order, so `kind` comes before `apiVersion`; YAML goes through
/// JSON and go-yaml v2, which sorts every mapping's keys.
enum ObjectPrinter {
    static func render(_ resources: [any CalicoResource], format: ObjectFormat, asList: Bool, kind: ResourceKind,
                       listRevision: String? = nil) throws -> String {
        let value: Value
        if asList {
            value = try listValue(resources, kind: kind, listRevision: listRevision)
        } else if resources.count == 1 {
            value = try objectValue(resources[0])
        } else {
            value = .sequence(try resources.map(objectValue), mark: nil)
        }
        switch format {
        case .json: return goJSONEscaped(Emitter.json(value)) + "\n"
        case .yaml: return Emitter.yaml(sortedKeys(value))
        }
    }

    /// A resource's value with `kind` first, as Go's `TypeMeta` is declared.
    static func objectValue(_ resource: any CalicoResource) throws -> Value {
        var value = withCreationTimestamp(try ResourceWriter.value(of: resource))
        if Self.kindsWithRules.contains(resource.kind) { value = withRuleEntities(value) }
        return kindFirst(value)
    }

    static let kindsWithRules: Set<String> = [NetworkPolicy.kindName, GlobalNetworkPolicy.kindName, StagedNetworkPolicy.kindName,
                                              StagedGlobalNetworkPolicy.kindName, Profile.kindName]

    /// A rule's `source` and `destination` are structs in Go, never omitted: an empty one
    /// prints `{}`, as upstream prints every rule.
    private static func withRuleEntities(_ value: Value) -> Value {
        guard case .mapping(var pairs, let mark) = value,
              let s = pairs.firstIndex(where: { $0.key == "spec" }),
              case .mapping(var spec, let specMark) = pairs[s].value else { return value }
        for i in spec.indices where spec[i].key == "ingress" || spec[i].key == "egress" {
            guard case .sequence(let rules, let rulesMark) = spec[i].value else { continue }
            spec[i].value = .sequence(rules.map(withEntities), mark: rulesMark)
        }
        pairs[s] = (key: "spec", value: .mapping(spec, mark: specMark))
        return .mapping(pairs, mark: mark)
    }

    private static func withEntities(_ rule: Value) -> Value {
        guard case .mapping(var r, let mark) = rule else { return rule }
        // Go's Rule field order: …, source, destination, http, metadata.
        for key in ["source", "destination"] where !r.contains(where: { $0.key == key }) {
            let after: Set<String> = key == "source" ? ["destination", "http", "metadata"] : ["http", "metadata"]
            let at = r.firstIndex { after.contains($0.key) } ?? r.count
            r.insert((key: key, value: .mapping([], mark: nil)), at: at)
        }
        return .mapping(r, mark: mark)
    }

    /// Go's ObjectMeta always carries `creationTimestamp` (a struct, not a pointer): a resource
    /// without one (exported, or never stored) prints `creationTimestamp: null`, as upstream.
    private static func withCreationTimestamp(_ value: Value) -> Value {
        guard case .mapping(var pairs, let mark) = value,
              let m = pairs.firstIndex(where: { $0.key == "metadata" }),
              case .mapping(var meta, let metaMark) = pairs[m].value,
              !meta.contains(where: { $0.key == "creationTimestamp" }) else { return value }
        // Where Go's ObjectMeta declares it (JSON keeps declaration order; YAML sorts).
        let before: Set<String> = ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation"]
        let at = (meta.lastIndex { before.contains($0.key) }).map { $0 + 1 } ?? 0
        meta.insert((key: "creationTimestamp", value: .scalar("null", plain: true, mark: nil)), at: at)
        pairs[m] = (key: "metadata", value: .mapping(meta, mark: metaMark))
        return .mapping(pairs, mark: mark)
    }

    /// The `<Kind>List` object of a list operation.
    static func listValue(_ resources: [any CalicoResource], kind: ResourceKind, listRevision: String?) throws -> Value {
        var meta: [(key: String, value: Value)] = []
        if let listRevision, !listRevision.isEmpty {
            meta.append(("resourceVersion", .scalar(listRevision, plain: false, mark: nil)))
        }
        let apiVersion = kind.apiVersions.first ?? calicoAPIVersion
        return .mapping([
            ("kind", .scalar(kind.kind + "List", plain: false, mark: nil)),
            ("apiVersion", .scalar(apiVersion, plain: false, mark: nil)),
            ("metadata", .mapping(meta, mark: nil)),
            ("items", .sequence(try resources.map(objectValue), mark: nil)),
        ], mark: nil)
    }

    private static func kindFirst(_ value: Value) -> Value {
        guard case .mapping(var pairs, let mark) = value,
              let k = pairs.firstIndex(where: { $0.key == "kind" }),
              let a = pairs.firstIndex(where: { $0.key == "apiVersion" }), a < k else { return value }
        let kindPair = pairs.remove(at: k)
        pairs.insert(kindPair, at: a)
        return .mapping(pairs, mark: mark)
    }

    /// Sorts the keys of every mapping as go-yaml v2 does.
    static func sortedKeys(_ value: Value) -> Value {
        switch value {
        case .scalar: return value
        case .sequence(let items, let mark): return .sequence(items.map(sortedKeys), mark: mark)
        case .mapping(let pairs, let mark):
            let sorted = pairs.map { (key: $0.key, value: sortedKeys($0.value)) }.sorted { yamlKeyLess($0.key, $1.key) }
            return .mapping(sorted, mark: mark)
        }
    }

    /// go-yaml v2's key order: letters compare by code point, a non-letter sorts before a
    /// letter, and runs of digits compare by numeric value.
    static func yamlKeyLess(_ a: String, _ b: String) -> Bool {
        let ar = Array(a.unicodeScalars), br = Array(b.unicodeScalars)
        var i = 0
        while i < ar.count && i < br.count {
            if ar[i] == br[i] {
                i += 1
                continue
            }
            let al = ar[i].properties.isAlphabetic, bl = br[i].properties.isAlphabetic
            if al && bl { return ar[i].value < br[i].value }
            if al || bl { return bl }
            var an: Int64 = 0, bn: Int64 = 0
            if ar[i] == "0" || br[i] == "0" {
                var j = i - 1
                while j >= 0 && isDigit(ar[j]) {
                    if ar[j] != "0" {
                        an = 1
                        bn = 1
                        break
                    }
                    j -= 1
                }
            }
            var ai = i
            while ai < ar.count && isDigit(ar[ai]) {
                an = an &* 10 &+ Int64(ar[ai].value - 48)
                ai += 1
            }
            var bi = i
            while bi < br.count && isDigit(br[bi]) {
                bn = bn &* 10 &+ Int64(br[bi].value - 48)
                bi += 1
            }
            if an != bn { return an < bn }
            if ai != bi { return ai < bi }
            return ar[i].value < br[i].value
        }
        return ar.count < br.count
    }

    private static func isDigit(_ u: Unicode.Scalar) -> Bool { u.value >= 48 && u.value <= 57 }

    /// Go's `json.Marshal` escapes `&`, `<`, `>`, U+2028 and U+2029 in strings (`\u0026`…);
    /// none of them can appear outside a string in JSON text.
    static func goJSONEscaped(_ json: String) -> String {
        var out = ""
        for u in json.unicodeScalars {
            switch u {
            case "&": out += "\\u0026"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
