import Foundation
import Stages
import Testing

@Suite struct RedactorTests {
    struct Case: Decodable {
        struct Expected: Decodable { var type: PIIType; var value: String }
        var text: String
        var expect: [Expected]
    }

    static let corpus: [Case] = {
        let data = try! Data(contentsOf: Fixtures.repository.appendingPathComponent("Tests/Fixtures/pii/corpus.jsonl"))
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try! JSONDecoder().decode(Case.self, from: Data($0.utf8))
        }
    }()

    /// The value of an entity, cut from the input by its scalar offsets.
    func value(of entity: PIIEntity, in text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[entity.start..<entity.end])
        return String(view)
    }

    /// Every identifier is found with its type and exact span. People's names in these texts
    /// ("Jag heter Sara") are found too: their corpus is `NameRedactionTests`'; here the
    /// identifiers must come out as they did before names were redacted. (A postcode next to a
    /// town, once a negative here, is an address since issue 29.)
    @Test func positivesAreFoundWithTheirTypeAndExactSpan() {
        let redactor = Redactor()
        let positives = Self.corpus.filter { !$0.expect.isEmpty }
        #expect(positives.count >= 50)
        for example in positives {
            let result = redactor.redact(example.text)
            let found = result.entities.filter { $0.type != .person }.map { "\($0.type.rawValue) \(value(of: $0, in: example.text))" }
            let expected = example.expect.map { "\($0.type.rawValue) \($0.value)" }
            #expect(found == expected, "\(example.text)")
            var redacted = example.text
            for value in example.expect {
                redacted = redacted.replacingOccurrences(of: value.value, with: value.type.placeholder(label: value.type.isNumbered ? 1 : nil))
            }
            let identifiersOnly = Redactor(types: Set(PIIType.allCases).subtracting([.person]))
            #expect(identifiersOnly.redact(example.text).text == redacted)
        }
    }

    @Test func negativesStayByteIdentical() {
        let redactor = Redactor()
        let negatives = Self.corpus.filter(\.expect.isEmpty)
        #expect(negatives.count >= 50)
        for example in negatives {
            let result = redactor.redact(example.text)
            #expect(result.entities.isEmpty, "\(example.text): \(result.entities)")
            #expect(Array(result.text.utf8) == Array(example.text.utf8))
        }
    }

    @Test func offsetsCountUnicodeScalars() {
        // "å" in NFD is two scalars, the family emoji seven: offsets are Python string indices.
        let text = "a\u{030A} 👨‍👩‍👧‍👦 ring 070-123 45 67"
        let result = Redactor().redact(text)
        #expect(result.entities == [PIIEntity(type: .phone, start: 16, end: 29)])
        #expect(result.text == "a\u{030A} 👨‍👩‍👧‍👦 ring <PHONE>")
    }

    @Test func disabledTypesAreLeftAlone() {
        let result = Redactor(types: [.email]).redact("ring 070-123 45 67 eller a@b.se")
        #expect(result.text == "ring 070-123 45 67 eller <EMAIL>")
        #expect(Redactor(types: [.email]).configuration != Redactor().configuration)
    }
}
