import CalicoAPI

/// `calicoctl get -o custom-columns=A,B,…`: the table printer with the user's headings.
/// Headings are matched case-insensitively against the kind's headings (plus `NAMESPACE`
/// for namespaced kinds and `ORCHESTRATOR` for WorkloadEndpoint); no `NAMESPACE` column is
/// added automatically.
enum CustomColumns {
    struct UnknownHeading: Error, CustomStringConvertible, Equatable {
        var heading: String
        var valid: [String]
        var description: String { "unknown heading \(heading), valid values are: \(valid.joined(separator: ", "))" }
    }

    static func render(_ resources: [any CalicoResource], kind: ResourceKind, columns: [String],
                       globalASNumber: String) throws -> String {
        let valid = TablePrinter.allColumns(kind: kind)
        let headings = columns.map { $0.uppercased() }
        for h in headings where !valid.contains(h) {
            throw UnknownHeading(heading: h, valid: valid)
        }
        return TablePrinter.table(resources, headings: headings, globalASNumber: globalASNumber)
    }
}
