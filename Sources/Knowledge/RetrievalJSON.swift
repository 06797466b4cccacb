import Stages

/// The JSON of retrieval results, one definition for the CLI (`search --json`, `recall --json`)
/// and the HTTP API (`/v1/search`, `/v1/rag`, `/v1/recall`): ranks from 1, absent values as null.
public enum RetrievalJSON {
    /// `[{rank, score, title, source, document_id, chunk_id, text}]`
    public static func write(_ hits: [SearchHit], into json: inout JSONWriter) {
        json.array(hits.enumerated()) { out, item in
            let (rank, hit) = item
            out.object {
                $0.field("rank") { $0.integer(rank + 1) }
                $0.field("score") { $0.double(hit.score) }
                $0.field("title") { $0.string(hit.title) }
                $0.field("source") { out in if let source = hit.source { out.string(source) } else { out.null() } }
                $0.field("document_id") { $0.integer(hit.documentID) }
                $0.field("chunk_id") { $0.integer(hit.chunkID) }
                $0.field("text") { $0.string(hit.text) }
            }
        }
    }

    /// `[{rank, score, interaction_id, occurred_at, rating, text}]`
    public static func write(_ hits: [Memory.Hit], into json: inout JSONWriter) {
        json.array(hits.enumerated()) { out, item in
            let (rank, hit) = item
            out.object {
                $0.field("rank") { $0.integer(rank + 1) }
                $0.field("score") { $0.double(hit.score) }
                $0.field("interaction_id") { $0.integer(hit.interactionID) }
                $0.field("occurred_at") { $0.string(hit.occurredAt) }
                $0.field("rating") { out in if let rating = hit.rating { out.integer(rating) } else { out.null() } }
                $0.field("text") { $0.string(hit.text) }
            }
        }
    }
}
