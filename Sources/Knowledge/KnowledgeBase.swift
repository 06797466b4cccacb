import CoachSpoolCore
import Foundation
import LibPQ
import Stages

/// An embedding space: the embedder, model, dimensions and chunker that made a set of vectors.
public struct EmbeddingSpace: Sendable, Equatable {
    public var id: Int32
    public var embedder: String
    public var model: String
    public var dimensions: Int
    public var chunker: ChunkerSettings
    public var isActive: Bool
}

/// A space with its backfill progress (`embedding_space_status`: counts over all documents,
/// for admins; search does not need them).
public struct EmbeddingSpaceStatus: Sendable, Equatable {
    public var space: EmbeddingSpace
    public var documents: Int
    /// Documents whose current content has chunks in this space.
    public var documentsCurrent: Int
    public var chunks: Int
    /// Chunks per language of their documents (`Language.label` of the given, else detected, one).
    public var chunksByLanguage: [String: Int] = [:]

    public var isComplete: Bool { documentsCurrent == documents }
}

/// How documents are cut into chunks (part of a space's identity).
public struct ChunkerSettings: Sendable, Hashable {
    public enum Unit: String, Sendable { case chars, tokens }
    public var unit: Unit
    public var size: Int
    public var overlap: Int

    /// The chunking of `work` and `chunk` unless told otherwise: 500 characters with 50 of overlap
    /// (the seed's RecursiveCharacterTextSplitter settings).
    public static let defaultSize = 500
    public static let defaultOverlap = 50

    public init(unit: Unit = .chars, size: Int = defaultSize, overlap: Int = defaultOverlap) {
        self.unit = unit
        self.size = size
        self.overlap = overlap
    }
}

/// One search result.
public struct SearchHit: Sendable, Equatable {
    public var chunkID: Int64
    public var documentID: Int64
    public var title: String
    public var source: String?
    public var text: String
    /// The score of the search's mode (cosine similarity, text rank, or fused rank).
    public var score: Double
    /// The chunk's place in its document (0-based) and where it starts in the document's
    /// (unredacted) body, in Unicode scalars: what tells neighbouring chunks and their overlap.
    public var ordinal: Int
    public var start: Int
}

/// A knowledge document from a producer.
public struct DocumentInput: Sendable, Equatable {
    public var externalID: String
    public var title: String
    public var text: String
    public var source: String?
    public var language: String?
    /// Where it came from: `file:line` or a path.
    public var origin: String

    public init(externalID: String, title: String, text: String, source: String?, language: String?, origin: String) {
        self.externalID = externalID
        self.title = title
        self.text = text
        self.source = source
        self.language = language
        self.origin = origin
    }
}

/// The knowledge base's statements: documents, spaces, search. SQL functions of
/// `schema/0003_knowledge.sql` do the work, so that the coach app can call the same ones.
public enum KnowledgeBase {
    /// Adds or replaces a document (idempotent by id + content hash); `changed` is false when it
    /// was already there with the same content.
    public static func upsert(_ conn: PGConnection, _ document: DocumentInput) throws -> (id: Int64, changed: Bool) {
        let row = try conn.query("""
            SELECT id, changed FROM coachspool.upsert_document(\(document.externalID), \(document.title), \(document.text),
                   \(document.source), \(document.language), \(document.origin))
            """).first!
        return (try row.decode(Int64.self, at: 0), try row.decode(Bool.self, at: 1))
    }

    /// Registers (or finds) the space of a worker's configuration and queues its backfill.
    public static func registerSpace(
        _ conn: PGConnection, embedder: String, model: String, dimensions: Int, chunker: ChunkerSettings
    ) throws -> Int32 {
        try conn.query("""
            SELECT coachspool.register_space(\(embedder), \(model), \(dimensions), \(chunker.unit.rawValue),
                                             \(chunker.size), \(chunker.overlap))
            """).scalar(Int32.self)
    }

    private static let spaceColumns = "id, embedder, model, dimensions, chunk_unit, chunk_size, chunk_overlap, is_active"

    private static func space(_ row: PGRow) throws -> EmbeddingSpace {
        EmbeddingSpace(
            id: try row.decode(Int32.self, at: 0), embedder: try row.decode(String.self, at: 1),
            model: try row.decode(String.self, at: 2), dimensions: try row.decode(Int.self, at: 3),
            chunker: ChunkerSettings(
                unit: ChunkerSettings.Unit(rawValue: try row.decode(String.self, at: 4)) ?? .chars,
                size: try row.decode(Int.self, at: 5), overlap: try row.decode(Int.self, at: 6)),
            isActive: try row.decode(Bool.self, at: 7))
    }

    /// Every space with its backfill progress and its chunks per language.
    public static func spaces(_ conn: PGConnection) throws -> [EmbeddingSpaceStatus] {
        var spaces = try conn.query(PGQuery(unsafeSQL: """
            SELECT \(spaceColumns), documents, documents_current, chunks
              FROM coachspool.embedding_space_status ORDER BY id
            """)).map { row in
            EmbeddingSpaceStatus(
                space: try space(row), documents: try row.decode(Int.self, at: 8),
                documentsCurrent: try row.decode(Int.self, at: 9), chunks: try row.decode(Int.self, at: 10))
        }
        let languages = try conn.query("""
            SELECT c.space_id, coachspool.document_language(d.language, d.detected_language), count(*)
              FROM coachspool.chunks c JOIN coachspool.documents d ON d.id = c.document_id GROUP BY 1, 2
            """)
        for row in languages {
            let id = try row.decode(Int32.self, at: 0)
            guard let index = spaces.firstIndex(where: { $0.space.id == id }) else { continue }
            spaces[index].chunksByLanguage[Language.label(try row.decode(String?.self, at: 1)), default: 0] += try row.decode(Int.self, at: 2)
        }
        return spaces
    }

