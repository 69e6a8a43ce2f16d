// Placeholder shapes replaced by the full kinds (FelixConfiguration, BGP kinds, …).
public struct BGPConfiguration: CalicoResource {
    public static let kindName = "BGPConfiguration"
    public var apiVersion = calicoAPIVersion
    public var kind = BGPConfiguration.kindName
    public var metadata = ObjectMeta()
    public var spec: Value?
}
public struct BGPFilter: CalicoResource {
    public static let kindName = "BGPFilter"
    public var apiVersion = calicoAPIVersion
    public var kind = BGPFilter.kindName
    public var metadata = ObjectMeta()
    public var spec: Value?
}
public struct BGPPeer: CalicoResource {
    public static let kindName = "BGPPeer"
    public var apiVersion = calicoAPIVersion
    public var kind = BGPPeer.kindName
    public var metadata = ObjectMeta()
    public var spec: Value?
}
public struct ClusterInformation: CalicoResource {
    public static let kindName = "ClusterInformation"
    public var apiVersion = calicoAPIVersion
    public var kind = ClusterInformation.kindName
    public var metadata = ObjectMeta()
    public var spec: Value?
}
public struct FelixConfiguration: CalicoResource {
    public static let kindName = "FelixConfiguration"
    public var apiVersion = calicoAPIVersion
    public var kind = FelixConfiguration.kindName
    public var metadata = ObjectMeta()
    public var spec: Value?
}
public struct KubeControllersConfiguration: CalicoResource {
    public static let kindName = "KubeControllersConfiguration"
    public var apiVersion = calicoAPIVersion
    public var kind = KubeControllersConfiguration.kindName
    public var metadata = ObjectMeta()
    public var spec: Value?
}
public struct Node: CalicoResource {
    public static let kindName = "Node"
    public var apiVersion = calicoAPIVersion
    public var kind = Node.kindName
    public var metadata = ObjectMeta()
    public var spec: Value?
}
