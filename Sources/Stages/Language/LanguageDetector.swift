/// Tells Swedish from English by their most frequent function words, or says it cannot (nil).
/// Pure and cheap: no model, one pass over at most `maximumWords` words.
///
/// A word is a run of letters, lower-cased. Each word found in one of the two lists below counts
/// for that language (the lists share no word, and leave out words common in both or in German,
/// Dutch, French or Spanish: `i`, `en`, `de`, `den`, `man`, `in`, `a`, `an`, `was`, `so`, `no`).
/// The text is one language when, among its first `maximumWords` words:
/// - it has at least `minimumWords` words (shorter: nil),
/// - that language's words number at least `minimumHits`,
/// - at least `dominance` times the other language's (a mix of both: nil),
/// - and at least `minimumShare` of all words (German, French, … hit neither list often: nil).
/// Swedish and English prose run at 30–50 % function words, so a sentence or two decides.
public enum LanguageDetector {
    public static let minimumWords = 3
    public static let minimumHits = 2
    public static let dominance = 2
    public static let minimumShare = 0.2
    /// Only the start of a long document is read: its language does not change halfway.
    public static let maximumWords = 2_000

    /// Names the lists and thresholds: part of the examples version (a prompt's language may
    /// come from here).
    public static let version = "stopwords-v1:\(minimumWords)w/\(minimumHits)h/\(dominance)x/\(minimumShare)"

    static let swedish: Set<String> = [
        "och", "att", "det", "som", "är", "på", "för", "med", "jag", "har", "inte", "du", "om", "men", "vi", "kan",
        "till", "av", "ett", "sig", "hur", "vad", "när", "eller", "mig", "min", "mitt", "dig", "din", "ditt", "också",
        "bara", "nu", "här", "där", "vara", "vill", "ska", "skulle", "kommer", "blir", "från", "efter", "utan",
        "mycket", "alla", "något", "någon", "hon", "han", "honom", "henne", "dem", "sina", "sin", "sitt", "varit",
        "detta", "dessa", "vilket", "vilka", "deras", "oss", "vår", "våra", "ni", "hade", "får", "måste", "kanske",
        "mer", "än", "då", "genom", "sedan", "hos", "mot", "vid", "över", "ur", "dock", "samt", "hans", "hennes",
        "blev", "finns", "gör", "göra", "redan", "själv", "många", "varför", "vilken", "var", "så",
    ]

    static let english: Set<String> = [
        "the", "and", "of", "to", "is", "that", "it", "you", "for", "with", "on", "are", "this", "be", "have", "not",
        "but", "what", "your", "can", "my", "we", "they", "he", "she", "at", "by", "from", "or", "will", "would",
        "should", "could", "about", "how", "when", "if", "there", "their", "which", "do", "does", "did", "been",
        "were", "has", "had", "me", "him", "her", "them", "our", "us", "more", "than", "also", "just", "because",
        "into", "who", "all", "some", "its", "these", "those", "very", "much", "any", "other", "only", "then", "as",
        "why", "where", "get", "make", "want", "need",
    ]

    /// Swedish, English, or nil when the text is too short, mixed, or neither.
    public static func detect(_ text: String) -> Language? {
        var words = 0
        var sv = 0
        var en = 0
        var word = String.UnicodeScalarView()
        func count() {
            guard !word.isEmpty else { return }
            words += 1
            let lowered = String(word).lowercased()
            if swedish.contains(lowered) { sv += 1 } else if english.contains(lowered) { en += 1 }
            word.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic {
                word.append(scalar)
            } else {
                count()
                if words >= maximumWords { break }
            }
        }
        if words < maximumWords { count() }
        return decide(words: words, swedish: sv, english: en)
    }

    static func decide(words: Int, swedish sv: Int, english en: Int) -> Language? {
        guard words >= minimumWords else { return nil }
        let (language, hits, other) = sv >= en ? (Language.sv, sv, en) : (Language.en, en, sv)
        guard hits >= minimumHits, hits >= dominance * other, Double(hits) >= minimumShare * Double(words) else { return nil }
        return language
    }
}
