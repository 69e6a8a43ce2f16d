import CalicoAPI

/// Rules of the configuration kinds (FelixConfiguration, BGP kinds, KubeControllersConfiguration, Node).
enum OtherKindRules {
    static func validate(_ resource: any CalicoResource, into p: inout Problems) {}
}
