import Stages
import Testing

@Suite struct LineParserTests {
    let interactions = LineParser(format: .interactions)
    let sessions = LineParser(format: .sessions)

    func parse(_ parser: LineParser, _ text: String, line: Int = 1) -> Result<[InteractionRecord], LineError> {
        parser.parse(Array(text.utf8), line: line)
    }

    func error(_ parser: LineParser, _ text: String) -> String? {
        if case .failure(let error) = parse(parser, text, line: 7) { return error.description }
        return nil
    }

    @Test func parsesTheSeedsLogLine() throws {
        let line = #"{"timestamp": "2025-09-29T10:00:00.250000", "user_input": "Hej coach", "ai_response": "Hej! Vad vill du prata om?", "feedback": {"rating": 4, "helpful": true}}"#
        let record = try #require(try parse(interactions, line).get().first)
        #expect(record.userInput == "Hej coach")
        #expect(record.rating == 4 && record.helpful == true)
        #expect(record.mode == .personal)
        #expect(record.occurredAtMicros == 1_759_140_000_250_000)
    }

    @Test func acceptsNullFeedbackAndOptionalFields() throws {
        let line = #"{"id": 17, "session_id": "s1", "mode": "university", "user_id": "u9", "language": "sv", "timestamp": "2025-09-29T10:00:00+02:00", "user_input": "a", "ai_response": "b", "feedback": null}"#
        let record = try #require(try parse(interactions, line).get().first)
        #expect(record.producerID == "17")
        #expect(record.mode == .university)
        #expect(record.rating == nil && record.helpful == nil)
        #expect(record.occurredAtMicros == 1_759_132_800_000_000)
    }

