import LibPQ
import Spool
import Stages

/// Runs the quality filter on interactions and writes `quality_verdicts`.
struct QualityHandler: JobHandler {
    let filter: QualityFilter

    private struct VerdictRow: Encodable {
        var job_id: Int64
        var interaction_id: Int64
        var accepted: Bool
        var reasons: [String]
        var rating: Int?
    }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome {
        let inputs = try loadInputs(jobs.map(\.sourceID), on: conn)
        var outcome = BatchOutcome()
        var done: [ClaimedJob] = []
        var rows: [VerdictRow] = []
        for job in jobs {
            guard let input = inputs[job.sourceID] else {
                outcome.failures.append((job, "interaction \(job.sourceID) does not exist"))
                continue
            }
            let verdict = filter.evaluate(input)
            done.append(job)
            rows.append(VerdictRow(
                job_id: job.id, interaction_id: job.sourceID, accepted: verdict.accepted,
                reasons: verdict.reasons.map(\.rawValue), rating: input.rating))
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
                )
                SELECT id FROM ours
                """,
            binds: JobQueue.completionBinds(done, owner: owner) + [filter.pipelineVersion, try JobQueue.jsonText(rows)]))
        outcome.retired = Set(try retired.map { try $0.decode(Int64.self, at: 0) })
        return outcome
    }

    /// The texts and the latest rating of each interaction (a later feedback row without a
    /// rating does not erase an earlier rating).
    private func loadInputs(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: QualityFilter.Input] {
        let rows = try conn.query("""
            SELECT i.id, i.user_input, i.ai_response,
                   (SELECT f.rating FROM coachspool.feedback f
                     WHERE f.interaction_id = i.id AND f.rating IS NOT NULL
                     ORDER BY f.id DESC LIMIT 1)
              FROM coachspool.interactions i
             WHERE i.id = ANY(\(ids)::bigint[])
            """)
        var inputs: [Int64: QualityFilter.Input] = [:]
        for row in rows {
            inputs[try row.decode(Int64.self, at: 0)] = QualityFilter.Input(
                userInput: try row.decode(String.self, at: 1),
                aiResponse: try row.decode(String.self, at: 2),
                rating: try row.decode(Int?.self, at: 3))
        }
        return inputs
    }
}
