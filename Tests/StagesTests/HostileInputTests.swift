import Foundation
import Stages
import Testing

/// Input a careless or hostile producer sends: NUL characters, over-long fields, repeated keys,
/// random bytes. Every line is accepted or rejected with its number and field, never cut short.
@Suite struct HostileInputTests {
    let interactions = LineParser(format: .interactions)
    let sessions = LineParser(format: .sessions)

    func error(_ parser: LineParser, _ text: String, line: Int = 7) -> String? {
        if case .failure(let error) = parser.parse(Array(text.utf8), line: line) { return error.description }
        return nil
    }

    func line(_ fields: [String: Any]) -> String {
        var object: [String: Any] = ["timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b"]
        object.merge(fields) { $1 }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test(arguments: ["user_input", "ai_response", "user_id", "session_id", "id", "language"])
    func aNULIsRejectedNamingTheFieldNeverCut(field: String) {
        let message = error(interactions, line([field: "nul\u{0}tail"]))
        #expect(message == "line 7: \(field): contains a NUL character (U+0000), which cannot be stored")
    }

    @Test func aNULInASessionTurnNamesTheTurn() {
        let text = #"{"session_id": "s", "timestamp": "2025-01-01T00:00:00Z", "conversation": [{"role": "user", "content": "hej"}, {"role": "assistant", "content": "a\u0000b"}]}"#
        #expect(error(sessions, text) == "line 7: conversation[1].content: contains a NUL character (U+0000), which cannot be stored")
    }

    @Test(arguments: [
        ("id", InputLimits.identifier.maxBytes), ("session_id", InputLimits.identifier.maxBytes),
        ("user_id", InputLimits.identifier.maxBytes), ("user_input", InputLimits.message.maxBytes),
        ("ai_response", InputLimits.message.maxBytes),
    ])
    func overLongFieldsAreRejectedAtTheLimitPlusOneByte(field: String, limit: Int) throws {
        // "å" is two bytes: the limit is in bytes, as PostgreSQL stores them.
        let atLimit = String(repeating: "å", count: limit / 2) + (limit % 2 == 1 ? "a" : "")
        #expect(error(interactions, line([field: atLimit])) == nil)
        let message = error(interactions, line([field: atLimit + "a"]))
        #expect(message == "line 7: \(field): longer than \(TextLimit.describe(limit)) (UTF-8), the limit for this field")
    }

    @Test(arguments: ["sv", "en-GB", "zh_Hant", "x"])
    func languageTagsAreAccepted(tag: String) {
        #expect(error(interactions, line(["language": tag])) == nil)
    }

    @Test(arguments: ["", "1sv", "sv SE", "sv;drop", String(repeating: "a", count: 36), "sv\u{0}"])
    func languageTagsOutsideTheRuleAreRejected(tag: String) {
        let message = error(interactions, line(["language": tag]))
        #expect(message?.hasPrefix("line 7: language: ") == true)
    }

    @Test func turnIndexHasAnUpperBound() {
        #expect(error(interactions, line(["turn_index": InputLimits.turnIndex.upperBound])) == nil)
        #expect(error(interactions, line(["turn_index": InputLimits.turnIndex.upperBound + 1])) == "line 7: turn_index: expected an integer from 0 to 1000000")
    }

    @Test func aRepeatedKeyIsRejected() {
        let text = #"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "user_id": "u1", "user_id": "u2"}"#
        #expect(error(interactions, text) == "line 7: user_id: appears twice in one object (parsers disagree on which one counts)")
        let nested = #"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "feedback": {"rating": 1, "rating": 5}}"#
        #expect(error(interactions, nested) == "line 7: feedback.rating: appears twice in one object (parsers disagree on which one counts)")
        // An escaped spelling of the same key is the same key.
        let escaped = #"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "mode": "personal", "m\u006fde": "university"}"#
        #expect(error(interactions, escaped)?.contains("mode: appears twice") == true)
    }

    @Test func duplicateKeyScanner() {
        func first(_ text: String) -> String? { JSONDuplicateKeys.first(in: Array(text.utf8)) }
        #expect(first(#"{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}"#) == nil)
        #expect(first(#"{"a": "x\"a\": 1", "a": 2}"#) == "a")
        #expect(first(#"[{"x": [1, {"y": 1, "y": 2}]}]"#) == "x.y")
        #expect(first(#"{"a": {}, "b": [], "a": null}"#) == "a")
    }

    @Test func documentsCheckTheirLimits() {
        func problem(_ fields: [String: Any]) -> String? {
            var object: [String: Any] = ["id": "d1", "title": "T", "text": "body"]
            object.merge(fields) { $1 }
            let data = try! JSONSerialization.data(withJSONObject: object)
            do {
                _ = try DocumentRecord.parse(line: Array(data), number: 3)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(problem([:]) == nil)
        #expect(problem(["title": "a\u{0}b"]) == "line 3: title: contains a NUL character (U+0000), which cannot be stored")
        #expect(problem(["text": "a\u{0}b"]) == "line 3: text: contains a NUL character (U+0000), which cannot be stored")
        #expect(problem(["id": String(repeating: "x", count: 1025)]) == "line 3: id: longer than 1 KiB (UTF-8), the limit for this field")
        #expect(problem(["language": "svenska språket"])?.hasPrefix("line 3: language:") == true)
    }

    /// Random bytes, random JSON and random Unicode (NUL and lone surrogates among them): every
    /// line gives records or an error with its own number, never a crash, and never a record
    /// holding U+0000 or a field over its limit.
    @Test func randomLinesAreAcceptedOrRejectedWithTheirNumber() {
        var generator = SplitMix64(seed: 25)
        let pieces: [String] = [
            String(repeating: "z", count: 300), String(repeating: "å", count: 2_000), "sv-SE", "1sv",
            #"{"#, #"}"#, #"""#, #"\u0000"#, #"\ud800"#, #"\udc00"#, #"\ud83d\ude00"#, "\u{0}", "å", "😀", ",", ":", "[", "]",
            #""timestamp": "2025-01-01T00:00:00Z""#, #""user_input": "#, #""ai_response": "#, #""user_id": "#,
            #""feedback": {"rating": 3}"#, "null", "true", "12", "-1", "1e400", #""x""#, " ", "\\", "\t",
        ]
        var accepted = 0
        var rejectedOverLimit = 0
        for number in 1...3_000 {
            var bytes: [UInt8]
            switch generator.next() % 3 {
            case 0:
                bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            case 1:
                bytes = Array((0..<Int(generator.next() % 12)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined().utf8)
            default:
                // A valid line with one field replaced by a random piece.
                let value = pieces[Int(generator.next() % UInt64(pieces.count))]
                let field = ["user_input", "ai_response", "user_id", "session_id", "language", "id"][Int(generator.next() % 6)]
                bytes = Array(#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "u", "ai_response": "a", "\#(field)": "\#(value)"}"#.utf8)
            }
            for parser in [interactions, sessions] {
                switch parser.parse(bytes, line: number) {
                case .success(let records):
                    accepted += 1
                    for record in records {
                        let texts = [record.userInput, record.aiResponse, record.userID, record.sessionID, record.language, record.producerID]
                        #expect(!texts.contains { $0?.utf8.contains(0) == true }, "line \(number)")
                        let limited: [(String?, TextLimit)] = [
                            (record.userID, InputLimits.identifier), (record.sessionID, InputLimits.identifier),
                            (record.producerID, InputLimits.identifier), (record.language, InputLimits.language),
                            (record.userInput, InputLimits.message), (record.aiResponse, InputLimits.message),
                        ]
                        #expect(limited.allSatisfy { value, limit in value.map { limit.problem($0) == nil } ?? true }, "line \(number)")
                        #expect(record.line == number)
                    }
                case .failure(let error):
                    if error.expected.hasPrefix("longer than") || error.expected.hasPrefix("expected a language tag") { rejectedOverLimit += 1 }
                    #expect(error.line == number)
                    #expect(!error.expected.isEmpty)
                }
            }
        }
        #expect(accepted > 0, "the generator also makes valid lines")
        #expect(rejectedOverLimit > 0, "the generator also makes values over their limits")
    }
}
