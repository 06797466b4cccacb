import Stages
import Testing

@Suite struct QualityFilterTests {
    let filter = QualityFilter()

    @Test func acceptsTheSeedsGoodExample() {
        let verdict = filter.evaluate(.init(
            userInput: "Jag har svårt att hålla mig motiverad med mina mål.",
            aiResponse: "Jag förstår att motivation kan vara utmanande. Vad driver dig?", rating: 4))
        #expect(verdict.accepted)
        #expect(verdict.reasons.isEmpty)
    }

    @Test func namesEveryFailedRule() {
        let verdict = filter.evaluate(.init(userInput: "hi", aiResponse: "Hello!", rating: 2))
        #expect(!verdict.accepted)
        #expect(verdict.reasons == [.ratingTooLow, .userInputTooShort, .responseTooShort])
    }

    @Test func missingRatingIsItsOwnReason() {
        let verdict = filter.evaluate(.init(
            userInput: "A long enough question here", aiResponse: "A long enough answer, more than twenty.", rating: nil))
        #expect(verdict.reasons == [.noFeedbackYet])
    }

    /// The seed uses `>` on Python's `len`: exactly 10 scalars fails, 11 passes; a flag emoji is 2 scalars.
    @Test func lengthsAreStrictAndCountUnicodeScalars() {
        let response = String(repeating: "x", count: 21)
        #expect(filter.evaluate(.init(userInput: "0123456789", aiResponse: response, rating: 3)).reasons == [.userInputTooShort])
        #expect(filter.evaluate(.init(userInput: "0123456789a", aiResponse: response, rating: 3)).accepted)
        // 5 flags = 5 Characters but 10 scalars: still too short; one more scalar passes.
        let flags = String(repeating: "🇸🇪", count: 5)
        #expect(flags.count == 5)
        #expect(filter.evaluate(.init(userInput: flags, aiResponse: response, rating: 3)).reasons == [.userInputTooShort])
        #expect(filter.evaluate(.init(userInput: flags + "!", aiResponse: response, rating: 3)).accepted)
    }

    @Test func ratingThresholdIsInclusiveAndConfigurable() {
        let strict = QualityFilter(minRating: 4)
        let input = QualityFilter.Input(userInput: "0123456789ab", aiResponse: String(repeating: "y", count: 30), rating: 4)
        #expect(strict.evaluate(input).accepted)
        #expect(!strict.evaluate(.init(userInput: input.userInput, aiResponse: input.aiResponse, rating: 3)).accepted)
        #expect(strict.pipelineVersion != filter.pipelineVersion)
    }
}
