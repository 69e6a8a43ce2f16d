import CalicoLab
import CalicoTestSupport
import Testing

/// The kernel tests share one lab, so they run one at a time.
@Suite(.serialized) struct LabTests {
    @Test(arguments: policyCatalogue)
    func policyScenario(_ scenario: Scenario) async throws {
        try RootGate.require("the lab: network namespaces, nftables")
        try await run(scenario, on: try await SharedLab.get())
    }

    /// The same catalogue with web and client on node1, db and other on node2 (VXLAN between
    /// them): remote endpoints in IP sets, namespace and service-account selectors across nodes.
    @Test(arguments: policyCatalogue)
    func policyScenarioAcrossNodes(_ scenario: Scenario) async throws {
        try RootGate.require("the lab: network namespaces, nftables, VXLAN")
        try await run(scenario, on: try await SharedLab.get(.acrossNodes))
    }

    func run(_ scenario: Scenario, on lab: SharedLab) async throws {
        var applied: [String] = []
        defer {
            for yaml in applied.reversed() { lab.delete(yaml) }
        }
        // Start from the baseline: nothing of an earlier scenario left in force.
        try lab.expectMatrix(SharedLab.everything, "before \(scenario.name)")
        for (i, phase) in scenario.phases.enumerated() {
            for yaml in phase.apply {
                applied.append(yaml)
                try lab.apply(yaml)
            }
            for yaml in phase.delete { lab.delete(yaml) }
            try lab.expectMatrix(phase.expect, extra: phase.extra(lab), "\(scenario.name), phase \(i + 1)")
        }
    }

    @Test func catalogueIsLargeEnough() {
        #expect(policyCatalogue.count >= 30)
    }
}
