import CoachSpoolCore
import Embeddings
import Foundation
import Hummingbird
import LibPQ
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Spool
import Stages
import Tokenizers

/// `coachspool serve`: the coach app's HTTP API. Logging and feedback (the SQL producer
/// functions' validation and idempotency), search and RAG over the knowledge base, and
/// OpenAI-compatible embeddings from the in-process model; `/ready` and `/metrics` for operators.
public struct APIServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var conninfo: String
        /// Bearer tokens (see `BearerAuth.tokens`).
        public var tokens: [String]
        /// Texts per forward pass of the embedder across concurrent requests.
        public var embedBatchSize = 32
        /// Database connections shared by requests.
        public var connections = 4

        public init(conninfo: String, tokens: [String]) {
            self.conninfo = conninfo
            self.tokens = tokens
        }
    }

    public static func tokens() throws -> [String] { try BearerAuth<BasicRequestContext>.tokens() }

    let configuration: Configuration
    let embedder: any Embedder
    let batcher: EmbeddingBatcher
    let pool: ConnectionPool
    let chat: ChatClient?
    /// Decodes token-id inputs of `/v1/embeddings` (nil without the ranks file).
    let cl100k: CL100K?

    public init(configuration: Configuration, embedder: any Embedder, chat: ChatClient?, cl100k: CL100K? = nil) {
        self.configuration = configuration
        self.embedder = embedder
        self.batcher = EmbeddingBatcher(embedder: embedder, maxBatch: configuration.embedBatchSize)
        self.pool = ConnectionPool(conninfo: configuration.conninfo, size: configuration.connections)
        self.chat = chat
        self.cl100k = cl100k
    }

    /// The HTTP service for the process's ServiceGroup; `onListening` gets the bound port.
    public func service(registry: PrometheusCollectorRegistry?, logger: Logger, onListening: @escaping @Sendable (Int) -> Void) -> some Service {
        let router = Router()
        router.add(middleware: BearerAuth(tokens: configuration.tokens))
        router.add(middleware: RequestMetrics())
        let pool = self.pool
        router.get("ready") { _, _ -> Response in
            let ready = await pool.isReachable()
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "no database connection\n")))
        }
        if let registry {
            router.get("metrics") { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: { var text: [UInt8] = []; registry.emit(into: &text); return text }())))
            }
        }
        router.post("v1/embeddings") { request, _ in try await handled { try await embeddings(request) } }
        router.post("v1/search") { request, _ in try await handled { try await search(request) } }
        router.post("v1/rag") { request, _ in try await handled { try await rag(request) } }
        router.post("v1/recall") { request, _ in try await handled { try await recall(request) } }
        router.post("v1/interactions") { request, _ in try await handled { try await logInteraction(request) } }
        router.post("v1/feedback") { request, _ in try await handled { try await logFeedback(request) } }
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .notice)  // no line per request
        return Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
            logger: serverLogger)
    }

    /// API errors as their JSON answers; a database refusal of bad input as 400 naming the
    /// argument; anything else as 500 with a message that quotes no data.
    private func handled(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return error.response
        } catch let error as PGError where error.sqlState == "22023" {
            // The producer functions name the argument ("p_ai_response: expected a non-empty
            // string"); the API's fields are the same names without the prefix.
            let message = error.message.replacingOccurrences(of: "p_", with: "")
            let field = message.split(separator: ":").first.map(String.init)
            return APIError(status: .badRequest, message: message, param: field, code: nil).response
        } catch let error as PGError where error.sqlState == "23503" {
            return APIError(status: .notFound, message: error.message, param: nil, code: nil).response
        } catch let error as CoachSpoolError where error.code == .input {
            return APIError(status: .badRequest, message: error.description, param: nil, code: nil).response
        } catch {
            return APIError(status: .internalServerError, message: "\(error)", param: nil, code: nil).response
        }
    }
}
