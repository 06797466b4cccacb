import CoachSpoolCore
import Foundation
import Testing
import Tokenizers

@Suite struct CL100KTests {
    struct Reference: Decodable {
        struct Item: Decodable { var text: String; var token_ids: [UInt32] }
        struct Message: Decodable { var role: String; var content: String; var name: String? }
        struct ChatExample: Decodable { var messages: [Message]; var n_tokens: Int; var per_message_tokens: [Int] }
        struct SpecialCase: Decodable { var text: String; var encode_ordinary: [UInt32] }
        var items: [Item]
        var chat_examples: [ChatExample]
        var special_token_cases: [SpecialCase]
    }

    let reference: Reference
    let encoding: CL100K

    init() throws {
        reference = try JSONDecoder().decode(Reference.self, from: Fixtures.reference("cl100k_dev.json"))
        encoding = try Fixtures.cl100k.get()
    }

    @Test func everyReferenceTextEncodesToTiktokensIDs() throws {
        #expect(reference.items.count == 60)
        for (index, item) in reference.items.enumerated() {
            #expect(encoding.encode(item.text) == item.token_ids, "item \(index)")
            #expect(encoding.count(item.text) == item.token_ids.count, "item \(index)")
            #expect(try encoding.decode(item.token_ids) == Array(item.text.utf8), "item \(index)")
        }
    }

    @Test func specialTokenStringsAreOrdinaryText() {
        #expect(reference.special_token_cases.count == 2, "the fixture's cases (an empty list would pass anything)")
        for special in reference.special_token_cases {
            #expect(encoding.encode(special.text) == special.encode_ordinary)
        }
    }

    /// "é" as one scalar and as "e" + a combining accent are equal Swift strings but different
    /// bytes and different tokens: a memo shared by a conversation's examples keeps them apart.
    @Test func aMemoCountsCanonicallyEquivalentTextsEachByItsBytes() {
        let counter = ChatTokenCounter(encoding: encoding)
        let composed = "Idén om ett café"
        let decomposed = "Ide\u{301}n om ett cafe\u{301}"
        #expect(composed == decomposed, "String equality treats them as one text")
        let alone = [composed, decomposed].map { counter.count([ChatTokenCounter.Message(role: "user", content: $0)]) }
        #expect(alone[0] != alone[1])
        var memo: [TextBytes: Int] = [:]
        let shared = [composed, decomposed].map { counter.count([ChatTokenCounter.Message(role: "user", content: $0)], memo: &memo) }
        #expect(shared == alone)
        #expect(memo.count == 3, "user, and each text by its own bytes")
    }

    @Test func chatExamplesFollowTheCookbookFormula() {
        let counter = ChatTokenCounter(encoding: encoding)
        #expect(reference.chat_examples.count == 30)
        for (index, example) in reference.chat_examples.enumerated() {
            let messages = example.messages.map { ChatTokenCounter.Message(role: $0.role, content: $0.content, name: $0.name) }
            #expect(messages.map(counter.count) == example.per_message_tokens, "example \(index)")
            #expect(counter.count(messages) == example.n_tokens, "example \(index)")
        }
    }

    /// Cases the pattern's alternatives and the BPE merge order hinge on, beyond the reference set.
    @Test(arguments: [
        ("", [UInt32]()), ("   ", [262]),
    ])
    func edgeCases(text: String, expected: [UInt32]) {
        #expect(encoding.encode(text) == expected)
    }

    @Test func decodeRejectsUnknownIDs() {
        #expect(throws: CoachSpoolError.self) { try encoding.decode([100_256 + 100]) }
    }
}
