import Spool
import Stages

/// The trial stage of docs/architecture.md, "Adding a stage": how long the coach's answers are
/// (characters and words), one row per interaction. The pure part: no I/O.
enum ReplyLengthStage {
    struct Input: Sendable {
        var interactionID: Int64
        var aiResponse: String
    }

    /// A row of `reply_lengths`: its columns once, for the JSON it travels in and the SQL column list.
    struct Row: DerivedRow, Equatable {
        var interactionID: Int64
        var characters: Int
        var words: Int

        static var columns: [DerivedColumn<Self>] {
            [.bigint("interaction_id") { $0.interactionID }, .integer("characters") { $0.characters }, .integer("words") { $0.words }]
        }
    }

    static func run(_ input: Input) -> Row {
        Row(interactionID: input.interactionID, characters: input.aiResponse.count,
            words: input.aiResponse.split(whereSeparator: \.isWhitespace).count)
    }
}
