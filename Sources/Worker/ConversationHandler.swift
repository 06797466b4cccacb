import Crypto
import Foundation
import LibPQ
import Spool
import Stages
import Tokenizers

/// Builds the fine-tuning data of conversations (`conversation` jobs): the chat example, DPO
/// pairs and KTO examples, from the redacted texts, verdicts and latest feedback of the
/// interactions whose users granted training consent (`ExampleBuilder` does the building).
///
/// Rebuilt only when its inputs changed: a fingerprint of the inputs is stored per conversation
/// and version, and an unchanged one completes the job without writing. A conversation left
/// with no usable interaction (consent revoked) has its examples removed.
struct ConversationHandler: JobHandler {
    let builder: ExampleBuilder
    let counter: ChatTokenCounter
    let qualityVersion: String
    let textVersion: String

    private struct Turn {
        var turn: ConversationTurn
        var hasTurnIndex: Bool
        var mode: Mode
        var language: String?
    }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome {
        let ids = jobs.map(\.sourceID)
        let turns = try loadTurns(ids, on: conn)
        let stored = try storedFingerprints(ids, on: conn)
        var rows = Rows()
        var rebuilt: [Int64] = []
        for id in Set(ids) {
            let conversation = turns[id] ?? []
            let fingerprint = Self.fingerprint(conversation, version: builder.version).hexString
            if stored[id] == fingerprint { continue }
            rebuilt.append(id)
            add(conversation, id: id, fingerprint: fingerprint, to: &rows)
        }
        let retired = try conn.transaction { conn -> Set<Int64> in
            let completed = try conn.query(PGQuery(
                unsafeSQL: JobQueue.completionPrelude + " SELECT id, source_id FROM ours",
                binds: JobQueue.completionBinds(jobs, owner: owner)))
            var retired = Set<Int64>()
            var ours = Set<Int64>()
            for row in completed {
                retired.insert(try row.decode(Int64.self, at: 0))
                ours.insert(try row.decode(Int64.self, at: 1))
            }
            let written = rebuilt.filter(ours.contains)
            if !written.isEmpty { try replace(written, with: rows.only(written), owner: owner, on: conn) }
            return retired
        }
        return BatchOutcome(retired: retired)
    }

    // MARK: - building

    /// The build row (fingerprint, and mode, language and time range of the usable turns) and
    /// whatever examples the turns give.
    private func add(_ conversation: [Turn], id: Int64, fingerprint: String, to rows: inout Rows) {
        let times = conversation.map(\.turn.occurredAt)
        rows.builds.append(BuildRow(
            conversation_id: id, input_hash: fingerprint, interactions: conversation.count,
            mode: conversation.first?.mode.rawValue, language: conversation.lazy.compactMap(\.language).first,
            first_at: times.min(), last_at: times.max()))
        guard let mode = conversation.first?.mode else { return }
        let output = builder.build(mode: mode, turns: conversation.map(\.turn))
        if let messages = output.messages {
            rows.examples.append(ExampleRow(
                conversation_id: id, messages: messages,
                turns: messages.count { $0.role == .assistant },
                trained_turns: messages.count { $0.weight == 1 },
                tokens: counter.count(Self.counted(messages)),
                content_hash: ContentFingerprint.of(messages).hexString))
        }
        for pair in output.preferences {
            let preferred = ChatMessage(role: .assistant, content: pair.preferred)
            let other = ChatMessage(role: .assistant, content: pair.nonPreferred)
            rows.pairs.append(PairRow(
                conversation_id: id, turn_index: pair.turnIndex, input: pair.input,
                preferred: pair.preferred, non_preferred: pair.nonPreferred,
                preferred_interaction: pair.interactionIDs[0], non_preferred_interaction: pair.interactionIDs[1],
                tokens: counter.count(Self.counted(pair.input + [preferred])) + counter.count(Self.counted([other])),
                content_hash: ContentFingerprint.of(pair.input + [preferred, other]).hexString))
        }
        for example in output.binaryFeedback {
            let completion = ChatMessage(role: .assistant, content: example.completion, weight: example.label ? 1 : 0)
            rows.feedback.append(FeedbackRow(
                conversation_id: id, interaction_id: example.interactionID,
                prompt: example.prompt, completion: example.completion, label: example.label,
                tokens: counter.count(Self.counted(example.prompt + [completion])),
                content_hash: ContentFingerprint.of(example.prompt + [completion]).hexString))
        }
    }

    private static func counted(_ messages: [ChatMessage]) -> [ChatTokenCounter.Message] {
        messages.map { ChatTokenCounter.Message(role: $0.role.rawValue, content: $0.content) }
    }

