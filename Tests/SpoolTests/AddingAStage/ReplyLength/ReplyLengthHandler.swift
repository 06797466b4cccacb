import LibPQ
import Queue
import Spool

/// `reply_length` jobs: load → `ReplyLengthStage` → the rows the runtime writes when it retires
/// the jobs (only for jobs still leased to us).
struct ReplyLengthHandler: JobHandler {
    static let kind = JobKind("reply_length")
    /// The stage's line in the graph.
    static let declaration = StageGraph.Stage(
        kind: "reply_length", source: "interactions", queuedBy: ["the test"], writes: ["reply_lengths"])
    /// The stage's migration.
    static let migration = """
        CREATE TABLE coachspool.reply_lengths (
            interaction_id bigint PRIMARY KEY REFERENCES coachspool.interactions (id) ON DELETE CASCADE,
            characters integer NOT NULL,
            words integer NOT NULL
        );
        ALTER TABLE coachspool.jobs DROP CONSTRAINT jobs_kind_declared,
            ADD CONSTRAINT jobs_kind_declared CHECK (kind IN ('interaction', 'interaction_batch', 'conversation', 'noop', 'reply_length')
                OR kind ~ '^(embed|memory):[1-9][0-9]{0,9}$') NOT VALID;
        ALTER TABLE coachspool.jobs VALIDATE CONSTRAINT jobs_kind_declared;
        """

    var kind: JobKind { Self.kind }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> StageOutcome {
        let rows = try conn.query("SELECT id, ai_response FROM coachspool.interactions WHERE id = ANY(\(jobs.map(\.sourceID))::bigint[])")
        var inputs: [Int64: ReplyLengthStage.Input] = [:]
        for row in rows {
            let id = try row.decode(Int64.self, named: "id")
            inputs[id] = ReplyLengthStage.Input(interactionID: id, aiResponse: try row.decode(String.self, named: "ai_response"))
        }
        let failures = jobs.filter { inputs[$0.sourceID] == nil }.map { ($0, "interaction \($0.sourceID) does not exist") }
        let derived = inputs.values.map(ReplyLengthStage.run)
        return StageOutcome(failures: failures, writes: .statement("""
            lengths AS (
                INSERT INTO coachspool.reply_lengths (interaction_id, characters, words)
                SELECT r.interaction_id, r.characters, r.words
                  FROM jsonb_to_recordset(\(JSONText(rows: derived))::jsonb) AS r(\(unsafeSQL: ReplyLengthStage.Row.recordType))
                  JOIN ours ON ours.source_id = r.interaction_id
                ON CONFLICT (interaction_id) DO UPDATE SET characters = excluded.characters, words = excluded.words
            )
            """))
    }
}
