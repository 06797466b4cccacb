import CoachSpoolCore
import Stages
import Testing

@Suite struct ExampleBuilderTests {
    let builder = ExampleBuilder()

    func turn(
        _ id: Int64, _ index: Int, user: String = "user", answer: String, accepted: Bool = true, rating: Int? = 4,
        helpful: Bool? = nil, at time: Int64? = nil
    ) -> ConversationTurn {
        ConversationTurn(
            interactionID: id, turnIndex: index, occurredAt: time ?? id * 1_000_000, userInput: user, aiResponse: answer,
            accepted: accepted, rating: rating, helpful: helpful)
    }

    @Test func aConversationIsOneExampleInTurnOrderWithWeights() throws {
        let output = builder.build(mode: .university, turns: [
            turn(3, 2, user: "u2", answer: "a2"),
            turn(1, 0, user: "u0", answer: "a0"),
            turn(2, 1, user: "u1", answer: "too short", accepted: false, rating: 2),
        ])
        let messages = try #require(output.messages)
        #expect(messages == [
            ChatMessage(role: .system, content: SystemPrompts().university),
            ChatMessage(role: .user, content: "u0"), ChatMessage(role: .assistant, content: "a0", weight: 1),
            ChatMessage(role: .user, content: "u1"), ChatMessage(role: .assistant, content: "too short", weight: 0),
            ChatMessage(role: .user, content: "u2"), ChatMessage(role: .assistant, content: "a2", weight: 1),
        ])
    }

    @Test func noAcceptedAnswerMeansNoExample() {
        let output = builder.build(mode: .personal, turns: [turn(1, 0, answer: "no", accepted: false, rating: 1)])
        #expect(output.messages == nil)
    }

    @Test func regenerationsGiveAPreferencePairAndTheBestAnswerForSFT() throws {
        let output = builder.build(mode: .personal, turns: [
            turn(1, 0, user: "first", answer: "context"),
            turn(2, 1, user: "same question", answer: "weak", accepted: false, rating: 2),
            turn(3, 1, user: "same question", answer: "strong", rating: 5),
            turn(4, 1, user: "same question", answer: "middle", rating: 4),
        ])
        let messages = try #require(output.messages)
        #expect(messages.last == ChatMessage(role: .assistant, content: "strong", weight: 1))
        #expect(messages.count == 5)
        let pair = try #require(output.preferences.first)
        #expect(output.preferences.count == 1)
        #expect(pair.preferred == "strong")
        #expect(pair.nonPreferred == "weak")
        #expect(pair.interactionIDs == [3, 2])
        #expect(pair.input.map(\.content) == [SystemPrompts().personal, "first", "context", "same question"])
        // Answers with the same rating are no preference.
        let tie = builder.build(mode: .personal, turns: [turn(1, 0, answer: "a", rating: 4), turn(2, 0, answer: "b", rating: 4)])
        #expect(tie.preferences.isEmpty)
    }

    @Test func singleRatedAnswersWithHelpfulAreBinaryFeedback() {
        let output = builder.build(mode: .personal, turns: [
            turn(1, 0, user: "q1", answer: "a1", rating: 5, helpful: true),
            turn(2, 1, user: "q2", answer: "a2", accepted: false, rating: 1, helpful: false),
            turn(3, 2, user: "q3", answer: "a3", rating: 4, helpful: nil),
        ])
        #expect(output.binaryFeedback.map(\.label) == [true, false])
        #expect(output.binaryFeedback.map(\.completion) == ["a1", "a2"])
        #expect(output.binaryFeedback[1].prompt.map(\.content) == [SystemPrompts().personal, "q1", "a1", "q2"])
    }

    @Test func theVersionChangesWithThePrompts() {
        var prompts = SystemPrompts()
        prompts.personal = "You are a coach."
        #expect(ExampleBuilder(prompts: prompts).version != builder.version)
        #expect(builder.version.hasPrefix("examples-v1:"))
    }
}

@Suite struct ExampleBuilderRefinementTests {
    private func turn(_ id: Int64, _ index: Int, accepted: Bool, rating: Int?) -> ConversationTurn {
        ConversationTurn(
            interactionID: id, turnIndex: index, occurredAt: id, userInput: "u\(index)", aiResponse: "a\(id)",
            accepted: accepted, rating: rating, helpful: nil)
    }

    @Test func trailingRejectedTurnsAreDropped() throws {
        let output = ExampleBuilder().build(mode: .personal, turns: [
            turn(1, 0, accepted: true, rating: 5), turn(2, 1, accepted: false, rating: 1), turn(3, 2, accepted: false, rating: 2),
        ])
        let messages = try #require(output.messages)
        #expect(messages.count == 3)
        #expect(messages.last == ChatMessage(role: .assistant, content: "a1", weight: 1))
    }

    @Test func sourceVersionsChangeTheVersion() {
        #expect(ExampleBuilder(sourceVersions: ["quality-v1"]).version != ExampleBuilder(sourceVersions: ["quality-v2"]).version)
    }

    @Test func fingerprintIgnoresSpacingCaseAndNormalisationForm() {
        let a = [ChatMessage(role: .user, content: "Hej  Världen\n"), ChatMessage(role: .assistant, content: "Ok", weight: 1)]
        let b = [ChatMessage(role: .user, content: "hej va\u{308}rlden"), ChatMessage(role: .assistant, content: " ok", weight: 1)]
        let c = [ChatMessage(role: .user, content: "hej världen"), ChatMessage(role: .assistant, content: "ok", weight: 0)]
        #expect(ContentFingerprint.of(a) == ContentFingerprint.of(b))
        #expect(ContentFingerprint.of(a) != ContentFingerprint.of(c))
    }
}

@Suite struct SystemPromptsTests {
    @Test func readsEitherPromptAndNamesBadFields() throws {
        let prompts = try SystemPrompts(json: Array(#"{"university": "You coach students on using AI well."}"#.utf8))
        #expect(prompts.university == "You coach students on using AI well.")
        #expect(prompts.personal == SystemPrompts().personal)
        #expect(ExampleBuilder(prompts: prompts).version != ExampleBuilder().version)
        #expect(throws: CoachSpoolError.self) { try SystemPrompts(json: Array(#"{"personal": ""}"#.utf8)) }
        do {
            _ = try SystemPrompts(json: Array(#"{"sales": "x"}"#.utf8))
            Issue.record("an unknown mode must be refused")
        } catch {
            #expect(error.message.hasPrefix("sales: unknown mode"))
        }
        #expect(throws: CoachSpoolError.self) { try SystemPrompts(json: Array("[1]".utf8)) }
    }
}
