/// A rule's action.
public enum RuleAction: String, StrictStringEnum {
    public static let wireName = "action"
    case allow = "Allow"
    case deny = "Deny"
    case log = "Log"
    case pass = "Pass"
}

/// One policy or profile rule.
public struct Rule: Codable, Sendable, Equatable {
    /// Kept as text so that a bad action is a validation error with a path, not a decode error.
    public var action: String?
    public var ipVersion: Int?
    public var `protocol`: IPProtocol?
    public var icmp: ICMPFields?
    public var notProtocol: IPProtocol?
    public var notICMP: ICMPFields?
    public var source: EntityRule?
    public var destination: EntityRule?
    public var http: HTTPMatch?
    public var metadata: RuleMetadata?

    public init(action: RuleAction? = nil, protocol proto: IPProtocol? = nil, source: EntityRule? = nil, destination: EntityRule? = nil) {
        self.action = action?.rawValue
        self.protocol = proto
        self.source = source
        self.destination = destination
    }

    public var ruleAction: RuleAction? { action.flatMap(RuleAction.init(rawValue:)) }
}

public struct ICMPFields: Codable, Sendable, Equatable {
    public var type: Int?
    public var code: Int?
    public init(type: Int? = nil, code: Int? = nil) {
        self.type = type
        self.code = code
    }
}

public struct ServiceAccountMatch: Codable, Sendable, Equatable {
    public var names: [String]?
    public var selector: String?
    public init(names: [String]? = nil, selector: String? = nil) {
        self.names = names
        self.selector = selector
    }
}

public struct ServiceMatch: Codable, Sendable, Equatable {
    public var name: String?
    public var namespace: String?
    public init(name: String? = nil, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

/// The source or destination half of a rule.
public struct EntityRule: Codable, Sendable, Equatable {
    public var nets: [String]?
    public var selector: String?
    public var namespaceSelector: String?
    public var ports: [Port]?
    public var notNets: [String]?
    public var notSelector: String?
    public var notPorts: [Port]?
    public var serviceAccounts: ServiceAccountMatch?
    public var services: ServiceMatch?

    public init(nets: [String]? = nil, selector: String? = nil, namespaceSelector: String? = nil, ports: [Port]? = nil,
                notNets: [String]? = nil, notSelector: String? = nil, notPorts: [Port]? = nil) {
        self.nets = nets
        self.selector = selector
        self.namespaceSelector = namespaceSelector
        self.ports = ports
        self.notNets = notNets
        self.notSelector = notSelector
        self.notPorts = notPorts
    }
}

public struct HTTPPath: Codable, Sendable, Equatable {
    public var exact: String?
    public var prefix: String?
    public init(exact: String? = nil, prefix: String? = nil) {
        self.exact = exact
        self.prefix = prefix
    }
}

public struct HTTPMatch: Codable, Sendable, Equatable {
    public var methods: [String]?
    public var paths: [HTTPPath]?
    public init(methods: [String]? = nil, paths: [HTTPPath]? = nil) {
        self.methods = methods
        self.paths = paths
    }
}
