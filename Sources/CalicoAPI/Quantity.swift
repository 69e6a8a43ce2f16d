import Foundation

/// Parses Kubernetes resource quantities (`100M`, `1.5Gi`, `2e3`, `500m`) to a number.
public enum Quantity {
    static let suffixes: [(String, Double)] = [
        ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
        ("Pi", 1_125_899_906_842_624), ("Ei", 1_152_921_504_606_846_976),
        ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
    ]

    public static func parse(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        var number = Substring(s)
        var scale = 1.0
        for (suffix, factor) in suffixes where s.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            scale = factor
            break
        }
        if scale == 1.0, let e = number.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let exp = Int(number[number.index(after: e)...]), abs(exp) < 30 else { return nil }
            scale = pow10(exp)
            number = number[..<e]
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "+" || $0 == "-") }),
              let v = Double(number) else { return nil }
        return v * scale
    }

    static func pow10(_ e: Int) -> Double {
        var r = 1.0
        for _ in 0..<abs(e) { r *= 10 }
        return e < 0 ? 1 / r : r
    }
}
