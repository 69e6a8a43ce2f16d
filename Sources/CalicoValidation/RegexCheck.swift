import Foundation

enum RegexCheck {
    static func compiles(_ pattern: String) -> Bool {
        // RE2 rejects backreferences and lookaround, which NSRegularExpression accepts.
        if pattern.contains("(?=") || pattern.contains("(?!") || pattern.contains("(?<=") || pattern.contains("(?<!") { return false }
        if pattern.range(of: #"\\[1-9]"#, options: .regularExpression) != nil { return false }
        return (try? NSRegularExpression(pattern: pattern)) != nil
    }
}
