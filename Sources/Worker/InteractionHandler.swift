import LibPQ
import Spool
import Stages

/// Prepares interactions: the quality filter (`quality_verdicts`, re-run on every job since
/// feedback changes it), then redaction and token counts (`interaction_texts`, computed only
/// when the current text version is missing: new feedback does not change the texts).
/// Everything is written in the statement that completes the jobs, which also records the
/// interactions' conversations and queues their `conversation` jobs (the examples).
struct InteractionHandler: JobHandler {
    let filter: QualityFilter
    let text: TextPreparation

    private struct Input {
        var quality: QualityFilter.Input
        var hasCurrentTexts: Bool
    }

    private struct VerdictRow: Encodable {
        var job_id: Int64
        var interaction_id: Int64
        var accepted: Bool
        var reasons: [String]
        var rating: Int?
    }

    private struct TextRow: Encodable {
        var job_id: Int64
        var interaction_id: Int64
        var user_input: String
        var ai_response: String
        var entity_counts: [String: Int]
        var entities: Int
        var user_input_tokens: Int
        var ai_response_tokens: Int
    }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome {
        let inputs = try loadInputs(jobs.map(\.sourceID), on: conn)
        var outcome = BatchOutcome()
        var done: [ClaimedJob] = []
        var verdicts: [VerdictRow] = []
        var texts: [TextRow] = []
        for job in jobs {
            guard let input = inputs[job.sourceID] else {
                outcome.failures.append((job, "interaction \(job.sourceID) does not exist"))
                continue
            }
            if !input.hasCurrentTexts {
                do {
                    let prepared = try text.prepare(userInput: input.quality.userInput, aiResponse: input.quality.aiResponse)
                    texts.append(TextRow(
                        job_id: job.id, interaction_id: job.sourceID, user_input: prepared.userInput,
                        ai_response: prepared.aiResponse,
                        entity_counts: Dictionary(uniqueKeysWithValues: prepared.entityCounts.map { ($0.key.rawValue, $0.value) }),
                        entities: prepared.entityCounts.values.reduce(0, +), user_input_tokens: prepared.userInputTokens,
                        ai_response_tokens: prepared.aiResponseTokens))
                } catch {
                    // The job fails (and is retried, then dead): unredacted text is never stored.
                    outcome.failures.append((job, "interaction \(job.sourceID): \(error)"))
                    continue
                }
            }
            let verdict = filter.evaluate(input.quality)
            done.append(job)
            verdicts.append(VerdictRow(
                job_id: job.id, interaction_id: job.sourceID, accepted: verdict.accepted,
                reasons: verdict.reasons.map(\.rawValue), rating: input.quality.rating))
        }
        guard !done.isEmpty else { return outcome }
        let retired = try conn.query(PGQuery(
            unsafeSQL: JobQueue.completionPrelude + """
                , verdicts AS (
                    INSERT INTO coachspool.quality_verdicts
                        (interaction_id, pipeline_version, accepted, reasons, rating, worker)
                    SELECT v.interaction_id, $4, v.accepted, v.reasons, v.rating, $3
                      FROM jsonb_to_recordset($5::jsonb)
                           AS v(job_id bigint, interaction_id bigint, accepted boolean, reasons text[], rating smallint)
                      JOIN ours ON ours.id = v.job_id
                    ON CONFLICT (interaction_id, pipeline_version) DO UPDATE
                       SET accepted = excluded.accepted, reasons = excluded.reasons, rating = excluded.rating,
                           worker = excluded.worker, processed_at = now()
                ), texts AS (
                    INSERT INTO coachspool.interaction_texts
                        (interaction_id, text_version, user_input, ai_response, entity_counts, entities,
                         user_input_tokens, ai_response_tokens, worker)
                    SELECT t.interaction_id, $6, t.user_input, t.ai_response, t.entity_counts, t.entities,
                           t.user_input_tokens, t.ai_response_tokens, $3
                      FROM jsonb_to_recordset($7::jsonb)
                           AS t(job_id bigint, interaction_id bigint, user_input text, ai_response text,
                                entity_counts jsonb, entities integer, user_input_tokens integer,
                                ai_response_tokens integer)
                      JOIN ours ON ours.id = t.job_id
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
                    SELECT 'conversation', id FROM conversations ORDER BY id
                    ON CONFLICT (kind, source_id) DO UPDATE SET rerun = true WHERE jobs.state = 'running'
                )
                SELECT id FROM ours
                """,
            binds: JobQueue.completionBinds(done, owner: owner) + [
                filter.pipelineVersion, try JobQueue.jsonText(verdicts), text.version, try JobQueue.jsonText(texts),
            ]))
        outcome.retired = Set(try retired.map { try $0.decode(Int64.self, at: 0) })
        return outcome
    }

    /// The texts, the latest rating (a later feedback row without a rating does not erase an
    /// earlier one), and whether texts of the current version exist already.
    private func loadInputs(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: Input] {
        let rows = try conn.query("""
            SELECT i.id, i.user_input, i.ai_response,
                   (SELECT f.rating FROM coachspool.feedback f
                     WHERE f.interaction_id = i.id AND f.rating IS NOT NULL
                     ORDER BY f.id DESC LIMIT 1),
                   EXISTS (SELECT 1 FROM coachspool.interaction_texts t
                            WHERE t.interaction_id = i.id AND t.text_version = \(text.version))
              FROM coachspool.interactions i
             WHERE i.id = ANY(\(ids)::bigint[])
            """)
        var inputs: [Int64: Input] = [:]
        for row in rows {
            inputs[try row.decode(Int64.self, at: 0)] = Input(
                quality: QualityFilter.Input(
                    userInput: try row.decode(String.self, at: 1),
                    aiResponse: try row.decode(String.self, at: 2),
                    rating: try row.decode(Int?.self, at: 3)),
                hasCurrentTexts: try row.decode(Bool.self, at: 4))
        }
        return inputs
    }
}
