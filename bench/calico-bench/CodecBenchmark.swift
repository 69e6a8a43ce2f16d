import CalicoAPI
import CalicoValidation
import Foundation

/// `calico-bench codec`: a GlobalNetworkSet with n nets and one with n labels, at 10k, 100k
/// and 1M elements, through what `calicoctl apply` and `get -o json` do: read (parse +
/// strict decode), validate, write (encode + JSON). Linear code keeps the time per element
/// flat: each size prints its per-element time as a ratio to the 10k figure (baseline: the
/// same code at 10k, same run), and the read+write beside Foundation's JSONSerialization
/// round trip of the same text (baseline 2, same run).
enum CodecBenchmark {
    static func document(_ n: Int, labels: Bool) -> String {
        var out = #"{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkSet","metadata":{"name":"big""#
        if labels {
            out += #","labels":{"#
            for i in 0..<n { out += (i > 0 ? "," : "") + "\"k\(i)\":\"v\(i)\"" }
            out += "}},\"spec\":{\"nets\":[\"10.0.0.0/8\"]}}"
        } else {
            out += #"},"spec":{"nets":["#
            for i in 0..<n { out += (i > 0 ? "," : "") + "\"10.\((i >> 16) & 255).\((i >> 8) & 255).\(i & 255)/32\"" }
            out += "]}}"
        }
        return out
    }

    struct Figures {
        var read = 0.0, validate = 0.0, write = 0.0, foundation = 0.0
    }

    static func measureOnce(_ text: String) throws -> Figures {
        var f = Figures()
        var resource: (any CalicoResource)?
        var problem: (any Error)?
        f.read = measure {
            do { resource = try ResourceReader.read(text, source: "bench.json")[0].result.get() } catch { problem = error }
        }
        if let problem { throw problem }
        f.validate = measure { _ = Validator.validate(resource!) }
        f.write = measure { _ = try? ResourceWriter.json(resource!) }
        let data = Data(text.utf8)
        f.foundation = measure {
            let object = try? JSONSerialization.jsonObject(with: data)
            _ = try? JSONSerialization.data(withJSONObject: object!, options: [.sortedKeys])
        }
        return f
    }

    static func run(sizes: [Int] = [10_000, 100_000, 1_000_000]) throws {
        say("codec: GlobalNetworkSet read (parse+decode) / validate / write (encode+JSON); ns per element, ratio to the 10k figure")
        for labels in [false, true] {
            var base: Figures?
            for n in sizes {
                let text = document(n, labels: labels)
                // Median of three runs (one at 1M, where a run takes seconds).
                let runs = try (0..<(n >= 1_000_000 ? 1 : 3)).map { _ in try measureOnce(text) }
                func median(_ k: KeyPath<Figures, Double>) -> Double { runs.map { $0[keyPath: k] }.sorted()[runs.count / 2] }
                let f = Figures(read: median(\.read), validate: median(\.validate), write: median(\.write), foundation: median(\.foundation))
                let per = { (s: Double) in s * 1e9 / Double(n) }
                if base == nil { base = f }
                let b = base!
                let ratio = { (a: Double, z: Double) in String(format: "%.2f", (a / Double(n)) / (z / Double(sizes[0]))) }
                say(String(format: "  %@ %8d: read %7.0f ns (x%@)  validate %6.0f ns (x%@)  write %6.0f ns (x%@)  total %.2f s; JSONSerialization round trip %.2f s -> ours/Foundation %.1fx",
                           labels ? "labels" : "nets  ", n, per(f.read), ratio(f.read, b.read), per(f.validate), ratio(f.validate, b.validate),
                           per(f.write), ratio(f.write, b.write), f.read + f.validate + f.write, f.foundation,
                           (f.read + f.write) / f.foundation))
            }
        }
    }
}
