import Stages
import Testing

@Suite struct PairwiseJudgingTests {
    @Test func readsTheLetterAReplyNames() {
        #expect(PairwiseJudging.choice(fromReply: "A") == .a)
        #expect(PairwiseJudging.choice(fromReply: " **B**\n") == .b)
        #expect(PairwiseJudging.choice(fromReply: "Answer B is better.") == .b)
        #expect(PairwiseJudging.choice(fromReply: "b") == .b)
        // Letters inside words do not count ("Both" starts with B, "Absolutely" with A).
        #expect(PairwiseJudging.choice(fromReply: "Both are fine") == .unclear)
        #expect(PairwiseJudging.choice(fromReply: "") == .unclear)
    }

    @Test func aVerdictCountsOnlyWhenBothOrdersAgree() {
        #expect(PairwiseJudging.Verdict(shownFirst: .a, shownSecond: .b) == .win)
        #expect(PairwiseJudging.Verdict(shownFirst: .b, shownSecond: .a) == .loss)
        // A judge that always picks the first position decides nothing.
        #expect(PairwiseJudging.Verdict(shownFirst: .a, shownSecond: .a) == .tie)
        #expect(PairwiseJudging.Verdict(shownFirst: .b, shownSecond: .b) == .tie)
        #expect(PairwiseJudging.Verdict(shownFirst: .unclear, shownSecond: .b) == .tie)
    }

    @Test func winRateCountsTiesAsHalfAndItsIntervalHoldsIt() {
        let rate = PairwiseJudging.WinRate([.win, .win, .tie, .loss, .win, .tie, .win, .win])
        #expect(rate.wins == 5 && rate.ties == 2 && rate.losses == 1)
        #expect(rate.rate == 6.0 / 8.0)
        #expect(rate.low <= rate.rate && rate.rate <= rate.high && rate.low < rate.high)
        #expect(rate.low >= 0 && rate.high <= 1)
        #expect(PairwiseJudging.WinRate([.win, .win, .tie, .loss, .win, .tie, .win, .win]) == rate, "deterministic")
        let allTies = PairwiseJudging.WinRate(Array(repeating: .tie, count: 10))
        #expect(allTies.rate == 0.5 && allTies.low == 0.5 && allTies.high == 0.5)
    }

    @Test func calibrationIsAgreementOnDecidedPairs() {
        let calibration = PairwiseJudging.Calibration([.win, .win, .loss, .tie, .win])
        #expect(calibration.pairs == 5 && calibration.decided == 4 && calibration.agreed == 3 && calibration.ties == 1)
        #expect(calibration.agreement == 0.75 && calibration.isTrustworthy)
        let undecided = PairwiseJudging.Calibration([.tie, .tie])
        #expect(undecided.agreement == nil && !undecided.isTrustworthy)
        #expect(!PairwiseJudging.Calibration([.win, .loss, .loss]).isTrustworthy)
    }

    @Test func thePromptShowsTheConversationAndBothAnswersButNotTheSystemPrompt() {
        let prompt = PairwiseJudging.prompt(
            conversation: [ChatMessage(role: .system, content: "SYSTEM-SECRET"), ChatMessage(role: .user, content: "Hur börjar jag?")],
            answerA: "Första svaret", answerB: "Andra svaret")
        #expect(prompt.contains("user: Hur börjar jag?"))
        #expect(prompt.contains("[Answer A]\nFörsta svaret\n[End of answer A]"))
        #expect(prompt.contains("[Answer B]\nAndra svaret\n[End of answer B]"))
        #expect(!prompt.contains("SYSTEM-SECRET"))
    }
}
