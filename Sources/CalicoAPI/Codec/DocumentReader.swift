import Foundation
import Yams

/// An error reading YAML/JSON text (before any resource decoding).
public struct SyntaxError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var mark: SourceMark?
    public init(_ message: String, mark: SourceMark? = nil) {
        self.message = message
        self.mark = mark
    }
    public var description: String {
        if let mark { return "\(message) (\(mark))" }
        return message
    }
}

/// Splits text into YAML documents and converts each to a `Value` tree.
///
/// JSON is read as YAML (a JSON document is a YAML flow document). Nesting is limited by
/// libyaml (1000 levels); alias expansion and document size are bounded so hostile input
/// ends in an error, not a hang or a crash.
public enum DocumentReader {
    /// Upper bound on the number of nodes one document may hold.
    public static let maxNodes = 5_000_000
    /// Upper bound on the nodes that alias expansion may add, over all documents of one input
    /// (guards alias bombs: about 100 bytes each, so this bounds their memory to ~10 MB).
    public static let maxAliasNodes = 100_000
    /// Upper bound on the scalar and key text that alias expansion may repeat, over one input.
    public static let maxAliasBytes = 4 << 20
    /// Nesting beyond this depth is refused.
    public static let maxDepth = 200

    public static func documents(in data: Data) throws -> [Value] {
        if data.contains(0) { throw SyntaxError("input contains NUL bytes: not a YAML or JSON text") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SyntaxError("input is not valid UTF-8 text")
        }
        return try documents(in: text)
    }

    public static func documents(in text: String) throws -> [Value] {
        try checkDepth(text)
        let parser: Parser
        do {
            parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
        } catch {
            throw convert(error)
        }
        var result: [Value] = []
        var aliases = AliasBudget()
        while true {
            let root: Yams.Node?
            do {
                root = try parser.nextRoot()
            } catch {
                throw convert(error)
            }
            guard let root else { break }
            var budget = maxNodes
            result.append(try value(from: root, budget: &budget, aliases: &aliases, copied: false, depth: 0))
        }
        return result
    }

