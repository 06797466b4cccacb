import LibPQ
import Stages

/// The conversation memory (`coachspool.memories`): a user's earlier exchanges, redacted, of users
/// who granted retrieval consent.
public enum Memory {
    public struct Hit: Sendable, Equatable {
        public var interactionID: Int64
        public var occurredAt: String
        /// "User: …\nCoach: …", redacted.
        public var text: String
        public var rating: Int?
        /// Cosine similarity.
        public var score: Double

        /// The hit as a RAG prompt's input.
        public var retrieved: RetrievedText {
            RetrievedText(origin: .memory(interaction: interactionID), text: text)
        }
    }

    /// One user's exchanges nearest to a question's vector (`coachspool.recall`).
    public static func recall(_ conn: PGConnection, user: String, vector: [Float], k: Int, space: Int32?) throws -> [Hit] {
        try hits(conn.query("""
            SELECT interaction_id, occurred_at::text, body, rating, score
              FROM coachspool.recall(\(user), \(PGVector(vector))::vector, \(k), \(space))
            """))
    }

    /// Well-rated answers (rating ≥ `minRating`) across consenting users (`coachspool.search_conversations`).
    public static func search(_ conn: PGConnection, vector: [Float], k: Int, space: Int32?, minRating: Int = 4) throws -> [Hit] {
        try hits(conn.query("""
            SELECT interaction_id, occurred_at::text, body, rating, score
              FROM coachspool.search_conversations(\(PGVector(vector))::vector, \(k), \(space), \(minRating))
            """))
    }

    private static func hits(_ rows: PGRows) throws -> [Hit] {
        try rows.map {
            Hit(interactionID: try $0.decode(Int64.self, at: 0), occurredAt: try $0.decode(String.self, at: 1),
                text: try $0.decode(String.self, at: 2), rating: try $0.decode(Int?.self, at: 3), score: try $0.decode(Double.self, at: 4))
        }
    }
}
