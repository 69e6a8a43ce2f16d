#if canImport(Glibc)
import Glibc
#endif

/// The result of one probe: the address the other side saw (or replied from), or why it failed.
enum Outcome: Sendable, CustomStringConvertible {
    case ok(String)
    case fail(String)

    /// A failure named after an `errno` value: `refused`, `unreachable`, `denied`, ...
    static func fail(errno code: Int32) -> Outcome {
        switch code {
        case ECONNREFUSED: return .fail("refused")
        case EHOSTUNREACH, ENETUNREACH: return .fail("unreachable")
        case EPERM, EACCES: return .fail("denied")
        case ECONNRESET: return .fail("reset")
        case ETIMEDOUT: return .fail("timeout")
        default:
            let text = String(cString: strerror(code)).lowercased()
            return .fail(text.split(separator: " ").joined(separator: "-"))
        }
    }

    /// A server's answer, `ok <address>`.
    static func reply(_ text: String) -> Outcome {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" })
        guard words.count == 2, words[0] == "ok" else { return .fail(text.isEmpty ? "closed" : "bad-reply") }
        return .ok(String(words[1]))
    }

    var description: String {
        switch self {
        case .ok(let address): return "ok \(address)"
        case .fail(let reason): return "fail \(reason)"
        }
    }
}
