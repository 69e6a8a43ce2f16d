import CalicoAPI
import CalicoDatastore
import CalicoNetlink
import Foundation

extension Lab {
    static let profileKind = ResourceRegistry.kind(named: "profile")!
    static let endpointKind = ResourceRegistry.kind(named: "workloadendpoint")!

    // MARK: Kubernetes namespaces and service accounts

    /// Creates or replaces the Profile `kns.<name>`, as kube-controllers writes it for a
    /// Kubernetes namespace: `labelsToApply` `pcns.projectcalico.org/name: <name>` plus
    /// `pcns.<key>: <value>` per namespace label, ingress and egress `[{action: Allow}]`.
    public func ensureNamespace(_ name: String, labels: [String: String]) async throws {
        try LabTopology.checkName(name, what: "namespace")
        var applied = ["pcns.projectcalico.org/name": name]
        for (k, v) in labels { applied["pcns.\(k)"] = v }
        let profile = Profile(metadata: ObjectMeta(name: "kns.\(name)"),
                              spec: ProfileSpec(ingress: [Rule(action: .allow)], egress: [Rule(action: .allow)], labelsToApply: applied))
        _ = try await datastore().apply(profile)
        try update { $0.kubernetesNamespaces[name] = labels }
    }

    /// Creates or replaces the Profile `ksa.<namespace>.<name>` of a service account:
    /// `labelsToApply` `pcsa.projectcalico.org/name: <name>` plus `pcsa.<key>: <value>` per
    /// label, no rules.
    public func ensureServiceAccount(_ name: String, namespace: String, labels: [String: String] = [:]) async throws {
        try LabTopology.checkName(name, what: "service account")
        var applied = ["pcsa.projectcalico.org/name": name]
        for (k, v) in labels { applied["pcsa.\(k)"] = v }
        let profile = Profile(metadata: ObjectMeta(name: "ksa.\(namespace).\(name)"), spec: ProfileSpec(labelsToApply: applied))
        _ = try await datastore().apply(profile)
    }

    func profileExists(_ name: String) async throws -> Bool {
        do {
            _ = try await datastore().get(Self.profileKind, namespace: nil, name: name)
            return true
        } catch DatastoreError.notFound {
            return false
        }
    }

    // MARK: Pods

