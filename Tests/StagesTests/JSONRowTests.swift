import Foundation
@testable import Pipeline
@testable import Stages
import Testing

/// `JSONWriter`'s rows must carry what `JSONEncoder` wrote for them (the server parses either):
/// the same keys, the same left-out optionals, the same values, for awkward text too.
@Suite struct JSONRowTests {
    /// A parsed JSON value, compared structurally.
    indirect enum Value: Decodable, Equatable {
        case null, bool(Bool), number(Double), string(String), array([Value]), object([String: Value])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([Value].self) { self = .array(a) }
            else { self = .object(try c.decode([String: Value].self)) }
        }
    }

    static let texts = [
        "", "plain", "quote \" and backslash \\ and slash /", "tab\tnew\nline\rcr", "\u{1}\u{1F}\u{7F}",
        "åäö ÅÄÖ é ß", "emoji 😀 👩‍💻", "\u{2028}\u{2029}", "Hej! {\"json\": [1, 2]}",
    ]

    func expectSame<T: JSONRow & Encodable>(_ rows: [T], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try JSONDecoder().decode(Value.self, from: Data(JSONWriter.rows(rows)))
        let theirs = try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(rows))
        #expect(ours == theirs, sourceLocation: sourceLocation)
    }

    /// A derived row's column list is its struct's: every property (the struct's `Encodable`
    /// keys, named after the table's columns) is a column, in the record type and in the JSON,
    /// and the batch writer writes what the row writer writes.
    func expectSame<T: DerivedRow & Encodable>(_ rows: [T], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try JSONDecoder().decode(Value.self, from: Data(JSONWriter.rows(rows)))
        let theirs = try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(rows))
        #expect(ours == theirs, sourceLocation: sourceLocation)
        #expect(T.json(rows) == JSONWriter.rows(rows), sourceLocation: sourceLocation)
        let names = T.columns.map(\.name)
        #expect(Set(names).count == names.count, "a column declared twice", sourceLocation: sourceLocation)
        let keys = Set(rows.flatMap { row -> [String] in
            guard case .object(let object) = try! JSONDecoder().decode(Value.self, from: JSONEncoder().encode(row)) else { return [] }
            return Array(object.keys)
        })
        #expect(keys.isSubset(of: Set(names)), "every property is a column: \(keys.subtracting(names).sorted())", sourceLocation: sourceLocation)
        #expect(Set(names).isSubset(of: keys), "every column is a property: \(Set(names).subtracting(keys).sorted())", sourceLocation: sourceLocation)
    }

    func messages(_ n: Int) -> [ChatMessage] {
        (0..<n).map { ChatMessage(role: [.system, .user, .assistant][$0 % 3], content: Self.texts[$0 % Self.texts.count], weight: $0 % 2 == 0 ? nil : $0 % 4 / 2) }
    }

    @Test func conversationRows() throws {
        try expectSame([
            ConversationStage.Build(conversation_id: 1, input_hash: "ab", interactions: 2, mode: "personal", language: "sv", first_at: -5, last_at: Int64.max),
            ConversationStage.Build(conversation_id: 2, input_hash: "", interactions: 0, mode: nil, language: nil, first_at: nil, last_at: nil),
        ])
        try expectSame(Self.texts.indices.map {
            ConversationStage.Example(conversation_id: Int64($0), branch: Int64($0 * 7), messages: messages($0 + 1), turns: $0, trained_turns: 1, tokens: 99, content_hash: Self.texts[$0])
        })
        try expectSame(Self.texts.indices.map {
            ConversationStage.Pair(
                conversation_id: 3, turn_index: $0, input: messages($0), preferred: Self.texts[$0], non_preferred: Self.texts.reversed()[$0],
                preferred_interaction: 7, non_preferred_interaction: 8, from_review: $0 % 2 == 1, tokens: 0, content_hash: "00")
        })
        try expectSame(Self.texts.indices.map {
            ConversationStage.Feedback(
                conversation_id: 4, interaction_id: Int64.min, prompt: messages($0 + 2), completion: Self.texts[$0], label: $0 % 2 == 0,
                from_review: $0 % 3 == 0, tokens: 12, content_hash: "ff")
        })
        try expectSame([ChatMessage]())
    }

    @Test func interactionRows() throws {
        try expectSame(Self.texts.indices.map {
            InteractionStage.Verdict(interaction_id: Int64($0), accepted: $0 % 2 == 0, reasons: Array(Self.texts.prefix($0)), rating: $0 % 3 == 0 ? nil : $0)
        })
        try expectSame(Self.texts.indices.map {
            InteractionStage.Texts(
                interaction_id: Int64($0), user_input: Self.texts[$0], ai_response: Self.texts.reversed()[$0], opening: $0 % 2 == 0 ? nil : Self.texts[$0],
                entity_counts: $0 == 0 ? [:] : ["email": $0, "phone": 1, Self.texts[$0]: 2], entities: $0, user_input_tokens: 3, ai_response_tokens: 4)
        })
    }
}
