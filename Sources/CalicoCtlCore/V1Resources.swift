import CalicoAPI
import Foundation

// Calico v1 API resources (`apiVersion: v1`), as `calicoctl convert` reads them: decoded
// strictly (an unknown field is an error), addresses kept as text until conversion.

/// A v1 document: type metadata, metadata and spec.
struct V1Document<Metadata: Decodable & Sendable, Spec: Decodable & Sendable>: Decodable, Sendable {
    var apiVersion: String?
    var kind: String?
    var metadata: Metadata?
    var spec: Spec?
}

struct V1EntityRule: Decodable, Sendable {
    var tag: String?
    var net: String?
    var nets: [String]?
    var selector: String?
    var ports: [CalicoAPI.Port]?
    var notTag: String?
    var notNet: String?
    var notNets: [String]?
    var notSelector: String?
    var notPorts: [CalicoAPI.Port]?
}

struct V1Rule: Decodable, Sendable {
    var action: String?
    var ipVersion: Int?
    var `protocol`: IPProtocol?
    var icmp: ICMPFields?
    var notProtocol: IPProtocol?
    var notICMP: ICMPFields?
    var source: V1EntityRule?
    var destination: V1EntityRule?
}

struct V1PolicyMetadata: Decodable, Sendable {
    var name: String?
    var tier: String?
    var annotations: [String: String]?
}

struct V1PolicySpec: Decodable, Sendable {
    var order: Double?
    var ingress: [V1Rule]?
    var egress: [V1Rule]?
    var selector: String?
    var doNotTrack: Bool?
    var preDNAT: Bool?
    var types: [String]?
}

struct V1ProfileMetadata: Decodable, Sendable {
    var name: String?
    var tags: [String]?
    var labels: [String: String]?
}

struct V1ProfileSpec: Decodable, Sendable {
    var ingress: [V1Rule]?
    var egress: [V1Rule]?
}

struct V1EndpointPort: Decodable, Sendable {
    var name: String?
    var `protocol`: IPProtocol?
    var port: Int?
}

struct V1HostEndpointMetadata: Decodable, Sendable {
    var name: String?
    var node: String?
    var labels: [String: String]?
}

struct V1HostEndpointSpec: Decodable, Sendable {
    var interfaceName: String?
    var expectedIPs: [String]?
    var profiles: [String]?
    var ports: [V1EndpointPort]?
}

struct V1WorkloadEndpointMetadata: Decodable, Sendable {
    var name: String?
    var workload: String?
    var orchestrator: String?
    var node: String?
    var activeInstanceID: String?
    var labels: [String: String]?
}

struct V1IPNAT: Decodable, Sendable {
    var internalIP: String?
    var externalIP: String?
}

struct V1WorkloadEndpointSpec: Decodable, Sendable {
    var ipNetworks: [String]?
    var ipNATs: [V1IPNAT]?
    var ipv4Gateway: String?
    var ipv6Gateway: String?
    var profiles: [String]?
    var interfaceName: String?
    var mac: String?
    var ports: [V1EndpointPort]?
}

struct V1NodeMetadata: Decodable, Sendable {
    var name: String?
}

struct V1NodeBGP: Decodable, Sendable {
    var asNumber: ASNumber?
    var ipv4Address: String?
    var ipv6Address: String?
}

struct V1OrchRef: Decodable, Sendable {
    var nodeName: String?
    var orchestrator: String?
}

struct V1NodeSpec: Decodable, Sendable {
    var bgp: V1NodeBGP?
    var orchRefs: [V1OrchRef]?
}

struct V1IPPoolMetadata: Decodable, Sendable {
    var cidr: String?
}

struct V1IPIP: Decodable, Sendable {
    var enabled: Bool?
    var mode: String?
}

struct V1IPPoolSpec: Decodable, Sendable {
    var ipip: V1IPIP?
    var natOutgoing: Bool?
    var disabled: Bool?
    var assignmentMode: String?

    enum CodingKeys: String, CodingKey {
        case ipip, disabled, assignmentMode
        case natOutgoing = "nat-outgoing"
    }
}

struct V1BGPPeerMetadata: Decodable, Sendable {
    var scope: String?
    var node: String?
    var peerIP: String?
}

struct V1BGPPeerSpec: Decodable, Sendable {
    var asNumber: ASNumber?
}

