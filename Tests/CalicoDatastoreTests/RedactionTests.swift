import Foundation
import Testing
@testable import CalicoDatastore

/// Credentials in endpoint URLs stay out of every message.
@Suite struct RedactionTests {
    @Test("userinfo is stripped from URLs in running text, nothing else changes")
    func stripUserInfo() {
        let cases: [(String, String)] = [
            ("http://user:pass@host:2379", "http://host:2379"),
            ("datastore at http://alice:s3cr3t@10.0.0.1:2379,https://bob@[fd00::1]:2379 is not reachable",
             "datastore at http://10.0.0.1:2379,https://[fd00::1]:2379 is not reachable"),
            ("https://u:p/w#x@h:1/v3/kv/range: refused", "https://h:1/v3/kv/range: refused"),
            ("{\"msg\":\"etcd at http://a:b@h:1: no\"}", "{\"msg\":\"etcd at http://h:1: no\"}"),
            ("http://host:2379 and mail me at x@example.com", "http://host:2379 and mail me at x@example.com"),
            ("no urls here", "no urls here"),
            ("", ""),
        ]
        for (input, want) in cases {
            #expect(Redaction.stripUserInfo(input) == want, "\(input)")
        }
        #expect(Redaction.endpoint("user:pw@10.0.0.1:2379") == "10.0.0.1:2379")
        #expect(Redaction.endpoint("10.0.0.1:2379") == "10.0.0.1:2379")
        #expect(Redaction.endpoint("https://user:pw@10.0.0.1:2379") == "https://10.0.0.1:2379")
    }

    @Test("KVError, DatastoreError, EtcdError and the configured endpoint describe themselves without credentials")
    func errorsAndConfig() throws {
        let url = "http://alice:s3cr3t@127.0.0.1:2379"
        let texts = [
            "\(KVError.unavailable(endpoint: url, reason: "\(url): refused"))",
            "\(KVError.corrupt("etcd at \(url): odd answer"))",
            "\(DatastoreError.unavailable(endpoint: url, reason: "refused"))",
            "\(DatastoreError.corrupt("etcd at \(url): odd answer"))",
            "\(EtcdError(endpoint: url, code: 3, message: "bad"))",
            try DatastoreConfig.load(configPath: nil, environment: ["ETCD_ENDPOINTS": url + ",bob:pw@10.0.0.2:2379"])
                .endpointDescription,
        ]
        for text in texts {
            #expect(text.contains("127.0.0.1:2379"), "\(text)")
            #expect(!text.contains("s3cr3t") && !text.contains("alice") && !text.contains("bob") && !text.contains(":pw"), "\(text)")
        }
        #expect(EtcdStore(endpoints: [url]).endpoint == "http://127.0.0.1:2379")
    }
}
