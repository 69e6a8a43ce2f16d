/// A decoding failure with the field path where it happened.
public struct DecodeError: Error, Sendable, CustomStringConvertible {
    /// Field path such as `spec.ingress[1].destination.ports[0]`.
    public var path: String
    public var reason: String
    public var mark: SourceMark?
    public init(path: String, reason: String, mark: SourceMark? = nil) {
        self.path = path
        self.reason = reason
        self.mark = mark
    }
    public var description: String {
        let at = mark.map { " (\($0))" } ?? ""
        return path.isEmpty ? "\(reason)\(at)" : "field \(path): \(reason)\(at)"
    }
}

/// Formats a coding path as `a.b[2].c`.
public func fieldPath(_ keys: [any CodingKey]) -> String {
    var out = ""
    for key in keys {
        if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
            out += "[\(index)]"
        } else {
            if !out.isEmpty { out += "." }
            out += key.stringValue
        }
    }
    return out
}

struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String
    init(_ index: Int) {
        intValue = index
        stringValue = "Index \(index)"
    }
    init?(intValue: Int) { self.init(intValue) }
    init?(stringValue: String) { nil }
}

/// Decodes `Decodable` types from a `Value` tree the way calicoctl does: strictly.
/// Any key of a mapping that the target type does not read is an error (upstream's words:
/// "field in document is not recognized or is in the wrong location: <name>");
/// a quoted scalar never decodes as a number or bool; numbers must fit their type.
///
/// Decoding does not stop at the first problem: an unknown field is recorded and skipped,
/// and a bad value is recorded and its nearest optional enclosing field left unset, so one
/// pass reports every problem of a document.
public struct StrictDecoder {
    public init() {}

    /// Decodes, throwing the first problem found.
    public func decode<T: Decodable>(_ type: T.Type, from value: Value, path: [any CodingKey] = []) throws -> T {
        let (result, errors) = decodeCollecting(type, from: value, path: path)
        if let first = errors.first { throw first }
        return result!
    }

    /// Decodes, returning every problem found and, when decoding could continue past them,
    /// the partially decoded value.
    public func decodeCollecting<T: Decodable>(_ type: T.Type, from value: Value, path: [any CodingKey] = []) -> (T?, [DecodeError]) {
        let log = IssueLog()
        let decoder = TreeDecoder(value: value, codingPath: path, log: log)
        do {
            let result = try T(from: decoder)
            decoder.checkUnknownKeys()
            return (result, log.errors)
        } catch let error as DecodeError {
            log.errors.append(error)
        } catch let error as DecodingError {
            log.errors.append(DecodeError(decodingError: error, root: value))
        } catch {
            log.errors.append(DecodeError(path: fieldPath(path), reason: "\(error)"))
        }
        return (nil, log.errors)
    }
}

/// The problems found while decoding one document.
final class IssueLog {
    var errors: [DecodeError] = []
}

extension DecodeError {
    init(decodingError: DecodingError, root: Value) {
        switch decodingError {
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx), let .dataCorrupted(ctx):
            self.init(path: fieldPath(ctx.codingPath), reason: ctx.debugDescription)
        case let .keyNotFound(key, ctx):
            self.init(path: fieldPath(ctx.codingPath + [key]), reason: "required field is missing")
        @unknown default:
            self.init(path: "", reason: "\(decodingError)")
        }
    }
}

final class TreeDecoder: Decoder {
    let value: Value
    let codingPath: [any CodingKey]
    let log: IssueLog
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// Keys read by keyed containers made from this decoder (nil: no keyed container made).
    var readKeys: Set<String>?
    /// Position of each key of a large mapping, built on first lookup, so reading every key
    /// of a mapping (labels, annotations) is linear, not quadratic.
    private var keyIndex: [String: Int]?

