import CoachSpoolCore
import LibPQ
import Queue
import Spool
import Stages

/// `conversation` jobs (queued when a user's training consent changes, by erasure, and at a
/// worker's start for builds of another examples version): rebuild the conversations' examples
/// in the transaction that retires the jobs. The interaction stage rebuilds the conversations it
/// touches itself, in its own completion, without a job (issue 28).
struct ConversationHandler: JobHandler {
    let rebuild: ConversationRebuild
    var kind: JobKind { .conversation }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> StageOutcome {
        StageOutcome(writes: .transaction { conn, done in
            try rebuild.run(.ids(Array(done.sources)), owner: owner, on: conn)
        })
    }
}

/// Rebuilds conversations' examples, DPO pairs and KTO examples: lock the conversation rows (in
/// id order, so two rebuilds never deadlock), load the usable turns and the stored input
/// fingerprints, run `ConversationStage` for those whose inputs changed, and replace their rows.
/// Runs inside the caller's transaction, after its lease check: the lock makes a second rebuild
/// of the same conversation wait and then read what the first committed, so the last rebuild
/// always sees every prepared turn.
///
/// Rebuilt only when its inputs changed: a fingerprint of the inputs is stored per conversation
/// and version, and an unchanged one writes nothing. A conversation left with no usable
/// interaction (consent revoked) has its examples removed.
struct ConversationRebuild: Sendable {
    let stage: ConversationStage
    let qualityVersion: String
    let textVersion: String
    private var version: String { stage.version }

    /// Which conversations: by id (conversation jobs), or by key (the interaction stage's).
    enum Selection {
        case ids([Int64])
        case keys([String])
    }

    func run(_ selection: Selection, owner: String, on conn: PGConnection) throws {
        let query: PGQuery
        switch selection {
        case .ids(let ids):
            guard !ids.isEmpty else { return }
            query = "SELECT id FROM coachspool.conversations WHERE id = ANY(\(ids)::bigint[]) ORDER BY id FOR UPDATE"
        case .keys(let keys):
            guard !keys.isEmpty else { return }
            query = "SELECT id FROM coachspool.conversations WHERE key = ANY(\(keys)::text[]) ORDER BY id FOR UPDATE"
        }
        let ids = try conn.query(query).map { try $0.decode(Int64.self, at: 0) }
        guard !ids.isEmpty else { return }
        let turns = try loadTurns(ids, on: conn)
        let stored = try storedFingerprints(ids, on: conn)
        var built: [ConversationStage.Rows] = []
        for id in ids {
            let conversation = turns[id] ?? []
            let fingerprint = stage.fingerprint(conversation)
            if stored[id] == fingerprint { continue }
            built.append(stage.run(id: id, turns: conversation, fingerprint: fingerprint))
        }
        if !built.isEmpty { try replace(built, owner: owner, on: conn) }
    }

    /// The usable turns per conversation: prepared (texts and verdict of the current versions)
    /// and from users whose training consent is granted. Interactions without a user id have
    /// nobody who could have consented and are never used.
    private func loadTurns(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: [ConversationStage.Turn]] {
        let rows = try conn.query("""
            SELECT c.id AS conversation_id, i.id AS interaction_id, i.turn_index,
                   (extract(epoch FROM i.occurred_at) * 1000000)::bigint AS occurred_at, i.mode, i.language,
                   t.user_input, t.ai_response, t.opening, t.user_input_tokens, t.ai_response_tokens, v.accepted, v.rating,
                   -- the texts as written only where the redaction found something: where it found
                   -- nothing (`entities` 0) they are the stored texts, not sent twice (NULL: as stored)
                   CASE WHEN t.entities > 0 THEN i.user_input END AS original_user_input,
                   CASE WHEN t.entities > 0 THEN i.ai_response END AS original_ai_response,
                   CASE WHEN t.entities > 0 THEN i.opening END AS original_opening,
                   -- the latest later `helpful`, else the exchange's own (schema/0021)
                   coalesce((SELECT f.helpful FROM coachspool.feedback f
                              WHERE f.interaction_id = i.id AND f.helpful IS NOT NULL ORDER BY f.id DESC LIMIT 1),
                            i.helpful) AS helpful,
                   r.decision AS review, r.corrected_answer
              FROM coachspool.conversations c
             CROSS JOIN LATERAL (
                    SELECT * FROM coachspool.interactions x WHERE x.session_id = c.session_id
                    UNION ALL
                    SELECT * FROM coachspool.interactions x WHERE x.id = c.interaction_id) i
             -- One index probe per turn, whatever the statistics say: as plain joins the planner
             -- hashed every granted consent (7 ms of an 8 ms query at 10,000 users, and growing
             -- with the users) whenever a batch touched a few dozen conversations.
             CROSS JOIN LATERAL (SELECT 1 FROM coachspool.consents k
                                  WHERE k.user_id = i.user_id AND k.purpose = 'training' AND k.granted LIMIT 1) k
             CROSS JOIN LATERAL (SELECT t.user_input, t.ai_response, t.opening, t.user_input_tokens, t.ai_response_tokens, t.entities
                                   FROM coachspool.interaction_texts t
                                  WHERE t.interaction_id = i.id AND t.text_version = \(textVersion) LIMIT 1) t
             CROSS JOIN LATERAL (SELECT v.accepted, v.rating FROM coachspool.quality_verdicts v
                                  WHERE v.interaction_id = i.id AND v.pipeline_version = \(qualityVersion) LIMIT 1) v
             -- A reviewer's latest decision (schema/0018_reviews.sql).
              LEFT JOIN LATERAL (SELECT r.decision, r.corrected_answer FROM coachspool.reviews r
                                  WHERE r.interaction_id = i.id ORDER BY r.id DESC LIMIT 1) r ON true
             WHERE c.id = ANY(\(ids)::bigint[])
            """)
        var turns: [Int64: [ConversationStage.Turn]] = [:]
        for row in rows {
            let interaction = try row.decode(Int64.self, named: "interaction_id")
            let modeText = try row.decode(String.self, named: "mode")
            guard let mode = Mode(rawValue: modeText) else {
                throw CoachSpoolError(.input, "interaction \(interaction) has unknown mode \(modeText)")
            }
            let index = try row.decode(Int?.self, named: "turn_index")
            let stored = ConversationStage.Original(
                userInput: try row.decode(String.self, named: "user_input"), aiResponse: try row.decode(String.self, named: "ai_response"),
                opening: try row.decode(String?.self, named: "opening"))
            let written = try row.decode(String?.self, named: "original_user_input").map { userInput in
                ConversationStage.Original(
                    userInput: userInput, aiResponse: try row.decode(String.self, named: "original_ai_response"),
                    opening: try row.decode(String?.self, named: "original_opening"))
            }
            turns[try row.decode(Int64.self, named: "conversation_id"), default: []].append(ConversationStage.Turn(
                turn: ConversationTurn(
                    interactionID: interaction, turnIndex: index ?? 0, occurredAt: try row.decode(Int64.self, named: "occurred_at"),
                    userInput: stored.userInput, aiResponse: stored.aiResponse,
                    accepted: try row.decode(Bool.self, named: "accepted"), rating: try row.decode(Int?.self, named: "rating"),
                    helpful: try row.decode(Bool?.self, named: "helpful"), opening: stored.opening,
                    review: try Self.review(row, interaction: interaction)),
                hasTurnIndex: index != nil, mode: mode, language: try row.decode(String?.self, named: "language"),
                original: stage.text == nil ? nil : written ?? stored,
                storedTokens: ConversationStage.StoredTokens(
                    userInput: try row.decode(Int.self, named: "user_input_tokens"),
                    aiResponse: try row.decode(Int.self, named: "ai_response_tokens"))))
        }
        return turns
    }

