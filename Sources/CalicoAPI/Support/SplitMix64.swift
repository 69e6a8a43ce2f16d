/// A small deterministic pseudo-random generator (SplitMix64): the same seed gives the same
/// sequence on every machine, for reproducible searches (IPAM block start points), benchmarks
/// and seeded tests that print their seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A seed from the environment variable `name` when it is set, else a fresh random one.
    public static func seed(fromEnvironment name: String, environment: [String: String]) -> UInt64 {
        environment[name].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
