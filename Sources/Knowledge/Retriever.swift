import CoachSpoolCore
import Embeddings
import LibPQ

/// Searches one embedding space — its knowledge chunks and its conversation memory — embedding
/// questions with the space's own embedder (vector and hybrid modes and the memory need it; text
/// mode does not load a model).
public struct Retriever: Sendable {
    public let space: EmbeddingSpace
    public let embedder: (any Embedder)?

    /// The active space, or `space`; the embedder only when one of `modes` needs it.
    public init(_ conn: PGConnection, space: Int32?, modes: [SearchMode]) throws {
        self.space = try KnowledgeBase.space(conn, id: space)
        self.embedder = modes.contains(where: { $0 != .text }) ? try EmbedderFactory.make(space: self.space) : nil
    }

    /// The questions' vectors, in one call (nil for text-only retrievers).
    public func embed(_ questions: [String]) throws -> [[Float]]? {
        try embedder.map { try $0.embed(questions).map(\.vector) }
    }

    public func search(_ query: SearchQuery, vector: [Float]? = nil, on conn: PGConnection) throws -> [SearchHit] {
        var query = query
        query.space = space.id
        let vector = try vector ?? (query.mode == .text ? nil : self.vector(query.text))
        return try KnowledgeBase.search(conn, query, vector: vector)
    }

    /// One question's vector; an error for a retriever made for text mode only.
    public func vector(_ question: String) throws -> [Float] {
        guard let vector = try embed([question])?.first else {
            throw CoachSpoolError(.input, "this search needs the question's embedding; the retriever was made for text mode only")
        }
        return vector
    }
}