    /// The value of `key` in this decoder's mapping. As Go's JSON decoder (which upstream
    /// calicoctl uses) matches struct fields, a key differing only in case names the field
    /// too (`Order:` for `order`); an exact match wins, and every spelling of it is read.
    func lookup(_ key: String, in pairs: [(key: String, value: Value)]) -> Value? {
        readKeys?.insert(key)
        let exact = exactLookup(key, in: pairs)
        // Other spellings are read too (Go sets the field from each); without an exact match the
        // last one is the value. A large mapping with the key found (labels, annotations: map
        // keys, read as they are) is not scanned.
        guard exact == nil || pairs.count <= 64 else { return exact }
        var folded: Value?
        for pair in pairs where pair.key != key && Self.equalFold(pair.key, key) {
            readKeys?.insert(pair.key)
            folded = pair.value
        }
        return exact ?? folded
    }

    private func exactLookup(_ key: String, in pairs: [(key: String, value: Value)]) -> Value? {
        if pairs.count <= 8 { return pairs.first { $0.key == key }?.value }
        if keyIndex == nil {
            var index: [String: Int] = [:]
            index.reserveCapacity(pairs.count)
            for (i, pair) in pairs.enumerated() where index[pair.key] == nil { index[pair.key] = i }
            keyIndex = index
        }
        return keyIndex![key].map { pairs[$0].value }
    }

    /// Go's `strings.EqualFold` for the names fields have (ASCII letters, digits, `_`).
    static func equalFold(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
        return zip(a.utf8, b.utf8).allSatisfy { $0 == $1 || lower($0) == lower($1) }
    }

    init(value: Value, codingPath: [any CodingKey], log: IssueLog) {
        self.value = value
        self.codingPath = codingPath
        self.log = log
    }

    /// Records every key of this mapping that the decoded type did not read.
    func checkUnknownKeys() {
        guard let readKeys, case let .mapping(pairs, _) = value else { return }
        for pair in pairs where !readKeys.contains(pair.key) {
            log.errors.append(DecodeError(
                path: fieldPath(codingPath + [AnyKey(pair.key)]),
                reason: "field in document is not recognized or is in the wrong location: \(pair.key)", mark: pair.value.mark))
        }
    }

    func fail(_ reason: String) -> DecodeError {
        DecodeError(path: fieldPath(codingPath), reason: reason, mark: value.mark)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if value.isNull { throw fail("expected an object, got null") }
        guard case let .mapping(pairs, _) = value else {
            throw fail("expected an object, got \(value.shapeName)")
        }
        if readKeys == nil { readKeys = [] }
        return KeyedDecodingContainer(TreeKeyedContainer<Key>(decoder: self, pairs: pairs))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if value.isNull { return TreeUnkeyedContainer(decoder: self, items: []) }
        guard case let .sequence(items, _) = value else {
            throw fail("expected an array, got \(value.shapeName)")
        }
        return TreeUnkeyedContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { TreeSingleValue(decoder: self) }


    /// The type whose field this decoder reads (`IPPoolSpec`), for upstream's messages.
    var owner: String?

    func decodeChild<T: Decodable>(_ type: T.Type, value: Value, key: any CodingKey, owner: String? = nil) throws -> T {
        let child = TreeDecoder(value: value, codingPath: codingPath + [key], log: log)
        child.owner = owner
        let result = try child.decodeSelf(type)
        return result
    }

    func decodeSelf<T: Decodable>(_ type: T.Type) throws -> T {
        let result: T
        switch type {
        case is String.Type: result = try decodeString() as! T
        case is Bool.Type: result = try decodeBool() as! T
        case is Int.Type: result = try decodeInteger(Int.self) as! T
        case is Int32.Type: result = try decodeInteger(Int32.self) as! T
        case is Int64.Type: result = try decodeInteger(Int64.self) as! T
        case is UInt8.Type: result = try decodeInteger(UInt8.self) as! T
        case is UInt16.Type: result = try decodeInteger(UInt16.self) as! T
        case is UInt32.Type: result = try decodeInteger(UInt32.self) as! T
        case is UInt64.Type: result = try decodeInteger(UInt64.self) as! T
        case is Double.Type: result = try decodeDouble() as! T
        case is Float.Type: result = try decodeFloat() as! T
        default:
            result = try T(from: self)
            checkUnknownKeys()
        }
        return result
    }

    func decodeString() throws -> String {
        guard case let .scalar(s, plain, _) = value else {
            throw fail("expected a string, got \(value.shapeName)")
        }
        if plain && value.isNull { throw fail("expected a string, got null") }
        // Like calicoctl's YAML-to-JSON step, a plain number or bool read into a string
        // field keeps its text.
        return s
    }

    func decodeBool() throws -> Bool {
        guard case let .scalar(s, plain, _) = value, !(plain && value.isNull) else {
            throw fail("expected a bool, got \(value.shapeName)")
        }
        if plain, let b = Value.plainBool(s) { return b }
        // Upstream's words for text that is no bool.
        let field = [owner, codingPath.last?.stringValue].compactMap { $0 }.joined(separator: ".")
        throw fail("cannot parse string '\(s)' into field \(field) of type bool")
    }

    func decodeInteger<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard case let .scalar(s, true, _) = value, !value.isNull else {
            throw fail("expected a number, got \(value.shapeName)")
        }
        if let v = I(s) { return v }
        if let d = Value.plainDouble(s), d.isFinite, d.rounded() == d, let v = I(exactly: d) { return v }
        if s.hasPrefix("0x") || s.hasPrefix("0X"), let v = I(s.dropFirst(2), radix: 16) { return v }
        if Int64(s) != nil || Value.plainDouble(s) != nil {
            throw fail("number \(s) does not fit a \(I.isSigned ? "" : "non-negative ")\(I.bitWidth)-bit integer")
        }
        throw fail("expected a number, got \(value.shapeName) \"\(s)\"")
    }

