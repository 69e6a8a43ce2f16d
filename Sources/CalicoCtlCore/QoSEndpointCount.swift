import CalicoAPI
import CalicoDatastore
import CalicoSelector

/// How many endpoints (workload and host) each QoSPolicy selects, for `calicoctl get
/// qospolicy -o wide`: matched as Felix matches them, on the endpoint's labels over those its
/// profiles apply.
enum QoSEndpointCount {
    static func counts(_ policies: [QoSPolicy], store: Datastore) async throws -> [String: Int] {
        guard !policies.isEmpty else { return [:] }
        var profileLabels: [String: [String: String]] = [:]
        for item in try await store.list(ResourceRegistry.kind(named: "profile")!, namespace: nil).items {
            if let p = item.resource as? Profile { profileLabels[p.name] = p.spec.labelsToApply ?? [:] }
        }
        var endpoints: [[String: String]] = []
        for item in try await store.list(ResourceRegistry.kind(named: "workloadendpoint")!, namespace: nil).items {
            guard let w = item.resource as? WorkloadEndpoint else { continue }
            endpoints.append(effective(w.metadata.labels, profiles: w.spec.profiles ?? [], profileLabels))
        }
        for item in try await store.list(ResourceRegistry.kind(named: "hostendpoint")!, namespace: nil).items {
            guard let h = item.resource as? HostEndpoint else { continue }
            endpoints.append(effective(h.metadata.labels, profiles: h.spec.profiles ?? [], profileLabels))
        }
        return Dictionary(policies.map { p in
            let selector = try? Selector.parse(p.spec.selector ?? "")
            return (p.name, selector.map { s in endpoints.filter { s.matches($0) }.count } ?? 0)
        }, uniquingKeysWith: { a, _ in a })
    }

    /// Own labels over those of the profiles, in profile order (later profiles win), as Felix has them.
    static func effective(_ own: [String: String]?, profiles: [String], _ profileLabels: [String: [String: String]]) -> [String: String] {
        var out: [String: String] = [:]
        for p in profiles { out.merge(profileLabels[p] ?? [:]) { _, b in b } }
        out.merge(own ?? [:]) { _, b in b }
        return out
    }
}
