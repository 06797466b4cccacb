import Foundation
import Stages
import Testing

/// People's names and street addresses on the labelled chat corpora (`Tests/Fixtures/names/`,
/// Swedish and English, written for this project: texts with names, with addresses, and
/// negatives built from words that are also names). The floors are what the redactor reaches
/// (docs/benchmarks.md, "Names and addresses"); the targets are 0.90.
@Suite struct NameRedactionTests {
    struct Case: Decodable {
        struct Expected: Decodable { var type: PIIType; var value: String }
        var id: String
        var text: String
        var expect: [Expected]
    }

    static func corpus(_ name: String) -> [Case] {
        let url = Fixtures.repository.appendingPathComponent("Tests/Fixtures/names/\(name).jsonl")
        let data = try! Data(contentsOf: url)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try! JSONDecoder().decode(Case.self, from: Data($0.utf8))
        }
    }

    /// Recall and precision of one type on one corpus. A labelled name is found when every
    /// letter and digit of it lies inside entities of its type; an entity is right when it
    /// overlaps a labelled value of its type.
    struct Score: CustomStringConvertible {
        var labelled = 0, found = 0, entities = 0, right = 0
        var misses: [String] = [], wrong: [String] = []
        var recall: Double { labelled == 0 ? 1 : Double(found) / Double(labelled) }
        var precision: Double { entities == 0 ? 1 : Double(right) / Double(entities) }
        var description: String {
            String(format: "recall %d/%d = %.3f, precision %d/%d = %.3f", found, labelled, recall, right, entities, precision)
        }
    }

    static func score(_ cases: [Case], _ type: PIIType, redactor: Redactor = Redactor()) -> Score {
        var score = Score()
        for example in cases {
            let scalars = Array(example.text.unicodeScalars)
            let result = redactor.redact(example.text)
            let entities = result.entities.filter { $0.type == type }
            let labelled = spans(of: example.expect.filter { $0.type == type }.map(\.value), in: scalars)
            for span in labelled {
                let covered = span.allSatisfy { k in
                    !isAlphanumeric(scalars[k]) || entities.contains { $0.start <= k && k < $0.end }
                }
                score.labelled += 1
                if covered { score.found += 1 } else { score.misses.append("\(example.id): \(String(String.UnicodeScalarView(scalars[span])))") }
            }
            for entity in entities {
                score.entities += 1
                if labelled.contains(where: { $0.overlaps(entity.start..<entity.end) }) {
                    score.right += 1
                } else {
                    score.wrong.append("\(example.id): \(String(String.UnicodeScalarView(scalars[entity.start..<entity.end])))")
                }
            }
        }
        return score
    }

    /// Every whole-word occurrence of each value (a possessive `s` may follow), without those
    /// inside a longer labelled value ("Jonas" inside "Jonas Berg").
    static func spans(of values: [String], in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        for value in Set(values) {
            let needle = Array(value.unicodeScalars)
            guard !needle.isEmpty, needle.count <= scalars.count else { continue }
            for start in 0...(scalars.count - needle.count) where Array(scalars[start..<(start + needle.count)]) == needle {
                let end = start + needle.count
                if start > 0, isAlphanumeric(scalars[start - 1]) { continue }
                if end < scalars.count, isAlphanumeric(scalars[end]) {
                    let possessive = scalars[end] == "s" && (end + 1 == scalars.count || !isAlphanumeric(scalars[end + 1]))
                    if !possessive { continue }
                }
                spans.append(start..<end)
            }
        }
        return spans.filter { span in !spans.contains { $0 != span && $0.lowerBound <= span.lowerBound && span.upperBound <= $0.upperBound } }
    }

    static func isAlphanumeric(_ s: Unicode.Scalar) -> Bool { s.properties.isAlphabetic || s.properties.numericType != nil }

    /// The corpora we wrote and tuned with (`sv`, `en`: at least 300 texts with names and 300
    /// negatives each) hold the targets; the held-out ones hold what the redactor reached
    /// on them (`heldout-*` was read once to tune after its first measurement; `final-*` was
    /// measured before any tuning on it and then once more after general rules; `fresh-*`,
    /// written later by a helper who saw neither the detector nor the other corpora, was measured
    /// first with the wide name lists in, then after two general address rules; see
    /// docs/benchmarks.md). Floors, not exact figures: a rule that helps one corpus and costs
    /// another shows here.
    @Test(arguments: [
        ("sv", PIIType.person, 0.96, 0.99), ("en", .person, 0.93, 0.99),
        ("sv", .address, 0.99, 0.99), ("en", .address, 0.98, 0.99),
        ("heldout-sv", .person, 0.97, 0.96), ("heldout-en", .person, 0.97, 0.99),
        ("heldout-sv", .address, 0.95, 0.99), ("heldout-en", .address, 0.99, 0.99),
        ("final-sv", .person, 0.96, 0.94), ("final-en", .person, 0.92, 0.96),
        ("final-sv", .address, 0.95, 0.99), ("final-en", .address, 0.99, 0.99),
        ("fresh-sv", .person, 0.96, 0.96), ("fresh-en", .person, 0.93, 0.95),
        ("fresh-sv", .address, 0.99, 0.99), ("fresh-en", .address, 0.95, 0.99),
    ])
    func recallAndPrecisionHoldTheirFloors(corpus: String, type: PIIType, recall: Double, precision: Double) {
        let cases = Self.corpus(corpus)
        if corpus == "sv" || corpus == "en" {
            #expect(cases.filter { $0.expect.contains { $0.type == .person } }.count >= 300)
            #expect(cases.filter(\.expect.isEmpty).count >= 300)
        }
        let score = Self.score(cases, type)
        print("names \(corpus) \(type.rawValue): \(score)")
        #expect(score.recall >= recall, "missed: \(score.misses.prefix(40))")
        #expect(score.precision >= precision, "wrong: \(score.wrong.prefix(40))")
    }

    @Test func aPersonKeepsOneNumberAcrossTheTextsOfAConversation() {
        let redactor = Redactor()
        var pseudonyms = Pseudonyms()
        let first = redactor.redact("Min kollega Jonas Berg och hans chef Anna tjatar.", pseudonyms: &pseudonyms)  // "hans": his
        let second = redactor.redact("jonas ringde igen, och Berg vill ha svar. Anna? tyst.", pseudonyms: &pseudonyms)
        let third = redactor.redact("Och nu har Linnea börjat också.", pseudonyms: &pseudonyms)
        #expect(first.text == "Min kollega <PERSON_1> och hans chef <PERSON_2> tjatar.")
        #expect(second.text == "<PERSON_1> ringde igen, och <PERSON_1> vill ha svar. <PERSON_2>? tyst.")
        #expect(third.text == "Och nu har <PERSON_3> börjat också.")
        // Alone, each text numbers from 1.
        #expect(redactor.redact("Och nu har Linnea börjat också.").text == "Och nu har <PERSON_1> börjat också.")
    }

    @Test func addressesAreNumberedAndPossessivesStayOutside() {
        let redactor = Redactor()
        let result = redactor.redact("Chloe's flat is at 42 Elm Street, not 7 Oak Rd. Linneas mamma bor på Storgatan 12B, 113 45 Stockholm.")
        #expect(result.text == "<PERSON_1>'s flat is at <ADDRESS_1>, not <ADDRESS_2>. <PERSON_2>s mamma bor på <ADDRESS_3>.")
        #expect(result.entities.map(\.label) == [1, 1, 2, 2, 3])
    }

    /// Words of coaching notes that were taken for names (the bench corpus, issue 29's second
    /// pass): a chat verb that is a Finnish name, a Swedish verb ending in -s, a modal before its
    /// subject where a sentence's end went unmarked, a phrase of two words.
    @Test func wordsOfCoachingTextStayWords() {
        let redactor = Redactor()
        for text in [
            "I had a déjà vu moment at the café", "Ring mig eller maila mig i morgon", "Läsa 20 min/dag Finns det ett sätt att",
            "Mål för veckan Can you help me prepare", "no manager Can we make a plan", "my exams are in june and I haven't started",
            "the sun rose and i was still awake", "My partner calls me honey and it annoys me",
        ] {
            #expect(redactor.redact(text).entities.isEmpty, "\(text)")
        }
    }

    /// Names from the wide lists, nicknames and the context rules of the second pass.
    @Test func namesFoundByTheWideListsNicknamesAndContext() {
        let redactor = Redactor()
        for (text, name) in [
            ("radoslaw helped me move flats", "radoslaw"), ("me and robin are splitting up", "robin"),
            ("hope and i have decided to try therapy", "hope"), ("hey im jordan, 22, struggling", "jordan"),
            ("Hi I'm Drew, 31, dad of two", "Drew"), ("Frank is my dad's best friend", "Frank"),
            ("Dean in my cohort copies my notes", "Dean"), ("rusty and gaz from five-a-side", "gaz"),
            ("Macca rang me drunk at 3am", "Macca"), ("my mentor Anjali Patel said so", "Anjali Patel"),
        ] {
            let redacted = redactor.redact(text)
            let found = redacted.entities.filter { $0.type == .person }.map { entity in
                String(String.UnicodeScalarView(Array(text.unicodeScalars)[entity.start..<entity.end]))
            }
            #expect(found.contains(name), "\(text): \(found)")
        }
    }

    @Test func titlesAndRelationsAreContextNotTheName() {
        let redactor = Redactor()
        #expect(redactor.redact("professor Lindqvist och min chef Max").text == "professor <PERSON_1> och min chef <PERSON_2>")
        #expect(redactor.redact("Dr. Patel told my sister Grace to rest").text == "Dr. <PERSON_1> told my sister <PERSON_2> to rest")
    }

    @Test func surrogatesAreInventedConsistentAndHideTheRealNames() {
        let redactor = Redactor()
        var pseudonyms = Pseudonyms(seed: 42, language: .sv)
        let texts = ["Jag heter Linnea och min sambo Jonas Berg bor på Storgatan 5.", "Jonas tycker att Linnea jobbar för mycket."]
        let redactions = texts.map { redactor.redact($0, pseudonyms: &pseudonyms) }
        let rendered = redactions.map { $0.rendered(.surrogate, with: pseudonyms) }
        for text in rendered {
            for real in ["Linnea", "Jonas", "Berg", "Storgatan"] { #expect(!text.contains(real), "\(text)") }
            #expect(!text.contains("<"))
        }
        // The same person, the same invented name in both texts; a placeholder rendering is the text itself.
        let linnea = Self.word(after: "heter ", in: rendered[0])
        #expect(rendered[1].contains(linnea))
        #expect(redactions[0].rendered(.placeholder, with: pseudonyms) == redactions[0].text)
        // Redacted again, a surrogate text has names where the placeholders were (they look
        // real), and nothing else.
        #expect(redactor.redact(rendered[1]).entities.allSatisfy { $0.type == .person })
    }

    static func word(after prefix: String, in text: String) -> String {
        guard let range = text.range(of: prefix) else { return "?" }
        return String(text[range.upperBound...].prefix { $0.isLetter })
    }

    @Test func placeholdersAreNotRedactedAgain() {
        let redactor = Redactor()
        for text in ["Hej Nils! Jonas Berg bor på Kungsgatan 3.", "my roommate chloe and Will Smith live at 221B Baker St"] {
            let once = redactor.redact(text)
            #expect(!once.entities.isEmpty)
            #expect(redactor.redact(once.text).entities.isEmpty, "\(once.text)")
        }
    }

    @Test func namesOffLeavesThemAlone() {
        let redactor = Redactor(types: Set(PIIType.allCases).subtracting([.person, .address]))
        #expect(redactor.redact("min kollega Jonas Berg, Storgatan 12").entities.isEmpty)
    }
}