    /// A finite number: NaN, the infinities and numbers beyond a double's range (`1e400`)
    /// are refused, since they have no JSON form and no meaning as an order or a quantity.
    func decodeDouble() throws -> Double {
        guard case let .scalar(s, true, _) = value, !value.isNull, let d = Value.plainDouble(s) else {
            throw fail("expected a number, got \(value.shapeName)")
        }
        if d.isNaN { throw fail("\(s) is not a number (NaN is not allowed)") }
        if d.isInfinite { throw fail("number \(s) is out of range (must be finite)") }
        return d
    }

    func decodeFloat() throws -> Float {
        let d = try decodeDouble()
        guard Float(d).isFinite else { throw fail("number \(d) is out of range for a 32-bit float") }
        return Float(d)
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

struct TreeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: TreeDecoder
    let pairs: [(key: String, value: Value)]
    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        pairs.compactMap { Key(stringValue: $0.key) }
    }

    func lookup(_ key: Key) -> Value? {
        decoder.lookup(key.stringValue, in: pairs)
    }

    func contains(_ key: Key) -> Bool { lookup(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let v = lookup(key) else { return true }
        return v.isNull
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let v = lookup(key) else {
            // Like Go, an absent struct field is its zero value: an object whose fields are
            // all optional decodes from nothing. Anything else is required.
            let probe = TreeDecoder(value: .mapping([], mark: nil), codingPath: codingPath + [key], log: IssueLog())
            if let empty = try? probe.decodeSelf(type) { return empty }
            throw DecodeError(path: fieldPath(codingPath + [key]), reason: "required field is missing", mark: decoder.value.mark)
        }
        return try decoder.decodeChild(type, value: v, key: key, owner: Self.owner)
    }

    /// `IPPoolSpec` for `IPPoolSpec.CodingKeys`.
    static var owner: String? {
        let parts = String(reflecting: Key.self).split(separator: ".")
        return parts.count >= 2 && parts.last == "CodingKeys" ? String(parts[parts.count - 2]) : nil
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = lookup(key), !v.isNull else { return nil }
        do {
            return try decoder.decodeChild(type, value: v, key: key, owner: Self.owner)
        } catch let error as DecodeError {
            // Record and leave this optional field unset, so decoding goes on.
            decoder.log.errors.append(error)
            return nil
        }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        guard let v = lookup(key) else { throw DecodeError(path: fieldPath(codingPath + [key]), reason: "required field is missing") }
        return try TreeDecoder(value: v, codingPath: codingPath + [key], log: decoder.log).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        guard let v = lookup(key) else { throw DecodeError(path: fieldPath(codingPath + [key]), reason: "required field is missing") }
        return try TreeDecoder(value: v, codingPath: codingPath + [key], log: decoder.log).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        TreeDecoder(value: lookup(key) ?? .scalar("", plain: true, mark: nil), codingPath: codingPath + [key], log: decoder.log)
    }
}

struct TreeUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: TreeDecoder
    let items: [Value]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(decoder: TreeDecoder, items: [Value]) {
        self.decoder = decoder
        self.items = items
    }

