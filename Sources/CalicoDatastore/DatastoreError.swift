import CalicoValidation

/// Errors of the resource-level datastore, with upstream calicoctl's wording.
public enum DatastoreError: Error, Sendable, CustomStringConvertible {
    case notFound(ResourceID)
    case alreadyExists(ResourceID)
    /// Compare-and-swap failed: the caller's resourceVersion and the stored one.
    case conflict(ResourceID, given: String, current: String?)
    case validation(ResourceID, [FieldError])
    /// The operation is not allowed on this resource (e.g. Kubernetes-owned policies):
    /// `operation <operation> is not supported on <identifier>[: <reason>]`, as upstream.
    case notSupported(operation: String, identifier: String, reason: String?)
    case unavailable(endpoint: String, reason: String)
    case corrupt(String)

    /// The message; credentials in endpoint URLs never appear in it.
    public var description: String { Redaction.stripUserInfo(text) }

    var text: String {
        switch self {
        // Upstream's etcd backend gives no underlying error, so its message ends `with error: <nil>`.
        case .notFound(let id): return "resource does not exist: \(id) with error: <nil>"
        case .alreadyExists(let id): return "resource already exists: \(id)"
        case let .conflict(id, given, current):
            return "update conflict: \(id); the resourceVersion given (\(given)) is not the current one (\(current ?? "deleted"))"
        case let .validation(_, errors): return FieldError.upstreamText(errors)
        case let .notSupported(operation, identifier, reason):
            return "operation \(operation) is not supported on \(identifier)" + (reason.map { ": \($0)" } ?? "")
        case let .unavailable(endpoint, reason): return "datastore at \(endpoint) is not reachable: \(reason)"
        case .corrupt(let m): return m
        }
    }
}
