/// How chunks are ranked for a question.
public enum SearchMode: String, Sendable, CaseIterable {
    /// Cosine similarity of the embeddings (HNSW).
    case vector
    /// Full-text rank of the question's words (tsvector per chunk, by the document's language).
    case text
    /// Reciprocal rank fusion of the two.
    case hybrid

    /// The default of `search`, `rag` and the HTTP API: the best mode on the shipped labelled set
    /// (`coachspool eval retrieval`; figures in docs/benchmarks.md).
    public static let best: SearchMode = .hybrid
}

/// A search: the question, how many chunks, where, how ranked, and filters.
public struct SearchQuery: Sendable, Equatable {
    /// Reciprocal rank fusion's settings (hybrid mode).
    public struct Fusion: Sendable, Equatable {
        /// The constant in 1 / (k + rank): 60, as Cormack et al. and most systems use.
        public var k = 60
        public var textWeight = 1.0
        public var vectorWeight = 1.0
        /// Chunks taken from each ranking before fusing.
        public var candidates = 50

        public init() {}
    }

    public var text: String
    public var k: Int
    public var space: Int32?
    public var mode: SearchMode
    /// Only documents in this language (by its text search configuration: `sv`, `en`, other).
    public var language: String?
    /// Only documents whose source starts with this.
    public var source: String?
    public var fusion = Fusion()

    public init(text: String, k: Int = 3, space: Int32? = nil, mode: SearchMode = .best, language: String? = nil, source: String? = nil) {
        self.text = text
        self.k = k
        self.space = space
        self.mode = mode
        self.language = language
        self.source = source
    }
}
