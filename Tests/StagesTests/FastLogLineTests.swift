import Foundation
@testable import Stages
import Testing

/// The byte scanner for log lines must give exactly what the `JSONDecoder` path gives: the same
/// record, or (by deferring to it) the same error.
@Suite struct FastLogLineTests {
    let parser = LineParser(format: .interactions, defaultMode: .university)

    static let base = #"{"timestamp": "2025-10-01T08:00:00Z", "user_input": "Hur planerar jag veckan?", "ai_response": "Börja med det som redan är bestämt."}"#

    /// Lines that exercise every branch: escapes, nulls, ids, numbers, nested objects, and the
    /// malformed and invalid shapes that must fall back to the decoder's error.
    static var variants: [String] {
        let fields: [String] = [
            #""id": "p-1""#, #""id": 42"#, #""id": """#, #""id": null"#, #""id": -7"#, #""id": 007"#, #""id": 1.5"#,
            #""session_id": "s1", "turn_index": 3"#, #""turn_index": -1"#, #""turn_index": 2.0"#, #""turn_index": "2""#,
            #""turn_index": 99999999999"#, #""mode": "personal""#, #""mode": "work""#, #""mode": null"#,
            #""user_id": "u1", "consent": {"training": true}"#, #""consent": {"training": true}"#,
            #""user_id": "u1", "consent": {}"#, #""user_id": "u1", "consent": {"retrieval": false, "training": null}"#,
            #""user_id": "u1", "consent": {"retrieval": "yes"}"#, #""user_id": "u1", "consent": null"#,
            #""feedback": {"rating": 5, "helpful": true}"#, #""feedback": {"rating": 0}"#, #""feedback": {"rating": 6}"#,
            #""feedback": {"rating": 4.0}"#, #""feedback": {"rating": "4"}"#, #""feedback": null"#, #""feedback": {}"#,
            #""feedback": {"helpful": false, "rating": null}"#, #""feedback": {"rating": 3, "extra": 1}"#, #""feedback": 5"#,
            #""language": "sv""#, #""language": 5"#, #""unknown": {"a": [1, 2]}"#, #""user_input": "dup""#,
        ]
        var lines = fields.map { String(base.dropLast()) + ", " + $0 + "}" }
        lines += [
            base, " " + base + " \t", base + "x", base + ",", "[" + base + "]", "{}", "", "null", "{\"timestamp\": 1}",
            #"{"timestamp": "2025-10-01T08:00:00Z", "user_input": "a \"quoted\" \\ slash\/ tab\t nl\n", "ai_response": "emoji \ud83d\ude00 å \u00e5"}"#,
            #"{"timestamp": "2025-10-01T08:00:00Z", "user_input": "lone \ud83d surrogate", "ai_response": "x y z"}"#,
            #"{"timestamp": "2025-10-01T08:00:00Z", "user_input": "bad \q escape", "ai_response": "x y z"}"#,
            #"{"timestamp": "2025-10-01T08:00:00Z", "user_input": "   ", "ai_response": "x y z"}"#,
            "{\"timestamp\": \"2025-10-01T08:00:00Z\", \"user_input\": \"\u{00A0}\u{2003}\", \"ai_response\": \"x y z\"}",
            "{\"timestamp\": \"2025-10-01T08:00:00Z\", \"user_input\": \"raw\u{1}control\", \"ai_response\": \"x y z\"}",
            #"{"timestamp": "not a time", "user_input": "a b c", "ai_response": "x y z"}"#,
            #"{"timestamp": "2025-10-01T08:00:00+02:00", "user_input": "a b c", "ai_response": "x y z"}"#,
            #"{"user_input": "a b c", "ai_response": "x y z"}"#,
            #"{"timestamp": "2025-10-01T08:00:00Z", "user_input": null, "ai_response": "x y z"}"#,
            #"{ "timestamp" : "2025-10-01T08:00:00Z" ,"user_input":"a","ai_response":"b" }"#,
        ]
        return lines
    }

    static var sampleLines: [String] {
        ["scripts/sample-data/interactions.jsonl", "scripts/sample-data/bad-lines.jsonl"].flatMap { path in
            (try? String(contentsOf: Fixtures.repository.appendingPathComponent(path), encoding: .utf8))?
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? []
        }
    }

    @Test func everyLineGivesWhatTheDecoderGives() {
        var fast = 0
        let lines = Self.variants + Self.sampleLines
        #expect(lines.count > 70)
        for (index, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            let ours = parser.parse(bytes, line: index + 1)
            let reference = parser.parseWithDecoder(bytes, line: index + 1)
            #expect("\(ours)" == "\(reference)", "line \(index + 1): \(line)")
            if bytes.withUnsafeBufferPointer(FastLogLine.parse) != nil { fast += 1 }
        }
        #expect(fast >= 30, "the scanner handles the common shapes itself (\(fast) lines)")
    }

    /// Invalid UTF-8 inside a string is never accepted by the scanner: a stray byte, a truncated
    /// sequence whose repair is as long as itself (one U+FFFD for three bytes), an encoded
    /// surrogate, an overlong form — unescaped and after an escape.
    @Test func invalidUTF8FallsBack() {
        for invalid: [UInt8] in [[0xFF], [0xF0, 0x9F, 0x98], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xE2, 0x82]] {
            for escapedBefore in [false, true] {
                var bytes = Array(#"{"timestamp": "2025-10-01T08:00:00Z", "user_input": "a"#.utf8)
                if escapedBefore { bytes += Array(#"\n"#.utf8) }
                bytes += invalid
                bytes += Array(#"", "ai_response": "b c"}"#.utf8)
                #expect(bytes.withUnsafeBufferPointer(FastLogLine.parse) == nil, "\(invalid)")
                #expect("\(parser.parse(bytes, line: 1))" == "\(parser.parseWithDecoder(bytes, line: 1))")
            }
        }
    }

    /// `isBlank` is `allSatisfy(\.isWhitespace)`, its shortcut included.
    @Test func blankIsEveryCharacterWhitespace() {
        for text in ["", " ", "\t\r\n", "\u{85}", "\u{A0}\u{2003}", "\u{200B}", "\u{1F}", "a", "a\u{301}", " \u{301}", "\u{301}",
                     "~", "!", " x", "\u{3000}å", "\u{7F}", "\0"] {
            #expect(text.isBlank == text.allSatisfy(\.isWhitespace), "\(Array(text.unicodeScalars))")
        }
    }
}
