/// The API group/version of Calico resources.
public let calicoAPIVersion = "projectcalico.org/v3"
/// Also accepted on input, as users paste CRD manifests.
public let calicoCRDAPIVersion = "crd.projectcalico.org/v1"

/// A top-level resource: `apiVersion`, `kind`, `metadata` and its own spec.
public protocol CalicoResource: Codable, Sendable, Equatable {
    /// The kind name, e.g. `GlobalNetworkPolicy`.
    static var kindName: String { get }
    /// Whether objects live in a namespace.
    static var isNamespaced: Bool { get }
    /// The accepted `apiVersion` values.
    static var apiVersions: [String] { get }
    var apiVersion: String { get set }
    var kind: String { get set }
    var metadata: ObjectMeta { get set }
}

extension CalicoResource {
    public static var apiVersions: [String] { [calicoAPIVersion, calicoCRDAPIVersion] }
    public static var isNamespaced: Bool { false }
    public var name: String { metadata.name ?? "" }
    public var namespace: String? { metadata.namespace }
}
