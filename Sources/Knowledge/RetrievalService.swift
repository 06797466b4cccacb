import LibPQ

/// What a retrieval draws on: the knowledge base (documents), the conversation memory (well-rated
/// exchanges of users with retrieval consent), or both.
public enum RetrievalSource: String, CaseIterable, Sendable {
    case knowledge, conversations, all
}

/// What a retrieval's host provides: database connections and a question's vector in a space.
/// The CLI opens a connection per call and embeds with the space's own embedder; `serve` uses its
/// pool and its batching embedder (which must be the space's).
public protocol RetrievalBackend: Sendable {
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T
    func vector(_ text: String, in space: EmbeddingSpace) async throws -> [Float]
}

/// What one question retrieved in one space.
public struct Retrieved: Sendable {
    public var source: RetrievalSource
    public var space: EmbeddingSpace
    public var mode: SearchMode
    /// Knowledge chunks, best first (`source` knowledge or all).
    public var chunks: [SearchHit] = []
    /// Memory exchanges, best first (`source` conversations or all).
    public var memories: [Memory.Hit] = []
    /// The space's chunks, counted only when a knowledge search found none: 0, the space is
    /// still empty; more, nothing matched the settings and filters.
    public var spaceChunks: Int?
}

/// Search, RAG context and recall, once, for `coachspool search|rag|recall` and `POST
/// /v1/search|rag|recall`: the question is embedded once, for the vector modes and the memory
/// alike; text mode alone never loads a model.
public struct RetrievalService<Backend: RetrievalBackend>: Sendable {
    public let backend: Backend

    public init(_ backend: Backend) {
        self.backend = backend
    }

    /// `query.space` nil: the active space.
    public func retrieve(_ query: SearchQuery, from source: RetrievalSource) async throws -> Retrieved {
        let space = try await backend.withConnection { [query] in try KnowledgeBase.space($0, id: query.space) }
        let vector = query.mode != .text || source != .knowledge ? try await backend.vector(query.text, in: space) : nil
        var query = query
        query.space = space.id
        var found = Retrieved(source: source, space: space, mode: query.mode)
        if source != .conversations {
            let knowledgeVector = query.mode == .text ? nil : vector
            let (chunks, count) = try await backend.withConnection { [query] conn in
                let chunks = try KnowledgeBase.search(conn, query, vector: knowledgeVector)
                return (chunks, chunks.isEmpty ? try KnowledgeBase.chunkCount(conn, space: space.id) : nil)
            }
            found.chunks = chunks
            found.spaceChunks = count
        }
        if source != .knowledge, let vector {
            let k = query.k
            found.memories = try await backend.withConnection { try Memory.search($0, vector: vector, k: k, space: space.id) }
        }
        return found
    }

    /// One user's earlier exchanges nearest to `text` (users with retrieval consent only).
    public func recall(user: String, text: String, k: Int, space requested: Int32?) async throws -> (space: EmbeddingSpace, hits: [Memory.Hit]) {
        let space = try await backend.withConnection { try KnowledgeBase.space($0, id: requested) }
        let vector = try await backend.vector(text, in: space)
        return (space, try await backend.withConnection { try Memory.recall($0, user: user, vector: vector, k: k, space: space.id) })
    }
}
