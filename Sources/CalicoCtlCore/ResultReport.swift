import CalicoAPI

/// Upstream calicoctl's result lines for commands over many resources.
struct ResultReport {
    /// e.g. ("create", "created")
    var verb: (present: String, past: String)
    /// create/replace print `Hit error:`; the others `Hit error(s):`.
    var singularHitError = false

    /// Upstream's datastore commands write `Failed to …` and `Hit error…`; `validate` (new in
    /// 3.31) writes them in lower case.
    var failedWord: String { verb.present == "validate" ? "failed" : "Failed" }
    var hitWord: String { verb.present == "validate" ? "hit" : "Hit" }

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
        // Go prints the list of errors as a slice: `[e1 e2]`.
        let messages = failed.compactMap(\.error)
        let succeeded = items.count - failed.count
        if succeeded == 0 {
            if items.count == 1 {
                console.eprintln("\(failedWord) to \(verb.present) '\(items[0].kind)' resource: [\(messages[0])]")
            } else {
                console.eprintln("\(failedWord) to \(verb.present) any \(kindText)resources: [\(messages.joined(separator: " "))]")
            }
        } else {
            if succeeded > failed.count {
                console.println("Partial success: \(verb.past) the first \(succeeded) out of \(items.count) \(kindText)resources:")
            }
            console.eprintln("\(hitWord) \(singularHitError ? "error:" : "error(s):") [\(messages.joined(separator: " "))]")
        }
        return 1
    }

    /// Invalid documents in a write: nothing is written (unlike upstream, which writes the valid
    /// ones), so upstream's line for resources that all failed is printed with each bad
    /// resource's error, then that nothing was written. A document that could not be decoded is
    /// a file error, as upstream's `Failed to execute command: …`.
    func printNothingWritten(_ bad: [ResourceReport], of read: [ReadResource], console: Console) {
        let messages = bad.map(\.message)
        if bad.contains(where: \.decodeFailed) {
            console.eprintln("\(failedWord) to execute command: " + messages.joined(separator: "\n"))
        } else {
            let kinds = Set(read.map { item -> String in
                switch item.result {
                case .success(let r): return r.kind
                case .failure(let f): return f.kind ?? ""
                }
            })
            let kindText = kinds.count == 1 ? "'\(kinds.first!)' " : ""
            if read.count == 1 {
                console.eprintln("\(failedWord) to \(verb.present) \(kindText)resource: [\(messages[0])]")
            } else {
                console.eprintln("\(failedWord) to \(verb.present) any \(kindText)resources: [\(messages.joined(separator: " "))]")
            }
        }
        console.eprintln("nothing was written: \(bad.count) of \(read.count) resource(s) invalid")
    }
}
