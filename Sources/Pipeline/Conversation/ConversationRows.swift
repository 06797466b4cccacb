import Stages

/// The rows a conversation's rebuild writes (`conversation_builds`, `examples`, `preference_pairs`,
/// `feedback_examples`): each row's columns once, from which both the JSON the rows travel in and
/// the `jsonb_to_recordset` column list are made.
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
            .bigint("conversation_id") { $0.conversation_id }, .bigint("branch") { $0.branch }, .messages("messages") { $0.messages },
            .integer("turns") { $0.turns }, .integer("trained_turns") { $0.trained_turns }, .integer("tokens") { $0.tokens },
            .hexBytes("content_hash") { $0.content_hash },
        ]
    }
}

extension ConversationStage.Pair: DerivedRow {
    public static var columns: [DerivedColumn<Self>] {
        [
            .bigint("conversation_id") { $0.conversation_id }, .integer("turn_index") { $0.turn_index },
            .messages("input") { $0.input }, .text("preferred") { $0.preferred }, .text("non_preferred") { $0.non_preferred },
            .bigint("preferred_interaction") { $0.preferred_interaction },
            .bigint("non_preferred_interaction") { $0.non_preferred_interaction }, .boolean("from_review") { $0.from_review },
            .integer("tokens") { $0.tokens },
            .hexBytes("content_hash") { $0.content_hash },
        ]
    }
}

extension ConversationStage.Feedback: DerivedRow {
    public static var columns: [DerivedColumn<Self>] {
        [
            .bigint("conversation_id") { $0.conversation_id }, .bigint("interaction_id") { $0.interaction_id },
            .messages("prompt") { $0.prompt }, .text("completion") { $0.completion }, .boolean("label") { $0.label },
            .boolean("from_review") { $0.from_review },
            .integer("tokens") { $0.tokens }, .hexBytes("content_hash") { $0.content_hash },
        ]
    }
}
