import ArgumentParser
import Embeddings
import Foundation
import Knowledge
import Spool

/// Which embedder a command uses, and how it is built. The OpenAI-compatible endpoint, model
/// and key come from the environment only (`OpenAIEmbedder.Configuration.fromEnvironment`).
struct EmbedderOptions: ParsableArguments {
    @Option(help: "minilm (in process, the default), hash (deterministic, no model) or openai (an OpenAI-compatible endpoint).")
    var embedder: EmbedderKind = .minilm

    @Option(help: "Threads for minilm (default: the cores).")
    var threads: Int?

    @Option(help: "Vector dimensions for hash (default 384); for openai see COACHSPOOL_EMBEDDING_DIMENSIONS.")
    var dimensions: Int?

    func validate() throws {
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
        if dimensions != nil, embedder != .hash {
            throw ValidationError("--dimensions applies to --embedder hash; openai reads COACHSPOOL_EMBEDDING_DIMENSIONS")
        }
    }

    func make(batchSize: Int = EmbedderFactory.defaultBatchSize) throws -> any Embedder {
        try EmbedderFactory.make(kind: embedder, batchSize: batchSize, threads: threads, dimensions: dimensions)
    }
}

extension EmbedderKind: ExpressibleByArgument {}