    /// Cheap pre-scan bounding flow-collection nesting, so pathological input like a
    /// million `[` is refused before the (recursive) YAML composer sees it.
    static func checkDepth(_ text: String) throws {
        var depth = 0
        var quote: UInt8 = 0
        var comment = false
        var line = 1
        var prev: UInt8 = 10
        for byte in text.utf8 {
            if byte == 10 { line += 1; comment = false; prev = byte; continue }
            if comment { continue }
            if quote != 0 {
                if byte == quote { quote = 0 }
                prev = byte
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if depth > 0 || prev == 32 || prev == 10 || prev == 58 || prev == 9 { quote = byte }
            case UInt8(ascii: "#"):
                if prev == 32 || prev == 10 || prev == 9 { comment = true }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxDepth {
                    throw SyntaxError("document is nested more than \(maxDepth) levels deep", mark: SourceMark(line: line, column: 0))
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth > 0 { depth -= 1 }
            default: break
            }
            prev = byte
        }
    }

    static func convert(_ error: any Error) -> SyntaxError {
        if let yamlError = error as? YamlError {
            switch yamlError {
            case let .scanner(context, problem, mark, _):
                return SyntaxError("yaml: \(context.map { "\($0.text) " } ?? "")\(problem)", mark: SourceMark(line: mark.line, column: mark.column))
            case let .parser(context, problem, mark, _):
                return SyntaxError("yaml: \(context.map { "\($0.text) " } ?? "")\(problem)", mark: SourceMark(line: mark.line, column: mark.column))
            case let .composer(context, problem, mark, _):
                return SyntaxError("yaml: \(context.map { "\($0.text) " } ?? "")\(problem)", mark: SourceMark(line: mark.line, column: mark.column))
            case let .reader(problem, offset, value, _):
                return SyntaxError("yaml: \(problem) (byte offset \(offset ?? 0), value \(value))")
            case let .duplicatedKeysInMapping(duplicates, _):
                let keys = duplicates.sorted()
                return SyntaxError("yaml: duplicated key(s) in mapping: \(keys.joined(separator: ", "))")
            default:
                return SyntaxError("yaml: \(String(describing: yamlError))")
            }
        }
        return SyntaxError("yaml: \(error)")
    }

    /// Converts a node; `copied` is true inside a subtree reached through an alias (Yams
    /// hands out the anchored node itself, so every use of an alias is a copy to count).
    static func value(from node: Yams.Node, budget: inout Int, aliases: inout AliasBudget, copied: Bool, depth: Int) throws -> Value {
        budget -= 1
        if budget < 0 { throw SyntaxError("document expands to more than \(maxNodes) nodes (alias expansion?)") }
        let copied = copied || aliases.isRepeat(node)
        if copied {
            // Text is shared, not copied, but whatever prints or re-encodes it pays in full.
            var bytes = 0
            if case .scalar(let scalar) = node { bytes = scalar.string.utf8.count }
            if case .mapping(let map) = node { bytes = map.keys.reduce(0) { $0 + ($1.scalar?.string.utf8.count ?? 0) } }
            try aliases.charge(bytes: bytes, at: mark(node.mark))
        }
        if depth > maxDepth { throw SyntaxError("document is nested more than \(maxDepth) levels deep", mark: mark(node.mark)) }
        switch node {
        case .scalar(let scalar):
            let plain = scalar.style == .plain || scalar.style == .any
            return .scalar(scalar.string, plain: plain, mark: mark(scalar.mark))
        case .sequence(let seq):
            var items: [Value] = []
            items.reserveCapacity(seq.count)
            for item in seq { items.append(try value(from: item, budget: &budget, aliases: &aliases, copied: copied, depth: depth + 1)) }
            return .sequence(items, mark: mark(seq.mark))
        case .mapping(let map):
            var pairs: [(key: String, value: Value)] = []
            pairs.reserveCapacity(map.count)
            var seen = Set<String>()
            for (k, v) in map {
                guard case .scalar(let ks) = k else {
                    throw SyntaxError("yaml: mapping keys must be scalars", mark: mark(k.mark))
                }
                let key = ks.string
                if !seen.insert(key).inserted {
                    throw SyntaxError("yaml: duplicate key \"\(key)\" in mapping", mark: mark(k.mark))
                }
                pairs.append((key, try value(from: v, budget: &budget, aliases: &aliases, copied: copied, depth: depth + 1)))
            }
            return .mapping(pairs, mark: mark(map.mark))
        case .alias:
            throw SyntaxError("yaml: unresolved alias", mark: mark(node.mark))
        }
    }

    /// Anchored nodes seen so far in one input: the second visit of an anchored node (same
    /// anchor, same place) is an alias use.
    struct AliasBudget {
        struct Seen: Hashable {
            var anchor: String
            var line: Int
            var column: Int
        }
        var seen = Set<Seen>()
        var nodes = 0
        var bytes = 0

        mutating func charge(bytes more: Int, at mark: SourceMark?) throws {
            nodes += 1
            bytes += more
            if nodes > DocumentReader.maxAliasNodes {
                throw SyntaxError("yaml: alias expansion adds more than \(DocumentReader.maxAliasNodes) nodes (excessive aliasing)", mark: mark)
            }
            if bytes > DocumentReader.maxAliasBytes {
                throw SyntaxError("yaml: alias expansion adds more than \(DocumentReader.maxAliasBytes >> 20) MiB of text (excessive aliasing)", mark: mark)
            }
        }

        mutating func isRepeat(_ node: Yams.Node) -> Bool {
            guard let anchor = node.anchor, let m = node.mark else { return false }
            return !seen.insert(Seen(anchor: anchor.rawValue, line: m.line, column: m.column)).inserted
        }
    }

    private static func mark(_ m: Mark?) -> SourceMark? {
        m.map { SourceMark(line: $0.line, column: $0.column) }
    }
}
