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

extension ConversationStage.Build: JSONRow {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("conversation_id", conversation_id)
            json.field("input_hash", input_hash)
            json.field("interactions", interactions)
            json.field("mode", mode)
            json.field("language", language)
            json.field("first_at", first_at)
            json.field("last_at", last_at)
        }
    }
}

extension ConversationStage.Example: JSONRow {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("conversation_id", conversation_id)
            json.field("messages", messages)
            json.field("turns", turns)
            json.field("trained_turns", trained_turns)
            json.field("tokens", tokens)
            json.field("content_hash", content_hash)
        }
    }
}

extension ConversationStage.Pair: JSONRow {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("conversation_id", conversation_id)
            json.field("turn_index", turn_index)
            json.field("input", input)
            json.field("preferred", preferred)
            json.field("non_preferred", non_preferred)
            json.field("preferred_interaction", preferred_interaction)
            json.field("non_preferred_interaction", non_preferred_interaction)
            json.field("tokens", tokens)
            json.field("content_hash", content_hash)
        }
    }
}

extension ConversationStage.Feedback: JSONRow {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("conversation_id", conversation_id)
            json.field("interaction_id", interaction_id)
            json.field("prompt", prompt)
            json.field("completion", completion)
            json.field("label", label)
            json.field("tokens", tokens)
            json.field("content_hash", content_hash)
        }
    }
}

extension InteractionStage.Verdict: JSONRow {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("interaction_id", interaction_id)
            json.field("accepted", accepted)
            json.field("reasons") { json in json.array(reasons) { json, reason in json.string(reason) } }
            json.field("rating", rating)
        }
    }
}

extension InteractionStage.Texts: JSONRow {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("interaction_id", interaction_id)
            json.field("user_input", user_input)
            json.field("ai_response", ai_response)
            json.field("opening", opening)
            json.field("entity_counts") { json in
                json.object { json in
                    for (type, count) in entity_counts.sorted(by: { $0.key < $1.key }) { json.field(type, count) }
                }
            }
            json.field("entities", entities)
            json.field("user_input_tokens", user_input_tokens)
            json.field("ai_response_tokens", ai_response_tokens)
        }
    }
}
