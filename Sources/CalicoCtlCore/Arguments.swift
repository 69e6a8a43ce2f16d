/// A command-line option a command accepts.
struct OptionSpec {
    var short: Character?
    var long: String
    var takesValue: Bool
}

/// Parsed options: values by long name (repeatable options keep every value), flags, and
/// positional arguments.
struct ParsedArguments {
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    func value(_ long: String) -> String? { values[long]?.last }
    func all(_ long: String) -> [String] { values[long] ?? [] }
    func has(_ long: String) -> Bool { flags.contains(long) || values[long] != nil }
}

struct ArgumentError: Error {
    var message: String
}

/// Parses `-f X`, `-fX`, `--filename=X`, `--filename X`, `-R`, clustered short flags (`-Rh`)
/// and `--` as upstream's docopt does for our command set.
func parseArguments(_ args: [String], options: [OptionSpec]) throws(ArgumentError) -> ParsedArguments {
    var result = ParsedArguments()
    var i = 0
    func find(long: String) -> OptionSpec? { options.first { $0.long == long } }
    func find(short: Character) -> OptionSpec? { options.first { $0.short == short } }
    var onlyPositionals = false
    while i < args.count {
        let arg = args[i]
        i += 1
        if onlyPositionals || arg == "-" || !arg.hasPrefix("-") {
            result.positionals.append(arg)
            continue
        }
        if arg == "--" { onlyPositionals = true; continue }
        if arg.hasPrefix("--") {
            let body = arg.dropFirst(2)
            let name: String
            var inline: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                inline = String(body[body.index(after: eq)...])
            } else {
                name = String(body)
            }
            guard let spec = find(long: name) else { throw ArgumentError(message: "unknown option --\(name)") }
            if spec.takesValue {
                if inline == nil {
                    guard i < args.count else { throw ArgumentError(message: "option --\(name) requires a value") }
                    inline = args[i]
                    i += 1
                }
                result.values[spec.long, default: []].append(inline!)
            } else {
                if inline != nil { throw ArgumentError(message: "option --\(name) takes no value") }
                result.flags.insert(spec.long)
            }
            continue
        }
        // Short options, possibly clustered.
        var chars = Array(arg.dropFirst())
        while !chars.isEmpty {
            let c = chars.removeFirst()
            guard let spec = find(short: c) else { throw ArgumentError(message: "unknown option -\(c)") }
            if spec.takesValue {
                var value = String(chars)
                chars.removeAll()
                if value.hasPrefix("=") { value.removeFirst() }
                if value.isEmpty {
                    guard i < args.count else { throw ArgumentError(message: "option -\(c) requires a value") }
                    value = args[i]
                    i += 1
                }
                result.values[spec.long, default: []].append(value)
            } else {
                result.flags.insert(spec.long)
            }
        }
    }
    return result
}

extension Console {
    /// Parses a command's arguments the one way every command does: bad arguments print
    /// the usage on stderr (`code` 1), `--help` prints it on stdout (`code` 0); nil then means
    /// the command is done. With `noPositionals`, positional arguments are bad arguments.
    func parseCommand(_ args: [String], options: [OptionSpec], usage: @autoclosure () -> String,
                      noPositionals: Bool = false, code: inout Int32) -> ParsedArguments? {
        guard let parsed = try? parseArguments(args, options: options), !noPositionals || parsed.positionals.isEmpty else {
            eprintln(usage())
            code = 1
            return nil
        }
        if parsed.has("help") {
            println(usage())
            code = 0
            return nil
        }
        return parsed
    }
}
