import CalicoAPI

/// How a kind's `metadata.name` is checked.
enum NameRule {
    /// DNS-1123 subdomain, ≤253.
    case subdomain
    /// DNS-1123 label, ≤63, no dots (Tier).
    case label
    /// `L` or `L.L`, ≤253 (global policies).
    case globalPolicy
    /// `L`, `L.L`, `knp.default.S` or `ossg.default.S`, ≤253 (namespaced policies).
    case namespacedPolicy
}

enum MetadataRules {
    static let maxAnnotationBytes = 262_144

    static func validate(_ meta: ObjectMeta, nameRule: NameRule, namespaced: Bool, into p: inout Problems) {
        let path = FieldPath("metadata")
        let name = meta.name ?? ""
        if name.isEmpty {
            p.add(path["name"], name, "name is required")
        } else if let problem = nameProblem(name, rule: nameRule) {
            p.add(path["name"], name, problem)
        }
        if let ns = meta.namespace, !ns.isEmpty {
            if !namespaced {
                p.add(path["namespace"], ns, "namespace should not be specified for a non-namespaced resource")
            } else if ns.utf8.count > 63 || !Formats.isDNSLabel(Substring(ns)) {
                p.add(path["namespace"], ns, "namespace must be a DNS-1123 label")
            }
        }
        validateLabels(meta.labels, path: path["labels"], into: &p)
        validateAnnotations(meta.annotations, path: path["annotations"], into: &p)
    }

    static func nameProblem(_ name: String, rule: NameRule) -> String? {
        if name.utf8.count > 253 { return "name must be no more than 253 characters" }
        switch rule {
        case .subdomain:
            return Formats.isDNSSubdomain(name) ? nil : "name must be a lowercase DNS-1123 subdomain ([a-z0-9]([-a-z0-9]*[a-z0-9])? separated by '.')"
        case .label:
            if name.utf8.count > 63 { return "name must be no more than 63 characters" }
            return Formats.isDNSLabel(Substring(name)) ? nil : "name must be a lowercase DNS-1123 label ([a-z0-9]([-a-z0-9]*[a-z0-9])?, no dots)"
        case .globalPolicy:
            return isLabelOrTwoLabels(name) ? nil : "name must be a DNS-1123 label, optionally prefixed by '<tier>.'"
        case .namespacedPolicy:
            if isLabelOrTwoLabels(name) { return nil }
            for prefix in ["knp.default.", "ossg.default."] where name.hasPrefix(prefix) {
                let rest = String(name.dropFirst(prefix.count))
                if Formats.isDNSSubdomain(rest) { return nil }
            }
            return "name must be a DNS-1123 label, optionally prefixed by '<tier>.'"
        }
    }

    static func isLabelOrTwoLabels(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy(Formats.isDNSLabel)
    }

    static func validateLabels(_ labels: [String: String]?, path: FieldPath, into p: inout Problems) {
        guard let labels else { return }
        for key in labels.keys.sorted() {
            if let problem = Formats.qualifiedNameProblem(key) {
                p.add(path[key], key, "invalid label key: \(problem)")
            }
            if let problem = Formats.labelValueProblem(labels[key]!) {
                p.add(path[key], labels[key]!, "invalid label value: \(problem)")
            }
        }
    }

    static func validateAnnotations(_ annotations: [String: String]?, path: FieldPath, into p: inout Problems) {
        guard let annotations else { return }
        var total = 0
        for key in annotations.keys.sorted() {
            total += key.utf8.count + annotations[key]!.utf8.count
            if let problem = Formats.qualifiedNameProblem(key.lowercased()) {
                p.add(path[key], key, "invalid annotation key: \(problem)")
            }
        }
        if total > maxAnnotationBytes {
            p.add(path, "annotations total \(total) bytes, must have at most \(maxAnnotationBytes) bytes")
        }
    }
}
