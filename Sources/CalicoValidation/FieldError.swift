/// One validation failure: the field's path, the offending value and why; and, where upstream's
/// validator has the same rule, the words upstream prints for it.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// e.g. `spec.ingress[1].destination.ports[0]`
    public var field: String
    public var value: String?
    public var reason: String
    /// Upstream's field name (its Go struct path, e.g. `IPPool.Spec.CIDR`, `PeerIP`, `Nets[0]`).
    public var upstreamField: String?
    /// The value as upstream prints it (`%v`), when it differs from `value`.
    public var upstreamValue: String?
    /// Upstream's reason text, e.g. `Reason: failed to validate Field: Nets[0] because of Tag: net `.
    public var upstreamReason: String?
    /// Upstream reports this failure with no value at all (`Name (reason)`, no `= '…'`).
    public var upstreamOmitsValue: Bool

    public init(field: String, value: String? = nil, reason: String,
                upstreamField: String? = nil, upstreamValue: String? = nil, upstreamReason: String? = nil,
                upstreamOmitsValue: Bool = false) {
        self.field = field
        self.value = value
        self.reason = reason
        self.upstreamField = upstreamField
        self.upstreamValue = upstreamValue
        self.upstreamReason = upstreamReason
        self.upstreamOmitsValue = upstreamOmitsValue
    }

    public var description: String { "error with field \(upstreamDetail)" }

    /// `field = 'value' (reason)` in this project's terms (field path, own reason).
    public var detail: String {
        if let value { return "\(field) = '\(value)' (\(reason))" }
        return "\(field) (\(reason))"
    }

    /// `Name = 'value' (reason)` as upstream prints it; this project's own terms where upstream
    /// has no such rule.
    public var upstreamDetail: String {
        guard upstreamField != nil || upstreamReason != nil else { return detail }
        if upstreamOmitsValue { return "\(upstreamField ?? field) (\(upstreamReason ?? reason))" }
        return "\(upstreamField ?? field) = '\(upstreamValue ?? value ?? "")' (\(upstreamReason ?? reason))"
    }
}

extension FieldError {
    /// A resource's failures as upstream's `ErrorValidation` prints them: one field, or
    /// `error with the following fields:` and a `-  ` line each.
    public static func upstreamText(_ errors: [FieldError]) -> String {
        if errors.count == 1 { return errors[0].description }
        return "error with the following fields:\n" + errors.map { "-  \($0.upstreamDetail)\n" }.joined()
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
    /// A failure of a rule upstream's validator also has: `upstream` is its field name,
    /// `upstreamReason` its reason text (ours when nil), `upstreamValue` the value as it prints it.
    public mutating func add(_ path: FieldPath, _ value: String?, _ reason: String,
                             upstream: String, upstreamReason: String? = nil, upstreamValue: String? = nil,
                             upstreamOmitsValue: Bool = false) {
        errors.append(FieldError(field: path.text, value: value, reason: reason,
                                 upstreamField: upstream, upstreamValue: upstreamValue, upstreamReason: upstreamReason,
                                 upstreamOmitsValue: upstreamOmitsValue))
    }
    public var isEmpty: Bool { errors.isEmpty }
}
