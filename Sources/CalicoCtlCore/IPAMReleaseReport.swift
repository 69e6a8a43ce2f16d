import CalicoAPI
import CalicoDatastore
import CalicoIPAM
import Foundation

/// `calicoctl ipam release --from-report=<REPORT>... [--force]`: releases what `ipam check -o`
/// reports as leaked, as upstream: the reports must be of this cluster (GUID, never
/// overridden), of this calicoctl version and one of them current (ClusterInformation's
/// revision), and the datastore locked (the last two unless `--force`). Only addresses leaked in
/// every report are released (each only while still held by the reported handle and sequence
/// number), and handles leaked in every report at the same revision are deleted.
struct IPAMReleaseReport {
    let console: Console
    let store: Datastore
    let force: Bool

    typealias Failure = DatastoreSession.Failure

    struct Report {
        var file: String
        var version: String
        var clusterGUID: String
        var clusterInformationRevision: String
        /// Addresses not in use, with the handle and sequence number they were held by.
        var leaked: [String: IPAMClient.ReleaseOptions]
        var handles: [String: String]

        init(file: String, value: Value) throws {
            func text(_ v: Value?) -> String { v?.scalarText ?? "" }
            self.file = file
            version = text(value["version"])
            clusterGUID = text(value["clusterGUID"])
            clusterInformationRevision = text(value["clusterInformationRevision"])
            leaked = [:]
            if case .mapping(let byIP, _)? = value["allocations"] {
                for (ip, list) in byIP {
                    guard case .sequence(let allocations, _) = list, let address = IPAddress(ip) else { continue }
                    for a in allocations where text(a["inUse"]) != "true" {
                        let handle = text(a["handle"])
                        leaked[ip] = IPAMClient.ReleaseOptions(address: address, handle: handle.isEmpty ? nil : handle,
                                                               sequenceNumber: UInt64(text(a["sequenceNumber"])))
                    }
                }
            }
            handles = [:]
            if case .sequence(let list, _)? = value["leakedHandles"] {
                for h in list {
                    let id = text(h["id"]).isEmpty ? text(h["handle"]) : text(h["id"])
                    if !id.isEmpty { handles[id] = text(h["revision"]) }
                }
            }
        }
    }

    func run(_ files: [String]) async throws {
        let info: ClusterInformation, revision: Int64
        do {
            (info, revision) = try await store.clusterInformation()
        } catch DatastoreError.corrupt(let message) {
            throw Failure.bare(message)
        }
        var reports: [Report] = []
        var foundCurrent = false
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw Failure.bare("open \(file): no such file or directory")
            }
            let value: Value
            do { value = try JSONReader.parse(Array(data)) } catch { throw Failure.bare("\(file): \(error)") }
            let r = try Report(file: file, value: value)
            if r.clusterGUID != (info.spec.clusterGUID ?? "") {
                throw Failure.bare("cluster does not match the provided report (\(file)): mismatched cluster GUID. Refusing to release")
            }
            if r.version != CalicoCtl.version {
                guard force else {
                    throw Failure.bare("the provided report (\(file)) was produced using a different version (\(r.version)) of calicoctl. Refusing to release")
                }
                console.println("WARNING: Report was produced using a different version of calicoctl. Ignoring due to --force option")
            }
            if r.clusterInformationRevision == String(revision) { foundCurrent = true }
            reports.append(r)
        }
        guard foundCurrent else {
            throw Failure.bare("the provided reports are all stale - at least one should be up-to-date. Please generate a new report while the data store is locked and try again")
        }
        if info.spec.datastoreReady != false {
            guard force else { throw Failure.bare("data store is not locked. Either lock the data store, or re-run with --force") }
            console.println("WARNING: Data store is not locked. Ignoring due to --force option")
        }
        let (ips, handles) = Self.merge(reports)
        if ips.isEmpty {
            console.println("Report didn't contain any leaked IPs to clean up.")
        } else {
            console.println("Releasing \(ips.count) old IPs...")
            do {
                let unallocated = try await IPAMClient(datastore: store).releaseIPs(ips)
                console.println("Released \(ips.count - unallocated.count) IPs successfully")
                if !unallocated.isEmpty {
                    console.println("\(unallocated.count) addresses marked as leaked in the report had already been cleaned up.")
                }
            } catch {
                console.println("An error occurred while releasing some IPs: \(error).  Problems are often caused by an out-of-date IPAM report.  Try regenerating the IPAM report and retry.")
            }
        }
        if handles.isEmpty {
            console.println("Report didn't contain any handles to clean up.")
        } else {
            try await deleteHandles(handles)
        }
    }

    /// Addresses leaked in every report (the last report's handle and sequence number), and
    /// handles leaked in every report at one revision.
    static func merge(_ reports: [Report]) -> ([IPAMClient.ReleaseOptions], [(String, String)]) {
        guard var ips = reports.first?.leaked, var handles = reports.first?.handles else { return ([], []) }
        for r in reports.dropFirst() {
            ips = r.leaked.filter { ips[$0.key] != nil }
            handles = r.handles.filter { handles[$0.key] == $0.value }
        }
        return (ips.values.sorted { $0.address < $1.address }, handles.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    func deleteHandles(_ handles: [(String, String)]) async throws {
        console.println("Deleting \(handles.count) handles...")
        console.println("Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.")
        var released = 0, skipped = 0, errors = 0
        var line = ""
        for (id, revision) in handles {
            do {
                guard let pair = try await store.kv.get(IPAMKeys.handle(id)), String(pair.modRevision) == revision else {
                    skipped += 1
                    line += "x"
                    continue
                }
                _ = try await store.kv.delete(IPAMKeys.handle(id), expectedRevision: pair.modRevision)
                released += 1
                line += "."
            } catch KVError.conflict, KVError.notFound {
                skipped += 1
                line += "x"
            } catch {
                errors += 1
                line += "\nDeleting handle \(id) failed: \(error).\n"
            }
        }
        console.println(line)
        console.println("Released \(released) handles; \(skipped) skipped; \(errors) errors.")
    }
}
