import CalicoAPI
import Foundation
import Testing
@testable import CalicoCNI

/// Pure parts of the plugin: no kernel, no datastore.
@Suite("CNI netconf, arguments, identifiers and result formats")
struct NetConfTests {
    func decode(_ json: String) throws(CNIError) -> NetConf { try NetConf.decode(Data(json.utf8)) }

    /// Regression (issue 10): stdin was read without a bound.
    @Test("a network configuration over 16 MiB is refused")
    func oversizedConfigurationIsRefused() {
        // Valid JSON, padded with whitespace past the limit.
        var big = Data(repeating: 0x20, count: NetConf.maxSize)
        big.append(Data(#"{"cniVersion": "1.0.0", "name": "n", "type": "calico"}"#.utf8))
        do {
            _ = try NetConf.decode(big)
            Issue.record("an oversized configuration was accepted")
        } catch {
            #expect(error.details.contains("16 MiB"), "\(error)")
        }
    }

    @Test("upstream keys, string flags, unknown keys ignored")
    func decodesUpstreamKeys() throws {
        let c = try decode("""
            {"cniVersion":"0.3.1","name":"k8s-pod-network","type":"calico","datastore_type":"etcdv3",
             "etcd_endpoints":"http://10.0.0.1:2379","etcd_key_file":"/k","etcd_cert_file":"/c","etcd_ca_cert_file":"/ca",
             "nodename":"n1","nodename_file_optional":true,"mtu":1440,"log_level":"debug","ipam_lock_file":"/tmp/x.lock",
             "ipam":{"type":"calico-ipam","assign_ipv4":"false","assign_ipv6":"true","ipv4_pools":["p1"],"ipv6_pools":["fd00::/48"]},
             "policy":{"type":"k8s"},"container_settings":{"allow_ip_forwarding":true},
             "kubernetes":{"kubeconfig":"/etc/cni/net.d/calico-kubeconfig"},"something_new":{"x":1},
             "args":{"cni":{"labels":[{"key":"app","value":"web"},{"key":"tier","value":""}]}}}
            """)
        #expect(c.cniVersion == "0.3.1" && c.name == "k8s-pod-network" && c.type == "calico")
        #expect(c.datastoreType == "etcdv3" && c.etcdEndpoints == "http://10.0.0.1:2379")
        #expect(c.etcdKeyFile == "/k" && c.etcdCertFile == "/c" && c.etcdCACertFile == "/ca")
        #expect(c.nodename == "n1" && c.nodenameFileOptional && c.mtu == 1440 && c.logLevel == "debug")
        #expect(c.ipamLockFile == "/tmp/x.lock")
        #expect(c.ipam == NetConf.IPAM(type: "calico-ipam", assignIPv4: false, assignIPv6: true, ipv4Pools: ["p1"], ipv6Pools: ["fd00::/48"]))
        #expect(c.policyType == "k8s" && c.allowIPForwarding)
        #expect(c.labels == ["app": "web", "tier": ""])
    }

    @Test("defaults: lock file, nodename file, IPv4 only")
    func defaults() throws {
        let c = try decode(#"{"cniVersion":"1.0.0","name":"net","type":"calico","ipam":{"type":"calico-ipam"}}"#)
        #expect(c.ipamLockFile == "/var/run/calico/ipam.lock" && c.nodenameFile == "/var/lib/calico/nodename")
        #expect(c.ipam.assignIPv4 && !c.ipam.assignIPv6 && c.mtu == 0 && c.policyType == nil)
    }

    @Test("Mesos label args")
    func mesosLabels() throws {
        let c = try decode(#"{"cniVersion":"1.0.0","name":"n","args":{"org.apache.mesos":{"network_info":{"labels":{"labels":[{"key":"k","value":"v"}]}}}}}"#)
        #expect(c.labels == ["k": "v"])
    }

    @Test("QoS at creation: args.cni.annotations, and the bandwidth capability as QoS annotations (explicit ones win)")
    func annotationsAndBandwidth() throws {
        let c = try decode(#"{"cniVersion":"1.0.0","name":"n","args":{"cni":{"annotations":[{"key":"qos.projectcalico.org/dscp","value":"EF"},{"key":"qos.projectcalico.org/egressBandwidth","value":"5M"}]}},"runtimeConfig":{"bandwidth":{"ingressRate":100000000,"ingressBurst":4000000000,"egressRate":10000000}}}"#)
        #expect(c.annotations == ["qos.projectcalico.org/dscp": "EF", "qos.projectcalico.org/egressBandwidth": "5M",
                                  "qos.projectcalico.org/ingressBandwidth": "100000000", "qos.projectcalico.org/ingressBurst": "4000000000"])
        #expect(throws: CNIError.self) { try decode(#"{"cniVersion":"1.0.0","name":"n","runtimeConfig":{"bandwidth":{"ingressRate":"fast"}}}"#) }
    }

    @Test("errors: malformed JSON 6, unsupported version 1, wrong types 7")
    func errors() {
        #expect(throws: CNIError.self) { try decode("{") }
        #expect((try? decode("[1]")) == nil)
        for (json, code, word) in [
            ("{", 6, "JSON"),
            (#"{"cniVersion":"1.1.0","name":"n"}"#, 1, "1.1.0"),
            (#"{"name":"n"}"#, 1, "0.2.0"),
            (#"{"cniVersion":"1.0.0"}"#, 7, "name"),
            (#"{"cniVersion":"1.0.0","name":"n","mtu":"1500"}"#, 7, "mtu"),
            (#"{"cniVersion":"1.0.0","name":"n","mtu":1.5}"#, 7, "mtu"),
            (#"{"cniVersion":"1.0.0","name":"n","ipam":{"assign_ipv6":"yes"}}"#, 7, "ipam.assign_ipv6"),
            (#"{"cniVersion":"1.0.0","name":"n","ipam":{"ipv4_pools":"p"}}"#, 7, "ipv4_pools"),
            (#"{"cniVersion":"1.0.0","name":"n","datastore_type":"kubernetes"}"#, 7, "kubernetes"),
            (#"{"cniVersion":"1.0.0","name":"n","ipam":{"type":"calico-ipam","assign_ipv4":"false"}}"#, 7, "assign_ipv6"),
        ] {
            do {
                _ = try decode(json)
                Issue.record("\(json) should fail")
            } catch {
                #expect(error.code == code, "\(json): \(error)")
                #expect(error.description.contains(word), "\(json): \(error)")
            }
        }
    }

    @Test("CNI_ARGS: pairs, IgnoreUnknown, pod identity, IP=")
    func cniArgs() throws {
        let a = try CNIArgs("IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc;IP=10.0.0.5")
        #expect(a.isKubernetesPod && a.podNamespace == "ns1" && a.podName == "web-0" && a.requestedIPs == ["10.0.0.5"])
        let plain = try CNIArgs("K8S_POD_NAMESPACE=ns1")
        #expect(!plain.isKubernetesPod)
        #expect(try CNIArgs("").values.isEmpty)
        #expect(throws: CNIError.self) { try CNIArgs("JUSTAKEY") }
        #expect(throws: CNIError.self) { try CNIArgs("=v") }
    }

    @Test("environment: required variables per command, container ID and interface name rules")
    func environment() throws {
        let base = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "abc", "CNI_NETNS": "/x", "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin"]
        #expect(try CNIEnvironment(base).command == .add)
        var del = base
        del["CNI_COMMAND"] = "DEL"
        del["CNI_NETNS"] = nil
        #expect(try CNIEnvironment(del).command == .del)
        for (key, value, word) in [("CNI_NETNS", nil, "CNI_NETNS"), ("CNI_COMMAND", "NOPE", "NOPE"), ("CNI_COMMAND", nil, "CNI_COMMAND"),
                                   ("CNI_CONTAINERID", "-x", "CNI_CONTAINERID"), ("CNI_IFNAME", "averyveryverylongname", "CNI_IFNAME"),
                                   ("CNI_IFNAME", "a/b", "CNI_IFNAME"), ("CNI_PATH", nil, "CNI_PATH")] as [(String, String?, String)] {
            var env = base
            env[key] = value
            do {
                _ = try CNIEnvironment(env)
                Issue.record("\(key)=\(value ?? "nil") should fail")
            } catch {
                #expect(error.code == 4 && error.description.contains(word), "\(error)")
            }
        }
        #expect(try CNIEnvironment(["CNI_COMMAND": "VERSION"]).command == .version)
    }

    @Test("identifiers match upstream's vectors")
    func identifiers() {
        #expect(Identifiers.hostVethName(namespace: "namespace", pod: "podname", containerID: "x", ifname: "eth0") == "cali82111e10a96")
        #expect(Identifiers.hostVethName(namespace: "default", pod: "nginx", containerID: "x", ifname: "eth0") == "calic440f455693")
        // Plain CNI: SHA-1 of "<containerID>:<ifname>", so shared ID prefixes and several
        // interfaces of one container never share a name.
        #expect(Identifiers.hostVethName(namespace: nil, pod: nil, containerID: "0123456789abcdef", ifname: "eth0") == "calid28c9c52c92")
        #expect(Identifiers.hostVethName(namespace: nil, pod: nil, containerID: "0123456789abcdef", ifname: "net1") == "cali1b0b6f929ff")
        #expect(Identifiers.hostVethName(namespace: nil, pod: nil, containerID: "abcdef0123456-first", ifname: "eth0")
            != Identifiers.hostVethName(namespace: nil, pod: nil, containerID: "abcdef0123456-second", ifname: "eth0"))
        #expect(Identifiers.workloadEndpointName(node: "ip-10-0-0-1", orchestrator: "k8s", workload: "web-0", endpoint: "eth0")
            == "ip--10--0--0--1-k8s-web--0-eth0")
        #expect(Identifiers.handle(network: "k8s-pod-network", containerID: "3f2a") == "k8s-pod-network.3f2a")
        #expect(SHA1.hash(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined() == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hash(Array(String(repeating: "a", count: 1000).utf8)).count == 20)
    }

    @Test("result JSON per version; error and VERSION JSON")
    func resultShapes() throws {
        let r = CNIResult(interfaces: [.init(name: "cali123"), .init(name: "eth0", mac: "aa:bb:cc:dd:ee:ff", mtu: 1450, sandbox: "/var/run/netns/x")],
                          ips: [.init(address: IPNet("10.244.1.2/32")!, interface: 1), .init(address: IPNet("fd00::5/128")!, interface: 1)])
        func parse(_ s: String) throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any]) }
        let v1 = try parse(r.json(version: "1.0.0"))
        #expect(v1["cniVersion"] as? String == "1.0.0" && (v1["dns"] as? [String: Any])?.isEmpty == true)
        let ips1 = v1["ips"] as? [[String: Any]] ?? []
        #expect(ips1.map { $0["address"] as? String } == ["10.244.1.2/32", "fd00::5/128"] && ips1.allSatisfy { $0["version"] == nil })
        #expect((v1["interfaces"] as? [[String: Any]])?.last?["mtu"] as? Int == 1450)
        for version in ["0.3.0", "0.3.1", "0.4.0"] {
            let o = try parse(r.json(version: version))
            #expect((o["ips"] as? [[String: Any]])?.map { $0["version"] as? String } == ["4", "6"])
            #expect((o["ips"] as? [[String: Any]])?.first?["interface"] as? Int == 1)
        }
        #expect(r.json(version: "1.0.0").hasPrefix(#"{"cniVersion":"1.0.0""#))
        let e = try parse(CNIError(7, "bad \"x\"", details: "d").json(cniVersion: "0.4.0"))
        #expect(e["code"] as? Int == 7 && e["msg"] as? String == "bad \"x\"" && e["details"] as? String == "d" && e["cniVersion"] as? String == "0.4.0")
        let v = try parse(CNIVersionInfo.json())
        #expect(v["supportedVersions"] as? [String] == ["0.3.0", "0.3.1", "0.4.0", "1.0.0"])
        #expect(CNIResult.addresses(inResultJSON: Data(#"{"ip4":{"ip":"10.1.2.3/24"}}"#.utf8)) == [IPNet("10.1.2.3/24")!])
        #expect(CNIResult.addresses(inResultJSON: Data(#"{"ips":[{"address":"10.1.2.3/24"}]}"#.utf8)) == [IPNet("10.1.2.3/24")!])
    }

    @Test("IPAM timestamps in Go's time.String() form")
    func timestamp() {
        let t = CalicoIPAMPlugin.goTimestamp(Date(timeIntervalSince1970: 1_700_000_000.5))
        #expect(t == "2023-11-14 22:13:20.5 +0000 UTC")
        #expect(CalicoIPAMPlugin.goTimestamp(Date(timeIntervalSince1970: 1_700_000_000)) == "2023-11-14 22:13:20 +0000 UTC")
        #expect(CalicoIPAMPlugin.goTimestamp(Date(timeIntervalSince1970: 951_782_400.25)) == "2000-02-29 00:00:00.25 +0000 UTC")
        // The endpoint's creationTimestamp: what the datastore's ISO8601DateFormatter writes.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        for t in [0.0, 951_782_400, 1_700_000_000.5, 1_799_999_999.999] {
            let date = Date(timeIntervalSince1970: t)
            #expect(UTCTime.rfc3339(date) == formatter.string(from: date), "\(t)")
        }
    }

    @Test("VERSION needs no stdin; unknown commands are code 4", arguments: [CNIPlugin.Kind.calico, .calicoIPAM])
    func versionCommand(kind: CNIPlugin.Kind) async {
        let v = await CNIPlugin.run(kind, environment: ["CNI_COMMAND": "VERSION"], stdin: { Data() })
        #expect(v.exitCode == 0 && v.stdout.contains("supportedVersions"))
        let bad = await CNIPlugin.run(kind, environment: ["CNI_COMMAND": "STATUS"], stdin: { Data() })
        #expect(bad.exitCode == 1 && bad.stdout.contains("\"code\":4"))
    }
}
