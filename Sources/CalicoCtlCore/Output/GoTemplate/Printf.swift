import CalicoAPI
import Foundation

/// A subset of Go's `fmt.Sprintf`: flags `-+ 0#`, width, precision and the verbs
/// `%v %s %d %q %t %f %F %e %E %g %G %x %X %o %b %c %%`.
enum Printf {
    static func format(_ format: String, _ args: [TValue]) -> String {
        var out = ""
        var argIndex = 0
        let chars = Array(format.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c != "%" {
                out.unicodeScalars.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < chars.count else {
                out += "%!(NOVERB)"
                break
            }
            var minus = false, plus = false, zero = false, space = false, sharp = false
            flags: while i < chars.count {
                switch chars[i] {
                case "-": minus = true
                case "+": plus = true
                case "0": zero = true
                case " ": space = true
                case "#": sharp = true
                default: break flags
                }
                i += 1
            }
            // A width or precision over 10^6 ends the format as Go's fmt does (%!(NOVERB)):
            // no overflow, no gigabyte of padding.
            var width: Int?
            while i < chars.count, let d = digit(chars[i]) {
                if (width ?? 0) > 1_000_000 { i = chars.count; width = nil; break }
                width = (width ?? 0) * 10 + d
                i += 1
            }
            var precision: Int?
            if i < chars.count && chars[i] == "." {
                i += 1
                precision = 0
                while i < chars.count, let d = digit(chars[i]) {
                    if precision! > 1_000_000 { i = chars.count; precision = nil; break }
                    precision = precision! * 10 + d
                    i += 1
                }
            }
            guard i < chars.count else {
                out += "%!(NOVERB)"
                break
            }
            let verb = chars[i]
            i += 1
            if verb == "%" {
                out += "%"
                continue
            }
            guard argIndex < args.count else {
                out += "%!\(verb)(MISSING)"
                continue
            }
            let arg = args[argIndex]
            argIndex += 1
            var s: String
            var numeric = false
            switch verb {
            case "v":
                s = arg.formatted
                if case .float(let d) = arg, let precision { s = String(format: "%.\(precision)g", d) }
                numeric = arg.doubleValue != nil && !arg.isStringType
            case "s":
                s = arg.formatted
                if let precision { s = String(s.prefix(precision)) }
            case "q":
                if arg.isInteger, !arg.isStringType, let n = arg.intValue, let u = Unicode.Scalar(UInt32(clamping: max(n, 0))) {
                    s = "'" + String(Character(u)) + "'"
                } else if sharp, let str = arg.stringValue, !str.contains("`") {
                    s = "`" + str + "`"
                } else {
                    s = Emitter.jsonString(arg.formatted)
                }
            case "d":
                if arg.isInteger, !arg.isStringType, let n = arg.intValue {
                    s = String(n)
                    if plus && n >= 0 { s = "+" + s } else if space && n >= 0 { s = " " + s }
                    numeric = true
                } else {
                    s = bad(verb, arg)
                }
            case "x", "X", "o", "b":
                let radix = verb == "o" ? 8 : (verb == "b" ? 2 : 16)
                if !arg.isStringType, arg.isInteger, let n = arg.intValue {
                    s = (n < 0 ? "-" : "") + String(n.magnitude, radix: radix, uppercase: verb == "X")
                    if sharp { s = (verb == "o" ? "0" : (verb == "b" ? "0b" : (verb == "X" ? "0X" : "0x"))) + s }
                    numeric = true
                } else if radix == 16, let str = arg.stringValue {
                    s = str.utf8.map { String(format: verb == "X" ? "%02X" : "%02x", $0) }.joined()
                } else {
                    s = bad(verb, arg)
                }
            case "c":
                if let n = arg.intValue, let u = Unicode.Scalar(UInt32(clamping: max(n, 0))) { s = String(Character(u)) } else { s = bad(verb, arg) }
            case "t":
                if let b = arg.boolValue { s = b ? "true" : "false" } else { s = bad(verb, arg) }
            case "f", "F", "e", "E", "g", "G":
                if !arg.isStringType, let d = arg.doubleValue {
                    if (verb == "g" || verb == "G") && precision == nil {
                        s = GoFormat.float(d)
                        if verb == "G" { s = s.uppercased() }
                    } else {
                        let v = verb == "F" ? "f" : String(verb)
                        s = String(format: "%.\(precision ?? 6)\(v)", d)
                    }
                    if plus && d >= 0 { s = "+" + s } else if space && d >= 0 { s = " " + s }
                    numeric = true
                } else {
                    s = bad(verb, arg)
                }
            default:
                s = "%!\(verb)(\(arg.typeName)=\(arg.formatted))"
            }
            if let width, s.unicodeScalars.count < width {
                let pad = width - s.unicodeScalars.count
                if minus {
                    s += String(repeating: " ", count: pad)
                } else if zero && numeric {
                    var sign = ""
                    if let f = s.first, f == "-" || f == "+" || f == " " {
                        sign = String(f)
                        s.removeFirst()
                    }
                    s = sign + String(repeating: "0", count: pad) + s
                } else {
                    s = String(repeating: " ", count: pad) + s
                }
            }
            out += s
        }
        if argIndex < args.count {
            out += "%!(EXTRA " + args[argIndex...].map { "\($0.typeName)=\($0.formatted)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    static func digit(_ u: Unicode.Scalar) -> Int? {
        u.value >= 48 && u.value <= 57 ? Int(u.value - 48) : nil
    }

    static func bad(_ verb: Unicode.Scalar, _ arg: TValue) -> String {
        "%!\(verb)(\(arg.typeName)=\(arg.formatted))"
    }
}
