import Foundation

/// A field that is present but not what was expected; becomes a `LineError`.
struct FieldProblem: Error {
    var field: String?
    var expected: String
}

enum JSONLine {
    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch let problem as FieldProblem {
            throw problem
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw FieldProblem(field: nil, expected: "expected a JSON object")
        }
    }
}

/// `value` if `limit` accepts it, else a `FieldProblem` naming `field` (never quoting the value).
func limited(_ value: String, _ limit: TextLimit, field: String) throws -> String {
    if let problem = limit.problem(value) { throw FieldProblem(field: field, expected: problem) }
    return value
}

func limited(_ value: String?, _ limit: TextLimit, field: String) throws -> String? {
    try value.map { try limited($0, limit, field: field) }
}

/// JSON keys of both formats.
enum LineKey: String, CodingKey {
    case id, session_id, turn_index, timestamp, user_input, ai_response, feedback, mode, user_id, language
    case conversation, role, content, rating, helpful
    case consent, training, retrieval
}

extension KeyedDecodingContainer where K == LineKey {
    /// An optional field of type `T`; null counts as absent.
    func optional<T: Decodable>(_ type: T.Type, _ key: LineKey, at path: String, expected: String) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch let problem as FieldProblem {
            throw problem
        } catch {
            throw FieldProblem(field: path + key.stringValue, expected: expected)
        }
    }

    func required<T: Decodable>(_ type: T.Type, _ key: LineKey, at path: String, expected: String) throws -> T {
        guard let value = try optional(T.self, key, at: path, expected: expected) else {
            throw FieldProblem(field: path + key.stringValue, expected: "missing; " + expected)
        }
        return value
    }

    func text(_ key: LineKey, at path: String = "") throws -> String {
        let value = try required(String.self, key, at: path, expected: "expected a non-empty string")
        guard !value.isBlank else {
            throw FieldProblem(field: path + key.stringValue, expected: "expected a non-empty string")
        }
        return value
    }

    func timestamp(_ key: LineKey, at path: String = "", required: Bool) throws -> Int64? {
        let expected = "expected an ISO 8601 timestamp such as 2025-09-29T10:00:00Z"
        let value = required
            ? try self.required(String.self, key, at: path, expected: expected)
            : try optional(String.self, key, at: path, expected: expected)
        guard let value else { return nil }
        guard let micros = ISOTimestamp.parseMicros(value) else {
            throw FieldProblem(field: path + key.stringValue, expected: expected)
        }
        return micros
    }

    func identifier(_ key: LineKey, at path: String = "") throws -> String? {
        guard let value = try optional(Identifier.self, key, at: path, expected: "expected a string or an integer")
        else { return nil }
        guard !value.text.isEmpty else {
            throw FieldProblem(field: path + key.stringValue, expected: "expected a non-empty string or an integer")
        }
        return value.text
    }

    func mode(at path: String = "") throws -> Mode? {
        let expected = "expected \"personal\" or \"university\""
        guard let raw = try optional(String.self, LineKey.mode, at: path, expected: expected) else { return nil }
        guard let mode = Mode(rawValue: raw) else { throw FieldProblem(field: path + "mode", expected: expected) }
        return mode
    }

    func feedback(at path: String = "") throws -> RawFeedback? {
        try optional(RawFeedback.self, LineKey.feedback, at: path, expected: "expected an object with rating and helpful")
    }

    /// `"consent": {"training": bool, "retrieval": bool}`; it belongs to a user, so `user_id`
    /// must be given with it.
    func consent(userID: String?) throws -> ConsentRecord? {
        let expected = "expected an object with training and/or retrieval true or false"
        guard let consent = try optional(RawConsent.self, .consent, at: "", expected: expected) else { return nil }
        guard consent.value.training != nil || consent.value.retrieval != nil else {
            throw FieldProblem(field: "consent", expected: expected)
        }
        guard userID != nil else { throw FieldProblem(field: "consent", expected: "needs user_id: consent belongs to a user") }
        return consent.value
    }
}

