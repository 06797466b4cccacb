import Tokenizers

/// The text stages of an interaction after the quality filter: PII redaction of both texts,
/// then cl100k token counts of the redacted texts. Pure; the worker stores the output keyed by
/// `version`.
public struct TextPreparation: Sendable {
    public let redactor: Redactor
    public let encoding: CL100K

    public init(redactor: Redactor = Redactor(), encoding: CL100K) {
        self.redactor = redactor
        self.encoding = encoding
    }

    /// Names every rule that shapes the output: a change of either stage is a new version, and
    /// only rows without the current version are recomputed.
    public var version: String { redactor.configuration + ";cl100k_base" }

    public struct Output: Sendable, Equatable {
        public var userInput: String
        public var aiResponse: String
        /// Entities removed from both texts, by type (never the values).
        public var entityCounts: [PIIType: Int]
        public var userInputTokens: Int
        public var aiResponseTokens: Int
    }

    /// Redaction that cannot be vouched for is an error, never a pass-through: the redacted
    /// text is scanned again and must come back clean.
    public func prepare(userInput: String, aiResponse: String) throws(TextPreparationError) -> Output {
        let input = redactor.redact(userInput)
        let response = redactor.redact(aiResponse)
        guard redactor.redact(input.text).entities.isEmpty, redactor.redact(response.text).entities.isEmpty else {
            throw TextPreparationError(message: "redaction is not idempotent for this text; refusing to store it")
        }
        return Output(
            userInput: input.text, aiResponse: response.text,
            entityCounts: input.counts.merging(response.counts, uniquingKeysWith: +),
            userInputTokens: encoding.count(input.text), aiResponseTokens: encoding.count(response.text))
    }
}

/// Why an interaction's texts could not be prepared. Never contains the text.
public struct TextPreparationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
