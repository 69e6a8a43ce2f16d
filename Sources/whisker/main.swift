import Foundation
import Whisker

// whisker: Calico's flow UI and its backend (upstream's whisker-backend API), configured by
// its environment.
let config: WhiskerConfig
do {
    config = try WhiskerConfig.from(environment: ProcessInfo.processInfo.environment)
} catch {
    WhiskerServer.log("FATAL", "\(error)")
    exit(1)
}
do {
    try await WhiskerServer.run(config)
} catch {
    WhiskerServer.log("FATAL", "\(error)")
    exit(1)
}
