import LibPQ
import Spool
import Stages

/// `interaction` jobs: load the texts and latest rating → `InteractionStage` → complete, writing
/// `quality_verdicts` and `interaction_texts`, recording the interactions' conversations and
/// queueing their `conversation` jobs (the examples) and, for users with retrieval consent, their
/// `memory:N` jobs, all in the statement that retires the jobs.
struct InteractionHandler: JobHandler {
    let stage: InteractionStage
    var kind: JobKind { .interaction }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome {
        let inputs = try load(jobs.map(\.sourceID), on: conn)
        var outcome = BatchOutcome()
        var done: [ClaimedJob] = []
        var verdicts: [InteractionStage.Verdict] = []
        var texts: [InteractionStage.Texts] = []
        for job in jobs {
            guard let input = inputs[job.sourceID] else {
                outcome.failures.append((job, "interaction \(job.sourceID) does not exist"))
                continue
            }
            switch stage.run(input) {
            case .prepared(let verdict, let text):
                done.append(job)
                verdicts.append(verdict)
                if let text { texts.append(text) }
            case .failed(let reason):
                // Retried, then dead: unredacted text is never stored.
                outcome.failures.append((job, reason))
            }
        }
        outcome.retired = try JobQueue.complete(conn, owner: owner, jobs: done, writing: """
            verdicts AS (
                INSERT INTO coachspool.quality_verdicts
                    (interaction_id, pipeline_version, accepted, reasons, rating, worker)
                SELECT v.interaction_id, \(stage.filter.pipelineVersion), v.accepted, v.reasons, v.rating, \(owner)
                  FROM jsonb_to_recordset(\(JSONText(rows: verdicts))::jsonb)
                       AS v(interaction_id bigint, accepted boolean, reasons text[], rating smallint)
                  JOIN ours ON ours.source_id = v.interaction_id
                ON CONFLICT (interaction_id, pipeline_version) DO UPDATE
                   SET accepted = excluded.accepted, reasons = excluded.reasons, rating = excluded.rating,
                       worker = excluded.worker, processed_at = now()
            ), texts AS (
                INSERT INTO coachspool.interaction_texts
                    (interaction_id, text_version, user_input, ai_response, opening, entity_counts, entities,
                     user_input_tokens, ai_response_tokens, worker)
                SELECT t.interaction_id, \(stage.text.version), t.user_input, t.ai_response, t.opening, t.entity_counts,
                       t.entities, t.user_input_tokens, t.ai_response_tokens, \(owner)
                  FROM jsonb_to_recordset(\(JSONText(rows: texts))::jsonb)
                       AS t(interaction_id bigint, user_input text, ai_response text, opening text,
                            entity_counts jsonb, entities integer, user_input_tokens integer, ai_response_tokens integer)
                  JOIN ours ON ours.source_id = t.interaction_id
                ON CONFLICT (interaction_id, text_version) DO NOTHING
            ), touched AS (
                -- one row per key: a session's rows agree, a key of its own has one interaction
                SELECT DISTINCT coachspool.conversation_key(i.session_id, i.idempotency_key) AS key, i.session_id,
                       CASE WHEN i.session_id IS NULL THEN i.id END AS interaction_id
                  FROM ours JOIN coachspool.interactions i ON i.id = ours.source_id
            ), conversations AS (
                INSERT INTO coachspool.conversations AS c (key, session_id, interaction_id)
                SELECT key, session_id, interaction_id FROM touched ORDER BY key
                ON CONFLICT (key) DO UPDATE SET touched_at = now()
                RETURNING c.id
            ), conversation_jobs AS (
                INSERT INTO coachspool.jobs (kind, source_id)
                SELECT \(JobKind.conversation.rawValue), id FROM conversations ORDER BY id
                ON CONFLICT (kind, source_id) DO UPDATE SET rerun = true WHERE jobs.state = 'running'
            ), memory_jobs AS (
                -- the conversation memory of users with retrieval consent, in every space (the
                -- memory stage keeps accepted exchanges and forgets the others)
                INSERT INTO coachspool.jobs (kind, source_id)
                SELECT 'memory:' || s.id, i.id
                  FROM ours
                  JOIN coachspool.interactions i ON i.id = ours.source_id
                  JOIN coachspool.consents k ON k.user_id = i.user_id AND k.purpose = 'retrieval' AND k.granted
                 CROSS JOIN coachspool.embedding_spaces s
                 ORDER BY 1, 2
                ON CONFLICT (kind, source_id) DO UPDATE SET rerun = true WHERE jobs.state = 'running'
            )
            """).jobs
        return outcome
    }

    /// The texts, the latest rating (a later feedback row without a rating does not erase an
    /// earlier one), and whether texts of the current version exist already.
    private func load(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: InteractionStage.Input] {
        let rows = try conn.query("""
            SELECT i.id, i.user_input, i.ai_response, i.opening,
                   (SELECT f.rating FROM coachspool.feedback f
                     WHERE f.interaction_id = i.id AND f.rating IS NOT NULL
                     ORDER BY f.id DESC LIMIT 1),
                   EXISTS (SELECT 1 FROM coachspool.interaction_texts t
                            WHERE t.interaction_id = i.id AND t.text_version = \(stage.text.version))
              FROM coachspool.interactions i
             WHERE i.id = ANY(\(ids)::bigint[])
            """)
        var inputs: [Int64: InteractionStage.Input] = [:]
        for row in rows {
            let id = try row.decode(Int64.self, at: 0)
            inputs[id] = InteractionStage.Input(
                interactionID: id,
                quality: QualityFilter.Input(
                    userInput: try row.decode(String.self, at: 1), aiResponse: try row.decode(String.self, at: 2),
                    rating: try row.decode(Int?.self, at: 4)),
                opening: try row.decode(String?.self, at: 3), hasCurrentTexts: try row.decode(Bool.self, at: 5))
        }
        return inputs
    }
}
