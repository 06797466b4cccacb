import CoachSpoolCore
import Crypto

/// One exchange of a conversation as the example builder sees it: redacted texts, the quality
/// verdict and the latest feedback. Regenerations (several answers to one user turn) share a
/// `turnIndex`.
public struct ConversationTurn: Sendable, Equatable {
    public var interactionID: Int64
    public var turnIndex: Int
    /// Microseconds since the Unix epoch: orders answers within a turn, and turns without index.
    public var occurredAt: Int64
    public var userInput: String
    public var aiResponse: String
    public var accepted: Bool
    public var rating: Int?
    public var helpful: Bool?
    /// What the coach said before the user's first message (on the first turn's interactions).
    public var opening: String?
    /// A reviewer's latest decision on this answer, if any.
    public var review: ReviewDecision?

    public init(
        interactionID: Int64, turnIndex: Int, occurredAt: Int64, userInput: String, aiResponse: String,
        accepted: Bool, rating: Int?, helpful: Bool?, opening: String? = nil, review: ReviewDecision? = nil
    ) {
        self.interactionID = interactionID
        self.turnIndex = turnIndex
        self.occurredAt = occurredAt
        self.userInput = userInput
        self.aiResponse = aiResponse
        self.accepted = accepted
        self.rating = rating
        self.helpful = helpful
        self.opening = opening
        self.review = review
    }

    /// Whether the answer is trained on: a reviewer's approval or rejection overrules the
    /// quality filter; a corrected answer is not (its correction is, in an example of its own).
    public var isTrained: Bool {
        switch review {
        case .approve: true
        case .reject, .correct: false
        case nil: accepted
        }
    }

    /// The correction of this answer, if a reviewer wrote one.
    public var correction: String? {
        if case .correct(let answer) = review { answer } else { nil }
    }

    /// Turn index, then time, then id: the order of a conversation, and of answers within a turn.
    public static func inConversationOrder(_ a: ConversationTurn, _ b: ConversationTurn) -> Bool {
        (a.turnIndex, a.occurredAt, a.interactionID) < (b.turnIndex, b.occurredAt, b.interactionID)
    }
}

/// A chat message of a fine-tuning example. `weight` (0 or 1) only on assistant messages:
/// OpenAI trains on assistant messages of weight 1 and keeps those of weight 0 as context.
public struct ChatMessage: Sendable, Equatable, Hashable, Codable {
    public enum Role: String, Sendable, Codable { case system, user, assistant }
    public var role: Role
    public var content: String
    public var weight: Int?

    public init(role: Role, content: String, weight: Int? = nil) {
        self.role = role
        self.content = content
        self.weight = weight
    }
}

/// A reviewer's decision on an answer (`coachspool.reviews`, the latest per interaction).
public enum ReviewDecision: Sendable, Equatable {
    /// Train on the answer after all.
    case approve
    /// Keep the answer out.
    case reject
    /// The answer the coach should have given (redacted).
    case correct(answer: String)
}

/// A DPO pair in OpenAI's preference format: `input.messages`, `preferred_output`,
/// `non_preferred_output` (one assistant message each).
public struct PreferencePair: Sendable, Equatable {
    public var input: [ChatMessage]
    public var preferred: String
    public var nonPreferred: String
    /// The user turn the two answers reply to.
    public var turnIndex: Int
    /// The interactions the two answers came from (preferred first; the same one twice for a
    /// correction against its original).
    public var interactionIDs: [Int64]
    /// A reviewer's correction against the answer it corrects.
    public var fromReview = false
}

/// A KTO example (TRL's conversational form): the prompt messages, one completion, and
/// whether the user found it helpful.
public struct BinaryFeedbackExample: Sendable, Equatable {
    public var prompt: [ChatMessage]
    public var completion: String
    public var label: Bool
    public var interactionID: Int64
    /// Made from a reviewer's correction: the correction (desirable) or the answer it corrects
    /// (undesirable).
    public var fromReview = false
}

/// A conversation up to a corrected answer, ending with the correction: the only trained
/// message (weight 1); everything before it is context (weight 0), as the user saw it.
public struct CorrectionExample: Sendable, Equatable {
    public var messages: [ChatMessage]
    /// The interaction whose answer was corrected.
    public var interactionID: Int64
}

/// Turns a conversation (one session, or one interaction without a session) into fine-tuning
/// data. Pure.
///
/// - SFT: the system prompt of the mode and language (`SystemPrompts`), then per turn the user
///   message and one answer: of several answers to a turn (regenerations) the accepted one with
///   the best rating, latest first on ties. Accepted answers have weight 1; rejected ones stay as
///   context with weight 0, except at the end, where they would be context for nothing. No
///   accepted answer: no example.
/// - DPO: a turn with answers of different ratings gives the best against the worst, with the
///   conversation before it (the chosen answers) as input.
/// - KTO: a turn with a single answer that has a rating and `helpful` set.
///
/// Reviews (issue 30), one rule for every format: an approved answer is trained on, a rejected
/// one is not, whatever the filter said. A corrected answer stays in the conversation as what the
/// user saw (weight 0: context for the later turns), and the correction becomes the trained
/// answer of an example of its own (`CorrectionExample`: the conversation before that turn as
/// context, then the correction), which the SFT formats export beside the conversation; for DPO
/// the correction is chosen against the original (instead of the turn's rating pair), for KTO the
/// correction is desirable and the original undesirable (instead of the user's label).
public struct ExampleBuilder: Sendable {
    public var prompts: SystemPrompts
    /// The versions of the stages whose output the examples are built from (quality filter,
    /// redaction and token counting): part of `version`.
    public var sourceVersions: [String]

