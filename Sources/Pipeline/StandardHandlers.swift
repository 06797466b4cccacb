import Logging
import Queue
import Spool
import Stages
import Tokenizers

extension WorkerConfiguration {
    /// The handlers of every stage in `StageGraph`, configured from this configuration: what a
    /// `coachspool work` process runs. `embed:N` only when the worker embeds for space N.
    public var standardHandlers: [any JobHandler] {
        let rebuild = ConversationRebuild(
            stage: ConversationStage(
                builder: examples, counter: ChatTokenCounter(encoding: text.encoding), text: text, pseudonyms: pseudonyms),
            qualityVersion: quality.pipelineVersion, textVersion: text.version)
        let interactions = InteractionStage(filter: quality, text: text)
        var handlers: [any JobHandler] = [
            InteractionHandler(stage: interactions, rebuild: rebuild, kind: .interaction),
            InteractionHandler(stage: interactions, rebuild: rebuild, kind: .interactionBatch),
            ConversationHandler(rebuild: rebuild),
            NoopHandler(),
        ]
        if let knowledge {
            handlers.append(DocumentHandler(
                space: knowledge.space, embedder: knowledge.embedder,
                chunker: DocumentChunker(splitter: knowledge.splitter, redactor: knowledge.redactor)))
            handlers.append(MemoryHandler(
                space: knowledge.space, embedder: knowledge.embedder, textVersion: text.version,
                qualityVersion: quality.pipelineVersion))
        }
        return handlers
    }
}

extension WorkerService {
    /// A `coachspool work` process: the queue runtime with the given handlers and, for a worker
    /// that embeds, the keeper of its space's index.
    public init(configuration: WorkerConfiguration, handlers: [any JobHandler], logger: Logger,
                statistics: WorkerStatistics = WorkerStatistics()) {
        let keeper = configuration.knowledge.map { SpaceIndexKeeper(space: $0.space, configuration: configuration, logger: logger) }
        self.init(configuration: configuration.runtime, handlers: handlers, background: keeper.map { [$0] } ?? [],
                  logger: logger, statistics: statistics)
    }
}
