import Testing
@testable import CalicoBGP

@Suite struct BIRDStatusTests {
    static let reply = """
        0001 BIRD 2.0.12 ready.
        2002-Name       Proto      Table      State  Since         Info
        1002-device1    Device     ---        up     08:52:48
         kernel4    Kernel     master4    up     08:52:48
         Mesh_198_51_100_130 BGP        ---        up     08:52:50      Established
         Node_198_51_100_126_port_1790 BGP        ---        start  08:52:51      Active        Socket: Connection refused
         Global_fd00_10_244_ff0b__130 BGP        ---        up     08:52:52      Established
         static4    Static     master4    up     08:52:48
        0000

        """

    @Test("show protocols: BGP sessions of Calico's names, addresses back from the names, the rest skipped")
    func parse() throws {
        let peers = try BIRDStatus.parse(Self.reply)
        #expect(peers == [
            BGPPeerStatus(address: "198.51.100.130", type: "node-to-node mesh", state: "up", since: "08:52:50", info: "Established", isIPv6: false),
            BGPPeerStatus(address: "198.51.100.126", type: "node specific", state: "start", since: "08:52:51", info: "Active Socket: Connection refused", isIPv6: false),
            BGPPeerStatus(address: "fd00:10:244:ff0b::130", type: "global", state: "up", since: "08:52:52", info: "Established", isIPv6: true),
        ])
    }

    @Test func unexpectedOutputIsAnError() {
        #expect(throws: BIRDStatus.Failure.self) { try BIRDStatus.parse("0001 BIRD ready.\n2002-Name Proto\n0000\n") }
        #expect(throws: BIRDStatus.Failure.self) { try BIRDStatus.parse("9001 Syntax error\n") }
    }
}
