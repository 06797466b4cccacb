import Stages
import Testing

/// The one rule for reviewed answers (`ExampleBuilder`, "Reviews").
@Suite struct ReviewRuleTests {
    static func turn(_ id: Int64, _ index: Int, accepted: Bool, rating: Int?, helpful: Bool? = nil, review: ReviewDecision? = nil) -> ConversationTurn {
        ConversationTurn(
            interactionID: id, turnIndex: index, occurredAt: id * 1000, userInput: "question \(index)", aiResponse: "answer \(id)",
            accepted: accepted, rating: rating, helpful: helpful, review: review)
    }

    static func build(_ turns: [ConversationTurn]) -> ExampleBuilder.Output {
        ExampleBuilder().build(mode: .personal, language: .en, turns: turns)
    }

    @Test func aCorrectionIsTrainedInAnExampleOfItsOwnAndLaterTurnsKeepWhatTheUserSaw() {
        let output = Self.build([
            Self.turn(1, 0, accepted: true, rating: 5),
            Self.turn(2, 1, accepted: false, rating: 1, helpful: false, review: .correct(answer: "better answer")),
            Self.turn(3, 2, accepted: true, rating: 4),
        ])
        let messages = output.messages!
        // The conversation as it happened: the original stays as context (weight 0).
        #expect(messages.map(\.content) == [messages[0].content, "question 0", "answer 1", "question 1", "answer 2", "question 2", "answer 3"])
        #expect(messages.filter { $0.role == .assistant }.map(\.weight) == [1, 0, 1])
        // The correction: everything before it is context, the correction is the only trained answer.
        #expect(output.corrections.count == 1)
        let branch = output.corrections[0]
        #expect(branch.interactionID == 2)
        #expect(branch.messages.map(\.content).suffix(4) == ["question 0", "answer 1", "question 1", "better answer"])
        #expect(branch.messages.filter { $0.role == .assistant }.map(\.weight) == [0, 1])
        // DPO: the correction chosen against the original; KTO: desirable and undesirable.
        #expect(output.preferences.count == 1)
        #expect(output.preferences[0].preferred == "better answer" && output.preferences[0].nonPreferred == "answer 2")
        #expect(output.preferences[0].fromReview)
        let kto = output.binaryFeedback.filter { $0.interactionID == 2 }
        #expect(kto.map(\.label).sorted { !$0 && $1 } == [false, true])
        #expect(kto.first { $0.label }?.completion == "better answer")
        #expect(kto.first { !$0.label }?.completion == "answer 2")
    }

    @Test func approvalTrainsARejectedAnswerAndRejectionKeepsAnAcceptedOneOut() {
        let approved = Self.build([Self.turn(1, 0, accepted: false, rating: 2, review: .approve)])
        #expect(approved.messages?.last?.weight == 1)
        let rejected = Self.build([Self.turn(1, 0, accepted: true, rating: 5, review: .reject)])
        #expect(rejected.messages == nil, "no trained answer left: no example")
        #expect(rejected.corrections.isEmpty)
    }

    @Test func withoutReviewsNothingChanges() {
        let turns = [Self.turn(1, 0, accepted: true, rating: 5, helpful: true), Self.turn(2, 1, accepted: false, rating: 2, helpful: false)]
        let output = Self.build(turns)
        #expect(output.corrections.isEmpty)
        #expect(output.preferences.allSatisfy { !$0.fromReview } && output.binaryFeedback.allSatisfy { !$0.fromReview })
    }
}
