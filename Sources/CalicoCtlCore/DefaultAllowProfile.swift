import CalicoAPI

/// `projectcalico-default-allow`: the profile upstream's datastore client always shows (allow
/// everything both ways, resourceVersion "0"), whether or not calico-node stored its copy.
enum DefaultAllowProfile {
    static let name = Profile.defaultAllowName

    static var profile: Profile {
        var p = Profile.defaultAllow
        p.metadata.resourceVersion = "0"
        return p
    }

    /// A profile listing with the canonical default-allow profile in its name's place.
    static func merged(into listed: [any CalicoResource]) -> [any CalicoResource] {
        var out = listed.filter { $0.name != name }
        let at = out.firstIndex { $0.name > name } ?? out.count
        out.insert(profile, at: at)
        return out
    }
}
