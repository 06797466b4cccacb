import Stages
import Crypto
import Tokenizers

/// What a worker does with a conversation (`conversation` jobs), as a pure function: order its
/// usable turns, fingerprint them, and build the rows of `conversation_builds`, `examples`,
/// `preference_pairs` and `feedback_examples` (`ExampleBuilder` does the building, the
/// cl100k counter the token counts).
///
/// People and addresses are numbered per conversation: the turns' original texts are redacted
/// again, in conversation order, with one set of pseudonyms (`TextPreparation.redactConversation`),
/// so that "Jonas" is `<PERSON_1>` in every turn of a conversation, or the same invented name
/// with `Pseudonyms.Style.surrogate`. The stored per-interaction texts (numbered per exchange)
/// are what the fingerprint reads, and the fallback when a text cannot be vouched for.
public struct ConversationStage: Sendable {
    public let builder: ExampleBuilder
    public let counter: ChatTokenCounter
    /// Redacts the original texts again for conversation-wide pseudonyms; nil: the stored texts.
    public let text: TextPreparation?
    public let pseudonyms: Pseudonyms.Style

    /// Token counts of the texts every conversation repeats (the system prompts, the roles),
    /// counted once here rather than once per conversation.
    private let precounted: [TextBytes: Int]
    /// `builder.version`, a digest of every prompt: computed once here, not per conversation.
    public let version: String