    public init(prompts: SystemPrompts = SystemPrompts(), sourceVersions: [String] = []) {
        self.prompts = prompts
        self.sourceVersions = sourceVersions
    }

    /// Names everything that shapes the output: stored with each example. v2: prompts per
    /// language (every prompt, in `SystemPrompts.all` order, and the detector that picks the
    /// language of untagged conversations).
    public var version: String {
        let parts = prompts.all + [LanguageDetector.version] + sourceVersions
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{1F}").utf8))
        return "examples-v2:" + digest.prefix(6).hexString
    }

    public struct Output: Sendable, Equatable {
        public var messages: [ChatMessage]?
        /// The coach's greeting, when the conversation has one: after the system prompt, weight 0.
        public var opening: String?
        public var preferences: [PreferencePair]
        public var binaryFeedback: [BinaryFeedbackExample]
        /// One per corrected answer, in conversation order.
        public var corrections: [CorrectionExample] = []
    }

    /// `language`: the conversation's, as `Language.resolve` decides it (`ConversationStage`).
    public func build(mode: Mode, language: Language, turns: [ConversationTurn]) -> Output {
        let system = ChatMessage(role: .system, content: prompts.prompt(for: mode, in: language))
        var messages = [system]
        var preferences: [PreferencePair] = []
        var binary: [BinaryFeedbackExample] = []
        var corrections: [CorrectionExample] = []
        var anyAccepted = false
        let groups = Self.groupedByTurn(turns)
        // A greeting is context for the first exchange, never trained on.
        let opening = groups.first?.lazy.compactMap(\.opening).first
        if let opening { messages.append(ChatMessage(role: .assistant, content: opening, weight: 0)) }
        for answers in groups {
            let chosen = answers.sorted(by: Self.isBetterChoice)[0]
            let user = ChatMessage(role: .user, content: chosen.userInput)
            let prompt = messages + [user]
            let corrected = answers.filter { $0.correction != nil }.sorted { $0.interactionID < $1.interactionID }
            for answer in corrected {
                let correction = answer.correction!
                let context = prompt.map { $0.role == .assistant ? ChatMessage(role: .assistant, content: $0.content, weight: 0) : $0 }
                corrections.append(CorrectionExample(
                    messages: context + [ChatMessage(role: .assistant, content: correction, weight: 1)], interactionID: answer.interactionID))
                preferences.append(PreferencePair(
                    input: prompt, preferred: correction, nonPreferred: answer.aiResponse, turnIndex: answer.turnIndex,
                    interactionIDs: [answer.interactionID, answer.interactionID], fromReview: true))
                binary.append(BinaryFeedbackExample(
                    prompt: prompt, completion: answer.aiResponse, label: false, interactionID: answer.interactionID, fromReview: true))
                binary.append(BinaryFeedbackExample(
                    prompt: prompt, completion: correction, label: true, interactionID: answer.interactionID, fromReview: true))
            }
            let rated = answers.filter { $0.rating != nil }.sorted { ($0.rating!, $0.occurredAt) > ($1.rating!, $1.occurredAt) }
            if corrected.isEmpty, let best = rated.first, let worst = rated.last, best.rating! > worst.rating! {
                preferences.append(PreferencePair(
                    input: prompt, preferred: best.aiResponse, nonPreferred: worst.aiResponse, turnIndex: chosen.turnIndex,
                    interactionIDs: [best.interactionID, worst.interactionID]))
            }
            if answers.count == 1, let only = answers.first, only.correction == nil, only.rating != nil, let helpful = only.helpful {
                binary.append(BinaryFeedbackExample(
                    prompt: prompt, completion: only.aiResponse, label: helpful, interactionID: only.interactionID))
            }
            anyAccepted = anyAccepted || chosen.isTrained
            messages = prompt + [ChatMessage(role: .assistant, content: chosen.aiResponse, weight: chosen.isTrained ? 1 : 0)]
        }
        // Trailing rejected answers are context for nothing: they would only cost tokens.
        while anyAccepted, let last = messages.last, last.role == .assistant, last.weight == 0 {
            messages.removeLast(2)
        }
        return Output(
            messages: anyAccepted ? messages : nil, opening: opening, preferences: preferences, binaryFeedback: binary,
            corrections: corrections)
    }

    /// Turns in order (index, then time); answers of one turn together.
    static func groupedByTurn(_ turns: [ConversationTurn]) -> [[ConversationTurn]] {
        turns.sorted(by: ConversationTurn.inConversationOrder).runs(by: \.turnIndex)
    }

    /// Trained before not (accepted, or approved by a reviewer), then the higher rating (rated
    /// before unrated), then the later.
    static func isBetterChoice(_ a: ConversationTurn, _ b: ConversationTurn) -> Bool {
        if a.isTrained != b.isTrained { return a.isTrained }
        if a.rating != b.rating { return (a.rating ?? 0) > (b.rating ?? 0) }
        if a.occurredAt != b.occurredAt { return a.occurredAt > b.occurredAt }
        return a.interactionID > b.interactionID
    }
}