typealias V1Policy = V1Document<V1PolicyMetadata, V1PolicySpec>
typealias V1Profile = V1Document<V1ProfileMetadata, V1ProfileSpec>
typealias V1HostEndpoint = V1Document<V1HostEndpointMetadata, V1HostEndpointSpec>
typealias V1WorkloadEndpoint = V1Document<V1WorkloadEndpointMetadata, V1WorkloadEndpointSpec>
typealias V1Node = V1Document<V1NodeMetadata, V1NodeSpec>
typealias V1IPPool = V1Document<V1IPPoolMetadata, V1IPPoolSpec>
typealias V1BGPPeer = V1Document<V1BGPPeerMetadata, V1BGPPeerSpec>

/// One resource read by `convert`: a Calico v1 resource, or a Kubernetes object it knows.
enum ConvertInput: Sendable {
    case policy(V1Policy)
    case profile(V1Profile)
    case hostEndpoint(V1HostEndpoint)
    case workloadEndpoint(V1WorkloadEndpoint)
    case node(V1Node)
    case ipPool(V1IPPool)
    case bgpPeer(V1BGPPeer)
    /// A `networking.k8s.io/v1` NetworkPolicy (also each item of a `v1` `List`).
    case kubernetes(KubernetesNetworkPolicy)
}

/// Reads `convert`'s input as upstream's resource loader does: each YAML document is one
/// resource or a sequence of resources, typed by its exact `apiVersion` and `kind`.
enum V1ResourceLoader {
    /// The type metadata upstream registers, exactly as it must be written.
    static let v1Kinds: Set<String> = ["bgpPeer", "ipPool", "hostEndpoint", "node", "policy", "profile", "workloadEndpoint"]

    static func load(_ data: Data) throws(ConvertError) -> [ConvertInput] {
        let documents: [Value]
        do {
            documents = try DocumentReader.documents(in: data)
        } catch let error as SyntaxError {
            throw ConvertError(error.description)
        } catch {
            throw ConvertError("\(error)")
        }
        var out: [ConvertInput] = []
        for doc in documents where !doc.isNull {
            switch doc {
            case .sequence(let items, _):
                for item in items { out += try resources(item) }
            case .mapping:
                out += try resources(doc)
            default:
                throw ConvertError("cannot unmarshal \(doc.shapeName) into a resource")
            }
        }
        return out
    }

    /// One resource, or each item of a Kubernetes `v1` `List`.
    static func resources(_ value: Value) throws(ConvertError) -> [ConvertInput] {
        if value.field("apiVersion")?.scalarText == "v1", value.field("kind")?.scalarText == "List" {
            guard case .sequence(let items, _)? = value.field("items") else { return [] }
            var out: [ConvertInput] = []
            for item in items { out += try resources(item) }
            return out
        }
        return [try resource(value)]
    }

    static func resource(_ value: Value) throws(ConvertError) -> ConvertInput {
        guard case .mapping = value else { throw ConvertError("cannot unmarshal \(value.shapeName) into a resource") }
        let kind = value.field("kind")?.scalarText ?? ""
        let apiVersion = value.field("apiVersion")?.scalarText ?? ""
        switch (apiVersion, kind) {
        case ("v1", "policy"): return .policy(try decode(V1Policy.self, value))
        case ("v1", "profile"): return .profile(try decode(V1Profile.self, value))
        case ("v1", "hostEndpoint"): return .hostEndpoint(try decode(V1HostEndpoint.self, value))
        case ("v1", "workloadEndpoint"): return .workloadEndpoint(try decode(V1WorkloadEndpoint.self, value))
        case ("v1", "node"): return .node(try decode(V1Node.self, value))
        case ("v1", "ipPool"): return .ipPool(try decode(V1IPPool.self, value))
        case ("v1", "bgpPeer"): return .bgpPeer(try decode(V1BGPPeer.self, value))
        case ("networking.k8s.io/v1", "NetworkPolicy"): return .kubernetes(try decode(KubernetesNetworkPolicy.self, value))
        default: throw ConvertError("unknown resource type (\(kind)) and/or version (\(apiVersion))")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ value: Value) throws(ConvertError) -> T {
        do {
            return try StrictDecoder().decode(type, from: value)
        } catch let error as DecodeError {
            throw ConvertError(error.path.isEmpty ? error.reason : "\(error.reason) (field \(error.path))")
        } catch {
            throw ConvertError("\(error)")
        }
    }
}

/// A failure of `convert`, in upstream's words.
struct ConvertError: Error, Sendable, CustomStringConvertible {
    var message: String
    /// Found while reading the file, not while converting (see `ConvertError.load`).
    var atLoad = false
    init(_ message: String) { self.message = message }
    var description: String { message }
}