    /// SHA-256 over the version and every input of every usable turn, in interaction order.
    private static func fingerprint(_ conversation: [Turn], version: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(version.utf8))
        for item in conversation.sorted(by: { $0.turn.interactionID < $1.turn.interactionID }) {
            let t = item.turn
            let fields = [
                "\(t.interactionID)", "\(t.turnIndex)", "\(t.occurredAt)", t.userInput, t.aiResponse, "\(t.accepted)",
                "\(t.rating ?? 0)", "\(t.helpful.map { "\($0)" } ?? "-")", item.mode.rawValue, item.language ?? "",
            ]
            hasher.update(data: Array(("\u{1E}" + fields.joined(separator: "\u{1F}")).utf8))
        }
        return Array(hasher.finalize())
    }

    // MARK: - database

    /// The usable turns per conversation: prepared (texts and verdict of the current versions)
    /// and from users whose training consent is granted. Interactions without a user id have
    /// nobody who could have consented and are never used.
    private func loadTurns(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: [Turn]] {
        let rows = try conn.query("""
            SELECT c.id, i.id, i.turn_index, (extract(epoch FROM i.occurred_at) * 1000000)::bigint, i.mode, i.language,
                   t.user_input, t.ai_response, v.accepted, v.rating,
                   (SELECT f.helpful FROM coachspool.feedback f
                     WHERE f.interaction_id = i.id AND f.helpful IS NOT NULL ORDER BY f.id DESC LIMIT 1)
              FROM coachspool.conversations c
             CROSS JOIN LATERAL (
                    SELECT * FROM coachspool.interactions x WHERE x.session_id = c.session_id
                    UNION ALL
                    SELECT * FROM coachspool.interactions x WHERE x.id = c.interaction_id) i
              JOIN coachspool.consents k ON k.user_id = i.user_id AND k.purpose = 'training' AND k.granted
              JOIN coachspool.interaction_texts t ON t.interaction_id = i.id AND t.text_version = \(textVersion)
              JOIN coachspool.quality_verdicts v ON v.interaction_id = i.id AND v.pipeline_version = \(qualityVersion)
             WHERE c.id = ANY(\(ids)::bigint[])
            """)
        var turns: [Int64: [Turn]] = [:]
        for row in rows {
            let modeText = try row.decode(String.self, at: 4)
            guard let mode = Mode(rawValue: modeText) else {
                throw SpoolError(.input, "interaction \(try row.decode(Int64.self, at: 1)) has unknown mode \(modeText)")
            }
            let index = try row.decode(Int?.self, at: 2)
            turns[try row.decode(Int64.self, at: 0), default: []].append(Turn(
                turn: ConversationTurn(
                    interactionID: try row.decode(Int64.self, at: 1), turnIndex: index ?? 0,
                    occurredAt: try row.decode(Int64.self, at: 3),
                    userInput: try row.decode(String.self, at: 6), aiResponse: try row.decode(String.self, at: 7),
                    accepted: try row.decode(Bool.self, at: 8), rating: try row.decode(Int?.self, at: 9),
                    helpful: try row.decode(Bool?.self, at: 10)),
                hasTurnIndex: index != nil, mode: mode, language: try row.decode(String?.self, at: 5)))
        }
        return turns.mapValues(Self.ordered)
    }

    /// In conversation order. Without turn indexes on every interaction, regenerations cannot
    /// be told apart from new turns: then each interaction is its own turn, in time order.
    private static func ordered(_ turns: [Turn]) -> [Turn] {
        let sorted = turns.sorted { ($0.turn.turnIndex, $0.turn.occurredAt, $0.turn.interactionID) < ($1.turn.turnIndex, $1.turn.occurredAt, $1.turn.interactionID) }
        guard sorted.contains(where: { !$0.hasTurnIndex }) else { return sorted }
        var byTime = turns.sorted { ($0.turn.occurredAt, $0.turn.interactionID) < ($1.turn.occurredAt, $1.turn.interactionID) }
        for position in byTime.indices { byTime[position].turn.turnIndex = position }
        return byTime
    }

    /// The input fingerprints (hex) of the conversations' builds at this version.
    private func storedFingerprints(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: String] {
        let rows = try conn.query("""
            SELECT conversation_id, encode(input_hash, 'hex') FROM coachspool.conversation_builds
             WHERE conversation_id = ANY(\(ids)::bigint[]) AND version = \(builder.version)
            """)
        return try Dictionary(uniqueKeysWithValues: rows.map { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1)) })
    }

    /// Replaces the examples of `conversations` at this version: delete, then insert, inside
    /// the transaction that retired their jobs.
    private func replace(_ conversations: [Int64], with rows: Rows, owner: String, on conn: PGConnection) throws {
        try conn.query("""
            WITH e AS (DELETE FROM coachspool.examples WHERE conversation_id = ANY(\(conversations)::bigint[]) AND version = \(builder.version)),
                 p AS (DELETE FROM coachspool.preference_pairs WHERE conversation_id = ANY(\(conversations)::bigint[]) AND version = \(builder.version))
            DELETE FROM coachspool.feedback_examples WHERE conversation_id = ANY(\(conversations)::bigint[]) AND version = \(builder.version)
            """)
        try conn.query(PGQuery(unsafeSQL: Self.insertSQL, binds: [
            builder.version, owner, try JobQueue.jsonText(rows.builds), try JobQueue.jsonText(rows.examples),
            try JobQueue.jsonText(rows.pairs), try JobQueue.jsonText(rows.feedback),
        ]))
    }

    /// Times are microseconds since the epoch, converted once here.
    private static let insertSQL = """
        WITH builds AS (
            INSERT INTO coachspool.conversation_builds
                   (conversation_id, version, input_hash, interactions, mode, language, first_at, last_at, worker)
            SELECT b.conversation_id, $1, decode(b.input_hash, 'hex'), b.interactions, b.mode, b.language,
                   timestamptz 'epoch' + b.first_at * interval '1 microsecond',
                   timestamptz 'epoch' + b.last_at * interval '1 microsecond', $2
              FROM jsonb_to_recordset($3::jsonb) AS b(conversation_id bigint, input_hash text, interactions integer,
                   mode text, language text, first_at bigint, last_at bigint)
            ON CONFLICT (conversation_id, version) DO UPDATE
               SET input_hash = excluded.input_hash, interactions = excluded.interactions, mode = excluded.mode,
                   language = excluded.language, first_at = excluded.first_at, last_at = excluded.last_at,
                   worker = excluded.worker, built_at = now()
        ), examples AS (
            INSERT INTO coachspool.examples (conversation_id, version, messages, turns, trained_turns, tokens, content_hash)
            SELECT e.conversation_id, $1, e.messages, e.turns, e.trained_turns, e.tokens, decode(e.content_hash, 'hex')
              FROM jsonb_to_recordset($4::jsonb) AS e(conversation_id bigint, messages jsonb, turns integer,
                   trained_turns integer, tokens integer, content_hash text)
        ), pairs AS (
            INSERT INTO coachspool.preference_pairs (conversation_id, version, turn_index, input, preferred, non_preferred,
                   preferred_interaction, non_preferred_interaction, tokens, content_hash)
            SELECT p.conversation_id, $1, p.turn_index, p.input, p.preferred, p.non_preferred, p.preferred_interaction,
                   p.non_preferred_interaction, p.tokens, decode(p.content_hash, 'hex')
              FROM jsonb_to_recordset($5::jsonb) AS p(conversation_id bigint, turn_index integer, input jsonb,
                   preferred text, non_preferred text, preferred_interaction bigint, non_preferred_interaction bigint,
                   tokens integer, content_hash text)
        )
        INSERT INTO coachspool.feedback_examples (conversation_id, version, interaction_id, prompt, completion, label,
               tokens, content_hash)
        SELECT f.conversation_id, $1, f.interaction_id, f.prompt, f.completion, f.label, f.tokens, decode(f.content_hash, 'hex')
          FROM jsonb_to_recordset($6::jsonb) AS f(conversation_id bigint, interaction_id bigint, prompt jsonb,
               completion text, label boolean, tokens integer, content_hash text)
        """

    // MARK: - rows

    private struct Rows {
        var builds: [BuildRow] = []
        var examples: [ExampleRow] = []
        var pairs: [PairRow] = []
        var feedback: [FeedbackRow] = []

        func only(_ ids: [Int64]) -> Rows {
            let keep = Set(ids)
            return Rows(
                builds: builds.filter { keep.contains($0.conversation_id) },
                examples: examples.filter { keep.contains($0.conversation_id) },
                pairs: pairs.filter { keep.contains($0.conversation_id) },
                feedback: feedback.filter { keep.contains($0.conversation_id) })
        }
    }

    private struct BuildRow: Encodable {
        var conversation_id: Int64
        var input_hash: String
        var interactions: Int
        var mode: String?
        var language: String?
        var first_at: Int64?
        var last_at: Int64?
    }

    private struct ExampleRow: Encodable {
        var conversation_id: Int64
        var messages: [ChatMessage]
        var turns: Int
        var trained_turns: Int
        var tokens: Int
        var content_hash: String
    }

    private struct PairRow: Encodable {
        var conversation_id: Int64
        var turn_index: Int
        var input: [ChatMessage]
        var preferred: String
        var non_preferred: String
        var preferred_interaction: Int64
        var non_preferred_interaction: Int64
        var tokens: Int
        var content_hash: String
    }

    private struct FeedbackRow: Encodable {
        var conversation_id: Int64
        var interaction_id: Int64
        var prompt: [ChatMessage]
        var completion: String
        var label: Bool
        var tokens: Int
        var content_hash: String
    }
}