struct RawConsent: Decodable {
    var value: ConsentRecord

    init(from decoder: any Decoder) throws {
        let c = try objectContainer(decoder, field: "consent", expected: "expected an object with training and/or retrieval")
        value = ConsentRecord(
            training: try c.optional(Bool.self, .training, at: "consent.", expected: "expected true or false"),
            retrieval: try c.optional(Bool.self, .retrieval, at: "consent.", expected: "expected true or false"))
    }
}

/// The keyed container of a JSON object, or a `FieldProblem` naming `field` when the value is
/// not an object.
func objectContainer(_ decoder: any Decoder, field: String?, expected: String) throws -> KeyedDecodingContainer<LineKey> {
    do {
        return try decoder.container(keyedBy: LineKey.self)
    } catch {
        throw FieldProblem(field: field, expected: expected)
    }
}

/// `conversation[2].feedback`: how error messages name a nested field.
func fieldPath(_ codingPath: [any CodingKey]) -> String {
    var path = ""
    for key in codingPath {
        if let index = key.intValue {
            path += "[\(index)]"
        } else {
            path += path.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return path
}

/// An id may be a JSON string or integer; it is stored as text.
struct Identifier: Decodable {
    var text: String
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else {
            text = String(try container.decode(Int64.self))
        }
    }
}

struct RawFeedback: Decodable {
    var rating: Int?
    var helpful: Bool?
    init(from decoder: any Decoder) throws {
        let path = fieldPath(decoder.codingPath) + "."
        let c = try objectContainer(decoder, field: fieldPath(decoder.codingPath), expected: "expected an object with rating and helpful")
        rating = try c.optional(Int.self, .rating, at: path, expected: "expected an integer from 1 to 5")
        if let rating, !(1...5).contains(rating) {
            throw FieldProblem(field: path + "rating", expected: "expected an integer from 1 to 5")
        }
        helpful = try c.optional(Bool.self, .helpful, at: path, expected: "expected true or false")
    }
}

/// The seed's log line.
struct RawInteraction: Decodable {
    var id: String?
    var sessionID: String?
    var turnIndex: Int?
    var occurredAt: Int64
    var userInput: String
    var aiResponse: String
    var feedback: RawFeedback?
    var mode: Mode?
    var userID: String?
    var language: String?
    var consent: ConsentRecord?

    init(from decoder: any Decoder) throws {
        let c = try objectContainer(decoder, field: nil, expected: "expected a JSON object")
        id = try c.identifier(.id)
        sessionID = try c.identifier(.session_id)
        turnIndex = try c.optional(Int.self, .turn_index, at: "", expected: "expected a non-negative integer")
        occurredAt = try c.timestamp(.timestamp, required: true)!
        userInput = try c.text(.user_input)
        aiResponse = try c.text(.ai_response)
        feedback = try c.feedback()
        mode = try c.mode()
        userID = try c.identifier(.user_id)
        language = try c.optional(String.self, .language, at: "", expected: "expected a language code string")
        consent = try c.consent(userID: userID)
    }

    /// The limits of `InputLimits`, checked here because both parsers (`FastLogLine` and the
    /// decoder) make their records through this function.
    func record(line: Int, defaultMode: Mode) throws -> InteractionRecord {
        _ = try limited(id, InputLimits.identifier, field: "id")
        _ = try limited(sessionID, InputLimits.identifier, field: "session_id")
        _ = try limited(userID, InputLimits.identifier, field: "user_id")
        _ = try limited(language, InputLimits.language, field: "language")
        _ = try limited(userInput, InputLimits.message, field: "user_input")
        _ = try limited(aiResponse, InputLimits.message, field: "ai_response")
        if let turnIndex, !InputLimits.turnIndex.contains(turnIndex) {
            throw FieldProblem(field: "turn_index", expected: "expected an integer from 0 to \(InputLimits.turnIndex.upperBound)")
        }
        return InteractionRecord(
            producerID: id, sessionID: sessionID, turnIndex: turnIndex, mode: mode ?? defaultMode,
            language: language, userID: userID, occurredAtMicros: occurredAt, userInput: userInput,
            aiResponse: aiResponse, rating: feedback?.rating, helpful: feedback?.helpful, consent: consent, line: line)
    }
}

/// The seed's `coaching_session`: a conversation of user and assistant turns.
struct RawSession: Decodable {
    struct Turn: Decodable {
        enum Role: String { case user, assistant, system }
        var role: Role
        var content: String
        var occurredAt: Int64?
        var feedback: RawFeedback?

        init(from decoder: any Decoder) throws {
            let path = fieldPath(decoder.codingPath) + "."
            let c = try objectContainer(decoder, field: String(path.dropLast()), expected: "expected an object with role and content")
            let expectedRole = "expected \"user\", \"assistant\" or \"system\""
            let rawRole = try c.required(String.self, .role, at: path, expected: expectedRole)
            guard let role = Role(rawValue: rawRole) else { throw FieldProblem(field: path + "role", expected: expectedRole) }
            self.role = role
            content = try limited(try c.text(.content, at: path), InputLimits.message, field: path + "content")
            occurredAt = try c.timestamp(.timestamp, at: path, required: false)
            feedback = try c.feedback(at: path)
        }
    }

    var sessionID: String
    var occurredAt: Int64
    var mode: Mode?
    var userID: String?
    var language: String?
    var consent: ConsentRecord?
    var conversation: [Turn]

    init(from decoder: any Decoder) throws {
        let c = try objectContainer(decoder, field: nil, expected: "expected a JSON object")
        guard let id = try c.identifier(.session_id) else {
            throw FieldProblem(field: "session_id", expected: "missing; expected a string or an integer")
        }
        sessionID = try limited(id, InputLimits.identifier, field: "session_id")
        occurredAt = try c.timestamp(.timestamp, required: true)!
        mode = try c.mode()
        userID = try limited(try c.identifier(.user_id), InputLimits.identifier, field: "user_id")
        language = try limited(
            try c.optional(String.self, .language, at: "", expected: "expected a language code string"), InputLimits.language, field: "language")
        consent = try c.consent(userID: userID)
        conversation = try c.required([Turn].self, .conversation, at: "", expected: "expected an array of turns")
    }

    /// One record per assistant turn, paired with the user turn before it. Two assistant turns
    /// after one user turn are regenerations: both keep that user turn's index. No message is
    /// dropped: consecutive user messages are one turn (joined by a blank line, as a user who
    /// pressed enter twice meant), and assistant messages before the first user message (the
    /// coach's greeting) are kept as the `opening` of the first exchange. System messages are
    /// the app's instructions, not conversation: the mode's system prompt stands for them.
    func records(line: Int, defaultMode: Mode) throws -> [InteractionRecord] {
        var records: [InteractionRecord] = []
        var opening: [String] = []
        var user: (content: String, occurredAt: Int64?, index: Int)?
        var previous: Turn.Role?
        var userTurns = 0
        for turn in conversation {
            switch turn.role {
            case .system:
                continue
            case .user:
                if previous == .user, let current = user {
                    user = (current.content + "\n\n" + turn.content, current.occurredAt, current.index)
                } else {
                    user = (turn.content, turn.occurredAt, userTurns)
                    userTurns += 1
                }
            case .assistant:
                guard let user else {
                    opening.append(turn.content)
                    break
                }
                records.append(InteractionRecord(
                    sessionID: sessionID, turnIndex: user.index, mode: mode ?? defaultMode, language: language,
                    userID: userID, occurredAtMicros: user.occurredAt ?? occurredAt,
                    userInput: user.content, aiResponse: turn.content,
                    rating: turn.feedback?.rating, helpful: turn.feedback?.helpful, consent: consent, line: line,
                    opening: user.index == 0 && !opening.isEmpty ? opening.joined(separator: "\n\n") : nil))
            }
            previous = turn.role
        }
        guard !records.isEmpty else {
            throw FieldProblem(field: "conversation", expected: "expected at least one user turn followed by an assistant turn")
        }
        return records
    }
}
