import LibPQ
import Queue
import Spool
import Stages

/// `interaction` and `interaction_batch` jobs (one handler per kind, one code path): load the
/// texts and latest rating → `InteractionStage` → complete, writing `quality_verdicts` and
/// `interaction_texts`, recording the interactions' conversations and rebuilding their examples
/// (`ConversationRebuild`), and queueing `memory:N` jobs for users with retrieval consent, all in
/// the transaction that retires the jobs.
///
/// A batch job's members are processed as single jobs are, with two differences: a member that
/// is gone (erased since ingest) is skipped, and a member whose stage failed is queued as an
/// `interaction` job of its own in the completion (retried, then dead, alone), so that one bad
/// text never holds back the other 99.
struct InteractionHandler: JobHandler {
    let stage: InteractionStage
    let rebuild: ConversationRebuild
    let kind: JobKind

    init(stage: InteractionStage, rebuild: ConversationRebuild, kind: JobKind) {
        precondition(kind == .interaction || kind == .interactionBatch, "InteractionHandler takes interaction jobs, not \(kind)")
        self.stage = stage
        self.rebuild = rebuild
        self.kind = kind
    }

    /// One interaction of a retired job, as the completion sees it: `prepared` false for a batch
    /// member whose stage failed.
    private struct Member: DerivedRow {
        var job: Int64
        var interactionID: Int64
        var prepared: Bool

        static var columns: [DerivedColumn<Self>] {
            [.bigint("job") { $0.job }, .bigint("interaction_id") { $0.interactionID }, .boolean("prepared") { $0.prepared }]
        }
    }

    var itemsPerJob: Int { JobKind.declaredItemsPerJob[kind] ?? 1 }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> StageOutcome {
        let members = kind == .interactionBatch
            ? try loadBatches(jobs.map(\.sourceID), on: conn)
            : Dictionary(uniqueKeysWithValues: jobs.map { ($0.sourceID, [$0.sourceID]) })
        let inputs = try load(members.values.flatMap { $0 }, on: conn)
        var failures: [(job: ClaimedJob, error: String)] = []
        var retired: [Member] = []
        var verdicts: [InteractionStage.Verdict] = []
        var texts: [InteractionStage.Texts] = []
        jobs: for job in jobs {
            guard let ids = members[job.sourceID] else {
                failures.append((job, "\(kind) \(job.sourceID) does not exist"))
                continue
            }
            var prepared: [(InteractionStage.Verdict, InteractionStage.Texts?)] = []
            var failed: [Int64] = []
            for id in ids {
                guard let input = inputs[id] else {
                    if kind == .interaction {
                        failures.append((job, "interaction \(id) does not exist"))
                        continue jobs
                    }
                    continue  // erased since it was ingested
                }
                switch stage.run(input) {
                case .prepared(let verdict, let text):
                    prepared.append((verdict, text))
                case .failed(let reason):
                    // Retried, then dead: unredacted text is never stored.
                    guard kind == .interactionBatch else {
                        failures.append((job, reason))
                        continue jobs
                    }
                    failed.append(id)
                }
            }
            for (verdict, text) in prepared {
                verdicts.append(verdict)
                if let text { texts.append(text) }
                retired.append(Member(job: job.id, interactionID: verdict.interaction_id, prepared: true))
            }
            retired += failed.map { Member(job: job.id, interactionID: $0, prepared: false) }
        }
        return StageOutcome(failures: failures, writes: .transaction { conn, completed in
            let members = retired.filter { completed.jobs.contains($0.job) }
            let touched = try conn.query("""
                WITH members AS MATERIALIZED (
                    -- only interactions that still exist, locked until commit (the derived rows
                    -- have no foreign keys: schema/0022): one erased since the load writes nothing,
                    -- and an erasure that comes now waits for this commit and then deletes its rows
                    SELECT m.interaction_id, m.prepared
                      FROM jsonb_to_recordset(\(JSONText(rows: members))::jsonb) AS m(\(unsafeSQL: Member.recordType))
                      JOIN coachspool.interactions i ON i.id = m.interaction_id
                     ORDER BY i.id
                       FOR KEY SHARE OF i
                ), verdicts AS (
                    INSERT INTO coachspool.quality_verdicts
                        (interaction_id, pipeline_version, accepted, reasons, rating, worker)
                    SELECT v.interaction_id, \(stage.filter.pipelineVersion), v.accepted, v.reasons, v.rating, \(owner)
                      FROM jsonb_to_recordset(\(JSONText(rows: verdicts))::jsonb)
                           AS v(\(unsafeSQL: InteractionStage.Verdict.recordType))
                      JOIN members ON members.interaction_id = v.interaction_id
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
                           AS t(\(unsafeSQL: InteractionStage.Texts.recordType))
                      JOIN members ON members.interaction_id = t.interaction_id
                    ON CONFLICT (interaction_id, text_version) DO NOTHING
                ), touched AS (
                    -- one row per key: a session's rows agree, a key of its own has one interaction
                    SELECT DISTINCT coachspool.conversation_key(i.session_id, i.idempotency_key) AS key, i.session_id,
                           CASE WHEN i.session_id IS NULL THEN i.id END AS interaction_id
                      FROM members JOIN coachspool.interactions i ON i.id = members.interaction_id
                     WHERE members.prepared
                ), conversations AS (
                    -- new ones only: existing rows are locked by the rebuild, in id order
                    INSERT INTO coachspool.conversations AS c (key, session_id, interaction_id)
                    SELECT key, session_id, interaction_id FROM touched ORDER BY key
                    ON CONFLICT (key) DO NOTHING
                ), queued AS (
                    -- one insert, the enqueue-or-rerun rule of schema/functions/enqueue.sql set-based
                    -- (rows in key order, so that concurrent completions never deadlock):
                    INSERT INTO coachspool.jobs (kind, source_id)
                    SELECT kind, source_id FROM (
                        -- the conversation memory of users with retrieval consent, in every space
                        -- (the memory stage keeps accepted exchanges and forgets the others)
                        SELECT \(JobKind.memoryPrefix)::text || s.id AS kind, i.id AS source_id
                          FROM members
                          JOIN coachspool.interactions i ON i.id = members.interaction_id AND members.prepared
                         CROSS JOIN LATERAL (SELECT 1 FROM coachspool.consents k  -- a probe per row, never a hash of all users
                                              WHERE k.user_id = i.user_id AND k.purpose = 'retrieval' AND k.granted LIMIT 1) k
                         CROSS JOIN coachspool.embedding_spaces s
                         -- evaluated once: without a space there is no memory, and no consent to probe
                         -- (the probes were a tenth of this statement on a spool without spaces)
                         WHERE EXISTS (SELECT FROM coachspool.embedding_spaces)
                        UNION ALL
                        -- a batch member whose stage failed goes on as a job of its own
                        SELECT \(JobKind.interaction.rawValue)::text, interaction_id FROM members WHERE NOT prepared
                    ) q
                     ORDER BY 1, 2
                    ON CONFLICT (kind, source_id) DO UPDATE SET rerun = true WHERE jobs.state = 'running'
                ), batches_done AS (
                    DELETE FROM coachspool.interaction_batches
                     WHERE id = ANY(\(kind == .interactionBatch ? Array(completed.sources) : [])::bigint[])
                )
                SELECT key FROM touched
                """).map { try $0.decode(String.self, at: 0) }
            // The examples of the conversations touched, in this transaction (a statement of its
            // own: it must see the rows just written).
            try rebuild.run(.keys(touched), owner: owner, on: conn)
        })
    }

