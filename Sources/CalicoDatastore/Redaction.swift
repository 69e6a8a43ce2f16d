/// Keeps credentials out of text: the one place that knows how an endpoint URL may carry them
/// (`http://user:password@host:2379`). Used wherever an endpoint is formatted into a message,
/// an error or a log line.
public enum Redaction {
    /// `text` with the userinfo (`user:password@`) of every URL in it (`<scheme>://…`) removed.
    public static func stripUserInfo(_ text: String) -> String {
        guard text.contains("@") else { return text }
        var out = ""
        var rest = Substring(text)
        while let marker = rest.range(of: "://") {
            out += rest[..<marker.upperBound]
            rest = rest[marker.upperBound...]
            let authorityEnd = rest.firstIndex(where: endsAuthority) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                rest = rest[rest.index(after: at)...]
            }
        }
        return out + rest
    }

    /// One endpoint as configured, with or without a scheme (`user:pw@host:2379` too), without
    /// its userinfo.
    public static func endpoint(_ endpoint: String) -> String {
        if endpoint.contains("://") { return stripUserInfo(endpoint) }
        let authorityEnd = endpoint.firstIndex(where: endsAuthority) ?? endpoint.endIndex
        guard let at = endpoint[..<authorityEnd].lastIndex(of: "@") else { return endpoint }
        return String(endpoint[endpoint.index(after: at)...])
    }

    /// Characters that end a URL in running text. A `/`, `?` or `#` does not: a password
    /// written with one unencoded still ends at the last `@` (stripping a path's `@…` too is
    /// the safe side).
    static func endsAuthority(_ c: Character) -> Bool {
        c.isWhitespace || c == "," || c == ";" || c == "\"" || c == "'" || c == "<" || c == ">"
    }
}
