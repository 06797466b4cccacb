/// A row written as one JSON object by `JSONWriter`: the rows workers send to the database in
/// bulk (one `jsonb_to_recordset` parameter per batch), where Foundation's `JSONEncoder` was a
/// third of the dataset workers' CPU. Keys and left-out optionals are those of the rows'
/// `Encodable` conformances; `JSONRowTests` holds the two together.
public protocol JSONRow {
    func write(to json: inout JSONWriter)
}

extension JSONWriter {
    /// `[row, row, …]`
    public static func rows(_ rows: [some JSONRow]) -> [UInt8] {
        var json = JSONWriter()
        json.array(rows) { json, row in row.write(to: &json) }
        return json.bytes
    }

    /// Optionals are left out when absent, as `JSONEncoder` leaves them out.
    mutating func field(_ name: String, _ text: String?) {
        if let text { field(name) { $0.string(text) } }
    }

    mutating func field(_ name: String, _ number: (some BinaryInteger)?) {
        if let number { field(name) { $0.integer(number) } }
    }

    mutating func field(_ name: String, _ flag: Bool) {
        field(name) { $0.bool(flag) }
    }

    mutating func field(_ name: String, _ messages: [ChatMessage]) {
        field(name) { json in json.array(messages) { json, message in message.write(to: &json) } }
    }
}

extension ChatMessage: JSONRow {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("role", role.rawValue)
            json.field("content", content)
            json.field("weight", weight)
        }
    }
}

extension ConversationStage.Build: DerivedRow {
    public static var columns: [DerivedColumn<Self>] {
        [
            .bigint("conversation_id") { $0.conversation_id }, .text("input_hash") { $0.input_hash },
            .integer("interactions") { $0.interactions }, .text("mode") { $0.mode }, .text("language") { $0.language },
            .bigint("first_at") { $0.first_at }, .bigint("last_at") { $0.last_at },
        ]
    }
}

extension ConversationStage.Example: DerivedRow {
    public static var columns: [DerivedColumn<Self>] {
        [
            .bigint("conversation_id") { $0.conversation_id }, .messages("messages") { $0.messages },
            .integer("turns") { $0.turns }, .integer("trained_turns") { $0.trained_turns }, .integer("tokens") { $0.tokens },
            .text("content_hash") { $0.content_hash },
        ]
    }
}

extension ConversationStage.Pair: DerivedRow {
    public static var columns: [DerivedColumn<Self>] {
        [
            .bigint("conversation_id") { $0.conversation_id }, .integer("turn_index") { $0.turn_index },
            .messages("input") { $0.input }, .text("preferred") { $0.preferred }, .text("non_preferred") { $0.non_preferred },
            .bigint("preferred_interaction") { $0.preferred_interaction },
            .bigint("non_preferred_interaction") { $0.non_preferred_interaction }, .integer("tokens") { $0.tokens },
            .text("content_hash") { $0.content_hash },
        ]
    }
}

extension ConversationStage.Feedback: DerivedRow {
    public static var columns: [DerivedColumn<Self>] {
        [
            .bigint("conversation_id") { $0.conversation_id }, .bigint("interaction_id") { $0.interaction_id },
            .messages("prompt") { $0.prompt }, .text("completion") { $0.completion }, .boolean("label") { $0.label },
            .integer("tokens") { $0.tokens }, .text("content_hash") { $0.content_hash },
        ]
    }
}

extension InteractionStage.Verdict: DerivedRow {
    public static var columns: [DerivedColumn<Self>] {
        [
            .bigint("interaction_id") { $0.interaction_id }, .boolean("accepted") { $0.accepted },
            .textArray("reasons") { $0.reasons }, .smallint("rating") { $0.rating },
        ]
    }
}

extension InteractionStage.Texts: DerivedRow {
    public static var columns: [DerivedColumn<Self>] {
        [
            .bigint("interaction_id") { $0.interaction_id }, .text("user_input") { $0.user_input },
            .text("ai_response") { $0.ai_response }, .text("opening") { $0.opening },
            .counts("entity_counts") { $0.entity_counts }, .integer("entities") { $0.entities },
            .integer("user_input_tokens") { $0.user_input_tokens }, .integer("ai_response_tokens") { $0.ai_response_tokens },
        ]
    }
}