    /// The decision of a row's `review` and `corrected_answer` columns (nil: none).
    private static func review(_ row: PGRow, interaction: Int64) throws -> ReviewDecision? {
        switch try row.decode(String?.self, named: "review") {
        case nil: return nil
        case "approve": return .approve
        case "reject": return .reject
        case "correct": return .correct(answer: try row.decode(String.self, named: "corrected_answer"))
        case let other?: throw CoachSpoolError(.input, "interaction \(interaction) has a review of unknown decision \(other)")
        }
    }

    /// The input fingerprints (hex) of the conversations' builds at this version.
    private func storedFingerprints(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: String] {
        let rows = try conn.query("""
            SELECT conversation_id, encode(input_hash, 'hex') FROM coachspool.conversation_builds
             WHERE conversation_id = ANY(\(ids)::bigint[]) AND version = \(version)
            """)
        return try Dictionary(uniqueKeysWithValues: rows.map { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1)) })
    }

    /// Replaces the examples of the conversations built: delete, then insert (the builds as JSON,
    /// upserted; the rest by copy), inside the transaction that retired their jobs. Times are
    /// microseconds since the epoch, converted here.
    private func replace(_ built: [ConversationStage.Rows], owner: String, on conn: PGConnection) throws {
        let conversations = built.map(\.build.conversation_id)
        try conn.query("""
            WITH e AS (DELETE FROM coachspool.examples WHERE conversation_id = ANY(\(conversations)::bigint[]) AND version = \(version)),
                 p AS (DELETE FROM coachspool.preference_pairs WHERE conversation_id = ANY(\(conversations)::bigint[]) AND version = \(version))
            DELETE FROM coachspool.feedback_examples WHERE conversation_id = ANY(\(conversations)::bigint[]) AND version = \(version)
            """)
        try conn.query("""
            INSERT INTO coachspool.conversation_builds
                   (conversation_id, version, input_hash, interactions, mode, language, first_at, last_at, worker)
            SELECT b.conversation_id, \(version), decode(b.input_hash, 'hex'), b.interactions, b.mode, b.language,
                   timestamptz 'epoch' + b.first_at * interval '1 microsecond',
                   timestamptz 'epoch' + b.last_at * interval '1 microsecond', \(owner)
              FROM jsonb_to_recordset(\(JSONText(rows: built.map(\.build)))::jsonb)
                   AS b(\(unsafeSQL: ConversationStage.Build.recordType))
            ON CONFLICT (conversation_id, version) DO UPDATE
               SET input_hash = excluded.input_hash, interactions = excluded.interactions, mode = excluded.mode,
                   language = excluded.language, first_at = excluded.first_at, last_at = excluded.last_at,
                   worker = excluded.worker, built_at = now()
            """)
        // The rows of the conversations deleted above, copied as they are (no conflict can meet
        // them: the conversations are locked, their old rows gone).
        let fixed: [(column: StaticString, value: String)] = [("version", version)]
        try ConversationStage.Example.copy(built.flatMap { ($0.example.map { [$0] } ?? []) + $0.corrections },
                                           into: "examples", fixed: fixed, on: conn)
        try ConversationStage.Pair.copy(built.flatMap(\.pairs), into: "preference_pairs", fixed: fixed, on: conn)
        try ConversationStage.Feedback.copy(built.flatMap(\.feedback), into: "feedback_examples", fixed: fixed, on: conn)
    }
}
