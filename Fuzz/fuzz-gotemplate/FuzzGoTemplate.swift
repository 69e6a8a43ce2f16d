import CalicoAPI
@testable import CalicoCtlCore
import FuzzSupport

/// Three resources as `calicoctl get -o go-template=…` hands them to the template.
let data: Value = {
    let text = """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: pool1, labels: {zone: a}}
        spec: {cidr: 10.0.0.0/16, ipipMode: Always, natOutgoing: true, blockSize: 26}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: pool-two}
        spec: {cidr: 192.168.0.0/24, disabled: true, nodeSelector: "zone == 'b'"}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: {name: gs, labels: {app: web, tier: front}}
        spec: {nets: [1.2.3.0/24, 5.6.7.0/24]}
        """
    let resources = try! ResourceReader.read(text).map { try $0.result.get() }
    return .sequence(try! resources.map(ObjectPrinter.objectValue), mark: nil)
}()

@main enum FuzzGoTemplate {
    static func main() { runLibFuzzer(fuzz) }
}

/// libFuzzer entry: parses the input as a go-template and executes it over three resources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: inputBytes(bytes, size), as: UTF8.self)
    let template: GoTemplate.Template
    do {
        template = try GoTemplate.parse(text)
    } catch {
        _ = "\(error)"
        return 0
    }
    do {
        _ = try template.execute(data: data, globalASNumber: "64512")
    } catch {
        _ = "\(error)"
    }
    return 0
}
