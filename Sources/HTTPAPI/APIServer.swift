import CoachSpoolCore
import Embeddings
import Foundation
import Hummingbird
import LibPQ
import Logging
import Metrics
import MetricsEndpoint
import Prometheus
import Review
import ServiceLifecycle
import Spool
import Stages
import Tokenizers

/// `coachspool serve`: the coach app's HTTP API. Logging, feedback and consent (the SQL producer
/// functions' validation and idempotency), search and RAG over the knowledge base, and
/// OpenAI-compatible embeddings from the in-process model; `/ready` and `/metrics` for operators.
public struct APIServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var conninfo: String
        /// The API's and the reviewers' tokens.
        public var credentials: Credentials
        /// Texts per forward pass of the embedder across concurrent requests.
        public var embedBatchSize = 32
        /// Model tokens waiting to be embedded, all requests together; a request that would go
        /// over gets 503 with Retry-After instead of a place in a queue of minutes.
        public var maxQueuedTokens = 4 * InputLimits.embeddingTokensPerRequest
        /// Database connections shared by requests.
        public var connections = 4
        /// Idle, header, body and shutdown timeouts (see `ServerLimits`).
        public var limits = ServerLimits()

        public init(conninfo: String, credentials: Credentials) {
            self.conninfo = conninfo
            self.credentials = credentials
        }
    }

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
        self.batcher = EmbeddingBatcher(embedder: embedder, maxBatch: configuration.embedBatchSize, maxQueuedTokens: configuration.maxQueuedTokens)
        self.pool = ConnectionPool(conninfo: configuration.conninfo, size: configuration.connections)
        self.chat = chat
        self.cl100k = cl100k
    }

    /// The HTTP service for the process's ServiceGroup; `onListening` gets the bound port.
    public func service(registry: PrometheusCollectorRegistry?, logger: Logger, onListening: @escaping @Sendable (Int) -> Void) -> some Service {
        let router = Router()
        // Outermost: refusals (401, 404, 405, 413) are logged and counted like every request.
        router.add(middleware: RequestLog(logger: logger))
        router.add(middleware: BearerAuth(credentials: configuration.credentials))
        let pool = self.pool
        MetricsEndpoint.addRoutes(to: router, registry: registry) { await pool.isReachable() }
        let handlers: [(APIRoute, @Sendable (Request) async throws -> Response)] = [
            (.embeddings, embeddings), (.search, search), (.rag, rag), (.recall, recall),
            (.interactions, logInteraction), (.feedback, logFeedback), (.consent, setConsent),
            (.reviewNext, reviewNext), (.reviewQueue, reviewQueue), (.review, review),
        ]
        for (route, body) in handlers {
            router.on(RouterPath(route.routerPath), method: route.method) { request, context in
                try await handled(requestID: context.id, logger: logger) { try await body(request) }
            }
        }
        addConsoleRoutes(to: router, logger: logger)
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .notice)  // no line per request
        let application = Application(
            router: router, server: configuration.limits.server(logger: serverLogger),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
            logger: serverLogger)
        return configuration.limits.bounding(application, logger: logger)
    }

    /// API errors as their JSON answers; a database refusal of bad input as 400 naming the
    /// argument; anything else as 500 (503 while the database is away) quoting nothing of the
    /// request, logged with the request id and the error's kind (never its text, which may quote
    /// a value).
    private func handled(requestID: String, logger: Logger, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return error.response(requestID: requestID)
        } catch let error as PGError where error.sqlState == PGError.SQLState.invalidParameterValue && error.message.hasPrefix("p_") {
            // The producer functions name the argument ("p_ai_response: expected a non-empty
            // string") and never its value; the API's fields are the same names without the prefix.
            // Other 22023s (PostgreSQL's own) fall through to the generic refusal below.
            let message = String(error.message.dropFirst(2))
            let field = message.split(separator: ":").first.map(String.init)
            return APIError(status: .badRequest, message: message, param: field, code: nil).response(requestID: requestID)
        } catch let error as Reviews.Invalid {
            return APIError.badRequest(error.field, error.message).response(requestID: requestID)
        } catch let error as PGError where error.sqlState == PGError.SQLState.objectNotInPrerequisiteState {
            return APIError(status: .conflict, message: "this exchange cannot be reviewed: its user has not consented to training", param: "interaction_id", code: nil)
                .response(requestID: requestID)
        } catch let error as PGError where error.sqlState == PGError.SQLState.objectInUse {
            return APIError(status: .conflict, message: "another reviewer holds this exchange; ask for the next one", param: "interaction_id", code: nil)
                .response(requestID: requestID)
        } catch let error as PGError where error.sqlState == PGError.SQLState.foreignKeyViolation {
            return APIError(status: .notFound, message: "no such interaction", param: nil, code: nil).response(requestID: requestID)
        } catch let error as PGError where error.isRefusedValue {
            // The checks before the database should have caught it; say which kind, not the text.
            logger.warning("database refused a value", metadata: [LogKey.requestID: "\(requestID)", LogKey.sqlState: "\(error.sqlState ?? "")"])
            return APIError(status: .badRequest, message: "a value is outside what the database can store", param: nil, code: nil)
                .response(requestID: requestID)
        } catch let error as PGError where error.isConnectionProblem {
            logger.warning("database unavailable", metadata: [LogKey.requestID: "\(requestID)", LogKey.sqlState: "\(error.sqlState ?? "")"])
            var response = APIError(status: .serviceUnavailable, message: "the database is unavailable; retry", param: nil, code: nil)
                .response(requestID: requestID)
            response.headers[.retryAfter] = "1"
            return response
        } catch is EmbeddingBatcher.Busy {
            var response = APIError(
                status: .serviceUnavailable, message: "the embedding queue is full; retry after a second", param: nil, code: "overloaded")
                .response(requestID: requestID)
            response.headers[.retryAfter] = "1"
            return response
        } catch let error as CoachSpoolError where error.code == .input {
            return APIError(status: .badRequest, message: error.message, param: nil, code: nil).response(requestID: requestID)
        } catch {
            logger.error("request failed", metadata: [
                LogKey.requestID: "\(requestID)", LogKey.error: "\(type(of: error))",
                LogKey.sqlState: "\((error as? PGError)?.sqlState ?? (error as? CoachSpoolError)?.sqlState ?? "")",
            ])
            return APIError.internal.response(requestID: requestID)
        }
    }
}
