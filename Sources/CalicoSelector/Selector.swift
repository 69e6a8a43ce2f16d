import Synchronization

/// A parsed Calico selector: its expression and canonical text.
public struct Selector: Hashable, Sendable, CustomStringConvertible {
    public let expression: Expression
    /// Canonical form; two selectors with equal canonical text select the same things.
    public let canonical: String

    public init(_ expression: Expression) {
        self.expression = expression
        self.canonical = expression.canonical
    }

    /// Parses selector text. Empty or blank text is `all()`.
    public init(parsing text: String) throws(SelectorError) {
        self.init(try Parser.parse(text))
    }

    public static let all = Selector(.all)

    public func matches<L: LabelSource>(_ labels: L) -> Bool { expression.evaluate(labels) }

    public var description: String { canonical }

    /// Byte-wise, so selectors whose values differ only in Unicode normalisation stay distinct.
    public static func == (a: Selector, b: Selector) -> Bool { Expression.same(a.canonical, b.canonical) }
    public func hash(into hasher: inout Hasher) { hasher.combine(canonical) }

    /// Parses through the shared cache.
    public static func parse(_ text: String) throws(SelectorError) -> Selector {
        try SelectorCache.shared.selector(for: text)
    }
}

/// A bounded, thread-safe cache of parsed selectors keyed by their source text, so the
/// same selector text appearing in many policies is parsed once.
public final class SelectorCache: Sendable {
    public static let shared = SelectorCache(capacity: 65_536)

    private let capacity: Int
    /// Keyed by exact text: Swift's `String ==` would merge canonically equivalent texts.
    private let storage = Mutex<[ExactString: Result<Selector, SelectorError>]>([:])

    public init(capacity: Int) { self.capacity = capacity }

    public func selector(for text: String) throws(SelectorError) -> Selector {
        if let hit = storage.withLock({ $0[ExactString(text)] }) { return try hit.get() }
        let result: Result<Selector, SelectorError>
        do {
            result = .success(try Selector(parsing: text))
        } catch {
            result = .failure(error)
        }
        storage.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[ExactString(text)] = result
        }
        return try result.get()
    }

    public var count: Int { storage.withLock { $0.count } }
}
