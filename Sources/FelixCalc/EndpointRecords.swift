import CalicoAPI
import CalicoSelector

/// Every endpoint of the cluster with its effective labels: its own over those its profiles
/// apply (upstream's label inheritance index), interned once for all selector matching.
/// Keeps which endpoints are local to this node.
struct EndpointRecords {
    let hostname: String
    let interner: LabelInterner
    private(set) var records: [EndpointID: EndpointRecord] = [:]
    private(set) var labels: [EndpointID: InternedLabels] = [:]
    /// Endpoints of this node.
    private(set) var local: Set<EndpointID> = []
    /// Every endpoint address (without prefix length) → its endpoint (flow logs name the ends).
    private(set) var byAddress: [String: EndpointID] = [:]
    /// `labelsToApply` of each profile that has any.
    private var profileLabels: [String: [String: String]] = [:]

    init(hostname: String, interner: LabelInterner) {
        self.hostname = hostname
        self.interner = interner
    }

    /// Stores (nil: removes) an endpoint; returns its previous record.
    @discardableResult
    mutating func set(_ id: EndpointID, _ record: EndpointRecord?) -> EndpointRecord? {
        let old = records[id]
        for net in (old?.ipv4 ?? []) + (old?.ipv6 ?? []) where byAddress[Self.bare(net)] == id { byAddress[Self.bare(net)] = nil }
        for net in (record?.ipv4 ?? []) + (record?.ipv6 ?? []) { byAddress[Self.bare(net)] = id }
        records[id] = record
        labels[id] = record.map { interner.labels(effectiveLabels($0)) }
        if record?.node == hostname { local.insert(id) } else { local.remove(id) }
        return old
    }

    /// Sets the labels a profile applies; returns the endpoints whose effective labels
    /// changed (empty when the profile's labels did not).
    mutating func setProfileLabels(_ name: String, _ new: [String: String]?) -> [EndpointID] {
        let new = new?.isEmpty == true ? nil : new
        guard profileLabels[name] != new else { return [] }
        profileLabels[name] = new
        var changed: [EndpointID] = []
        for (id, e) in records where e.profileIDs.contains(name) {
            labels[id] = interner.labels(effectiveLabels(e))
            changed.append(id)
        }
        return changed
    }

    func isLocal(_ record: EndpointRecord?) -> Bool { record?.node == hostname }

    static func bare(_ net: String) -> String { String(net.split(separator: "/").first ?? Substring(net)) }

    /// Own labels over those of its profiles, in profile order (later profiles win).
    private func effectiveLabels(_ e: EndpointRecord) -> [String: String] {
        if e.profileIDs.isEmpty { return e.labels }
        var out: [String: String] = [:]
        for p in e.profileIDs { out.merge(profileLabels[p] ?? [:]) { _, b in b } }
        out.merge(e.labels) { _, b in b }
        return out
    }
}
