import Foundation
import Testing
@testable import CalicoNode

@Suite struct ConfdTests {
    @Test("A BIRD error is traced to the resource the rejected line came from")
    func origin() {
        let text = "router id 1.2.3.4;\n# From BGPConfiguration\nprotocol device { }\n# From BGPPeer link-local\nprotocol bgp Node_fe80__1 from bgp_template6 {\n  neighbor fe80::1 as 65000;\n}\n"
        #expect(Confd.origin(of: "bird: /x/bird.cfg.new:6:26 Link-local addresses require defined interface", in: text) == "BGPPeer link-local")
        #expect(Confd.origin(of: "bird: /x/bird.cfg.new:3:1 syntax error", in: text) == "BGPConfiguration")
        #expect(Confd.origin(of: "bird: /x/bird.cfg.new:1:1 syntax error", in: text) == nil, "no comment above line 1")
        #expect(Confd.origin(of: "bird: /x/bird.cfg.new:99:1 syntax error", in: text) == nil)
        #expect(Confd.origin(of: "bird: cannot open", in: text) == nil)
    }

    @Test("Secret files: <dir>/<name>/<key>, trailing line breaks dropped, missing ones absent, nothing outside the directory read")
    func secretFiles() throws {
        let dir = NSTemporaryDirectory() + "secrets-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/bgp", withIntermediateDirectories: true)
        try "s3cret\n".write(toFile: dir + "/bgp/tor", atomically: false, encoding: .utf8)
        try "outside".write(toFile: dir + "/top", atomically: false, encoding: .utf8)
        let files = SecretFiles(directory: dir + "/bgp/..")
        #expect(SecretFiles(directory: dir).read(["bgp/tor", "bgp/missing", "../top", "bgp/..", ".hidden/x"]) == ["bgp/tor": "s3cret"])
        #expect(files.read(["bgp/tor"]) == ["bgp/tor": "s3cret"], "the directory itself may be any path")
    }
}
