import Stages
import Testing
import Tokenizers

@Suite struct ChatFormatValidatorTests {
    let validator: ChatFormatValidator

    init() throws {
        validator = ChatFormatValidator(counter: ChatTokenCounter(encoding: try Fixtures.cl100k.get()), maxTokens: 60)
    }

    func reasons(_ line: String) -> Set<ChatFormatValidator.Reason> {
        validator.validate(line: Array(line.utf8)).reasons
    }

    @Test func aValidExamplePassesWithItsCookbookTokenCount() {
        let result = validator.validate(line: Array(#"{"messages": [{"role": "system", "content": "Du är en AI-coach."}, {"role": "user", "content": "Hej"}, {"role": "assistant", "content": "Hej! Vad vill du prata om?", "weight": 1}]}"#.utf8))
        #expect(result.isValid)
        #expect((result.tokens ?? 0) > 10)
    }

    @Test(arguments: [
        (#"[1, 2]"#, ChatFormatValidator.Reason.dataType),
        (#"{"messages": []}"#, .missingMessagesList),
        (#"{"prompt": "x"}"#, .missingMessagesList),
        (#"{"messages": [{"role": "user"}, {"role": "assistant", "content": "a"}]}"#, .messageMissingKey),
        (#"{"messages": [{"role": "user", "content": "q", "extra": 1}, {"role": "assistant", "content": "a"}]}"#, .messageUnrecognizedKey),
        (#"{"messages": [{"role": "coach", "content": "q"}, {"role": "assistant", "content": "a"}]}"#, .unrecognizedRole),
        (#"{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "a"}]}"#, .missingContent),
        (#"{"messages": [{"role": "user", "content": "q"}]}"#, .exampleMissingAssistantMessage),
        (#"{"messages": [{"role": "user", "content": "q", "weight": 1}, {"role": "assistant", "content": "a"}]}"#, .invalidWeight),
        (#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "weight": 2}]}"#, .invalidWeight),
    ])
    func eachCookbookCheck(line: String, reason: ChatFormatValidator.Reason) {
        #expect(reasons(line).contains(reason), "\(line)")
    }

    @Test func examplesOverTheTokenLimitAreExcluded() {
        let long = String(repeating: "mål och vanor ", count: 40)
        #expect(reasons(#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "\#(long)"}]}"#) == [.overTokenLimit])
    }
}
