import CalicoAPI
import CalicoDatastore
import FelixCalc

/// Writes upstream calicoctl refuses before they reach the datastore (its resource managers):
/// ClusterInformation is written only by Calico itself, and `knp.default.*` NetworkPolicies are
/// Kubernetes NetworkPolicies seen through Calico's API.
enum UpstreamRefusals {
    enum Operation {
        case create, apply, replace, delete
    }

    static func check(kind: String, namespace: String?, name: String, _ operation: Operation) throws {
        // Upstream's apply tries a create, then falls back to the update, whose refusal it prints.
        let words: String
        switch operation {
        case .create: words = "create or apply"
        case .apply, .replace: words = "apply or replace"
        case .delete: words = "delete"
        }
        if kind == ClusterInformation.kindName {
            throw DatastoreError.notSupported(operation: words, identifier: "ClusterInformation", reason: nil)
        }
        if kind == NetworkPolicy.kindName, name.hasPrefix(KubernetesPolicyConverter.namePrefix) {
            let id = ResourceID(kind: kind, namespace: namespace ?? "default", name: name)
            throw DatastoreError.notSupported(operation: words, identifier: "\(id)",
                                              reason: "kubernetes network policies must be managed through the kubernetes API")
        }
    }
}
