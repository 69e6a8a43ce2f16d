import CalicoAPI
import CalicoNetlink
import Foundation

/// Another IPAM plugin (`ipam.type` other than `calico-ipam`, e.g. `host-local`), run from
/// `CNI_PATH` the way a runtime runs plugins: same environment, the network configuration on
/// stdin, its result or error JSON on stdout.
struct DelegatedIPAM {
    let ctx: PluginContext

    func executable() throws(CNIError) -> String {
        let type = ctx.conf.ipam.type
        guard !type.isEmpty, !type.contains("/") else {
            throw CNIError(CNIError.invalidNetworkConfig, "invalid network configuration", details: "ipam.type \"\(type)\" is not a plugin name")
        }
        for dir in ctx.env.path {
            let candidate = dir + "/" + type
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CNIError(CNIError.invalidNetworkConfig, "failed to find plugin \"\(type)\" in path \(ctx.env.path)")
    }

    func run(_ command: CNICommand) throws(CNIError) -> Data {
        let program = try executable()
        var env = ctx.env.raw
        env["CNI_COMMAND"] = command.rawValue
        let out: CommandOutput
        do {
            out = try CommandRunner.run([program], input: String(decoding: ctx.conf.raw, as: UTF8.self), environment: env)
        } catch {
            throw CNIError(CNIError.ioFailure, "failed to run IPAM plugin \(program)", details: "\(error)")
        }
        let data = Data(out.stdout.utf8)
        guard out.status == 0 else {
            if let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let code = o["code"] as? Int {
                throw CNIError(code, "IPAM plugin \(ctx.conf.ipam.type): \(o["msg"] as? String ?? "failed")", details: o["details"] as? String ?? "")
            }
            throw CNIError(CNIError.internalError, "IPAM plugin \(ctx.conf.ipam.type) failed (exit \(out.status))",
                           details: (out.stderr + out.stdout).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return data
    }

    func add() throws(CNIError) -> [IPNet] {
        let data = try run(.add)
        guard let ips = CNIResult.addresses(inResultJSON: data), !ips.isEmpty else {
            throw CNIError(CNIError.decodingFailure, "IPAM plugin \(ctx.conf.ipam.type) returned no addresses",
                           details: String(decoding: data, as: UTF8.self))
        }
        return ips
    }

    func del() throws(CNIError) {
        _ = try run(.del)
    }
}
