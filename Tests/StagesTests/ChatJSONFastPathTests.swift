import Foundation
@testable import Stages
import Testing
import Tokenizers

/// The byte scanner's reading of stored messages and of exported lines must give exactly what
/// `JSONDecoder` / `JSONSerialization` give, or step aside for them: it never decides otherwise.
@Suite struct ChatJSONFastPathTests {
    static let message = #"{"role": "assistant", "content": "Börja med ett litet steg.", "weight": 1}"#

    /// Message lists that exercise every branch, the usual shapes and those that must fall back.
    static var messageLists: [String] {
        let members: [String] = [
            message, #"{"role": "system", "content": "Du är en coach."}"#, #"{"content": "x", "role": "user", "weight": null}"#,
            #"{"role": "user", "content": ""}"#, #"{"role": "user", "content": "a \"quote\" \\ \/ \n \t \u00e5 \ud83d\ude00"}"#,
            #"{"role": "user", "content": "lone \ud83d"}"#, #"{"role": "user", "content": "bad \q"}"#,
            #"{"role": "coach", "content": "x"}"#, #"{"role": "user"}"#, #"{"content": "x"}"#,
            #"{"role": "assistant", "content": "x", "weight": 1.0}"#, #"{"role": "assistant", "content": "x", "weight": "1"}"#,
            #"{"role": "assistant", "content": "x", "weight": true}"#, #"{"role": "assistant", "content": "x", "weight": 7}"#,
            #"{"role": "user", "content": "x", "name": "n"}"#, #"{"role": "user", "role": "user", "content": "x"}"#,
            #"{"role": "user", "content": null}"#, #"{"role": 1, "content": "x"}"#, #"{"r\u006fle": "user", "content": "x"}"#,
            "{\"role\": \"user\", \"content\": \"raw\u{1}control\"}", #"{"role": "assistant", "content": "x", "weight": 99999999999999999999}"#,
            "\"text\"", "[]", "null", "{}",
        ]
        var lists = members.map { "[" + $0 + "]" }
        lists += members.map { "[" + message + ", " + $0 + "]" }
        lists += ["[]", " [ ] ", "[" + message + "]x", "[" + message + ",]", "{}", "", "null", "[" + message, message]
        // What PostgreSQL's jsonb gives back (keys by length, a space after each separator).
        lists.append(#"[{"role": "system", "content": "Du är en coach.", "weight": null}, {"role": "user", "content": "Hej", "weight": null}]"#)
        return lists
    }

    @Test func storedMessagesReadAsTheDecoderReadsThem() throws {
        var scanned = 0
        for list in Self.messageLists {
            var bytes = list
            let fast = bytes.withUTF8 { ChatMessage.messages(json: $0) }
            let decoded = try? JSONDecoder().decode([ChatMessage].self, from: Data(list.utf8))
            if let fast {
                scanned += 1
                #expect(fast == decoded, "\(list)")
            }
        }
        #expect(scanned >= 10, "the usual shapes take the fast path")
        // Every message our own writer stores is read by the scanner.
        let written: [ChatMessage] = [
            ChatMessage(role: .system, content: "Du är en \"coach\".\n\tVälkommen"), ChatMessage(role: .user, content: "\u{1F600} \u{7}"),
            ChatMessage(role: .assistant, content: "", weight: 0), ChatMessage(role: .assistant, content: "svar", weight: 1),
        ]
        var json = String(decoding: try JSONEncoder().encode(written), as: UTF8.self)
        #expect(json.withUTF8 { ChatMessage.messages(json: $0) } == written)
    }

    /// Exported lines: the scanner's messages are those `JSONSerialization` gives, and a line
    /// gets the same verdict and token count whichever path reads it.
    @Test func exportedLinesGetTheVerdictOfTheGeneralReader() throws {
        let validator = ChatFormatValidator(counter: ChatTokenCounter(encoding: try Fixtures.cl100k.get()), maxTokens: 40)
        var lines = Self.messageLists.map { #"{"messages": "# + $0 + "}" }
        lines += [
            #"{"messages": [], "extra": 1}"#, #"{"other": []}"#, #"{"messages": 5}"#, "[]", "",
            #"{"messages": [{"role": "user", "content": "x", "function_call": {}}]}"#,
            #"{"messages": [{"role": "user", "content": "x", "unknown": 1}]}"#,
            #"{"messages": [{"role": "user", "content": "x"}], "messages": []}"#,
            #"{"messages": [{"role": "user", "content": ""# + String(repeating: "ord ", count: 60) + #""}, "# + Self.message + "]}",
        ]
        var scanned = 0
        for line in lines {
            let bytes = Array(line.utf8)
            let serialized = ChatFormatValidator.serializedMessages(bytes)
            if let fast = bytes.withUnsafeBufferPointer({ ChatFormatValidator.scannedMessages($0) }) {
                scanned += 1
                #expect(fast == serialized, "\(line)")
            }
            let verdict = validator.validate(line: bytes)
            #expect(verdict == validator.verdict(serialized, knownTokens: nil), "\(line)")
        }
        #expect(scanned >= 20)
    }
}
