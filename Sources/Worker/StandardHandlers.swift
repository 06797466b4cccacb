import Spool
import Stages
import Tokenizers

extension WorkerConfiguration {
    /// The handlers of every stage in `StageGraph`, configured from this configuration: what a
    /// `coachspool work` process runs. `embed:N` only when the worker embeds for space N.
    public var standardHandlers: [any JobHandler] {
        let rebuild = ConversationRebuild(
            stage: ConversationStage(builder: examples, counter: ChatTokenCounter(encoding: text.encoding)),
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
