/// Upstream calicoctl's result lines for commands over many resources.
struct ResultReport {
    /// e.g. ("create", "created")
    var verb: (present: String, past: String)
    /// create/replace print `hit error:`; the others `hit error(s):`.
    var singularHitError = false

    struct Item {
        var kind: String
        /// nil = succeeded.
        var error: String?
    }

    /// Prints the summary and returns the exit code.
    func print(_ items: [Item], console: Console) -> Int32 {
        let failed = items.filter { $0.error != nil }
        let kinds = Set(items.map(\.kind))
        let kindText = kinds.count == 1 ? "'\(kinds.first!)' " : ""
        if failed.isEmpty {
            console.println("Successfully \(verb.past) \(items.count) \(kindText)resource(s)")
            return 0
        }
        let messages = failed.compactMap(\.error)
        let succeeded = items.count - failed.count
        if succeeded == 0 {
            if items.count == 1 {
                console.eprintln("failed to \(verb.present) '\(items[0].kind)' resource: [\(messages[0])]")
            } else {
                console.eprintln("failed to \(verb.present) any \(kindText)resources: [\(messages.joined(separator: "\n"))]")
            }
        } else {
            if succeeded > failed.count {
                console.println("Partial success: \(verb.past) the first \(succeeded) out of \(items.count) \(kindText)resources:")
            }
            let hit = singularHitError ? "hit error:" : "hit error(s):"
            console.eprintln("\(hit) [\(messages.joined(separator: "\n"))]")
        }
        return 1
    }
}
