import CalicoAPI
import CalicoNetlink
import FelixCalc
import Foundation

/// The MTU pods should use, as upstream Felix determines it and writes it for the CNI plugin
/// (which reads the file when its network configuration sets no `mtu`): the smallest MTU of
/// the host interfaces matching `mtuIfacePattern` (1500 when none does), less the overhead of
/// the encapsulation this node uses — VXLAN 50 bytes, VXLAN over IPv6 70 — or the configured
/// `vxlanMTU`/`vxlanMTUV6`; the smallest of those in use. Written when it changes.
public final class PodMTUManager: DataplaneManager, @unchecked Sendable {
    public var settings = ClusterSettings() { didSet { if settings != oldValue { dirty = true } } }
    /// Whether this node uses a VXLAN device of a family (from the VXLAN manager).
    public var vxlanDevice: (VXLANDevice) -> Bool = { _ in false }
    private var dirty = true
    private var usedVXLAN: [VXLANDevice: Bool] = [:]
    /// The MTU last written.
    public private(set) var written: Int?
    let net: any NetworkCommands
    let files: any MTUFileWriter

    public init(net: any NetworkCommands = IPRoute2(), files: any MTUFileWriter = AtomicMTUFile()) {
        self.net = net
        self.files = files
    }

    public func onUpdate(_ update: DataplaneUpdate) {
        switch update {
        case .vtepUpdate, .vtepRemove, .hostMetadataUpdate, .hostMetadataRemove: dirty = true
        default: break
        }
    }

    /// The pod MTU (pure): `hostMTU` with no encapsulation, else the smallest MTU of the
    /// encapsulations in use.
    static func podMTU(hostMTU: Int, vxlanV4: Bool, vxlanV6: Bool, vxlanMTU: Int, vxlanMTUV6: Int) -> Int {
        var candidates: [Int] = []
        if vxlanV4 { candidates.append(vxlanMTU > 0 ? vxlanMTU : hostMTU - VXLANDevice.v4.overhead) }
        if vxlanV6 { candidates.append(vxlanMTUV6 > 0 ? vxlanMTUV6 : hostMTU - VXLANDevice.v6.overhead) }
        return candidates.min() ?? hostMTU
    }

    /// The smallest MTU of the interfaces (name, MTU) whose names match `pattern`; nil: none does.
    static func hostMTU(_ interfaces: [(name: String, mtu: Int)], pattern: String) -> Int? {
        guard let regex = try? Regex(pattern) else { return nil }
        return interfaces.filter { $0.name.contains(regex) && $0.mtu > 0 }.map(\.mtu).min()
    }

    @discardableResult
    public func apply() throws -> ApplyOutcome {
        let used = Dictionary(uniqueKeysWithValues: VXLANDevice.allCases.map { ($0, vxlanDevice($0)) })
        guard dirty || used != usedVXLAN else { return ApplyOutcome(commands: 0, seconds: 0, resynced: false) }
        let start = Date()
        let links = KernelState.objects(try net.ip(["-j", "link", "show"], in: .current)).compactMap { o -> (name: String, mtu: Int)? in
            guard let name = o["ifname"] as? String, let mtu = o["mtu"] as? Int else { return nil }
            return (name, mtu)
        }
        let host = Self.hostMTU(links, pattern: settings.mtuInterfacePattern) ?? 1500
        let mtu = Self.podMTU(hostMTU: host, vxlanV4: used[.v4] ?? false, vxlanV6: used[.v6] ?? false,
                              vxlanMTU: settings.vxlanMTU, vxlanMTUV6: settings.vxlanMTUV6)
        var n = 0
        if mtu != written || files.read(settings.mtuFilePath) != mtu {
            try files.write(mtu, to: settings.mtuFilePath)
            n = 1
        }
        written = mtu
        usedVXLAN = used
        dirty = false
        return ApplyOutcome(commands: n, seconds: Date().timeIntervalSince(start), resynced: false)
    }
}

/// Reading and writing the MTU file (a seam for the unit tests).
public protocol MTUFileWriter: Sendable {
    func read(_ path: String) -> Int?
    func write(_ mtu: Int, to path: String) throws
}

/// The MTU file as upstream writes it (`CalicoAPI.MTUFile`: the number alone, mode 0644,
/// replaced atomically; the directory made when missing).
public struct AtomicMTUFile: MTUFileWriter {
    public init() {}
    public func read(_ path: String) -> Int? { MTUFile.read(path) }
    public func write(_ mtu: Int, to path: String) throws { try MTUFile.write(mtu, to: path) }
}