    mutating func next() throws -> Value {
        guard !isAtEnd else {
            throw DecodeError(path: fieldPath(codingPath), reason: "unexpected end of array")
        }
        defer { currentIndex += 1 }
        return items[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        if !isAtEnd, items[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let index = currentIndex
        let v = try next()
        return try decoder.decodeChild(type, value: v, key: IndexKey(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let index = currentIndex
        return try TreeDecoder(value: try next(), codingPath: codingPath + [IndexKey(index)], log: decoder.log).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let index = currentIndex
        return try TreeDecoder(value: try next(), codingPath: codingPath + [IndexKey(index)], log: decoder.log).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let index = currentIndex
        return TreeDecoder(value: try next(), codingPath: codingPath + [IndexKey(index)], log: decoder.log)
    }
}

struct TreeSingleValue: SingleValueDecodingContainer {
    let decoder: TreeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    func decodeNil() -> Bool { decoder.value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.decodeBool() }
    func decode(_ type: String.Type) throws -> String { try decoder.decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.decodeDouble() }
    func decode(_ type: Float.Type) throws -> Float { try decoder.decodeFloat() }
    func decode(_ type: Int.Type) throws -> Int { try decoder.decodeInteger(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.decodeInteger(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.decodeInteger(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.decodeInteger(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.decodeInteger(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.decodeInteger(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.decodeInteger(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.decodeInteger(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.decodeInteger(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.decodeInteger(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeSelf(type) }
}

/// Gives a custom `Decodable` implementation access to the raw `Value` it is decoding,
/// for types whose wire form is "number or string" (Protocol, Port, ASNumber, …).
public protocol RawValueDecoding {
    /// The value being decoded and whether it came from a plain (unquoted) scalar.
    func rawValue() -> Value
}

extension TreeDecoder: RawValueDecoding {
    func rawValue() -> Value { value }
}

extension Decoder {
    /// The scalar at this position: its text and whether it was a plain (number-like) scalar.
    /// Falls back to trying String / Int for decoders other than ours.
    public func numberOrString() throws -> (text: String, isNumber: Bool) {
        if let tree = self as? TreeDecoder {
            guard case let .scalar(s, plain, _) = tree.value, !tree.value.isNull else {
                throw tree.fail("expected a number or string, got \(tree.value.shapeName)")
            }
            let isNumber = plain && (Int64(s) != nil || Value.plainDouble(s) != nil)
            return (s, isNumber)
        }
        let c = try singleValueContainer()
        if let i = try? c.decode(Int64.self) { return (String(i), true) }
        return (try c.decode(String.self), false)
    }
}

extension Decoder {
    /// An error at this decoder's position, for custom `init(from:)` implementations.
    public func invalid(_ reason: String) -> DecodeError {
        if let tree = self as? TreeDecoder { return tree.fail(reason) }
        return DecodeError(path: fieldPath(codingPath), reason: reason)
    }
}
