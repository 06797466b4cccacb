import Foundation
import LibPQ
import Testing

/// Sessions of two users: anna's has a regenerated turn (ratings 5 and 2) and a rejected answer
/// in the middle; erik's is one good exchange. Only anna consents to training at first.
/// (Records are separated by blank lines here for reading; `datasetSessionLines` makes JSON Lines.)
let datasetSessions = """
    {"session_id": "s-anna", "timestamp": "2025-10-01T10:00:00Z", "mode": "university", "language": "sv", "user_id": "anna", "conversation": [
      {"role": "user", "content": "Hur använder jag AI i min uppsats på ett ärligt sätt?"},
      {"role": "assistant", "content": "Redovisa alltid hur du har använt AI-verktyg och kontrollera källorna själv.", "feedback": {"rating": 5, "helpful": true}},
      {"role": "assistant", "content": "Det spelar ingen roll, skriv bara som vanligt och hoppas på det bästa.", "feedback": {"rating": 2, "helpful": false}},
      {"role": "user", "content": "Vad säger universitetets regler om det här?"},
      {"role": "assistant", "content": "Kolla.", "feedback": {"rating": 1, "helpful": false}},
      {"role": "user", "content": "Kan jag be AI att sammanfatta artiklar åt mig?"},
      {"role": "assistant", "content": "Ja, men läs artiklarna själv också: sammanfattningar kan missa viktiga förbehåll.", "feedback": {"rating": 4, "helpful": true}}]}

    {"session_id": "s-erik", "timestamp": "2025-10-02T09:00:00Z", "mode": "personal", "language": "sv", "user_id": "erik", "conversation": [
      {"role": "user", "content": "Jag vill komma igång med att träna igen."},
      {"role": "assistant", "content": "Börja smått: två korta pass i veckan som du bokar in i kalendern.", "feedback": {"rating": 5, "helpful": true}}]}

    """

let datasetSessionLines = datasetSessions.components(separatedBy: "\n\n")
    .map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n") + "\n"

extension DatabaseTests {
    @Suite struct DatasetTests {
        static func prepare(_ db: TestDatabase) async throws {
            let file = temporaryFile("dataset-sessions.jsonl")
            try datasetSessionLines.write(to: file, atomically: true, encoding: .utf8)
            let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
            #expect(ingest.status == 0, "\(ingest.err)")
            #expect(try db.scalar("SELECT coachspool.set_consent('anna', 'training', true)", as: Bool.self))
            try await drain(db)
        }

        static func drain(_ db: TestDatabase) async throws {
            let work = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
            #expect(work.status == 0, "\(work.err)")
        }

        @Test func workersBuildExamplesOnlyForConsentedUsersAndRebuildOnlyOnChange() async throws {
            try await TestDatabase.with { db in
                try await Self.prepare(db)
                let conn = try db.connect()
                let messages = try conn.query("""
                    SELECT e.messages::text FROM coachspool.examples e
                      JOIN coachspool.conversations c ON c.id = e.conversation_id WHERE c.key = 's:s-anna'
                    """)
                try #require(messages.count == 1)
                let decoded = try JSONSerialization.jsonObject(with: Data(try messages[0].decode(String.self, at: 0).utf8)) as! [[String: Any]]
                #expect(decoded.map { $0["role"] as! String } == ["system", "user", "assistant", "user", "assistant", "user", "assistant"])
                #expect(decoded.map { $0["weight"] as? Int } == [nil, nil, 1, nil, 0, nil, 1])
                #expect((decoded[2]["content"] as! String).hasPrefix("Redovisa"))
                #expect((decoded[0]["content"] as! String).contains("universitets-AI"))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.preference_pairs", as: Int.self) == 1)
                #expect(try db.scalar("SELECT preferred FROM coachspool.preference_pairs", as: String.self).hasPrefix("Redovisa"))
                // KTO: the two single rated answers with `helpful` (turns 2 and 3), not the regenerated turn.
                #expect(try db.scalar("SELECT string_agg(label::text, ',' ORDER BY interaction_id) FROM coachspool.feedback_examples", as: String.self) == "false,true")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.examples", as: Int.self) == 1, "erik has not consented")
                #expect(try db.scalar("SELECT tokens FROM coachspool.examples", as: Int.self) > 50)

                // Nothing changed: a re-queued conversation writes nothing.
                let builtAt = try db.scalar("SELECT max(built_at)::text FROM coachspool.conversation_builds", as: String.self)
                try db.execute("SELECT coachspool.enqueue('conversation', id) FROM coachspool.conversations")
                try await Self.drain(db)
                #expect(try db.scalar("SELECT max(built_at)::text FROM coachspool.conversation_builds", as: String.self) == builtAt)

                // Consent: granting builds erik's example; revoking anna's removes hers.
                #expect(try db.scalar("SELECT coachspool.set_consent('erik', 'training', true)", as: Bool.self))
                #expect(try db.scalar("SELECT coachspool.set_consent('anna', 'training', false)", as: Bool.self))
                try await Self.drain(db)
                #expect(try db.scalar("SELECT string_agg(c.key, ',') FROM coachspool.examples e JOIN coachspool.conversations c ON c.id = e.conversation_id", as: String.self) == "s:s-erik")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.preference_pairs", as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.feedback_examples WHERE conversation_id IN (SELECT id FROM coachspool.conversations WHERE key = 's:s-anna')", as: Int.self) == 0)

                // Late feedback re-evaluates the interaction and rebuilds its conversation.
                try db.execute("SELECT coachspool.log_feedback(id, 1, false) FROM coachspool.interactions WHERE user_id = 'erik'")
                try await Self.drain(db)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.examples", as: Int.self) == 0, "its only answer is now rejected")
                #expect(try db.scalar("SELECT label::text FROM coachspool.feedback_examples", as: String.self) == "false")
            }
        }
    }
}
