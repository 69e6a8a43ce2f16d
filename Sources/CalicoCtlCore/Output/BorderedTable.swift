import Foundation

/// A table as calicoctl renders it with olekukonko/tablewriter's defaults: `+---+` borders,
/// centred headers, cells padded by one space, numeric cells right-aligned and everything
/// else left-aligned.
struct BorderedTable {
    var header: [String]
    var rows: [[String]] = []

    init(header: [String]) { self.header = header }

    mutating func append(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let columns = max(header.count, rows.map(\.count).max() ?? 0)
        var widths = Array(repeating: 0, count: columns)
        for row in [header] + rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], Self.width(cell)) }
        }
        let line = "+" + widths.map { String(repeating: "-", count: $0 + 2) + "+" }.joined() + "\n"
        func cells(_ row: [String], _ pad: (String, Int) -> String) -> String {
            var out = "|"
            for i in 0..<columns {
                let cell = i < row.count ? row[i] : ""
                out += " " + pad(cell, widths[i]) + " |"
            }
            return out + "\n"
        }
        var out = line
        out += cells(header) { cell, width in
            let gap = width - Self.width(cell)
            return String(repeating: " ", count: gap / 2) + cell + String(repeating: " ", count: gap - gap / 2)
        }
        out += line
        for row in rows {
            out += cells(row) { cell, width in
                let fill = String(repeating: " ", count: width - Self.width(cell))
                return Self.isDecimal(cell.trimmingCharacters(in: .whitespaces)) ? fill + cell : cell + fill
            }
        }
        out += line
        return out
    }

    static func width(_ s: String) -> Int { s.unicodeScalars.count }

    /// tablewriter's `^-?(?:\d{1,3}(?:,\d{3})*|\d+)(\.\d+)?$`.
    static func isDecimal(_ s: String) -> Bool {
        var body = Substring(s)
        if body.hasPrefix("-") { body = body.dropFirst() }
        var integer = body
        if let dot = body.firstIndex(of: ".") {
            let fraction = body[body.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy(\.isASCIIDigit) else { return false }
            integer = body[..<dot]
        }
        guard !integer.isEmpty else { return false }
        if integer.allSatisfy(\.isASCIIDigit) { return true }
        let groups = integer.split(separator: ",", omittingEmptySubsequences: false)
        guard let first = groups.first, (1...3).contains(first.count), first.allSatisfy(\.isASCIIDigit) else { return false }
        return groups.dropFirst().allSatisfy { $0.count == 3 && $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
