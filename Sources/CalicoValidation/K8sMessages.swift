/// The messages of Kubernetes' apimachinery validation (`IsQualifiedName`, `IsValidLabelValue`),
/// which upstream's validator passes through as reasons for label and annotation problems.
enum K8sMessages {
    static let qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameErrMsg =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let subdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
        + "'-' or '.', and must start and end with an alphanumeric character"
    static let labelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, "
        + "'-', '_' or '.', and must start and end with an alphanumeric character"

    /// k8s `RegexError`: `msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')`.
    static func regexError(_ msg: String, _ fmt: String, _ examples: [String]) -> String {
        var out = msg + " (e.g. "
        for (i, e) in examples.enumerated() {
            if i > 0 { out += " or " }
            out += "'\(e)', "
        }
        return out + "regex used for validation is '\(fmt)')"
    }

    static func maxLen(_ n: Int) -> String { "must be no more than \(n) characters" }

    /// `IsQualifiedName`'s messages, in its order.
    static func qualifiedNameErrors(_ value: String) -> [String] {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let nameRegex = regexError(qualifiedNameErrMsg, qualifiedNameFmt, ["MyName", "my.name", "123-abc"])
        var errs: [String] = []
        switch parts.count {
        case 1: break
        case 2:
            let prefix = String(parts[0])
            if prefix.isEmpty {
                errs.append("prefix part must be non-empty")
            } else {
                if prefix.utf8.count > 253 { errs.append("prefix part " + maxLen(253)) }
                if !Formats.isDNSSubdomain(prefix) {
                    errs.append("prefix part " + regexError(subdomainErrMsg, MetadataRules.subdomainFmt, ["example.com"]))
                }
            }
        default:
            return ["a qualified name " + nameRegex + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        let name = parts.last!
        if name.isEmpty {
            errs.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            errs.append("name part " + maxLen(63))
        }
        if !Formats.isLabelValueShape(name) { errs.append("name part " + nameRegex) }
        return errs
    }

    /// `IsValidLabelValue`'s messages, in its order.
    static func labelValueErrors(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 63 { errs.append(maxLen(63)) }
        if !value.isEmpty && !Formats.isLabelValueShape(Substring(value)) {
            errs.append(regexError(labelValueErrMsg, "(" + qualifiedNameFmt + ")?", ["MyValue", "my_value", "12345"]))
        }
        return errs
    }
}
