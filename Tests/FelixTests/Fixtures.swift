import CalicoAPI
import FelixCalc

/// Builds resources from YAML documents.
func resources(_ yaml: String) throws -> [any CalicoResource] {
    try ResourceReader.read(yaml, source: "fixture.yaml").map { try $0.result.get() }
}

func wep(_ name: String, ns: String = "default", node: String = "node1", ip: String, labels: String = "{}") -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: WorkloadEndpoint
    metadata: {name: \(name), namespace: \(ns), labels: \(labels)}
    spec: {node: \(node), orchestrator: k8s, pod: \(name), endpoint: eth0, interfaceName: cali\(name.prefix(8)), ipNetworks: [\(ip)/32], profiles: [kns.default]}
    """
}

let nsProfile = """
    apiVersion: projectcalico.org/v3
    kind: Profile
    metadata: {name: kns.default}
    spec: {ingress: [{action: Allow}], egress: [{action: Allow}], labelsToApply: {pcns.projectcalico.org/name: default}}
    """

extension DataplaneUpdate {
    var policyID: PolicyID? {
        if case .activePolicyUpdate(let id, _) = self { return id }
        return nil
    }
}
