import CalicoCtlCore
import Foundation

let arguments = CommandLine.arguments
let name = (arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "calicoctl"
exit(await CalicoCtl(programName: name).run(Array(arguments.dropFirst())))
