/// A selector that does not parse, with the 1-based column of the offending character.
public struct SelectorError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var column: Int
    public var selector: String
    public init(message: String, column: Int, selector: String) {
        self.message = message
        self.column = column
        self.selector = selector
    }
    public var description: String { "invalid selector at column \(column): \(message)" }
}
