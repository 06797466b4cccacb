/// The coaching mode an exchange happened in.
public enum Mode: String, Sendable, CaseIterable, Codable {
    case personal
    case university
}

/// One validated exchange, ready to be stored: what the user wrote, what the coach answered,
/// and the feedback that came with it.
public struct InteractionRecord: Sendable, Equatable {
    /// The producer's own id, when it gave one (the idempotency key is then `id:<this>`).
    public var producerID: String?
    public var sessionID: String?
    public var turnIndex: Int?
    public var mode: Mode
    public var language: String?
    public var userID: String?
    /// When the exchange happened, in microseconds since 1970-01-01 UTC.
    public var occurredAtMicros: Int64
    public var userInput: String
    public var aiResponse: String
    public var rating: Int?
    public var helpful: Bool?
    /// Consent given with the line (backfills of data collected under consent); never
    /// overrides a decision recorded already.
    public var consent: ConsentRecord?
    /// The 1-based line of the input file this record came from.
    public var line: Int
    /// What the coach said before the user's first message (a greeting), on the records of a
    /// session's first turn: context for that exchange, never trained on. Not part of the key.
    public var opening: String?

    public init(
        producerID: String? = nil, sessionID: String? = nil, turnIndex: Int? = nil, mode: Mode,
        language: String? = nil, userID: String? = nil, occurredAtMicros: Int64,
        userInput: String, aiResponse: String, rating: Int? = nil, helpful: Bool? = nil,
        consent: ConsentRecord? = nil, line: Int, opening: String? = nil
    ) {
        self.producerID = producerID
        self.sessionID = sessionID
        self.turnIndex = turnIndex
        self.mode = mode
        self.language = language
        self.userID = userID
        self.occurredAtMicros = occurredAtMicros
        self.userInput = userInput
        self.aiResponse = aiResponse
        self.rating = rating
        self.helpful = helpful
        self.consent = consent
        self.line = line
        self.opening = opening
    }
}

/// What a user may consent to, each on its own (schema: `consents.purpose`).
public enum ConsentPurpose: String, Sendable, CaseIterable {
    case training, retrieval
}

/// A user's consent per purpose as an input line states it (nil: not stated).
public struct ConsentRecord: Sendable, Equatable {
    public var training: Bool?
    public var retrieval: Bool?

    public init(training: Bool?, retrieval: Bool?) {
        self.training = training
        self.retrieval = retrieval
    }

    /// The decisions the record states, by purpose.
    public var stated: [(purpose: ConsentPurpose, granted: Bool)] {
        [(.training, training), (.retrieval, retrieval)].compactMap { purpose, granted in granted.map { (purpose, $0) } }
    }
}

/// Why an input line was rejected: `line 12: feedback.rating: expected an integer from 1 to 5`.
///
/// The message names the field and what was expected, never the value: it may be personal data.
public struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    /// The dotted path of the offending field (`conversation[2].content`), or nil for the line.
    public var field: String?
    public var expected: String

    public init(line: Int, field: String?, expected: String) {
        self.line = line
        self.field = field
        self.expected = expected
    }

    public var description: String {
        if let field { return "line \(line): \(field): \(expected)" }
        return "line \(line): \(expected)"
    }
}
