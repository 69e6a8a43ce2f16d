import CalicoAPI
import CalicoDatastore
import CalicoValidation

/// One problem of a resource: upstream calicoctl's words first, then where it is.
struct Problem: Sendable {
    /// `IPPool.Spec.CIDR = '…' (…)` for a field error, or a whole message (a decode error).
    var text: String
    /// True when `text` is a field error (`error with field …` is put before it).
    var isField: Bool
    /// This project's field path and source position, e.g. `spec.disabled, line 14, column 37`.
    var at: String

    init(_ error: FieldError) {
        text = error.upstreamDetail
        isField = true
        at = error.field
    }

    init(_ error: DecodeError) {
        text = error.reason
        isField = false
        let mark = error.mark.map { ", line \($0.line), column \($0.column)" } ?? ""
        at = (error.path.isEmpty ? "(document)" : error.path) + mark
    }

    init(message: String, at: String = "") {
        text = message
        isField = false
        self.at = at
    }

    /// A write check's failure: each field of a validation error, or the error's message.
    static func all(of error: any Error) -> [Problem] {
        if case DatastoreError.validation(_, let fields) = error { return fields.map(Problem.init) }
        return [Problem(message: "\(error)")]
    }
}

/// The outcome of checking one resource.
struct ResourceReport {
    var location: ResourceLocation
    var kind: String
    var name: String
    var namespace: String?
    var problems: [Problem]
    /// A document that could not be decoded (upstream stops at such a file error).
    var decodeFailed = false

    var subject: String {
        let ns = namespace.map { "\($0)/" } ?? ""
        return "\(kind)(\(ns)\(name))"
    }

    /// Upstream's text, then `; at <file> document <n>: <Kind>(<name>) <path>`:
    /// `error with field IPPool.Spec.CIDR = '10.0.250.0/32' (…); at pools.yaml document 1: IPPool(p1) spec.cidr`.
    /// Several problems are listed as upstream lists several fields, each with its path, and
    /// the resource's location follows on a line of its own.
    var message: String {
        let place = "\(location): \(subject)"
        if problems.count == 1 {
            let p = problems[0]
            return (p.isField ? "error with field " : "") + p.text + "; at \(place)" + (p.at.isEmpty ? "" : " \(p.at)")
        }
        return "error with the following fields:\n"
            + problems.map { "-  \($0.text)" + ($0.at.isEmpty ? "" : "; at \($0.at)") + "\n" }.joined()
            + "at \(place)"
    }
}
