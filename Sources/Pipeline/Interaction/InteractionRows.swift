import Stages

/// The rows the interaction stage writes (`quality_verdicts`, `interaction_texts`): each row's
/// columns once, from which both the JSON the rows travel in and the `jsonb_to_recordset` column
/// list are made.
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
