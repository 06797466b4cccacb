import Foundation
import Testing

extension DatabaseTests {
    /// `ingest --format sessions` never drops a message: a greeting before the first user
    /// message and two user messages in a row both reach the stored examples and the exports.
    @Suite struct SessionMessagesTests {
        static let session = #"""
            {"session_id": "greeted", "timestamp": "2025-10-01T09:00:00Z", "mode": "personal", "language": "sv", "user_id": "lisa", "conversation": [{"role": "assistant", "content": "Hej Lisa! Ring mig gärna på 070-123 45 67 om du vill. Vad vill du prata om?"}, {"role": "user", "content": "Jag har svårt att komma igång med träningen."}, {"role": "user", "content": "Särskilt på morgonen när det är mörkt ute."}, {"role": "assistant", "content": "Börja med tio minuter direkt när du vaknat, och lägg fram kläderna kvällen innan.", "feedback": {"rating": 5, "helpful": true}}]}
            """#

        @Test func theGreetingAndBothUserMessagesReachTheExport() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("greeted.jsonl")
                // Ten sessions: an export needs ten training examples.
                let lines = (0..<10).map {
                    Self.session.replacingOccurrences(of: "\"greeted\"", with: "\"greeted-\($0)\"")
                        .replacingOccurrences(of: "när du vaknat", with: "när du vaknat, dag \($0 + 1)")
                }
                try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
                let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == 10)
                #expect(try db.scalar("SELECT DISTINCT user_input FROM coachspool.interactions", as: String.self)
                    == "Jag har svårt att komma igång med träningen.\n\nSärskilt på morgonen när det är mörkt ute.")
                #expect(try db.scalar("SELECT coachspool.set_consent('lisa', 'training', true)", as: Bool.self))
                let work = try await CoachSpoolProcess.run(["work", "--drain", "--no-embeddings"], database: db)
                #expect(work.status == 0, "\(work.err)")
                #expect(try db.scalar("SELECT DISTINCT opening FROM coachspool.interaction_texts", as: String.self)
                    == "Hej <PERSON_1>! Ring mig gärna på <PHONE> om du vill. Vad vill du prata om?", "redacted like the other texts")

                let out = temporaryFile("greeted-export")
                let export = try await CoachSpoolProcess.run(
                    ["export", "--format", "openai", "--out", out.path, "--val-fraction", "0"], database: db)
                #expect(export.status == 0, "\(export.err)")
                let exported = try String(contentsOf: out.appendingPathComponent("train.jsonl"), encoding: .utf8)
                #expect(exported.split(separator: "\n").count == 10)
                let line = String(exported.split(separator: "\n")[0])
                let example = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: [[String: Any]]]
                let messages = try #require(example["messages"])
                #expect(messages.map { $0["role"] as! String } == ["system", "assistant", "user", "assistant"])
                #expect(messages[1]["weight"] as? Int == 0, "the greeting is context, not trained on")
                #expect((messages[1]["content"] as! String).hasPrefix("Hej <PERSON_1>!"))
                #expect((messages[2]["content"] as! String).hasSuffix("när det är mörkt ute."))
                #expect(!exported.contains("070-123"), "nothing unredacted is exported")
            }
        }
    }
}
