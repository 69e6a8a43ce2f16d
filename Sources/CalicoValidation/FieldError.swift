/// One validation failure: the field's path, the offending value and why.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// e.g. `spec.ingress[1].destination.ports[0]`
    public var field: String
    public var value: String?
    public var reason: String

    public init(field: String, value: String? = nil, reason: String) {
        self.field = field
        self.value = value
        self.reason = reason
    }

    public var description: String { "error with field \(detail)" }

    /// `field = 'value' (reason)`, as upstream lists several errors of one resource.
    public var detail: String {
        if let value { return "\(field) = '\(value)' (\(reason))" }
        return "\(field) (\(reason))"
    }
}

/// A position in a resource, printed as `spec.ingress[1].destination`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public private(set) var text: String
    public init(_ text: String = "") { self.text = text }
    public func key(_ name: String) -> FieldPath { FieldPath(text.isEmpty ? name : "\(text).\(name)") }
    public func index(_ i: Int) -> FieldPath { FieldPath("\(text)[\(i)]") }
    public subscript(_ name: String) -> FieldPath { key(name) }
    public subscript(_ i: Int) -> FieldPath { index(i) }
    public var description: String { text }
}

/// Collects errors while walking a resource.
public struct Problems: Sendable {
    public private(set) var errors: [FieldError] = []
    public init() {}

    public mutating func add(_ path: FieldPath, _ value: String?, _ reason: String) {
        errors.append(FieldError(field: path.text, value: value, reason: reason))
    }
    public mutating func add(_ path: FieldPath, _ reason: String) {
        errors.append(FieldError(field: path.text, value: nil, reason: reason))
    }
    public var isEmpty: Bool { errors.isEmpty }
}
