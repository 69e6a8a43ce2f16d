import Foundation
import Goldmane
import GoldmaneAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOHTTP1
import NIOPosix

/// The whisker process: upstream's whisker-backend API (`/whisker-backend/flows`, list or a
/// server-sent event stream with `watch=true`, and `/whisker-backend/flows-filter-hints`; also
/// without the prefix) and the web UI at `/`, on one HTTP/1.1 port, over a gRPC client of
/// Goldmane.
public enum WhiskerServer {
    public static func log(_ level: String, _ message: String) {
        FileHandle.standardError.write(Data("\(ISO8601DateFormatter().string(from: Date())) [\(level)] whisker: \(message)\n".utf8))
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// Serves until the process ends; `ready` gets the bound port.
    public static func run(_ config: WhiskerConfig, ready: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let ui = UIFiles(directory: config.uiDirectory)
        try await withGRPCClient(transport: try config.goldmaneTransport()) { client in
            let flows = Goldmane_Flows.Client(wrapping: client)
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: config.host.isEmpty ? "0.0.0.0" : config.host, port: config.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
            let port = server.channel.localAddress?.port ?? config.port
            log("INFO", "serving the UI and the API on \(config.host.isEmpty ? "*" : config.host):\(port), Goldmane at \(config.goldmaneHost):\(config.goldmanePort)")
            ready(port)
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await serve(connection, flows: flows, ui: ui) }
                    }
                }
            }
        }
    }

    /// One connection: one request, answered, then closed (an event stream until either end goes).
    static func serve(_ connection: Connection, flows: Goldmane_Flows.Client<HTTP2ClientTransport.Posix>, ui: UIFiles) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let h): head = h
                case .body: break
                case .end:
                    guard let h = head else { return }
                    try await answer(h, outbound, flows: flows, ui: ui)
                    return
                }
            }
        }
    }

    static func answer(_ head: HTTPRequestHead, _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
                       flows: Goldmane_Flows.Client<HTTP2ClientTransport.Posix>, ui: UIFiles) async throws {
        let components = URLComponents(string: head.uri)
        let path = components?.path ?? "/"
        var query: [String: [String]] = [:]
        for item in components?.queryItems ?? [] { query[item.name, default: []].append(item.value ?? "") }
        guard head.method == .GET || head.method == .HEAD else {
            return try await send(out, status: .methodNotAllowed, type: "application/json", body: WhiskerJSON.encode(["error": "method not allowed"]))
        }
        let api = path.hasPrefix("/whisker-backend/") ? String(path.dropFirst("/whisker-backend".count)) : path
        do {
            switch api {
            case "/flows":
                let request = try WhiskerRequests.flows(query)
                if query["watch"]?.last == "true" {
                    try await stream(out, flows: flows, request: request)
                } else {
                    let body: String
                    do {
                        let r = try await flows.list(request.list)
                        body = WhiskerJSON.encode(["total": ["totalPages": r.meta.totalPages], "items": r.flows.isEmpty ? NSNull() : r.flows.map { WhiskerJSON.flow($0.flow) }] as [String: Any])
                    } catch {
                        log("ERROR", "Goldmane List: \(error)")
                        // Upstream's quirk: the status stays 200.
                        body = WhiskerJSON.encode(["error": "Internal Server Error"])
                    }
                    try await send(out, status: .ok, type: "application/json", body: body)
                }
            case "/flows-filter-hints":
                let request = try WhiskerRequests.hints(query)
                let body: String
                do {
                    var values: [String]
                    var pages: Int64
                    if let (all, search) = WhiskerRequests.policySearch(request, filters: query["filters"]?.last) {
                        let found = try await flows.filterHints(all).hints.map(\.value).filter { $0.contains(search) }
                        let page = Paging.page(found, page: request.page, size: request.pageSize)
                        (values, pages) = (page.items, page.totalPages)
                    } else {
                        let r = try await flows.filterHints(request)
                        (values, pages) = (r.hints.map(\.value), r.meta.totalPages)
                    }
                    body = WhiskerJSON.encode(["total": ["totalPages": pages],
                                               "items": values.map { ["value": WhiskerJSON.hintValue($0, type: request.type)] }] as [String: Any])
                } catch {
                    log("ERROR", "Goldmane FilterHints: \(error)")
                    body = WhiskerJSON.encode(["error": "Internal Server Error"])
                }
                try await send(out, status: .ok, type: "application/json", body: body)
            default:
                if let file = ui.file(path) {
                    try await send(out, status: .ok, type: file.type, body: file.body, head: head.method == .HEAD)
                } else {
                    try await send(out, status: .notFound, type: "application/json", body: WhiskerJSON.encode(["error": "not found"]))
                }
            }
        } catch let bad as WhiskerJSON.BadRequest {
            try await send(out, status: .badRequest, type: "application/json", body: WhiskerJSON.encode(["error": bad.description]))
        }
    }

    static func send(_ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, status: HTTPResponseStatus, type: String, body: String,
                     head onlyHead: Bool = false) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        try await out.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
        if !onlyHead { try await out.write(.body(.byteBuffer(ByteBuffer(string: body)))) }
        try await out.write(.end(nil))
    }

    /// `watch=true`: an event stream, one `data: <flow JSON>` event per flow, headers sent at once.
    static func stream(_ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, flows: Goldmane_Flows.Client<HTTP2ClientTransport.Posix>,
                       request: WhiskerRequests.Flows) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "Connection", value: "keep-alive")
        try await out.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        do {
            try await flows.stream(request.stream) { response in
                for try await r in response.messages {
                    try await out.write(.body(.byteBuffer(ByteBuffer(string: "data: \(WhiskerJSON.encode(WhiskerJSON.flow(r.flow)))\n\n"))))
                }
            }
        } catch {
            log("INFO", "flow stream ended: \(error)")
        }
        try? await out.write(.end(nil))
    }
}

/// The web UI's files: from `WHISKER_UI_DIR`, else the bundled ones.
struct UIFiles: Sendable {
    let directory: String?

    init(directory: String?) {
        self.directory = directory ?? Bundle.module.resourcePath.map { $0 + "/ui" }
    }

    static let types = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "application/javascript; charset=utf-8"]

    func file(_ path: String) -> (type: String, body: String)? {
        let name = path == "/" || path.isEmpty ? "index.html" : String(path.dropFirst())
        guard let dir = directory, !name.contains(".."), !name.contains("/"),
              let type = Self.types[(name as NSString).pathExtension],
              let body = try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) else { return nil }
        return (type, body)
    }
}
