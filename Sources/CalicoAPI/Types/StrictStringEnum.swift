/// A string enum whose unknown values are decode errors naming the allowed values
/// (exact case, as upstream's validator).
public protocol StrictStringEnum: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {
    /// How the field is called in messages, e.g. `action`.
    static var wireName: String { get }
}

extension StrictStringEnum {
    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let v = Self(rawValue: s) else {
            let allowed = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw decoder.invalid("invalid \(Self.wireName) \"\(s)\": must be one of \(allowed)")
        }
        self = v
    }
}
