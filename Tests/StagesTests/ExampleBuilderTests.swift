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
        let output = builder.build(mode: .university, language: .sv, turns: [
            turn(3, 2, user: "u2", answer: "a2"),
            turn(1, 0, user: "u0", answer: "a0"),
            turn(2, 1, user: "u1", answer: "too short", accepted: false, rating: 2),
        ])
        let messages = try #require(output.messages)
        #expect(messages == [
            ChatMessage(role: .system, content: SystemPrompts().prompt(for: .university, in: .sv)),
            ChatMessage(role: .user, content: "u0"), ChatMessage(role: .assistant, content: "a0", weight: 1),
            ChatMessage(role: .user, content: "u1"), ChatMessage(role: .assistant, content: "too short", weight: 0),
            ChatMessage(role: .user, content: "u2"), ChatMessage(role: .assistant, content: "a2", weight: 1),
        ])
    }

    @Test func noAcceptedAnswerMeansNoExample() {
        let output = builder.build(mode: .personal, language: .sv, turns: [turn(1, 0, answer: "no", accepted: false, rating: 1)])
        #expect(output.messages == nil)
    }

    @Test func regenerationsGiveAPreferencePairAndTheBestAnswerForSFT() throws {
        let output = builder.build(mode: .personal, language: .sv, turns: [
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
        #expect(pair.input.map(\.content) == [SystemPrompts().prompt(for: .personal, in: .sv), "first", "context", "same question"])
        // Answers with the same rating are no preference.
        let tie = builder.build(mode: .personal, language: .sv, turns: [turn(1, 0, answer: "a", rating: 4), turn(2, 0, answer: "b", rating: 4)])
        #expect(tie.preferences.isEmpty)
    }

    @Test func singleRatedAnswersWithHelpfulAreBinaryFeedback() {
        let output = builder.build(mode: .personal, language: .sv, turns: [
            turn(1, 0, user: "q1", answer: "a1", rating: 5, helpful: true),
            turn(2, 1, user: "q2", answer: "a2", accepted: false, rating: 1, helpful: false),
            turn(3, 2, user: "q3", answer: "a3", rating: 4, helpful: nil),
        ])
        #expect(output.binaryFeedback.map(\.label) == [true, false])
        #expect(output.binaryFeedback.map(\.completion) == ["a1", "a2"])
        #expect(output.binaryFeedback[1].prompt.map(\.content) == [SystemPrompts().prompt(for: .personal, in: .sv), "q1", "a1", "q2"])
    }

    @Test func theVersionChangesWithThePromptsOfEveryLanguage() {
        for language in Language.allCases {
            var prompts = SystemPrompts()
            prompts.set("You are a coach.", for: .personal, in: language)
            #expect(ExampleBuilder(prompts: prompts).version != builder.version)
        }
        #expect(builder.version.hasPrefix("examples-v2:"))
        // The version of the release before prompts had a language (Swedish prompts only): a
        // worker of this version rebuilds what it built.
        #expect(builder.version != "examples-v1:c20bb95440b3")
    }

    @Test func theSystemPromptIsTheConversationsLanguage() throws {
        let turns = [turn(1, 0, user: "How do I plan my week?", answer: "Start with what matters most.")]
        for mode in Mode.allCases {
            for language in Language.allCases {
                let messages = try #require(builder.build(mode: mode, language: language, turns: turns).messages)
                #expect(messages[0] == ChatMessage(role: .system, content: SystemPrompts().prompt(for: mode, in: language)))
            }
        }
        #expect(SystemPrompts().prompt(for: .personal, in: .en) == "You are an AI coach who helps users with personal development.")
        #expect(SystemPrompts().prompt(for: .university, in: .sv).contains("universitets-AI-implementation"))
    }
}

@Suite struct ExampleBuilderRefinementTests {
    private func turn(_ id: Int64, _ index: Int, accepted: Bool, rating: Int?) -> ConversationTurn {
        ConversationTurn(
            interactionID: id, turnIndex: index, occurredAt: id, userInput: "u\(index)", aiResponse: "a\(id)",
            accepted: accepted, rating: rating, helpful: nil)
    }

    @Test func trailingRejectedTurnsAreDropped() throws {
        let output = ExampleBuilder().build(mode: .personal, language: .sv, turns: [
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
        // The shape without languages sets the mode's prompt in every language.
        for language in Language.allCases {
            #expect(prompts.prompt(for: .university, in: language) == "You coach students on using AI well.")
            #expect(prompts.prompt(for: .personal, in: language) == SystemPrompts().prompt(for: .personal, in: language))
        }
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

    @Test func readsPromptsPerLanguage() throws {
        let prompts = try SystemPrompts(json: Array(#"{"sv": {"personal": "Du coachar."}, "en": {"personal": "You coach.", "university": "You coach students."}}"#.utf8))
        #expect(prompts.prompt(for: .personal, in: .sv) == "Du coachar.")
        #expect(prompts.prompt(for: .university, in: .sv) == SystemPrompts().prompt(for: .university, in: .sv))
        #expect(prompts.prompt(for: .personal, in: .en) == "You coach.")
        #expect(prompts.prompt(for: .university, in: .en) == "You coach students.")
        func message(_ json: String) -> String {
            do {
                _ = try SystemPrompts(json: Array(json.utf8))
                return "accepted"
            } catch {
                return error.message
            }
        }
        #expect(message(#"{"en": {"personal": ""}}"#) == "en.personal: expected a non-empty string")
        #expect(message(#"{"en": {"personal": 3}}"#) == "en.personal: expected a non-empty string")
        #expect(message(#"{"en": {"sales": "x"}}"#).hasPrefix("en.sales: unknown mode"))
        #expect(message(#"{"en": "You coach."}"#).hasPrefix("en: expected an object"))
        #expect(message(#"{"de": {"personal": "x"}}"#).hasPrefix("de: unknown mode or language"))
        #expect(message(#"{"sv": {"personal": "x"}, "personal": "y"}"#).hasPrefix("personal: a mode beside languages"))
    }
}
