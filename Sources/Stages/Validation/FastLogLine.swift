/// A byte scanner for the common shape of the seed's log line (a flat object of the known keys,
/// `feedback` and `consent` objects inside), ~5× cheaper than `JSONDecoder`, for bulk ingest.
///
/// It only ever accepts what `RawInteraction`'s decoding accepts, with the same result: anything
/// it is not sure of (an unknown or repeated key, a number with a fraction, a string that fails
/// validation, malformed JSON) returns nil, and the line goes through `JSONDecoder`, which gives
/// the record or the precise error. `FastLogLineTests` holds the two paths together.
enum FastLogLine {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> RawInteraction? {
        var scanner = JSONByteScanner(bytes: bytes)
        guard let raw = scanner.interaction(), scanner.atEnd() else { return nil }
        return raw
    }
}

/// The log line, read by the shared scanner.
private extension JSONByteScanner {
    /// The log line's keys, in the order `Field` numbers them.
    private static let interactionKeys: [StaticString] = [
        "id", "session_id", "turn_index", "timestamp", "user_input", "ai_response", "mode", "user_id", "language",
        "feedback", "consent",
    ]
    private static let feedbackKeys: [StaticString] = ["rating", "helpful"]
    private static let consentKeys: [StaticString] = ["training", "retrieval"]
    private enum Field: Int {
        case id, sessionID, turnIndex, timestamp, userInput, aiResponse, mode, userID, language, feedback, consent
    }

    mutating func interaction() -> RawInteraction? {
        var fields = [Value?](repeating: nil, count: Field.feedback.rawValue)
        var feedback: RawFeedback?
        var consent: ConsentRecord?
        let ok = object(keys: Self.interactionKeys) { scanner, index in
            switch Field(rawValue: index)! {
            case .feedback:
                return scanner.feedback(&feedback)
            case .consent:
                return scanner.consent(&consent)
            default:
                guard let value = scanner.value() else { return false }
                fields[index] = value
                return true
            }
        }
        guard ok else { return nil }
        func text(_ field: Field) -> String?? {
            switch fields[field.rawValue] {
            case nil, .null?: return .some(nil)
            case .string(let s)?: return .some(s)
            default: return nil
            }
        }
        func identifier(_ field: Field) -> String?? {
            switch fields[field.rawValue] {
            case nil, .null?: return .some(nil)
            case .string(let s)? where !s.isEmpty: return .some(s)
            case .integer(let n)?: return .some(String(n))
            default: return nil
            }
        }
        guard let id = identifier(.id), let session = identifier(.sessionID), let user = identifier(.userID),
              let language = text(.language), let modeText = text(.mode),
              case .string(let timestamp)? = fields[Field.timestamp.rawValue], let occurredAt = ISOTimestamp.parseMicros(timestamp),
              case .string(let userInput)? = fields[Field.userInput.rawValue], !userInput.isBlank,
              case .string(let aiResponse)? = fields[Field.aiResponse.rawValue], !aiResponse.isBlank
        else { return nil }
        var turnIndex: Int?
        switch fields[Field.turnIndex.rawValue] {
        case nil, .null?: turnIndex = nil
        case .integer(let n)? where n >= 0 && n <= Int64(Int32.max): turnIndex = Int(n)
        default: return nil
        }
        var mode: Mode?
        if let modeText {
            guard let parsed = Mode(rawValue: modeText) else { return nil }
            mode = parsed
        }
        if consent != nil, user == nil { return nil }
        return RawInteraction(
            id: id, sessionID: session, turnIndex: turnIndex, occurredAt: occurredAt, userInput: userInput,
            aiResponse: aiResponse, feedback: feedback, mode: mode, userID: user, language: language, consent: consent)
    }

    /// `{"rating": 1…5 or null, "helpful": bool or null}`, or null.
    mutating func feedback(_ feedback: inout RawFeedback?) -> Bool {
        skipSpace()
        if literal("null") { return true }
        var result = RawFeedback(rating: nil, helpful: nil)
        let ok = object(keys: Self.feedbackKeys) { scanner, key in
            switch (key, scanner.value()) {
            case (0, .integer(let rating)?) where (1...5).contains(rating): result.rating = Int(rating)
            case (1, .bool(let helpful)?): result.helpful = helpful
            case (0, .null?), (1, .null?): break
            default: return false
            }
            return true
        }
        guard ok else { return false }
        feedback = result
        return true
    }

    mutating func consent(_ consent: inout ConsentRecord?) -> Bool {
        skipSpace()
        if literal("null") { return true }
        var result = ConsentRecord(training: nil, retrieval: nil)
        let ok = object(keys: Self.consentKeys) { scanner, key in
            guard let value = scanner.value() else { return false }
            switch (key, value) {
            case (0, .bool(let granted)): result.training = granted
            case (1, .bool(let granted)): result.retrieval = granted
            case (0, .null), (1, .null): break
            default: return false
            }
            return true
        }
        guard ok, result.training != nil || result.retrieval != nil else { return false }
        consent = result
        return true
    }
}

extension RawFeedback {
    init(rating: Int?, helpful: Bool?) {
        self.rating = rating
        self.helpful = helpful
    }
}

extension RawInteraction {
    init(
        id: String?, sessionID: String?, turnIndex: Int?, occurredAt: Int64, userInput: String, aiResponse: String,
        feedback: RawFeedback?, mode: Mode?, userID: String?, language: String?, consent: ConsentRecord?
    ) {
        self.id = id
        self.sessionID = sessionID
        self.turnIndex = turnIndex
        self.occurredAt = occurredAt
        self.userInput = userInput
        self.aiResponse = aiResponse
        self.feedback = feedback
        self.mode = mode
        self.userID = userID
        self.language = language
        self.consent = consent
    }
}
