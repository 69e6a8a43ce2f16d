import FelixCalc

/// The NFLOG prefixes of flow logs (spec §2.14, pure): `<A><O><D><idx>|<name>` — action
/// `A`llow/`D`eny/`P`ass, owner `P`olicy or p`R`ofile, direction `I`ngress/`E`gress, the rule's
/// index, the policy's name as Felix stores it (`tier.name`, `ns/tier.name`,
/// `ns/knp.default.name`) or the profile's. End of tier: `DPI|<tier>` / `DPE|<tier>`; no profile
/// matched: `DRI` / `DRE`. Prefixes of 63 characters or more are shortened to their first 10,
/// a hash and `_` and their last 10. Group 1 carries inbound verdicts, group 2 outbound.
public enum FlowLogPrefix {
    public static func group(inbound: Bool) -> Int { inbound ? 1 : 2 }

    static func actionLetter(_ action: String) -> String? {
        switch action {
        case "allow": return "A"
        case "deny": return "D"
        case "pass", "next-tier": return "P"
        default: return nil
        }
    }

    public static func policyRule(_ id: PolicyID, index: Int, action: String, inbound: Bool) -> String? {
        actionLetter(action).map { shorten("\($0)P\(inbound ? "I" : "E")\(index)|\(id.name)") }
    }

    public static func profileRule(_ profile: String, index: Int, action: String, inbound: Bool) -> String? {
        actionLetter(action).map { shorten("\($0)R\(inbound ? "I" : "E")\(index)|\(profile)") }
    }

    public static func endOfTier(_ tier: String, inbound: Bool) -> String { shorten("DP\(inbound ? "I" : "E")|\(tier)") }

    public static func noProfile(inbound: Bool) -> String { inbound ? "DRI" : "DRE" }

    public static func shorten(_ prefix: String) -> String {
        guard prefix.count >= 63 else { return prefix }
        return String(prefix.prefix(10)) + StableHash.hex(prefix).prefix(8) + "_" + String(prefix.suffix(10))
    }

    /// The nft statement logging a verdict.
    public static func statement(_ prefix: String, inbound: Bool) -> String {
        "log prefix \"\(prefix)\" group \(group(inbound: inbound))"
    }
}
