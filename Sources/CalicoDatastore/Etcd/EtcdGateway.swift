import Foundation

// Request and response shapes of etcd's JSON gRPC gateway (etcd 3.4, `/v3/...`). Field
// names are the proto names; keys and values are base64; int64 fields travel as strings;
// fields at their zero value are left out of responses.

enum EtcdGateway {
    // An int64 field: written as a JSON string, read from a string or a number.
    struct I64: Codable, Sendable, Equatable {
        var value: Int64

        init(_ value: Int64) { self.value = value }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                guard let value = Int64(text) else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an int64: \(text)")
                }
                self.value = value
            } else {
                value = try container.decode(Int64.self)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(String(value))
        }
    }

    static func encode(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func bytes(_ base64: String?) -> [UInt8] {
        guard let base64, !base64.isEmpty, let data = Data(base64Encoded: base64) else { return [] }
        return [UInt8](data)
    }

    static func string(_ base64: String?) -> String { String(decoding: bytes(base64), as: UTF8.self) }

    // The base64 key and range end selecting every key that starts with `prefix`
    // (clientv3's `GetPrefixRangeEnd`; the empty prefix selects all keys).
    static func prefixRange(_ prefix: String) -> (key: String, rangeEnd: String) {
        var end = Array(prefix.utf8)
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return (encode(prefix), encode(end))
            }
            end.removeLast()
        }
        // No upper bound: from the smallest key ("\0") to the end ("\0" means "all").
        return (encode([0]), encode([0]))
    }

    // MARK: KV requests

    struct RangeRequest: Encodable, Sendable {
        var key: String
        var range_end: String?
        var limit: I64?
        var revision: I64?
        var count_only: Bool?
    }

    struct PutRequest: Encodable, Sendable {
        var key: String
        var value: String
        var prev_kv: Bool?
    }

    struct DeleteRangeRequest: Encodable, Sendable {
        var key: String
        var prev_kv: Bool?
    }

    struct Compare: Encodable, Sendable {
        var key: String
        // "CREATE" or "MOD".
        var target: String
        // "EQUAL", "GREATER", "LESS".
        var result: String
        var create_revision: I64?
        var mod_revision: I64?
    }

    struct RequestOp: Encodable, Sendable {
        var request_range: RangeRequest?
        var request_put: PutRequest?
        var request_delete_range: DeleteRangeRequest?
    }

    struct TxnRequest: Encodable, Sendable {
        var compare: [Compare]
        var success: [RequestOp]
        var failure: [RequestOp]
    }

    struct CompactionRequest: Encodable, Sendable {
        var revision: I64
        var physical: Bool
    }

    struct StatusRequest: Encodable, Sendable {}

    struct AuthenticateRequest: Encodable, Sendable {
        var name: String
        var password: String
    }

    // MARK: KV responses

    struct ResponseHeader: Decodable, Sendable {
        var revision: I64?
    }

    struct KeyValue: Decodable, Sendable {
        var key: String?
        var create_revision: I64?
        var mod_revision: I64?
        var value: String?

        var pair: KVPair {
            KVPair(key: EtcdGateway.string(key), value: EtcdGateway.bytes(value),
                   createRevision: create_revision?.value ?? 0, modRevision: mod_revision?.value ?? 0)
        }
    }

    struct RangeResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var kvs: [KeyValue]?
        var more: Bool?
    }

    struct PutResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var prev_kv: KeyValue?
    }

    struct DeleteRangeResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var prev_kvs: [KeyValue]?
    }

    struct ResponseOp: Decodable, Sendable {
        var response_range: RangeResponse?
        var response_put: PutResponse?
        var response_delete_range: DeleteRangeResponse?
    }

    struct TxnResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var succeeded: Bool?
        var responses: [ResponseOp]?
    }

    struct HeaderOnlyResponse: Decodable, Sendable {
        var header: ResponseHeader?
    }

    struct AuthenticateResponse: Decodable, Sendable {
        var token: String?
    }

    // The body of a non-200 answer.
    struct ErrorResponse: Decodable, Sendable {
        var error: String?
        var message: String?
        var code: Int?
    }

    // MARK: Watch

    struct WatchCreateRequest: Encodable, Sendable {
        var key: String
        var range_end: String
        var start_revision: I64
    }

    struct WatchRequest: Encodable, Sendable {
        var create_request: WatchCreateRequest
    }

    struct Event: Decodable, Sendable {
        // Absent for PUT (the zero value); "DELETE" for deletes.
        var type: String?
        var kv: KeyValue?
    }

    struct WatchResult: Decodable, Sendable {
        var header: ResponseHeader?
        var created: Bool?
        var canceled: Bool?
        var compact_revision: I64?
        var cancel_reason: String?
        var events: [Event]?
    }

    // An error ending a stream.
    struct StreamError: Decodable, Sendable {
        var grpc_code: Int?
        var http_code: Int?
        var message: String?
    }

    // One message of the `/v3/watch` stream.
    struct WatchMessage: Decodable, Sendable {
        var result: WatchResult?
        var error: StreamError?
    }

    // gRPC status codes the store acts on.
    static let codeInvalidArgument = 3
    static let codeOutOfRange = 11
    static let codeUnavailable = 14
    static let codeUnauthenticated = 16
}

// Splits a byte stream into the top-level JSON objects it carries (the watch stream is a
// sequence of objects, whatever the chunking).
struct JSONObjectSplitter {
    private var buffer: [UInt8] = []
    private var scanned = 0
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var objectStart: Int?

    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var objects: [[UInt8]] = []
        var consumed = 0
        while scanned < buffer.count {
            let byte = buffer[scanned]
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") {
                if depth == 0 { objectStart = scanned }
                depth += 1
            } else if byte == UInt8(ascii: "}"), depth > 0 {
                depth -= 1
                if depth == 0, let start = objectStart {
                    objects.append(Array(buffer[start...scanned]))
                    objectStart = nil
                    consumed = scanned + 1
                }
            } else if depth == 0 {
                consumed = scanned + 1  // whitespace between objects
            }
            scanned += 1
        }
        if consumed > 0 {
            buffer.removeFirst(consumed)
            scanned -= consumed
            if let start = objectStart { objectStart = start - consumed }
        }
        return objects
    }
}
