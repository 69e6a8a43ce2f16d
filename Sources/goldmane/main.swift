import Foundation
import Goldmane

// goldmane: Calico's flow aggregator (upstream's gRPC API), configured by its environment.
let config: GoldmaneConfig
do {
    config = try GoldmaneConfig.from(environment: ProcessInfo.processInfo.environment)
} catch {
    GoldmaneDaemon.log("FATAL", "\(error)")
    exit(1)
}
do {
    try await GoldmaneDaemon.run(config)
} catch {
    GoldmaneDaemon.log("FATAL", "\(error)")
    exit(1)
}
