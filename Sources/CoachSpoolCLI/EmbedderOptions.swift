import ArgumentParser
import Embeddings
import Foundation
import Spool

/// Which embedder a command uses, and how it is built. The OpenAI-compatible endpoint, model
/// and key come from the environment only (`OpenAIEmbedder.Configuration.fromEnvironment`).
struct EmbedderOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable { case minilm, hash, openai }

    @Option(help: "minilm (in process, the default), hash (deterministic, no model) or openai (an OpenAI-compatible endpoint).")
    var embedder: Kind = .minilm

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

    func make(batchSize: Int = 32) throws -> any Embedder {
        try EmbedderFactory.make(kind: embedder, batchSize: batchSize, threads: threads, dimensions: dimensions)
    }
}

enum EmbedderFactory {
    /// A missing model or a bad endpoint setting throws `EmbeddingError`, whose message says
    /// what to do (not a usage error).
    static func make(
        kind: EmbedderOptions.Kind, batchSize: Int = 32, threads: Int? = nil, dimensions: Int? = nil, model: String? = nil
    ) throws -> any Embedder {
        switch kind {
        case .minilm:
            return try MiniLMEmbedder(modelsDirectory: ModelFiles.directory, batchSize: batchSize, threads: threads)
        case .hash:
            return try HashingEmbedder(dimensions: dimensions ?? 384)
        case .openai:
            var configuration = try OpenAIEmbedder.Configuration.fromEnvironment()
            if let model { configuration.model = model }
            if let dimensions { configuration.dimensions = dimensions }
            configuration.batchSize = max(batchSize, 1)
            return try OpenAIEmbedder(configuration: configuration)
        }
    }

    /// The embedder that made a space's vectors (search must embed queries the same way).
    static func make(space: EmbeddingSpace) throws -> any Embedder {
        guard let kind = EmbedderOptions.Kind(rawValue: space.embedder) else {
            throw SpoolError(.configuration, "embedding space \(space.id) uses embedder \(space.embedder), which this version does not know")
        }
        let embedder = try make(kind: kind, dimensions: kind == .minilm ? nil : space.dimensions, model: kind == .openai ? space.model : nil)
        guard embedder.identity.model == space.model, embedder.identity.dimensions == space.dimensions else {
            throw SpoolError(.configuration,
                "embedding space \(space.id) was made with \(space.embedder):\(space.model):\(space.dimensions); this embedder is \(embedder.identity)")
        }
        return embedder
    }
}
