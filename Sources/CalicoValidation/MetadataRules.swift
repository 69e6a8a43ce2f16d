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
            p.report(path["name"], name, "name is required", as: "Metadata.Name", upstreamNameReason(name, rule: nameRule))
        } else if let problem = nameProblem(name, rule: nameRule) {
            p.report(path["name"], name, problem, as: "Metadata.Name", upstreamNameReason(name, rule: nameRule))
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

    static let subdomainFmt = #"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"#
    static let labelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"

    /// Upstream's reason for a name `nameProblem` refuses (its ObjectMeta, Tier and policy checks).
    static func upstreamNameReason(_ name: String, rule: NameRule) -> String {
        let limit = rule == .label ? 63 : 253
        if name.utf8.count > limit { return "name is too long by \(name.utf8.count - limit) bytes" }
        switch rule {
        case .subdomain:
            return "name must consist of lower case alphanumeric characters, '-' or '.' (regex: \(subdomainFmt))"
        case .label, .globalPolicy, .namespacedPolicy:
            return "name must consist of lower case alphanumeric characters or '-' (regex: \(labelFmt))"
        }
    }

    static func isLabelOrTwoLabels(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy(Formats.isDNSLabel)
    }

    /// How upstream reports a label problem.
    enum LabelStyle {
        /// `metadata.labels`: upstream's struct check, one error per problem.
        case metadata
        /// A labels-valued field checked by this struct tag (upstream prints the whole map).
        case tag(String)
        /// No upstream counterpart (Kubernetes label selectors).
        case ours
    }

    static func validateLabels(_ labels: [String: String]?, path: FieldPath, style: LabelStyle = .metadata, into p: inout Problems) {
        guard let labels else { return }
        func report(_ at: FieldPath, _ value: String, _ reason: String, as name: String, _ k8s: String?) {
            switch style {
            case .metadata: p.report(at, value, reason, as: name, k8s ?? reason)
            case .tag(let tag): p.tag(at, value, reason, tag: tag, field: Upstream.field(path), upstreamValue: Upstream.map(labels))
            case .ours: p.add(at, value, reason)
            }
        }
        for key in labels.keys.sorted() {
            if let problem = Formats.qualifiedNameProblem(key) {
                report(path[key], key, "invalid label key: \(problem)", as: "Metadata.Labels (label)",
                       K8sMessages.qualifiedNameErrors(key).first)
            }
            if let problem = Formats.labelValueProblem(labels[key]!) {
                report(path[key], labels[key]!, "invalid label value: \(problem)", as: "Metadata.Labels (value)",
                       K8sMessages.labelValueErrors(labels[key]!).first)
            }
        }
    }

    /// Annotations (on metadata and on rule metadata alike, as upstream).
    static func validateAnnotations(_ annotations: [String: String]?, path: FieldPath, into p: inout Problems) {
        guard let annotations else { return }
        var total = 0
        for key in annotations.keys.sorted() {
            total += key.utf8.count + annotations[key]!.utf8.count
            if let problem = Formats.qualifiedNameProblem(key.lowercased()) {
                p.report(path[key], key, "invalid annotation key: \(problem)", as: "Metadata.Annotations (key)",
                         K8sMessages.qualifiedNameErrors(key.lowercased()).first ?? problem)
            }
        }
        if total > maxAnnotationBytes {
            p.report(path, nil, "annotations total \(total) bytes, must have at most \(maxAnnotationBytes) bytes",
                     as: "Metadata.Annotations (key)", "total size of annotations is too large by \(total - maxAnnotationBytes) bytes",
                     upstreamValue: Upstream.map(annotations))
        }
    }
}
