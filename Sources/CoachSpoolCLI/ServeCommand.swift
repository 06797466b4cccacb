import ArgumentParser
import CoachSpoolCore
import Embeddings
import Foundation
import HTTPAPI
import Knowledge
import MetricsEndpoint
import ServiceLifecycle
import Spool
import Stages

struct ServeCommand: AsyncParsableCommand {
    @OptionGroup var common: CommonOptions
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The HTTP API for the coach app (exchanges, feedback, consent, search, RAG, embeddings, review) and the console.",
        discussion: """
            Endpoints:
            \(APIRoute.list(indent: "  "))

            Every request but GET /ready and GET /metrics needs Authorization: Bearer TOKEN, with \
            the tokens (32 characters or more: openssl rand -hex 32) in COACHSPOOL_API_TOKENS \
            (comma-separated) or the file COACHSPOOL_API_TOKENS_FILE (one per line); reviewer tokens in \
            COACHSPOOL_REVIEWER_TOKENS (or _FILE) may use the review endpoints only. Errors are \
            OpenAI's shape with param (the field) and request_id; every field has a limit \
            (docs/operations.md, "Input limits"). The console is at /console/ (sign in with a \
            token; a reviewer token opens Review only). One access-log line per request at info. \
            SIGTERM/SIGINT: requests in flight get --shutdown-timeout, then their connections are \
            closed; exit 0 (1 if a request was still running 2 s after the deadline).
            """)

    @Option(help: "Address to listen on (0.0.0.0: every interface).")
    var host = ListenAddress.defaultHost

    @Option(help: "Port (0 picks a free one; the log says which).")
    var port = 8080

    @OptionGroup(title: "Embeddings") var embedding: EmbedderOptions

    @Option(help: "Texts per forward pass, shared by concurrent requests.")
    var embedBatchSize = EmbedderFactory.defaultBatchSize

    @Option(help: "Model tokens that may wait to be embedded, all requests together; beyond, 503 with Retry-After (default: four requests of the 32,768-token maximum).")
    var maxQueuedTokens = 4 * InputLimits.embeddingTokensPerRequest

    @Option(help: "Database connections shared by requests.")
    var connections = 4

    @Option(help: "Seconds a keep-alive connection may wait for its next request before it is closed.")
    var idleTimeout = 60.0

    @Option(help: "Seconds a request's headers may take from its first byte; then 408 and the connection is closed.")
    var headerTimeout = 10.0

    @Option(help: "Seconds a request's body may take after its headers; then 408 and the connection is closed.")
    var bodyTimeout = 30.0

    @Option(help: "Seconds requests in flight get after SIGTERM/SIGINT; then their connections are closed (and the process exits 1 if they are still running 2 s later).")
    var shutdownTimeout = 20.0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard embedBatchSize > 0, connections > 0, maxQueuedTokens > 0 else {
            throw ValidationError("--embed-batch-size, --connections and --max-queued-tokens must be positive")
        }
        guard [idleTimeout, headerTimeout, bodyTimeout, shutdownTimeout].allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--idle-timeout, --header-timeout, --body-timeout and --shutdown-timeout must be positive")
        }
    }

    func run() async throws {
        let logger = LoggingSetup.logger("coachspool.serve")
        let registry = MetricsEndpoint.bootstrap()
        var configuration = APIServer.Configuration(conninfo: try DatabaseURL.resolve(), credentials: try Credentials.fromEnvironment())
        configuration.host = host
        configuration.port = port
        configuration.embedBatchSize = embedBatchSize
        configuration.maxQueuedTokens = maxQueuedTokens
        configuration.connections = connections
        configuration.limits.idleTimeout = .seconds(idleTimeout)
        configuration.limits.headerTimeout = .seconds(headerTimeout)
        configuration.limits.bodyTimeout = .seconds(bodyTimeout)
        configuration.limits.shutdownTimeout = .seconds(shutdownTimeout)
        let (options, batch) = (embedding, embedBatchSize)
        let embedder = try await Blocking.run { try options.make(batchSize: batch) }
        KernelLog.announce(embedder, logger: logger, level: .info)
        let server = APIServer(
            configuration: configuration, embedder: embedder, chat: try ChatClient.fromEnvironment(), cl100k: try? ModelFiles.cl100k())
        let (host, model) = (host, embedder.identity.model)
        let service = server.service(registry: registry, logger: logger) { port in
            logger.notice("serving on http://\(host):\(port)", metadata: [LogKey.port: "\(port)", LogKey.model: "\(model)"])
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