    @Test(arguments: [
        (#"{"user_input": "a", "ai_response": "b"}"#, "line 7: timestamp: missing; expected an ISO 8601 timestamp such as 2025-09-29T10:00:00Z"),
        (#"{"timestamp": "2025-13-01T00:00:00Z", "user_input": "a", "ai_response": "b"}"#, "line 7: timestamp: expected an ISO 8601 timestamp such as 2025-09-29T10:00:00Z"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "ai_response": "b"}"#, "line 7: user_input: missing; expected a non-empty string"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "", "ai_response": "b"}"#, "line 7: user_input: expected a non-empty string"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "  "}"#, "line 7: ai_response: expected a non-empty string"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": 5, "ai_response": "b"}"#, "line 7: user_input: expected a non-empty string"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "feedback": {"rating": 0}}"#, "line 7: feedback.rating: expected an integer from 1 to 5"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "feedback": {"rating": 4.5}}"#, "line 7: feedback.rating: expected an integer from 1 to 5"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "feedback": {"rating": "4"}}"#, "line 7: feedback.rating: expected an integer from 1 to 5"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "feedback": {"helpful": 1}}"#, "line 7: feedback.helpful: expected true or false"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "feedback": 3}"#, "line 7: feedback: expected an object with rating and helpful"),
        (#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a", "ai_response": "b", "mode": "work"}"#, "line 7: mode: expected \"personal\" or \"university\""),
        (#"["a"]"#, "line 7: expected a JSON object"),
        (#"{"timestamp": "#, "line 7: not valid JSON"),
    ])
    func rejectsWithFieldAndExpectation(line: String, expected: String) {
        #expect(error(interactions, line) == expected)
    }

    /// A wrong type and a missing field read differently; both name the field.
    @Test func wrongTypeNamesTheField() {
        let message = error(interactions, #"{"timestamp": 12, "user_input": "a", "ai_response": "b"}"#)
        #expect(message?.hasPrefix("line 7: timestamp:") == true)
    }

    @Test func rejectsInvalidUTF8() {
        var bytes = Array(#"{"timestamp": "2025-01-01T00:00:00Z", "user_input": "a"#.utf8)
        bytes.append(0xFF)
        bytes += Array(#"", "ai_response": "b"}"#.utf8)
        guard case .failure(let error) = interactions.parse(bytes, line: 3) else {
            Issue.record("invalid UTF-8 was accepted")
            return
        }
        #expect(error.description == "line 3: not valid UTF-8")
    }

    @Test func sessionsPairUserAndAssistantTurnsKeepingTurnIndex() throws {
        let line = #"""
        {"session_id": "sess_001", "timestamp": "2025-09-29T10:00:00Z", "mode": "personal",
         "conversation": [
          {"role": "system", "content": "Du är en coach."},
          {"role": "user", "content": "Jag känner mig fast", "timestamp": "2025-09-29T10:00:00Z"},
          {"role": "assistant", "content": "Berätta mer.", "feedback": {"rating": 4, "helpful": true}},
          {"role": "user", "content": "Samma sak varje dag"},
          {"role": "assistant", "content": "Svar A", "feedback": {"rating": 5}},
          {"role": "assistant", "content": "Svar B", "feedback": {"rating": 1, "helpful": false}}]}
        """#.replacingOccurrences(of: "\n", with: " ")
        let records = try parse(sessions, line).get()
        #expect(records.map(\.turnIndex) == [0, 1, 1])
        #expect(records.map(\.aiResponse) == ["Berätta mer.", "Svar A", "Svar B"])
        #expect(records.map(\.rating) == [4, 5, 1])
        #expect(records.allSatisfy { $0.sessionID == "sess_001" })
        #expect(records[1].userInput == "Samma sak varje dag")
    }

    @Test func sessionErrorsNameTheTurn() {
        let base = #"{"session_id": "s", "timestamp": "2025-09-29T10:00:00Z", "conversation": "#
        #expect(error(sessions, base + #"[{"role": "user", "content": "a"}, {"role": "assistant", "content": ""}]}"#)
            == "line 7: conversation[1].content: expected a non-empty string")
        #expect(error(sessions, base + #"[{"role": "assistant", "content": "a"}]}"#)
            == "line 7: conversation: expected at least one user turn followed by an assistant turn")
        #expect(error(sessions, base + #"[{"role": "coach", "content": "a"}]}"#)
            == "line 7: conversation[0].role: expected \"user\", \"assistant\" or \"system\"")
        #expect(error(sessions, base + #"[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "feedback": {"rating": 9}}]}"#)
            == "line 7: conversation[1].feedback.rating: expected an integer from 1 to 5")
        #expect(error(sessions, base + #"[{"role": "user", "content": "a"}]}"#)
            == "line 7: conversation: expected at least one user turn followed by an assistant turn")
    }

    /// No message is dropped: two user messages in a row are one turn, and the coach's greeting
    /// before the first user message is kept as the first exchange's opening.
    @Test func sessionsKeepEveryMessage() throws {
        let line = #"""
        {"session_id": "s2", "timestamp": "2025-09-29T10:00:00Z",
         "conversation": [
          {"role": "assistant", "content": "Hej! Vad vill du prata om idag?"},
          {"role": "assistant", "content": "Du kan också välja ett av förslagen."},
          {"role": "user", "content": "Jag sover dåligt.", "timestamp": "2025-09-29T10:00:10Z"},
          {"role": "user", "content": "Och jag är stressad över tentan."},
          {"role": "assistant", "content": "Det låter jobbigt. Berätta mer om sömnen."},
          {"role": "user", "content": "Jag somnar sent."},
          {"role": "system", "content": "Var kortfattad."},
          {"role": "user", "content": "Varje natt."},
          {"role": "assistant", "content": "Prova en fast läggtid."}]}
        """#.replacingOccurrences(of: "\n", with: " ")
        let records = try parse(sessions, line).get()
        #expect(records.map(\.turnIndex) == [0, 1])
        #expect(records[0].userInput == "Jag sover dåligt.\n\nOch jag är stressad över tentan.")
        #expect(records[0].opening == "Hej! Vad vill du prata om idag?\n\nDu kan också välja ett av förslagen.")
        #expect(records[0].occurredAtMicros == 1_759_140_010_000_000, "the first message's time")
        #expect(records[1].userInput == "Jag somnar sent.\n\nVarje natt.", "a system message between them does not split the turn")
        #expect(records[1].opening == nil)
        #expect(records[0].idempotencyKey != records[1].idempotencyKey)
    }

    /// The greeting is not part of the key: a session ingested before greetings were kept is
    /// the same exchange when ingested again with its greeting.
    @Test func openingIsNotPartOfTheKey() throws {
        let body = #"{"role": "user", "content": "Hej"}, {"role": "assistant", "content": "Hej hej"}]}"#
        let base = #"{"session_id": "s3", "timestamp": "2025-09-29T10:00:00Z", "conversation": ["#
        let plain = try parse(sessions, base + body).get()
        let greeted = try parse(sessions, base + #"{"role": "assistant", "content": "Välkommen"}, "# + body).get()
        #expect(greeted[0].opening == "Välkommen")
        #expect(plain[0].idempotencyKey == greeted[0].idempotencyKey)
    }
}