    /// Makes `id` the space search uses. Refuses a space whose backfill is not complete unless
    /// `force`; the previous active space keeps its vectors (activate it again to go back).
    public static func activate(_ conn: PGConnection, space id: Int32, force: Bool = false) throws {
        try conn.transaction { conn in
            try conn.query("SELECT pg_advisory_xact_lock(hashtext('coachspool.register_space'))")
            guard let space = try spaces(conn).first(where: { $0.space.id == id }) else {
                throw CoachSpoolError(.input, "embedding space \(id) does not exist")
            }
            guard force || space.isComplete else {
                throw CoachSpoolError(.input, """
                    embedding space \(id) has current chunks for \(space.documentsCurrent) of \(space.documents) documents; \
                    wait for the workers (or use --force)
                    """)
            }
            try conn.query("UPDATE coachspool.embedding_spaces SET is_active = false WHERE is_active AND id <> \(id)")
            try conn.query("UPDATE coachspool.embedding_spaces SET is_active = true, activated_at = now() WHERE id = \(id) AND NOT is_active")
        }
    }

    /// Top-k chunks of the active space (or `space`) for a query vector.
    public static func search(_ conn: PGConnection, vector: [Float], k: Int, space: Int32? = nil) throws -> [SearchHit] {
        try search(conn, SearchQuery(text: "", k: k, space: space, mode: .vector), vector: vector)
    }

    /// Top-k chunks for `query` by its mode, through the SQL function of that mode; `vector` is
    /// the query text embedded in the space's embedder (required for vector and hybrid).
    public static func search(_ conn: PGConnection, _ query: SearchQuery, vector: [Float]?) throws -> [SearchHit] {
        let search: PGQuery
        switch query.mode {
        case .text:
            search = "coachspool.search_text(\(query.text), \(query.k), \(query.space), \(query.language), \(query.source))"
        case .vector, .hybrid:
            guard let vector else {
                throw CoachSpoolError(.input, "\(query.mode.rawValue) search needs the question's embedding")
            }
            search = query.mode == .vector
                ? "coachspool.search_vector(\(PGVector(vector))::vector, \(query.k), \(query.space), \(query.language), \(query.source))"
                : """
                    coachspool.search_hybrid(\(query.text), \(PGVector(vector))::vector, \(query.k), \(query.space),
                           \(query.language), \(query.source), \(query.fusion.k), \(query.fusion.textWeight),
                           \(query.fusion.vectorWeight), \(query.fusion.candidates))
                    """
        }
        // The functions' rows in their order, with each chunk's place in its document.
        let statement: PGQuery = "SELECT s.chunk_id, s.document_id, s.title, s.source, s.body, s.score, c.ordinal, c.start_offset FROM "
            + search + """
                 WITH ORDINALITY AS s(chunk_id, document_id, title, source, body, score, rank)
                  JOIN coachspool.chunks c ON c.id = s.chunk_id
                 ORDER BY s.rank
                """
        return try conn.query(statement).map { row in
            SearchHit(
                chunkID: try row.decode(Int64.self, at: 0), documentID: try row.decode(Int64.self, at: 1),
                title: try row.decode(String.self, at: 2), source: try row.decode(String?.self, at: 3),
                text: try row.decode(String.self, at: 4), score: try row.decode(Double.self, at: 5),
                ordinal: try row.decode(Int.self, at: 6), start: try row.decode(Int.self, at: 7))
        }
    }

    /// The space search would use: the active one, or `id`. Through `coachspool.embedding_space`,
    /// which the producer role may call: the coach app embeds a recall query with the space's
    /// embedder, and reads no table.
    public static func space(_ conn: PGConnection, id: Int32? = nil) throws -> EmbeddingSpace {
        let rows = try conn.query("""
            SELECT id, embedder, model, dimensions, chunk_unit, chunk_size, chunk_overlap, is_active
              FROM coachspool.embedding_space(\(id))
            """)
        guard let row = rows.first else {
            if let id { throw CoachSpoolError(.input, "embedding space \(id) does not exist") }
            throw CoachSpoolError(.input, "no active embedding space: ingest documents and run a worker (coachspool work) first")
        }
        return try space(row)
    }

    /// How many chunks `space` holds (an index-only count): what tells a space that is still
    /// empty from a search that matched nothing.
    public static func chunkCount(_ conn: PGConnection, space: Int32) throws -> Int {
        try conn.query("SELECT count(*) FROM coachspool.chunks WHERE space_id = \(space)").scalar(Int.self)
    }

    /// Whether the active space holds any chunk (what RAG could put in a prompt).
    public static func hasChunks(_ conn: PGConnection) throws -> Bool {
        try conn.query("""
            SELECT EXISTS (SELECT 1 FROM coachspool.chunks c JOIN coachspool.embedding_spaces s ON s.id = c.space_id WHERE s.is_active)
            """).scalar(Bool.self)
    }
}
