import CalicoLab
import CalicoTestSupport
import Testing

/// The kernel tests share one lab, so they run one at a time.
@Suite(.serialized) struct LabTests {
    @Test(arguments: policyCatalogue)
    func policyScenario(_ scenario: Scenario) async throws {
        try RootGate.require("the lab: network namespaces, nftables")
        let lab = try await SharedLab.get()
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
