import CoachSpoolCore
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
    public var version: String { Self.version(redactor: redactor) }

    /// The version of a preparation with `redactor`, without the ranks file (`coachspool --version`).
    public static func version(redactor: Redactor = Redactor()) -> String { redactor.configuration + ";cl100k_base" }

    public struct Output: Sendable, Equatable {
        public var userInput: String
        public var aiResponse: String
        /// The coach's greeting before the first message, when there was one.
        public var opening: String?
        /// Entities removed from all texts, by type (never the values).
        public var entityCounts: [PIIType: Int]
        public var userInputTokens: Int
        public var aiResponseTokens: Int
    }

    /// Redaction that cannot be vouched for is an error, never a pass-through: the redacted
    /// text is scanned again and must come back clean.
    /// The three texts share their pseudonyms: a person is `<PERSON_1>` in the greeting, the
    /// message and the answer.
    public func prepare(userInput: String, aiResponse: String, opening: String? = nil) throws(CoachSpoolError) -> Output {
        var pseudonyms = Pseudonyms()
        let greeting = try opening.map { text throws(CoachSpoolError) in try redactedForSure(text, &pseudonyms) }
        let input = try redactedForSure(userInput, &pseudonyms)
        let response = try redactedForSure(aiResponse, &pseudonyms)
        return Output(
            userInput: input.text, aiResponse: response.text, opening: greeting?.text,
            entityCounts: [input.counts, response.counts, greeting?.counts ?? [:]].reduce(into: [:]) {
                $0.merge($1, uniquingKeysWith: +)
            },
            userInputTokens: encoding.count(input.text), aiResponseTokens: encoding.count(response.text))
    }

    /// The texts of one conversation, in conversation order, redacted with one set of
    /// pseudonyms (`seed`: the conversation's id) and rendered in `style`: the same person has
    /// the same pseudonym in every turn. Nil when a text cannot be vouched for.
    public func redactConversation(
        _ texts: [String], seed: UInt64, language: Language?, style: Pseudonyms.Style
    ) -> [String]? {
        var pseudonyms = Pseudonyms(seed: seed, language: language)
        var redactions: [Redaction] = []
        redactions.reserveCapacity(texts.count)
        for text in texts {
            guard let redaction = try? redactedForSure(text, &pseudonyms) else { return nil }
            redactions.append(redaction)
        }
        guard style == .surrogate else { return redactions.map(\.text) }
        let surrogates = pseudonyms.surrogates()
        return redactions.map { $0.rendered(with: surrogates) }
    }

    private func redactedForSure(_ text: String, _ pseudonyms: inout Pseudonyms) throws(CoachSpoolError) -> Redaction {
        let redacted = redactor.redact(text, pseudonyms: &pseudonyms)
        // Nothing found: the text came back as it was, and a scan of it again would find nothing
        // again (what the redactor finds depends on the text alone, not on the pseudonyms).
        if redacted.entities.isEmpty, redacted.text == text { return redacted }
        guard redactor.redact(redacted.text).entities.isEmpty else {
            throw CoachSpoolError(.processing, "redaction is not idempotent for this text; refusing to store it")
        }
        return redacted
    }
}
