import CalicoCNI
import Foundation
import FuzzSupport

@main enum FuzzNetConf {
    static func main() { runLibFuzzer(fuzz) }
}

/// libFuzzer entry: decodes the input as the network configuration a runtime passes the
/// calico and calico-ipam plugins on stdin, and renders the error result a failure prints.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(inputBytes(data, size))
    do {
        let conf = try NetConf.decode(bytes)
        if !NetConf.supportedVersions.contains(conf.cniVersion) {
            finding("an unsupported cniVersion was accepted", ["input": String(decoding: bytes, as: UTF8.self), "cniVersion": conf.cniVersion])
        }
        _ = CNIError(CNIError.internalError, "x", details: conf.name).json(cniVersion: conf.cniVersion)
    } catch {
        _ = error.description
        _ = error.json(cniVersion: NetConf.latestVersion)
    }
    return 0
}
