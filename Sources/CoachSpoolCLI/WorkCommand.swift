import ArgumentParser
import CoachSpoolCore
import Datasets
import Embeddings
import Foundation
import Knowledge
import LibPQ
import Logging
import MetricsEndpoint
import Pipeline
import Queue
import ServiceLifecycle
import Spool
import Stages

struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Claim jobs from the spool and process them, until stopped (SIGTERM/SIGINT) or, with --drain, until the queue is empty.",
        discussion: "SIGTERM or SIGINT: the batches in hand are finished, then the worker exits 0; a statement still running after --shutdown-timeout seconds is cancelled and its batch left to its lease.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Claim loops in this process, each with its own connection (two by default: one claims while the other's completion commits).")
    var concurrency = WorkerConfiguration.Defaults.concurrency

    @Option(help: "Jobs per claim.")
    var batchSize = WorkerConfiguration.Defaults.batchSize

    @Option(help: "Seconds a claim stays ours without a heartbeat (heartbeats come every third of it).")
    var lease = WorkerConfiguration.Defaults.leaseSeconds

    @Option(help: "Seconds between polls when idle (NOTIFY usually wakes the worker sooner).")
    var poll = WorkerConfiguration.Defaults.pollSeconds

    @Flag(help: "Exit 0 once no job is ready, running or waiting for a retry.")
    var drain = false

    @Option(help: "Seconds SIGTERM/SIGINT gives the batches in hand; then statements still running are cancelled (their leases expire) and the worker exits.")
    var shutdownTimeout = WorkerConfiguration.Defaults.shutdownSeconds

    @Option(help: "Seconds after which a statement of this worker counts as stalled: readiness fails and one line is logged until it completes.")
    var stallThreshold = WorkerConfiguration.Defaults.stallSeconds

    @Option(help: "Seconds before the first retry of a failed job; doubles per attempt (with jitter), up to 10 minutes.")
    var retryBase = RetryPolicy().baseSeconds

    @Option(help: "Quality filter: the lowest rating accepted.")
    var minRating = QualityFilter().minRating

    @Option(help: "Quality filter: user_input must be longer than this (characters).")
    var minInputLength = QualityFilter().minUserInputLength

    @Option(help: "Quality filter: ai_response must be longer than this (characters).")
    var minResponseLength = QualityFilter().minResponseLength

    @Option(help: "Fine-tuning examples: a JSON file of system prompts, {\"personal\": \"…\", \"university\": \"…\"} for every language or {\"sv\": {\"personal\": \"…\", \"university\": \"…\"}, \"en\": {…}} per language, replacing the defaults (the seed's Swedish prompts, English equivalents); a change is a new examples version, and the worker queues the conversations built under another version.")
    var systemPrompts: String?

    @Option(help: "Fine-tuning examples: how people and street addresses appear, numbered per conversation: placeholder (<PERSON_1>, <ADDRESS_1>) or surrogate (invented names of the same language and guessed gender, invented addresses); a change is a new examples version.")
    var pseudonyms = Pseudonyms.Style.standard

    @OptionGroup(title: "Knowledge documents") var embedding: EmbedderOptions

    @Flag(help: "Do not chunk and embed knowledge documents (this worker only prepares interactions).")
    var noEmbeddings = false

    @Option(help: "Knowledge chunks: maximum length in characters (Python len).")
    var chunkSize = ChunkerSettings.defaultSize

    @Option(help: "Knowledge chunks: overlap between consecutive chunks.")
    var chunkOverlap = ChunkerSettings.defaultOverlap

    @Option(help: "Knowledge chunks embedded per forward pass (minilm) or request (openai).")
    var embedBatchSize = EmbedderFactory.defaultBatchSize

    @Option(help: "Knowledge index: a backlog of at least this many documents on a space holding fewer vectors than this defers the space's HNSW index until the backlog has drained (a new space always starts without one).")
    var indexDeferThreshold = SpaceIndexSettings().deferThreshold

    @Option(help: "Knowledge index: maintenance_work_mem of the index build (PostgreSQL units, e.g. 512MB, 2GB).")
    var indexBuildMemory = SpaceIndexSettings().buildMemory

    @Option(help: "Knowledge index: max_parallel_maintenance_workers of the index build.")
    var indexBuildWorkers = SpaceIndexSettings().parallelWorkers

    @Option(help: "Knowledge index: seconds between checks whether the space's index is due.")
    var indexCheckInterval = SpaceIndexSettings.defaultCheckSeconds

    @Option(help: "Serve Prometheus metrics on http://HOST:PORT/metrics and a readiness probe on /ready (off when not given; 0 picks a free port).")
    var metricsPort: Int?

    @Option(help: "Address the metrics endpoint listens on (0.0.0.0: every interface, for a scraper on another host or in a container).")
    var metricsHost = ListenAddress.defaultHost

    @Option(help: "Seconds between refreshes of the queue-depth gauges (one scan of the jobs table each), with --metrics-port.")
    var queueDepthInterval = WorkerConfiguration.Defaults.queueDepthSeconds

    func validate() throws {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard poll > 0 else { throw ValidationError("--poll must be positive") }
        guard shutdownTimeout > 0 else { throw ValidationError("--shutdown-timeout must be positive") }
        guard stallThreshold > 0 else { throw ValidationError("--stall-threshold must be positive") }
        guard retryBase >= 0 else { throw ValidationError("--retry-base must not be negative") }
        guard chunkSize > 0, chunkOverlap >= 0, chunkOverlap < chunkSize else {
            throw ValidationError("--chunk-overlap must be at least 0 and less than --chunk-size")
        }
        guard embedBatchSize > 0 else { throw ValidationError("--embed-batch-size must be positive") }
        guard indexDeferThreshold > 0 else { throw ValidationError("--index-defer-threshold must be positive") }
        guard (0...1024).contains(indexBuildWorkers) else { throw ValidationError("--index-build-workers must be 0…1024") }
        guard indexCheckInterval > 0 else { throw ValidationError("--index-check-interval must be positive") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be 0…65535") }
        guard queueDepthInterval >= 1 else { throw ValidationError("--queue-depth-interval must be at least 1 second") }
    }

    /// Loads the embedder (a missing model stops the worker before it claims anything) and
    /// registers its space, which queues the backfill of documents the space lacks.
    private func knowledgeWork(logger: Logger) async throws -> KnowledgeWork? {
        // Off the pool: loading a model maps files, and an endpoint's start-up probe may retry and sleep.
        let (options, batchSize) = (embedding, embedBatchSize)
        let embedder: (any Embedder)? = noEmbeddings ? nil : try await Blocking.run { try options.make(batchSize: batchSize) }
        if let embedder {
            KernelLog.announce(embedder, logger: logger, level: .info)
            WorkerMetrics.recordKernels(of: embedder)
        }
        let chunker = ChunkerSettings(unit: .chars, size: chunkSize, overlap: chunkOverlap)
        let identity = embedder?.identity
        let space = try await Self.whenWritable(logger: logger) { () -> Int32? in
            let conn = try openConnection(application: "coachspool-worker")
            try Migrator.requireSchema(conn)
            guard let identity else { return nil }
            return try KnowledgeBase.registerSpace(
                conn, embedder: identity.kind, model: identity.model, dimensions: identity.dimensions, chunker: chunker)
        }
        guard let embedder, let space else { return nil }
        logger.info("embedding space \(space): \(embedder.identity), chunks \(chunkSize)/\(chunkOverlap) chars")
        return KnowledgeWork(
            space: space, embedder: embedder,
            splitter: try RecursiveCharacterSplitter(chunkSize: chunkSize, chunkOverlap: chunkOverlap))
    }

    /// Runs `body` until it stops failing with a connection problem — the database away, or a
    /// standby answering 25006 until a failover makes it writable — with one warning per distinct
    /// failure instead of one per retry; ends with `CancellationError` on shutdown. A failure no
    /// retry mends (a wrong password, an unknown database) is thrown at once.
    static func whenWritable<T: Sendable>(logger: Logger, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        var outage = OutageLog()
        var backoff = Backoff()
        while true {
            do {
                let value = try await Blocking.run(body)
                outage.recovered("the database takes writes: starting", logger: logger)
                return value
            } catch let error as PGError {
                guard error.isWorthReconnecting else { throw error }
                outage.failed(error, "waiting for a writable database before starting (not ready meanwhile)", logger: logger)
            }
            let pause = backoff.next()
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(pause)) }
        }
    }

    func run() async throws {
        let logger = LoggingSetup.logger("coachspool.work")
        // Before any metric is made: one made earlier would stay a no-op.
        let registry = metricsPort.map { _ in MetricsEndpoint.bootstrap() }
        // Without the tokenizer there is no text stage: refuse to start rather than claim jobs.
        var config = WorkerConfiguration(conninfo: try DatabaseURL.resolve(), text: TextPreparation(encoding: try ModelFiles.cl100k()))
        config.concurrency = concurrency
        config.batchSize = batchSize
        config.leaseSeconds = lease
        config.pollSeconds = poll
        config.drain = drain
        config.shutdownSeconds = shutdownTimeout
        config.stallSeconds = stallThreshold
        config.retry.baseSeconds = retryBase
        config.quality = QualityFilter(
            minRating: minRating, minUserInputLength: minInputLength, minResponseLength: minResponseLength)
        config.pseudonyms = pseudonyms
        if let path = systemPrompts {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CoachSpoolError(.io, "--system-prompts: cannot read the file", file: path)
            }
            do {
                config.prompts = try SystemPrompts(json: Array(data))
            } catch {
                throw CoachSpoolError(.configuration, "--system-prompts: \(error.message)", file: path)
            }
        }
        config.queueDepthSeconds = registry == nil ? nil : queueDepthInterval
        config.spaceIndex.deferThreshold = indexDeferThreshold
        config.spaceIndex.buildMemory = indexBuildMemory
        config.spaceIndex.parallelWorkers = indexBuildWorkers
        config.spaceIndex.checkSeconds = indexCheckInterval
        // Read before the worker exists: /ready answers 503 while it waits for the database.
        let statistics = WorkerStatistics()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let registry, let metricsPort {
            // First in the group, so that it stops last: scrapes see the final counts.
            services.append(.init(service: MetricsEndpoint.service(
                host: metricsHost, port: metricsPort, registry: registry, isReady: { statistics.isReady },
                logger: logger,
                onListening: { port in logger.info("metrics on http://\(metricsHost):\(port)/metrics", metadata: [LogKey.metricsPort: "\(port)"]) })))
        }
        let startup = WorkerStartup { [config] in
            var config = config
            config.knowledge = try await knowledgeWork(logger: logger)
            // New text rules (a redaction version) redo the stored texts, and a new examples
            // version (prompts, rules) rebuilds what an earlier one built.
            let version = config.examples.version
            let textVersion = config.text.version
            let (redone, queued) = try await Self.whenWritable(logger: logger) {
                let conn = try openConnection(application: "coachspool-worker")
                return (try StaleTexts.queue(conn, textVersion: textVersion), try ConversationBuilds.queueRebuilds(conn, version: version))
            }
            if redone > 0 {
                logger.info("queued the interactions whose texts were made by other rules", metadata: [
                    LogKey.jobsCount: "\(redone)", LogKey.textVersion: "\(textVersion)",
                ])
            }
            if queued > 0 {
                logger.info("queued the conversations built under another examples version", metadata: [
                    LogKey.jobsCount: "\(queued)", LogKey.examplesVersion: "\(version)",
                ])
            }
            return WorkerService(configuration: config, handlers: config.standardHandlers, logger: logger, statistics: statistics)
        }
        services.append(.init(service: startup, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        let s = statistics.snapshot
        print("worker \(config.workerID): completed \(s.completed) jobs in \(s.batches) batches, failed \(s.failed), lost leases \(s.lostLeases)")
    }
}

/// The worker, made once the database takes writes (its space is registered then) and run.
/// Until then the group's metrics endpoint already answers /ready with 503; a shutdown meanwhile
/// ends it quietly.
struct WorkerStartup: Service {
    let make: @Sendable () async throws -> WorkerService

    func run() async throws {
        let worker: WorkerService
        do {
            worker = try await make()
        } catch is CancellationError {
            return
        }
        try await worker.run()
    }
}