    /// Adds a Kubernetes-style pod: a namespace `<prefix>-<name>` networked by the `calico`
    /// CNI plugin (ADD with `K8S_POD_NAMESPACE`/`K8S_POD_NAME`, `labels` in
    /// `args.cni.labels`), then `calico-probe serve` in it. A Kubernetes namespace or service
    /// account not seen before gets its profile (without labels). With a service account the
    /// pod also carries `projectcalico.org/serviceaccount` and its endpoint gets the profiles
    /// `kns.<namespace>`, `ksa.<namespace>.<sa>` and `serviceAccountName`.
    public func addPod(name: String, namespace: String, labels: [String: String],
                       serviceAccount: String? = nil, node: String = LabAddresses.nodeName,
                       annotations: [String: String] = [:]) async throws -> LabPod {
        try LabTopology.checkName(name, what: "pod")
        try LabTopology.checkName(namespace, what: "namespace")
        guard !LabTopology.isReserved(name) else { throw LabError.badName(name, reason: "reserved for the lab's own namespaces") }
        guard self.node(node) != nil else { throw LabError.unknownTarget(node, known: nodes.map(\.name)) }
        let netns = topology.pod(name)
        try update { s in
            guard !s.pods.contains(where: { $0.name == name }), !s.netns.contains(netns) else { throw LabError.podExists(name) }
            s.netns.append(netns)
        }
        do {
            if !(try await profileExists("kns.\(namespace)")) { try await ensureNamespace(namespace, labels: [:]) }
            if let sa = serviceAccount, !(try await profileExists("ksa.\(namespace).\(sa)")) {
                try await ensureServiceAccount(sa, namespace: namespace)
            }
            try topology.addNamespace(netns)
        } catch {
            try? topology.deleteNamespace(netns)
            try? update { $0.netns.removeAll { $0 == netns } }
            throw error
        }
        var cniLabels = labels
        if let sa = serviceAccount { cniLabels["projectcalico.org/serviceaccount"] = sa }
        var pod = LabPod(name: name, namespace: namespace, ip: "", interfaceName: "", netnsName: netns,
                         containerID: Self.newContainerID(), labels: labels, serviceAccount: serviceAccount,
                         endpointName: "", serverPID: nil, node: node)
        do {
            let result = try runCNI("ADD", pod: pod, labels: cniLabels, annotations: annotations)
            guard result.status == 0 else {
                throw LabError.step("CNI ADD of pod \(name) failed (exit \(result.status))", (result.stdout + result.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            (pod.ip, pod.ipv6, pod.interfaceName) = try Self.parseResult(result.stdout)
            pod.endpointName = try await attachEndpoint(pod)
        } catch {
            _ = try? runCNI("DEL", pod: pod, labels: cniLabels)
            try? topology.deleteNamespace(netns)
            try? update { $0.netns.removeAll { $0 == netns } }
            throw error
        }
        try update { $0.pods.append(pod) }
        let pid = try startProbeServer(target: name, netns: netns)
        try update { s in
            if let i = s.pods.firstIndex(where: { $0.name == name }) { s.pods[i].serverPID = pid }
        }
        pod.serverPID = pid
        return pod
    }

    /// Removes a pod: CNI DEL, its server stopped, its namespace deleted. Every step is tried;
    /// the first failure is thrown afterwards.
    public func removePod(_ name: String) async throws {
        guard let pod = pod(name) else { throw LabError.noPod(name) }
        var problems: [String] = []
        do {
            let out = try runCNI("DEL", pod: pod, labels: pod.labels)
            if out.status != 0 { problems.append("CNI DEL of \(name) (exit \(out.status)): \(out.stdout)\(out.stderr)") }
        } catch {
            problems.append("CNI DEL of \(name): \(error)")
        }
        if let pid = pod.serverPID, ProcessControl.isProcess(pid, inNetworkNamespace: LabTopology.path(pod.netnsName)) {
            ProcessControl.stop(pid, grace: .seconds(2))
        }
        for pid in ProcessControl.pids(inNetworkNamespace: LabTopology.path(pod.netnsName)) {
            ProcessControl.stop(pid, grace: .seconds(2))
        }
        do { try topology.deleteNamespace(pod.netnsName) } catch { problems.append("\(error)") }
        try update { s in
            s.pods.removeAll { $0.name == name }
            s.netns.removeAll { $0 == pod.netnsName }
        }
        if !problems.isEmpty { throw LabError.cleanup(problems) }
    }

    /// Looks the pod's WorkloadEndpoint up and, with a service account, adds its profile and
    /// name (get, modify, update with compare-and-swap, retried on conflict). Returns its name.
    func attachEndpoint(_ pod: LabPod) async throws -> String {
        let ds = try datastore()
        for _ in 0..<10 {
            let items = try await ds.list(Self.endpointKind, namespace: pod.namespace).items
            guard var wep = items.compactMap({ $0.resource as? WorkloadEndpoint })
                .first(where: { $0.spec.pod == pod.name && $0.spec.node == pod.node }) else {
                throw LabError.step("pod \(pod.name)", "the CNI plugin wrote no WorkloadEndpoint in namespace \(pod.namespace)")
            }
            guard let sa = pod.serviceAccount else { return wep.name }
            wep.spec.profiles = ["kns.\(pod.namespace)", "ksa.\(pod.namespace).\(sa)"]
            wep.spec.serviceAccountName = sa
            do {
                _ = try await ds.update(wep)
                return wep.name
            } catch DatastoreError.conflict {
                continue
            }
        }
        throw LabError.step("pod \(pod.name)", "the WorkloadEndpoint kept changing while adding the service account")
    }

    /// Runs the `calico` CNI plugin for a pod as a runtime does: in its node's namespace, with
    /// the CNI variables and the network configuration on stdin.
    func runCNI(_ command: String, pod: LabPod, labels: [String: String], annotations: [String: String] = [:]) throws -> CommandOutput {
        guard let n = node(pod.node) else { throw LabError.unknownTarget(pod.node, known: nodes.map(\.name)) }
        let env = [
            "CNI_COMMAND": command, "CNI_CONTAINERID": pod.containerID, "CNI_NETNS": LabTopology.path(pod.netnsName),
            "CNI_IFNAME": "eth0", "CNI_PATH": binDirectory,
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=\(pod.namespace);K8S_POD_NAME=\(pod.name);K8S_POD_INFRA_CONTAINER_ID=\(pod.containerID)",
        ]
        return try CommandRunner.run(inNamespace(n.netnsName, [binary("calico")], environment: env), input: netconf(labels: labels, annotations: annotations, node: n))
    }

    /// The network configuration the lab's "runtime" passes to the plugin on a node. MTU: what
    /// the node's Felix wrote to its MTU file (the plugin would read upstream's fixed path,
    /// which the lab's nodes cannot share), else 1450 (room for VXLAN on the 1500-byte underlay).
    func netconf(labels: [String: String], annotations: [String: String] = [:], node n: LabNode) -> String {
        let written = MTUFile.read(path(n.mtuFile))
        var conf: [String: Any] = [
            "cniVersion": "1.0.0", "name": "k8s-pod-network", "type": "calico",
            "nodename": n.name, "nodename_file": path(n.nodenameFile), "mtu": written ?? 1450,
            "ipam_lock_file": path(n.ipamLock), "log_level": "info",
            "ipam": ["type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": ipv6 ? "true" : "false"],
            "args": ["cni": ["labels": labels.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] }]],
        ]
        if !annotations.isEmpty {
            conf["args"] = ["cni": ["labels": labels.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] },
                                    "annotations": annotations.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] }]]
        }
        let ds = datastoreEnvironment
        if datastoreKind == .etcd {
            conf["datastore_type"] = "etcdv3"
            conf["etcd_endpoints"] = ds["ETCD_ENDPOINTS"] ?? ""
        } else {
            conf["datastore_type"] = "embedded"
            conf["embedded_datastore_path"] = ds["EMBEDDED_DATASTORE_PATH"] ?? embeddedPath
        }
        let data = (try? JSONSerialization.data(withJSONObject: conf, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The pod's IPv4 address, its IPv6 address (if any) and host-side interface from a CNI result.
    static func parseResult(_ stdout: String) throws -> (ip: String, ipv6: String?, hostInterface: String) {
        guard let json = try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw LabError.step("CNI ADD", "the result is not JSON: \(stdout)")
        }
        let ips = (json["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
        guard let v4 = ips.first(where: { !$0.contains(":") }) else { throw LabError.step("CNI ADD", "no IPv4 address in the result: \(stdout)") }
        let interfaces = json["interfaces"] as? [[String: Any]] ?? []
        let host = interfaces.first { ($0["sandbox"] as? String ?? "").isEmpty }?["name"] as? String ?? ""
        let v6 = ips.first { $0.contains(":") }.map { String($0.split(separator: "/")[0]) }
        return (String(v4.split(separator: "/")[0]), v6, host)
    }

    static func newContainerID() -> String {
        (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "").lowercased()
    }
}
