import CalicoAPI

/// An endpoint (workload or host) as the calculation graph needs it, made once from its
/// resource; a class so the nodes holding it share one copy.
final class EndpointRecord: Equatable {
    typealias NamedPort = (name: String, proto: String, port: Int)

    let id: EndpointID
    let node: String
    let interfaceName: String
    let mac: String?
    /// Own labels (for workloads with the namespace and service account labels added).
    let labels: [String: String]
    let profileIDs: [String]
    /// `a.b.c.d/32` and `…/128` forms.
    let ipv4: [String]
    let ipv6: [String]
    let ports: [NamedPort]
    let qos: QoSControls?
    /// What is wrong with its QoS annotations (clamped or ignored values), for the log.
    let qosWarnings: [String]
    let isHost: Bool
    /// The pod (or workload) name flow logs show; the host endpoint's name.
    let displayName: String

    init(id: EndpointID, node: String, interfaceName: String, mac: String?, labels: [String: String], profileIDs: [String],
         ipv4: [String], ipv6: [String], ports: [NamedPort], qos: QoSControls?, qosWarnings: [String] = [], isHost: Bool, displayName: String = "") {
        self.id = id
        self.node = node
        self.interfaceName = interfaceName
        self.mac = mac
        self.labels = labels
        self.profileIDs = profileIDs
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.ports = ports
        self.qos = qos
        self.qosWarnings = qosWarnings
        self.isHost = isHost
        self.displayName = displayName
    }

    /// A workload endpoint's record: its labels gain the namespace and service-account labels
    /// that policy selectors see.
    convenience init(_ w: WorkloadEndpoint) {
        let s = w.spec
        let ns = w.metadata.namespace ?? "default"
        var labels = w.metadata.labels ?? [:]
        labels[PolicyTranslation.namespaceLabel] = ns
        if let sa = s.serviceAccountName, !sa.isEmpty { labels[PolicyTranslation.serviceAccountLabel] = sa }
        let nets = (s.ipNetworks ?? []).compactMap { IPNet($0) }
        self.init(id: .workload(namespace: ns, name: w.name), node: s.node ?? "", interfaceName: s.interfaceName ?? "", mac: s.mac,
                  labels: labels, profileIDs: s.profiles ?? [],
                  ipv4: nets.filter { $0.family == .v4 }.map { "\($0.address)/32" },
                  ipv6: nets.filter { $0.family == .v6 }.map { "\($0.address)/128" },
                  ports: Self.namedPorts((s.ports ?? []).map { ($0.name, $0.protocol, $0.port) }), qos: QoSAnnotations.controls(annotations: w.metadata.annotations, spec: s.qosControls),
                  qosWarnings: QoSAnnotations.warnings(annotations: w.metadata.annotations), isHost: false,
                  displayName: s.pod ?? s.workload ?? w.name)
    }

    /// A host endpoint's record: its addresses are its `expectedIPs`.
    convenience init(_ h: HostEndpoint) {
        let s = h.spec
        let ips = (s.expectedIPs ?? []).compactMap { IPAddress($0) }
        self.init(id: .host(name: h.name), node: s.node ?? "", interfaceName: s.interfaceName ?? "", mac: nil,
                  labels: h.metadata.labels ?? [:], profileIDs: s.profiles ?? [],
                  ipv4: ips.filter { $0.family == .v4 }.map { "\($0)/32" }, ipv6: ips.filter { $0.family == .v6 }.map { "\($0)/128" },
                  ports: Self.namedPorts((s.ports ?? []).map { ($0.name, $0.protocol, $0.port) }), qos: QoSAnnotations.controls(annotations: h.metadata.annotations, spec: nil),
                  qosWarnings: QoSAnnotations.warnings(annotations: h.metadata.annotations), isHost: true, displayName: h.name)
    }

    /// Named ports with a name and a number (protocol defaults to TCP).
    static func namedPorts(_ ports: [(name: String?, proto: IPProtocol?, port: Int?)]) -> [NamedPort] {
        ports.compactMap { p in
            guard let name = p.name, let port = p.port else { return nil }
            return (name, RuleParser.proto(p.proto) ?? "tcp", port)
        }
    }

    /// Whether the routes of this endpoint differ from those of `other`.
    func routesDiffer(from other: EndpointRecord?) -> Bool {
        node != other?.node || ipv4 != other?.ipv4 || ipv6 != other?.ipv6 || interfaceName != other?.interfaceName || isHost != other?.isHost
    }

    static func == (a: EndpointRecord, b: EndpointRecord) -> Bool {
        a.id == b.id && a.node == b.node && a.interfaceName == b.interfaceName && a.mac == b.mac && a.labels == b.labels
            && a.profileIDs == b.profileIDs && a.ipv4 == b.ipv4 && a.ipv6 == b.ipv6 && a.qos == b.qos && a.qosWarnings == b.qosWarnings && a.isHost == b.isHost
            && a.ports.elementsEqual(b.ports) { $0.name == $1.name && $0.proto == $1.proto && $0.port == $1.port }
    }
}
