import CalicoAPI
import CalicoDatastore
import Foundation

/// The WorkloadEndpoint (and, for plain CNI runtimes, the network's Profile) an ADD records.
struct WorkloadEndpointWriter {
    let ctx: PluginContext
    let datastore: Datastore
    let node: String

    static let wepKind = ResourceRegistry.kind(named: "workloadendpoint")!
    static let profileKind = ResourceRegistry.kind(named: "profile")!

    var orchestrator: String { ctx.isKubernetesPod ? "k8s" : "cni" }
    var namespace: String { ctx.podNamespace }

    var name: String {
        Identifiers.workloadEndpointName(node: node, orchestrator: orchestrator,
                                         workload: ctx.isKubernetesPod ? ctx.env.args.podName! : ctx.env.containerID,
                                         endpoint: ctx.env.ifname)
    }

    /// The endpoint's identity (for telling it from other endpoints).
    var id: ResourceID { ResourceID(kind: Self.wepKind.kind, namespace: namespace, name: name) }

    /// The endpoint as ADD writes it.
    func endpoint(ips: [IPNet], hostVeth: String, mac: String) -> WorkloadEndpoint {
        var labels = ctx.conf.labels
        labels["projectcalico.org/namespace"] = namespace
        labels["projectcalico.org/orchestrator"] = orchestrator
        var spec = WorkloadEndpointSpec()
        spec.orchestrator = orchestrator
        spec.node = node
        spec.endpoint = ctx.env.ifname
        spec.containerID = ctx.env.containerID
        spec.interfaceName = hostVeth
        spec.mac = mac
        spec.ipNetworks = ips.map(\.description)
        if ctx.isKubernetesPod {
            spec.pod = ctx.env.args.podName
            spec.profiles = ["kns.\(namespace)"]
        } else {
            spec.workload = ctx.env.containerID
            spec.profiles = [ctx.conf.name]
        }
        var metadata = ObjectMeta(name: name, namespace: namespace, labels: labels)
        if !ctx.conf.annotations.isEmpty { metadata.annotations = ctx.conf.annotations }
        // What the datastore would stamp, without its date formatter (ICU) in this short-lived process.
        metadata.creationTimestamp = UTCTime.rfc3339(Date())
        return WorkloadEndpoint(metadata: metadata, spec: spec)
    }

    func existing() async throws -> WorkloadEndpoint? {
        do {
            return try await datastore.get(Self.wepKind, namespace: namespace, name: name).resource as? WorkloadEndpoint
        } catch DatastoreError.notFound {
            return nil
        }
    }

    /// Creates the endpoint, or replaces one of the same name (a repeated ADD).
    func write(_ wep: WorkloadEndpoint) async throws {
        do {
            _ = try await datastore.create(wep)
        } catch DatastoreError.alreadyExists {
            var w = wep
            if let current = try await existing() {
                w.metadata.resourceVersion = current.metadata.resourceVersion
                w.metadata.uid = current.metadata.uid
                w.metadata.creationTimestamp = current.metadata.creationTimestamp
            }
            _ = try await datastore.update(w)
        }
    }

    /// Deletes the endpoint; already gone is fine.
    func delete() async throws {
        do {
            _ = try await datastore.delete(Self.wepKind, namespace: namespace, name: name)
        } catch DatastoreError.notFound {}
    }

    /// Upstream's plain-CNI profile, created when missing (unless `policy.type` is set): egress
    /// allow all, ingress allowed from endpoints of this network, which carry its label.
    func ensureNetworkProfile() async throws {
        guard !ctx.isKubernetesPod, ctx.conf.policyType == nil else { return }
        let network = ctx.conf.name
        do {
            _ = try await datastore.get(Self.profileKind, namespace: nil, name: network)
            return
        } catch DatastoreError.notFound {}
        let profile = Profile(metadata: ObjectMeta(name: network),
                              spec: ProfileSpec(ingress: [Rule(action: .allow, source: EntityRule(selector: "has(\(network))"))],
                                                egress: [Rule(action: .allow)],
                                                labelsToApply: [network: ""]))
        do {
            _ = try await datastore.create(profile)
            ctx.log.info("created profile \(network)")
        } catch DatastoreError.alreadyExists {}
    }
}
