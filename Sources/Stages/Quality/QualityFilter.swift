/// The seed's `filter_quality_data` as a pure function, with every failed rule named.
public struct QualityFilter: Sendable, Equatable {
    /// The lowest rating that passes (the seed's `min_rating=3`).
    public var minRating: Int
    /// `user_input` must be longer than this many characters (Unicode scalars, as Python's `len`).
    public var minUserInputLength: Int
    /// `ai_response` must be longer than this many characters.
    public var minResponseLength: Int

    public init(minRating: Int = 3, minUserInputLength: Int = 10, minResponseLength: Int = 20) {
        self.minRating = minRating
        self.minUserInputLength = minUserInputLength
        self.minResponseLength = minResponseLength
    }

    /// Stored with every verdict: a change of configuration is a new pipeline version, and its
    /// verdicts live beside the old ones.
    public var pipelineVersion: String {
        "quality-v1:rating>=\(minRating):input>\(minUserInputLength):response>\(minResponseLength)"
    }

    public struct Input: Sendable, Equatable {
        public var userInput: String
        public var aiResponse: String
        /// The latest rating, nil while there is no feedback.
        public var rating: Int?

        public init(userInput: String, aiResponse: String, rating: Int?) {
            self.userInput = userInput
            self.aiResponse = aiResponse
            self.rating = rating
        }
    }

    public enum Reason: String, Sendable, CaseIterable, Codable {
        /// No rating yet; the interaction is evaluated again when feedback arrives.
        case noFeedbackYet = "no_feedback_yet"
        case ratingTooLow = "rating_below_minimum"
        case userInputTooShort = "user_input_too_short"
        case responseTooShort = "ai_response_too_short"
    }

    public struct Verdict: Sendable, Equatable {
        public var accepted: Bool { reasons.isEmpty }
        public var reasons: [Reason]
    }

    public func evaluate(_ input: Input) -> Verdict {
        var reasons: [Reason] = []
        if let rating = input.rating {
            if rating < minRating { reasons.append(.ratingTooLow) }
        } else {
            reasons.append(.noFeedbackYet)
        }
        if input.userInput.unicodeScalars.count <= minUserInputLength { reasons.append(.userInputTooShort) }
        if input.aiResponse.unicodeScalars.count <= minResponseLength { reasons.append(.responseTooShort) }
        return Verdict(reasons: reasons)
    }
}
