import Embeddings
import Foundation
import LibPQ
import Queue
import Spool
import Stages

/// `memory:N` jobs: load the interactions' redacted texts, verdicts and retrieval consent →
/// `MemoryStage` → embed what may be remembered → complete, upserting those memories and deleting
/// the others' (consent revoked, verdict now rejected) in the transaction that retires the jobs.
struct MemoryHandler: JobHandler {
    let space: Int32
    let embedder: any Embedder
    let textVersion: String
    let qualityVersion: String
    var kind: JobKind { .memory(space: space) }

    private struct Row: Encodable {
        var interaction_id: Int64
        var body: String
        var tokens: Int?
        var embedding: [Float]
    }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> StageOutcome {
        let inputs = try load(jobs.map(\.sourceID), on: conn)
        var remembered: [(id: Int64, body: String)] = []
        for job in jobs {
            if let input = inputs[job.sourceID], let body = MemoryStage.body(of: input) { remembered.append((job.sourceID, body)) }
        }
        let embeddings = try embedder.embed(remembered.map(\.body))
        let rows = zip(remembered, embeddings).map {
            Row(interaction_id: $0.0.id, body: $0.0.body, tokens: $0.1.tokens, embedding: $0.1.vector)
        }
        return StageOutcome(writes: .transaction { conn, done in
            let kept = rows.filter { done.sources.contains($0.interaction_id) }
            let forgotten = done.sources.subtracting(kept.map(\.interaction_id))
            if !forgotten.isEmpty {
                try conn.query("""
                    DELETE FROM coachspool.memories WHERE space_id = \(space) AND interaction_id = ANY(\(Array(forgotten))::bigint[])
                    """)
            }
            guard !kept.isEmpty else { return }
            try conn.query("""
                INSERT INTO coachspool.memories AS m
                       (space_id, interaction_id, user_id, occurred_at, body, text_version, rating, tokens, embedding, worker)
                SELECT \(space), r.interaction_id, i.user_id, i.occurred_at, r.body, \(textVersion), v.rating, r.tokens,
                       r.embedding::text::vector, \(owner)
                  FROM jsonb_to_recordset(\(try JSONText(kept))::jsonb) AS r(interaction_id bigint, body text, tokens integer, embedding jsonb)
                  JOIN coachspool.interactions i ON i.id = r.interaction_id
                  JOIN coachspool.quality_verdicts v ON v.interaction_id = i.id AND v.pipeline_version = \(qualityVersion)
                ON CONFLICT (space_id, interaction_id) DO UPDATE
                   SET body = excluded.body, text_version = excluded.text_version, rating = excluded.rating,
                       tokens = excluded.tokens, embedding = excluded.embedding, worker = excluded.worker, embedded_at = now()
                """)
        })
    }

    private func load(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: MemoryStage.Input] {
        let rows = try conn.query("""
            SELECT i.id, t.user_input, t.ai_response, coalesce(v.accepted, false) AS accepted,
                   coalesce((SELECT k.granted FROM coachspool.consents k WHERE k.user_id = i.user_id AND k.purpose = 'retrieval'), false)
                       AS retrieval_consent
              FROM coachspool.interactions i
              LEFT JOIN coachspool.interaction_texts t ON t.interaction_id = i.id AND t.text_version = \(textVersion)
              LEFT JOIN coachspool.quality_verdicts v ON v.interaction_id = i.id AND v.pipeline_version = \(qualityVersion)
             WHERE i.id = ANY(\(ids)::bigint[])
            """)
        var loaded: [Int64: MemoryStage.Input] = [:]
        for row in rows {
            let id = try row.decode(Int64.self, named: "id")
            loaded[id] = MemoryStage.Input(
                interactionID: id, userInput: try row.decode(String?.self, named: "user_input"),
                aiResponse: try row.decode(String?.self, named: "ai_response"), accepted: try row.decode(Bool.self, named: "accepted"),
                retrievalConsent: try row.decode(Bool.self, named: "retrieval_consent"))
        }
        return loaded
    }
}
