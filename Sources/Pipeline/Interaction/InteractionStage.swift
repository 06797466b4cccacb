import Stages

/// What a worker does with an interaction (`interaction` jobs), as a pure function: the quality
/// verdict (always: feedback changes it) and the redacted, counted texts (only when the current
/// text version is missing, since feedback does not change them).
public struct InteractionStage: Sendable {
    public let filter: QualityFilter
    public let text: TextPreparation

    public init(filter: QualityFilter, text: TextPreparation) {
        self.filter = filter
        self.text = text
    }

    public struct Input: Sendable, Equatable {
        public var interactionID: Int64
        public var quality: QualityFilter.Input
        /// The coach's greeting before a session's first message, redacted with the texts.
        public var opening: String?
        /// Texts of the current version are stored already.
        public var hasCurrentTexts: Bool

        public init(interactionID: Int64, quality: QualityFilter.Input, opening: String? = nil, hasCurrentTexts: Bool) {
            self.interactionID = interactionID
            self.quality = quality
            self.opening = opening
            self.hasCurrentTexts = hasCurrentTexts
        }
    }

    /// A `quality_verdicts` row (the pipeline version is the filter's).
    public struct Verdict: Sendable, Equatable, Encodable {
        public var interaction_id: Int64
        public var accepted: Bool
        public var reasons: [String]
        public var rating: Int?
    }

    /// An `interaction_texts` row (the text version is the preparation's).
    public struct Texts: Sendable, Equatable, Encodable {
        public var interaction_id: Int64
        public var user_input: String
        public var ai_response: String
        public var opening: String?
        public var entity_counts: [String: Int]
        public var entities: Int
        public var user_input_tokens: Int
        public var ai_response_tokens: Int
    }

    public enum Output: Sendable, Equatable {
        case prepared(Verdict, Texts?)
        /// The texts cannot be redacted with confidence: nothing may be stored. Names no text.
        case failed(String)
    }

    public func run(_ input: Input) -> Output {
        var texts: Texts?
        if !input.hasCurrentTexts {
            do {
                let prepared = try text.prepare(
                    userInput: input.quality.userInput, aiResponse: input.quality.aiResponse, opening: input.opening)
                texts = Texts(
                    interaction_id: input.interactionID, user_input: prepared.userInput, ai_response: prepared.aiResponse,
                    opening: prepared.opening,
                    entity_counts: Dictionary(uniqueKeysWithValues: prepared.entityCounts.map { ($0.key.rawValue, $0.value) }),
                    entities: prepared.entityCounts.values.reduce(0, +), user_input_tokens: prepared.userInputTokens,
                    ai_response_tokens: prepared.aiResponseTokens)
            } catch {
                return .failed("interaction \(input.interactionID): \(error)")
            }
        }
        let verdict = filter.evaluate(input.quality)
        return .prepared(
            Verdict(interaction_id: input.interactionID, accepted: verdict.accepted,
                    reasons: verdict.reasons.map(\.rawValue), rating: input.quality.rating),
            texts)
    }
}
