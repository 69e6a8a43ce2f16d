/// Encodes `Encodable` values into a `Value` tree, keeping struct fields in declaration
/// order and sorting dictionary keys (as Go's encoding/json does), so output is stable.
public struct TreeEncoder {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> Value {
        let box = EncodingBox()
        try value.encode(to: TreeEncoderImpl(box: box, codingPath: []))
        return box.value ?? .mapping([], mark: nil)
    }
}

/// A slot that receives the encoded value of one node. Children are kept in the box's own
/// arrays (not in enum payloads, which would be copied on every append), and keyed children
/// are indexed by key, so encoding n keys or items is linear.
final class EncodingBox {
    enum Shape {
        case keyed(sorted: Bool)
        case unkeyed
        case single(Value)
    }
    var shape: Shape?
    private(set) var keys: [String] = []
    private(set) var children: [EncodingBox] = []
    private var keyIndex: [String: Int] = [:]

    /// Makes this box keyed (dropping what it held otherwise).
    func becomeKeyed(sorted: Bool) {
        if case .keyed = shape { return }
        reset(to: .keyed(sorted: sorted))
    }

    /// Makes this box unkeyed (dropping what it held otherwise).
    func becomeUnkeyed() {
        if case .unkeyed = shape { return }
        reset(to: .unkeyed)
    }

    private func reset(to shape: Shape) {
        self.shape = shape
        keys = []
        children = []
        keyIndex = [:]
    }

    /// The child for `key`: a fresh box, replacing one encoded earlier under the same key.
    func child(forKey key: String) -> EncodingBox {
        let child = EncodingBox()
        if let i = position(of: key) {
            children[i] = child
        } else {
            if !keyIndex.isEmpty { keyIndex[key] = children.count }
            keys.append(key)
            children.append(child)
        }
        return child
    }

    /// Where `key` is: a scan while the box is small (most structs), an index once it is
    /// large (dictionaries), so neither case pays for the other.
    private func position(of key: String) -> Int? {
        if keys.count < 16 { return keys.firstIndex(of: key) }
        if keyIndex.isEmpty {
            keyIndex.reserveCapacity(keys.count * 2)
            for (i, k) in keys.enumerated() where keyIndex[k] == nil { keyIndex[k] = i }
        }
        return keyIndex[key]
    }

    func appendChild() -> EncodingBox {
        let child = EncodingBox()
        children.append(child)
        return child
    }

    var count: Int { children.count }

    var value: Value? {
        switch shape {
        case .none: return nil
        case .single(let v): return v
        case .unkeyed: return .sequence(children.compactMap(\.value), mark: nil)
        case .keyed(let sorted):
            var out: [(key: String, value: Value)] = []
            out.reserveCapacity(children.count)
            for (k, b) in zip(keys, children) { if let v = b.value { out.append((k, v)) } }
            if sorted { out.sort { $0.key < $1.key } }
            return .mapping(out, mark: nil)
        }
    }
}

struct TreeEncoderImpl: Encoder {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .keyed = box.shape {} else {
            // Dictionaries encode through a private key type; sort their keys.
            let sorted = !(Key.self is any CaseIterable.Type) && String(describing: Key.self).contains("Dictionary")
            box.becomeKeyed(sorted: sorted)
        }
        return KeyedEncodingContainer(TreeKeyedEncoder<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.becomeUnkeyed()
        return TreeUnkeyedEncoder(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        TreeSingleEncoder(box: box, codingPath: codingPath)
    }
}

private func scalar(_ s: String) -> Value { .scalar(s, plain: true, mark: nil) }

struct TreeKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodingBox
    let codingPath: [any CodingKey]

    func child(_ key: Key) -> EncodingBox { box.child(forKey: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { child(key).shape = .single(scalar("null")) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let c = child(key)
        try encodeValue(value, into: c, path: codingPath + [key])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoderImpl(box: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        TreeEncoderImpl(box: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { TreeEncoderImpl(box: box, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { TreeEncoderImpl(box: child(key), codingPath: codingPath + [key]) }
}

struct TreeUnkeyedEncoder: UnkeyedEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    var count: Int { box.count }

    func append() -> EncodingBox { box.appendChild() }

    mutating func encodeNil() throws { append().shape = .single(scalar("null")) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let c = append()
        try encodeValue(value, into: c, path: codingPath + [IndexKey(count - 1)])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoderImpl(box: append(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        TreeEncoderImpl(box: append(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { TreeEncoderImpl(box: append(), codingPath: codingPath) }
}

struct TreeSingleEncoder: SingleValueEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    mutating func encodeNil() throws { box.shape = .single(scalar("null")) }
    mutating func encode(_ value: Bool) throws { box.shape = .single(scalar(value ? "true" : "false")) }
    mutating func encode(_ value: String) throws { box.shape = .single(.scalar(value, plain: false, mark: nil)) }
    mutating func encode(_ value: Double) throws { box.shape = .single(scalar(try finiteNumber(value, codingPath))) }
    mutating func encode(_ value: Float) throws { box.shape = .single(scalar(try finiteNumber(Double(value), codingPath))) }
    mutating func encode(_ value: Int) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: Int8) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: Int16) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: Int32) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: Int64) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: UInt) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: UInt8) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: UInt16) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: UInt32) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode(_ value: UInt64) throws { box.shape = .single(scalar(String(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encodeValue(value, into: box, path: codingPath) }
}

func encodeValue<T: Encodable>(_ value: T, into box: EncodingBox, path: [any CodingKey]) throws {
    switch value {
    case let s as String: box.shape = .single(.scalar(s, plain: false, mark: nil))
    case let b as Bool: box.shape = .single(scalar(b ? "true" : "false"))
    case let d as Double: box.shape = .single(scalar(try finiteNumber(d, path)))
    case let i as any FixedWidthInteger: box.shape = .single(scalar("\(i)"))
    default: try value.encode(to: TreeEncoderImpl(box: box, codingPath: path))
    }
}

/// A number's text for output; NaN and the infinities have no JSON form and are refused
/// (as Go's encoding/json refuses them), so a number is never written as a string.
func finiteNumber(_ d: Double, _ path: [any CodingKey]) throws -> String {
    guard d.isFinite else {
        throw EncodingError.invalidValue(d, .init(codingPath: path, debugDescription: "field \(fieldPath(path)): \(d) is not a finite number"))
    }
    return formatDouble(d)
}

/// Formats a float like Go's encoding/json: integral values without a fraction.
public func formatDouble(_ d: Double) -> String {
    if d.isNaN { return ".nan" }
    if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
    if d.rounded() == d, abs(d) < 1e21 { return String(Int64(d)) }
    return "\(d)"
}