    /// The texts, the latest rating (a later feedback row without a rating does not erase an
    /// earlier one; the exchange's own rating is the earliest: schema/0021), and whether texts of the current version exist already.
    private func load(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: InteractionStage.Input] {
        let rows = try conn.query("""
            SELECT i.id, i.user_input, i.ai_response, i.opening,
                   coalesce((SELECT f.rating FROM coachspool.feedback f
                              WHERE f.interaction_id = i.id AND f.rating IS NOT NULL
                              ORDER BY f.id DESC LIMIT 1), i.rating) AS rating,
                   EXISTS (SELECT 1 FROM coachspool.interaction_texts t
                            WHERE t.interaction_id = i.id AND t.text_version = \(stage.text.version)) AS has_current_texts
              FROM coachspool.interactions i
             WHERE i.id = ANY(\(ids)::bigint[])
            """)
        var inputs: [Int64: InteractionStage.Input] = [:]
        for row in rows {
            let id = try row.decode(Int64.self, named: "id")
            inputs[id] = InteractionStage.Input(
                interactionID: id,
                quality: QualityFilter.Input(
                    userInput: try row.decode(String.self, named: "user_input"), aiResponse: try row.decode(String.self, named: "ai_response"),
                    rating: try row.decode(Int?.self, named: "rating")),
                opening: try row.decode(String?.self, named: "opening"), hasCurrentTexts: try row.decode(Bool.self, named: "has_current_texts"))
        }
        return inputs
    }

    /// The members of `interaction_batches` rows, by row id.
    private func loadBatches(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: [Int64]] {
        var members: [Int64: [Int64]] = [:]
        for row in try conn.query("""
            SELECT b.id, m.interaction_id FROM coachspool.interaction_batches b
             CROSS JOIN LATERAL unnest(b.interaction_ids) WITH ORDINALITY AS m(interaction_id, n)
             WHERE b.id = ANY(\(ids)::bigint[])
             ORDER BY b.id, m.n
            """) {
            members[try row.decode(Int64.self, at: 0), default: []].append(try row.decode(Int64.self, at: 1))
        }
        return members
    }
}
