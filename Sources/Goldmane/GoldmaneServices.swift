import GoldmaneAPI
import GRPCCore

/// `goldmane.Flows`: List, Stream and FilterHints over the aggregator.
public struct FlowsService: Goldmane_Flows.SimpleServiceProtocol {
    let aggregator: FlowAggregator

    public init(aggregator: FlowAggregator) { self.aggregator = aggregator }

    public func list(request: Goldmane_FlowListRequest, context: ServerContext) async throws -> Goldmane_FlowListResult {
        do { return try await aggregator.list(request) } catch { throw RPCError(code: .unknown, message: error.description) }
    }

    public func filterHints(request: Goldmane_FilterHintsRequest, context: ServerContext) async throws -> Goldmane_FilterHintsResult {
        do { return try await aggregator.hints(request) } catch { throw RPCError(code: .unknown, message: error.description) }
    }

    public func stream(request: Goldmane_FlowStreamRequest, response: RPCWriter<Goldmane_FlowResult>, context: ServerContext) async throws {
        guard let (id, results) = await aggregator.openStream(request) else {
            throw RPCError(code: .unknown, message: "failed to establish new stream")
        }
        // A client that goes away (or a server shutting down) cancels the RPC: the stream is
        // closed, which ends the loop.
        let aggregator = self.aggregator
        do {
            try await withRPCCancellationHandler {
                for await r in results { try await response.write(r) }
            } onCancelRPC: {
                Task { await aggregator.closeStream(id) }
            }
            await aggregator.closeStream(id)
        } catch {
            await aggregator.closeStream(id)
            throw error
        }
    }
}

/// `goldmane.FlowCollector`: Felix pushes flows; one empty receipt per update, written as soon
/// as the flow is queued (or dropped for a full queue), never after the aggregator.
public struct FlowCollectorService: Goldmane_FlowCollector.SimpleServiceProtocol {
    let queue: IngestQueue

    public init(queue: IngestQueue) { self.queue = queue }

    public func connect(request: RPCAsyncSequence<Goldmane_FlowUpdate, any Error>, response: RPCWriter<Goldmane_FlowReceipt>,
                        context: ServerContext) async throws {
        let scope = context.remotePeer
        for try await update in request {
            queue.offer(update.flow, scope: scope)
            try await response.write(Goldmane_FlowReceipt())
        }
    }
}

/// `goldmane.Statistics`: per policy or rule; with nothing to report, one empty result and
/// then NotFound, as upstream.
public struct StatisticsService: Goldmane_Statistics.SimpleServiceProtocol {
    let aggregator: FlowAggregator

    public init(aggregator: FlowAggregator) { self.aggregator = aggregator }

    public func list(request: Goldmane_StatisticsRequest, response: RPCWriter<Goldmane_StatisticsResult>, context: ServerContext) async throws {
        let results: [Goldmane_StatisticsResult]
        do { results = try await aggregator.statistics(request) } catch { throw RPCError(code: .unknown, message: error.description) }
        if results.isEmpty {
            try await response.write(Goldmane_StatisticsResult())
            throw RPCError(code: .notFound, message: "no statistics found for the given request")
        }
        for r in results { try await response.write(r) }
    }
}
