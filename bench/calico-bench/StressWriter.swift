import CalicoDatastore
import Foundation

/// `calico-bench stress-writer <db-path> [iterations]`: writes 50-key transactions in a loop
/// (every key of one transaction gets the iteration number), for crash-consistency tests
/// that kill -9 this process mid-write. Prints "ready" after the first transaction.
enum StressWriter {
    static let keysPerTransaction = 50

    static func run(_ args: [String]) async throws {
        guard let path = args.first else {
            FileHandle.standardError.write(Data("usage: calico-bench stress-writer <db-path> [iterations]\n".utf8))
            exit(2)
        }
        let iterations = args.count > 1 ? Int(args[1]) ?? Int.max : Int.max
        let store = try EmbeddedStore(path: path)
        var i = 0
        while i < iterations {
            let value = Array(String(i).utf8)
            let ops = (0..<keysPerTransaction).map { KVOperation.put(key: "/stress/k\($0)", value: value) }
            _ = try await store.transaction(ops)
            if i == 0 {
                FileHandle.standardOutput.write(Data("ready\n".utf8))
            }
            i += 1
        }
    }
}
