import Stages

/// What the conversation memory keeps of an interaction, as a pure function: the redacted
/// exchange, when the user granted retrieval consent and it passed the quality filter.
public enum MemoryStage {
    public struct Input: Sendable, Equatable {
        public var interactionID: Int64
        /// Redacted texts of the current text version (nil: not prepared yet).
        public var userInput: String?
        public var aiResponse: String?
        public var accepted: Bool
        public var retrievalConsent: Bool

        public init(interactionID: Int64, userInput: String?, aiResponse: String?, accepted: Bool, retrievalConsent: Bool) {
            self.interactionID = interactionID
            self.userInput = userInput
            self.aiResponse = aiResponse
            self.accepted = accepted
            self.retrievalConsent = retrievalConsent
        }
    }

    /// The text to embed and store, or nil: nothing may be remembered (and what was is removed).
    public static func body(of input: Input) -> String? {
        guard input.retrievalConsent, input.accepted, let user = input.userInput, let coach = input.aiResponse else { return nil }
        return "User: \(user)\nCoach: \(coach)"
    }
}
