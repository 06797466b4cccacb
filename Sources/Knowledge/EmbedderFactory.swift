import CoachSpoolCore
import Embeddings
import Spool

/// The embedders a command or worker can use.
public enum EmbedderKind: String, Sendable, CaseIterable {
    /// all-MiniLM-L6-v2 in process.
    case minilm
    /// Deterministic hashing, no model (tests, smoke runs).
    case hash
    /// An OpenAI-compatible endpoint, configured from the environment only.
    case openai
}

/// Builds embedders. A missing model or a bad endpoint setting throws an error whose message says
/// what to do (not a usage error).
public enum EmbedderFactory {
    /// Texts per forward pass (minilm) or per request (openai), unless a command is told
    /// otherwise (`--embed-batch-size` of embed, work and serve).
    public static let defaultBatchSize = 32

    public static func make(
        kind: EmbedderKind, batchSize: Int = defaultBatchSize, threads: Int? = nil, dimensions: Int? = nil, model: String? = nil
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
    public static func make(space: EmbeddingSpace) throws -> any Embedder {
        guard let kind = EmbedderKind(rawValue: space.embedder) else {
            throw CoachSpoolError(.configuration, "embedding space \(space.id) uses embedder \(space.embedder), which this version does not know")
        }
        let embedder = try make(kind: kind, dimensions: kind == .minilm ? nil : space.dimensions, model: kind == .openai ? space.model : nil)
        guard embedder.identity.model == space.model, embedder.identity.dimensions == space.dimensions else {
            throw CoachSpoolError(.configuration,
                "embedding space \(space.id) was made with \(space.embedder):\(space.model):\(space.dimensions); this embedder is \(embedder.identity)")
        }
        return embedder
    }
}