    public init(builder: ExampleBuilder, counter: ChatTokenCounter, text: TextPreparation? = nil, pseudonyms: Pseudonyms.Style = .placeholder) {
        self.builder = builder
        self.counter = counter
        self.text = text
        self.pseudonyms = pseudonyms
        version = builder.version
        let repeated = builder.prompts.all + [ChatMessage.Role.system, .user, .assistant].map(\.rawValue)
        precounted = Dictionary(repeated.map { (TextBytes($0), counter.encoding.count($0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// One usable interaction of the conversation (prepared, verdict of the current version,
    /// from a user who consented to training).
    public struct Turn: Sendable, Equatable {
        public var turn: ConversationTurn
        /// False when the interaction came without a turn index.
        public var hasTurnIndex: Bool
        public var mode: Mode
        public var language: String?
        /// The interaction's texts as the user and the coach wrote them, read only to number
        /// people per conversation, never stored or returned. Where the redaction found nothing
        /// they are `turn`'s texts (the loader does not fetch them twice). The pass still runs
        /// over them: `text_version` does not change with the name lexicon, so a text an earlier
        /// build found nothing in may hold a name the current rules find.
        public var original: Original?
        /// The cl100k counts the interaction stage stored for `turn`'s texts as loaded (the same
        /// encoding): a text the conversation-wide redaction leaves as it was is not counted again.
        public var storedTokens: StoredTokens?

        public init(
            turn: ConversationTurn, hasTurnIndex: Bool, mode: Mode, language: String?, original: Original? = nil,
            storedTokens: StoredTokens? = nil
        ) {
            self.turn = turn
            self.hasTurnIndex = hasTurnIndex
            self.mode = mode
            self.language = language
            self.original = original
            self.storedTokens = storedTokens
        }
    }

    public struct StoredTokens: Sendable, Equatable {
        public var userInput: Int
        public var aiResponse: Int

        public init(userInput: Int, aiResponse: Int) {
            self.userInput = userInput
            self.aiResponse = aiResponse
        }
    }

    public struct Original: Sendable, Equatable {
        public var userInput: String
        public var aiResponse: String
        public var opening: String?

        public init(userInput: String, aiResponse: String, opening: String?) {
            self.userInput = userInput
            self.aiResponse = aiResponse
            self.opening = opening
        }
    }

    /// Everything derived from one conversation. Times are microseconds since the epoch.
    public struct Rows: Sendable, Equatable {
        public var build: Build
        public var example: Example?
        /// One per corrected answer (`ExampleBuilder`, "Reviews").
        public var corrections: [Example] = []
        public var pairs: [Pair] = []
        public var feedback: [Feedback] = []
    }

    public struct Build: Sendable, Equatable, Encodable {
        public var conversation_id: Int64
        /// SHA-256 of the version and every input, hex: equal means nothing to rebuild.
        public var input_hash: String
        public var interactions: Int
        public var mode: String?
        public var language: String?
        public var first_at: Int64?
        public var last_at: Int64?
    }

    public struct Example: Sendable, Equatable, Encodable {
        public var conversation_id: Int64
        /// 0: the conversation as it happened; else the interaction whose correction ends it.
        public var branch: Int64 = 0
        public var messages: [ChatMessage]
        public var turns: Int
        public var trained_turns: Int
        public var tokens: Int
        public var content_hash: String
    }

    public struct Pair: Sendable, Equatable, Encodable {
        public var conversation_id: Int64
        public var turn_index: Int
        public var input: [ChatMessage]
        public var preferred: String
        public var non_preferred: String
        public var preferred_interaction: Int64
        public var non_preferred_interaction: Int64
        public var from_review: Bool
        public var tokens: Int
        public var content_hash: String
    }

    public struct Feedback: Sendable, Equatable, Encodable {
        public var conversation_id: Int64
        public var interaction_id: Int64
        public var prompt: [ChatMessage]
        public var completion: String
        public var label: Bool
        public var from_review: Bool
        public var tokens: Int
        public var content_hash: String
    }

    /// The fingerprint of a conversation's inputs at this builder's version (hex).
    public func fingerprint(_ turns: [Turn]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(version.utf8))
        for item in Self.ordered(turns).sorted(by: { $0.turn.interactionID < $1.turn.interactionID }) {
            let t = item.turn
            var fields = [
                "\(t.interactionID)", "\(t.turnIndex)", "\(t.occurredAt)", t.userInput, t.aiResponse, "\(t.accepted)",
                "\(t.rating ?? 0)", "\(t.helpful.map { "\($0)" } ?? "-")", item.mode.rawValue, item.language ?? "",
            ]
            // Only when there is one: fingerprints of conversations without a greeting or a review
            // stay as they were.
            if let opening = t.opening { fields.append(opening) }
            switch t.review {
            case nil: break
            case .approve: fields.append("review:approve")
            case .reject: fields.append("review:reject")
            case .correct(let answer): fields.append("review:correct:" + answer)
            }
            // The bytes of "\u{1E}" + the fields joined by "\u{1F}", fed piece by piece (the texts
            // are not copied into one string first: this runs for every conversation built).
            hasher.update(data: Self.recordSeparator)
            for (index, field) in fields.enumerated() {
                if index > 0 { hasher.update(data: Self.unitSeparator) }
                var field = field
                field.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            }
        }
        return hasher.finalize().hexString
    }

    private static let recordSeparator: [UInt8] = [0x1E]
    private static let unitSeparator: [UInt8] = [0x1F]

    /// The rows of conversation `id` built from its usable turns (in any order). A conversation
    /// with none (consent revoked) gets a build row and nothing else.
    public func run(id: Int64, turns: [Turn], fingerprint: String? = nil) -> Rows {
        var conversation = Self.ordered(turns)
        let times = conversation.map(\.turn.occurredAt)
        var rows = Rows(build: Build(
            conversation_id: id, input_hash: fingerprint ?? self.fingerprint(turns), interactions: conversation.count,
            mode: conversation.first?.mode.rawValue, language: conversation.lazy.compactMap(\.language).first,
            first_at: times.min(), last_at: times.max()))
        guard let mode = conversation.first?.mode else { return rows }
        let language = Self.language(conversation)
        var memo = precounted
        for item in conversation {
            guard let stored = item.storedTokens else { continue }
            memo[TextBytes(item.turn.userInput)] = stored.userInput
            memo[TextBytes(item.turn.aiResponse)] = stored.aiResponse
        }
        numberPeopleAcrossTurns(&conversation, id: id, language: language)
        let output = builder.build(mode: mode, language: language, turns: conversation.map(\.turn))
        func tokens(_ messages: [ChatMessage]) -> Int { counter.count(Self.counted(messages), memo: &memo) }
        func example(_ messages: [ChatMessage], branch: Int64) -> Example {
            Example(
                conversation_id: id, branch: branch, messages: messages,
                turns: messages.count { $0.role == .assistant } - (output.opening == nil ? 0 : 1),
                trained_turns: messages.count { $0.weight == 1 },
                tokens: tokens(messages),
                content_hash: ContentFingerprint.of(messages).hexString)
        }
        rows.example = output.messages.map { example($0, branch: 0) }
        rows.corrections = output.corrections.map { example($0.messages, branch: $0.interactionID) }
        for pair in output.preferences {
            let preferred = ChatMessage(role: .assistant, content: pair.preferred)
            let other = ChatMessage(role: .assistant, content: pair.nonPreferred)
            rows.pairs.append(Pair(
                conversation_id: id, turn_index: pair.turnIndex, input: pair.input,
                preferred: pair.preferred, non_preferred: pair.nonPreferred,
                preferred_interaction: pair.interactionIDs[0], non_preferred_interaction: pair.interactionIDs[1],
                from_review: pair.fromReview, tokens: tokens(pair.input + [preferred]) + tokens([other]),
                content_hash: ContentFingerprint.of(pair.input + [preferred, other]).hexString))
        }
        for example in output.binaryFeedback {
            let completion = ChatMessage(role: .assistant, content: example.completion, weight: example.label ? 1 : 0)
            rows.feedback.append(Feedback(
                conversation_id: id, interaction_id: example.interactionID,
                prompt: example.prompt, completion: example.completion, label: example.label, from_review: example.fromReview,
                tokens: tokens(example.prompt + [completion]),
                content_hash: ContentFingerprint.of(example.prompt + [completion]).hexString))
        }
        return rows
    }

    /// Replaces the turns' texts with their originals redacted in conversation order with one set
    /// of pseudonyms; leaves them as stored when an original is missing or cannot be vouched for.
    /// A reviewer's correction is redacted in the same pass (after the answer it corrects), or on
    /// its own when the pass cannot be made; one that cannot be vouched for counts as a rejection.
    private func numberPeopleAcrossTurns(_ conversation: inout [Turn], id: Int64, language: Language) {
        guard let text else { return }
        let seed = UInt64(bitPattern: id)
        let originals = conversation.compactMap(\.original)
        let redacted: [String]?
        // A greeting is redacted only where the stored turn has one (the conversation's first).
        let greeted = conversation.indices.map { conversation[$0].turn.opening != nil && originals.count == conversation.count && originals[$0].opening != nil }
        if originals.count == conversation.count {
            var texts: [String] = []
            texts.reserveCapacity(conversation.count * 2 + 1)
            for (k, original) in originals.enumerated() {
                if greeted[k], let opening = original.opening { texts.append(opening) }
                texts += [original.userInput, original.aiResponse]
                if let correction = conversation[k].turn.correction { texts.append(correction) }
            }
            redacted = text.redactConversation(texts, seed: seed, language: language, style: pseudonyms)
        } else {
            redacted = nil
        }
        guard let redacted else {
            for k in conversation.indices {
                guard let correction = conversation[k].turn.correction else { continue }
                conversation[k].turn.review = text.redactConversation([correction], seed: seed, language: language, style: pseudonyms)
                    .map { .correct(answer: $0[0]) } ?? .reject
            }
            return
        }
        var next = 0
        func take() -> String {
            defer { next += 1 }
            return redacted[next]
        }
        for k in conversation.indices {
            if greeted[k] { conversation[k].turn.opening = take() }
            conversation[k].turn.userInput = take()
            conversation[k].turn.aiResponse = take()
            if conversation[k].turn.correction != nil { conversation[k].turn.review = .correct(answer: take()) }
        }
    }

    /// The language of the conversation's prompt (`Language.resolve`): its first tag, else the
    /// language of its own redacted texts (the first 20 exchanges: the detector reads 2,000 words
    /// at most), else Swedish.
    static func language(_ conversation: [Turn]) -> Language {
        Language.resolve(tag: conversation.lazy.compactMap(\.language).first) {
            conversation.prefix(20).map { $0.turn.userInput + "\n" + $0.turn.aiResponse }.joined(separator: "\n")
        }
    }

    private static func counted(_ messages: [ChatMessage]) -> [ChatTokenCounter.Message] {
        messages.map { ChatTokenCounter.Message(role: $0.role.rawValue, content: $0.content) }
    }

    /// In conversation order. Without turn indexes on every interaction, regenerations cannot
    /// be told apart from new turns: then each interaction is its own turn, in time order.
    static func ordered(_ turns: [Turn]) -> [Turn] {
        guard turns.contains(where: { !$0.hasTurnIndex }) else {
            return turns.sorted { ConversationTurn.inConversationOrder($0.turn, $1.turn) }
        }
        var byTime = turns.sorted { ($0.turn.occurredAt, $0.turn.interactionID) < ($1.turn.occurredAt, $1.turn.interactionID) }
        for position in byTime.indices { byTime[position].turn.turnIndex = position }
        return byTime
    }
}
