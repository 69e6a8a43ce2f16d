/// Maps label keys and values to small integers so label sets and selectors can be
/// compared without hashing strings. One interner serves one index (not thread-safe).
public final class LabelInterner {
    /// Byte-exact keys: values that differ only in Unicode normalisation get different ids.
    private var ids: [ExactString: Int32] = [:]
    private(set) var strings: [String] = []

    public init() {}

    /// The id of `s`, adding it when new.
    public func intern(_ s: String) -> Int32 {
        if let id = ids[ExactString(s)] { return id }
        let id = Int32(strings.count)
        strings.append(s)
        ids[ExactString(s)] = id
        return id
    }

    /// The id of `s` if it was interned before.
    public func existingID(_ s: String) -> Int32? { ids[ExactString(s)] }

    public func string(_ id: Int32) -> String { strings[Int(id)] }

    public var count: Int { strings.count }

    /// Interns a label dictionary.
    public func labels(_ dict: [String: String]) -> InternedLabels {
        var pairs = dict.map { (intern($0.key), intern($0.value)) }
        pairs.sort { $0.0 < $1.0 }
        var flat: [Int32] = []
        flat.reserveCapacity(pairs.count * 2)
        for (k, v) in pairs { flat.append(k); flat.append(v) }
        return InternedLabels(pairs: flat)
    }
}

/// A label set as interned `key, value` pairs back to back, sorted by key.
public struct InternedLabels: Hashable, Sendable {
    public var pairs: [Int32]

    public init(pairs: [Int32] = []) { self.pairs = pairs }

    public var count: Int { pairs.count / 2 }

    public func value(of key: Int32) -> Int32? {
        pairs.withUnsafeBufferPointer { InternedLabels.value(of: key, in: $0) }
    }

    @inline(__always)
    static func value(of key: Int32, in p: UnsafeBufferPointer<Int32>) -> Int32? {
        var i = 0
        while i < p.count {
            let k = p[i]
            if k == key { return p[i + 1] }
            if k > key { return nil }
            i += 2
        }
        return nil
    }
}
