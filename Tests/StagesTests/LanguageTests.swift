@testable import Stages
import Testing

@Suite struct LanguageTagTests {
    /// Tags and what they mean (text_config.sql's rule; `DocumentLanguageTests` holds the SQL
    /// function and `Language(tag:)` to the same answers).
    static let tags: [(String?, Language?)] = [
        ("sv", .sv), ("SV", .sv), ("sv-SE", .sv), ("sv_FI", .sv), ("swe", .sv), ("Swedish", .sv), ("svenska", .sv),
        ("svenska-x", .sv), ("sv-", .sv),
        ("en", .en), ("EN-gb", .en), ("en_US", .en), ("eng", .en), ("english", .en), ("ENGLISH-1", .en),
        ("se", nil), ("s", nil), ("svx", nil), ("sve", nil), ("english2", nil), ("e", nil), ("engl", nil), ("de", nil),
        ("fr-CA", nil), ("", nil), ("-sv", nil), ("x-sv", nil), (nil, nil),
    ]

    @Test func tagsMeanWhatTextConfigSays() {
        for (tag, language) in Self.tags {
            #expect(Language(tag: tag) == language, "\(tag ?? "nil")")
        }
    }

    @Test func thePromptLanguageIsTheTagsThenTheTextsThenSwedish() {
        #expect(Language.resolve(tag: "en-GB") { "Jag vill prata om min uppsats och hur jag ska börja." } == .en)
        #expect(Language.resolve(tag: "sv") { "I want to talk about my thesis and how to start it." } == .sv)
        // No tag, or another language's: the text decides.
        #expect(Language.resolve(tag: nil) { "I want to talk about my thesis and how to start it." } == .en)
        #expect(Language.resolve(tag: "de") { "Jag vill prata om min uppsats och hur jag ska börja." } == .sv)
        // Neither: Swedish.
        #expect(Language.resolve(tag: nil) { "Hej!" } == .sv)
        #expect(Language.resolve(tag: "fr") { "Je ne sais pas comment organiser mon temps." } == .sv)
        // The text is not read when the tag decides.
        #expect(Language.resolve(tag: "english") { Issue.record("read"); return "" } == .en)
    }

    @Test func labelsForCounts() {
        #expect(Language.label("sv-SE") == "sv")
        #expect(Language.label("English") == "en")
        #expect(Language.label("DE") == "de")
        #expect(Language.label(nil) == "none")
    }
}

@Suite struct LanguageDetectorTests {
    @Test func swedishAndEnglishProseAreRecognised() {
        #expect(LanguageDetector.detect("""
            Sömn är grunden för återhämtning. Försök att gå och lägga dig vid samma tid varje kväll, \
            och undvik skärmar den sista timmen innan du somnar.
            """) == .sv)
        #expect(LanguageDetector.detect("""
            Sleep is the basis of recovery. Try to go to bed at the same time every night, and avoid \
            screens in the last hour before you fall asleep.
            """) == .en)
        // Short questions of three words or more decide too.
        #expect(LanguageDetector.detect("Hur sätter jag mätbara mål?") == .sv)
        #expect(LanguageDetector.detect("What is spaced repetition?") == .en)
        #expect(LanguageDetector.detect("# Active listening\n\nListening is a skill: show the speaker that you hear them.") == .en)
    }

    @Test func shortMixedAndOtherLanguagesAreUndecided() {
        // Too short.
        #expect(LanguageDetector.detect("") == nil)
        #expect(LanguageDetector.detect("Hej!") == nil)
        #expect(LanguageDetector.detect("Thank you") == nil)
        // As much of one as of the other.
        #expect(LanguageDetector.detect("Jag vill write about the history och hur it has changed") == nil)
        // Neither.
        #expect(LanguageDetector.detect("Ich habe heute keine Zeit, weil ich zu viel Arbeit habe und mein Chef mich nervt.") == nil)
        #expect(LanguageDetector.detect("Je ne sais pas comment organiser mon temps pour mes études et mon travail.") == nil)
        #expect(LanguageDetector.detect("No tengo tiempo para estudiar porque trabajo mucho y mi jefe me molesta.") == nil)
        // Numbers and code are no words of either.
        #expect(LanguageDetector.detect("42 17 3.14 {} [] == != -> 2025-10-01") == nil)
    }

    @Test func aFewForeignWordsDoNotChangeTheVerdict() {
        #expect(LanguageDetector.detect("""
            Jag har läst om deep work och flow, men jag vet inte hur jag ska göra det till en vana \
            när jag har så många möten.
            """) == .sv)
    }

    @Test func theThresholds() {
        // 2 hits in 3 words decide; 1 does not; a 2:1 split decides, 3:2 does not; a fifth of the words must hit.
        #expect(LanguageDetector.decide(words: 3, swedish: 2, english: 0) == .sv)
        #expect(LanguageDetector.decide(words: 3, swedish: 1, english: 0) == nil)
        #expect(LanguageDetector.decide(words: 2, swedish: 2, english: 0) == nil)
        #expect(LanguageDetector.decide(words: 20, swedish: 2, english: 4) == .en)
        #expect(LanguageDetector.decide(words: 20, swedish: 3, english: 5) == nil)
        #expect(LanguageDetector.decide(words: 100, swedish: 19, english: 0) == nil)
        #expect(LanguageDetector.decide(words: 100, swedish: 20, english: 0) == .sv)
    }

    @Test func onlyTheStartOfALongTextIsRead() {
        let english = String(repeating: "the cat and the dog ", count: LanguageDetector.maximumWords / 5)
        #expect(LanguageDetector.detect(english + String(repeating: "och jag är här ", count: 10_000)) == .en)
    }
}
