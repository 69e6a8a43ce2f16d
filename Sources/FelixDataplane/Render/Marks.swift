/// Felix's mark bits (default `NftablesMarkMask` 0xffff0000, allocated from the lowest bit).
enum Marks {
    static let accept: UInt32 = 0x0001_0000
    static let pass: UInt32 = 0x0002_0000
    static let drop: UInt32 = 0x0004_0000
    static let scratch0: UInt32 = 0x0008_0000
    static let scratch1: UInt32 = 0x0010_0000
    /// The bits cleared at endpoint-chain entry.
    static let all: UInt32 = accept | pass | scratch0 | scratch1

    static func hex(_ v: UInt32) -> String {
        let t = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - t.count) + t
    }

    static func isSet(_ bit: UInt32) -> String { "meta mark & \(hex(bit)) == \(hex(bit))" }
    static func isClear(_ bit: UInt32) -> String { "meta mark & \(hex(bit)) == 0x00000000" }
    static func set(_ bit: UInt32) -> String { "meta mark set meta mark | \(hex(bit))" }
    static func clear(_ bits: UInt32) -> String { "meta mark set meta mark & \(hex(~bits))" }
}
