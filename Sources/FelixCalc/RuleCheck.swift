import CalicoAPI

/// The rule fields whose meaning Felix must know exactly to enforce a rule (pure).
///
/// Validation refuses bad values on the way in, but a value can reach the datastore
/// around it (another client, an import, etcdctl). A rule Felix renders from a value it
/// does not understand would match more, or nothing: an unparsable CIDR dropped from
/// `nets` leaves "from anywhere"; a Deny whose protocol or IP version is unknown vanishes
/// and opens what it denied. Such a rule makes its policy unusable instead (fail closed).
enum RuleCheck {
    static func check(_ r: Rule, _ path: String) throws {
        if let v = r.ipVersion, v != 4 && v != 6 {
            throw PolicyTranslationError.badField("\(path).ipVersion", "\(v) is not 4 or 6")
        }
        try proto(r.protocol, "\(path).protocol")
        try proto(r.notProtocol, "\(path).notProtocol")
        for (entity, name) in [(r.source, "source"), (r.destination, "destination")] {
            guard let entity else { continue }
            try nets(entity.nets, "\(path).\(name).nets")
            try nets(entity.notNets, "\(path).\(name).notNets")
        }
    }

    static func proto(_ p: IPProtocol?, _ field: String) throws {
        switch p {
        case nil: return
        case .number(let n)?:
            guard (0...255).contains(n) else { throw PolicyTranslationError.badField(field, "protocol number \(n) is not 0-255") }
        case .name(let s)?:
            guard IPProtocol.validNames.contains(where: { $0.lowercased() == s.lowercased() }) else {
                throw PolicyTranslationError.badField(field, "unknown protocol \"\(s)\"")
            }
        }
    }

    static func nets(_ list: [String]?, _ field: String) throws {
        for (i, text) in (list ?? []).enumerated() where IPNet(text) == nil {
            throw PolicyTranslationError.badField("\(field)[\(i)]", "\"\(text)\" is not a CIDR or IP address")
        }
    }
}
