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

    /// `'Kind' ` when every resource is of one kind, else nothing.
    static func kindText(_ kinds: Set<String>) -> String { kinds.count == 1 ? "'\(kinds.first!)' " : "" }

    /// Upstream's line when none of `count` resources was handled; Go prints the errors as a
    /// slice: `[e1 e2]`.
    func allFailedLine(count: Int, kinds: Set<String>, messages: [String]) -> String {
        if count == 1 { return "\(failedWord) to \(verb.present) \(Self.kindText(kinds))resource: [\(messages[0])]" }
        return "\(failedWord) to \(verb.present) any \(Self.kindText(kinds))resources: [\(messages.joined(separator: " "))]"
    }

    /// Upstream's file error (a document that could not be read or decoded).
    func fileErrorLine(_ messages: [String]) -> String {
        "\(failedWord) to execute command: " + messages.joined(separator: "\n")
    }

    struct Item {
        var kind: String
        /// nil = succeeded.
        var error: String?
    }

    /// Prints the summary and returns the exit code.
    func print(_ items: [Item], console: Console) -> Int32 {
        let failed = items.filter { $0.error != nil }
        let kinds = Set(items.map(\.kind))
        let kindText = Self.kindText(kinds)
        if failed.isEmpty {
            console.println("Successfully \(verb.past) \(items.count) \(kindText)resource(s)")
            return 0
        }
        // Go prints the list of errors as a slice: `[e1 e2]`.
        let messages = failed.compactMap(\.error)
        let succeeded = items.count - failed.count
        if succeeded == 0 {
            console.eprintln(allFailedLine(count: items.count, kinds: kinds, messages: messages))
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
            console.eprintln(fileErrorLine(messages))
        } else {
            let kinds = Set(read.map { item -> String in
                switch item.result {
                case .success(let r): return r.kind
                case .failure(let f): return f.kind ?? ""
                }
            })
            console.eprintln(allFailedLine(count: read.count, kinds: kinds, messages: messages))
        }
        console.eprintln("nothing was written: \(bad.count) of \(read.count) resource(s) invalid")
    }
}
