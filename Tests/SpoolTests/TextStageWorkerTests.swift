import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// The workers' text stages: redacted, counted texts stored once per text version, never the
    /// removed values, not recomputed for new feedback.
    @Suite struct TextStageWorkerTests {
        static let secrets = ["811218-9876", "070-123 45 67", "anna.svensson@example.com", "4111 1111 1111 1111"]

        @Test func workersStoreRedactedCountedTextsOnceAndNeverTheValues() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let id = try conn.query("""
                    SELECT coachspool.log_interaction(
                        p_user_input => 'Mitt personnummer är 811218-9876 och mobilen 070-123 45 67. Vad gör jag?',
                        p_ai_response => 'Skicka det inte hit. Mejla anna.svensson@example.com i stället, och spärra kortet 4111 1111 1111 1111.',
                        p_rating => 4)
                    """).scalar(Int64.self)
                let result = try await CoachSpoolProcess.run(
                    ["work", "--drain", "--log-level", "debug"], database: db)
                #expect(result.status == 0, "\(result.err)")
                let row = try conn.query("""
                    SELECT user_input, ai_response, entity_counts::text, entities, user_input_tokens, ai_response_tokens,
                           processed_at::text
                      FROM coachspool.interaction_texts WHERE interaction_id = \(id)
                    """)[0]
                let input = try row.decode(String.self, at: 0)
                let response = try row.decode(String.self, at: 1)
                #expect(input == "Mitt personnummer är <PERSONNUMMER> och mobilen <PHONE>. Vad gör jag?")
                #expect(response == "Skicka det inte hit. Mejla <EMAIL> i stället, och spärra kortet <CARD>.")
                #expect(try row.decode(String.self, at: 2) == #"{"CARD": 1, "EMAIL": 1, "PHONE": 1, "PERSONNUMMER": 1}"#)
                #expect(try row.decode(Int.self, at: 3) == 4)
                #expect(try row.decode(Int.self, at: 4) > 10)
                #expect(try row.decode(Int.self, at: 5) > 10)
                // Neither the database's derived rows nor the worker's logs carry the values.
                let everything = try db.scalar("SELECT string_agg(t::text, ' ') FROM coachspool.interaction_texts t", as: String.self)
                for secret in Self.secrets {
                    #expect(!everything.contains(secret))
                    #expect(!result.err.contains(secret) && !result.out.contains(secret))
                }
                #expect(!result.err.contains("Vad gör jag"))

                // New feedback re-runs the quality filter only; the texts stay as they were.
                let firstProcessed = try row.decode(String.self, at: 6)
                try conn.query("SELECT coachspool.log_feedback(\(id), 1, false)")
                let rerun = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(rerun.status == 0, "\(rerun.err)")
                #expect(try db.scalar("SELECT rating FROM coachspool.quality_verdicts WHERE interaction_id = \(id)", as: Int.self) == 1)
                #expect(try db.scalar("SELECT processed_at::text FROM coachspool.interaction_texts WHERE interaction_id = \(id)", as: String.self) == firstProcessed)
                try expectExactlyOnce(db, total: 1)
                // The admin view shows the latest of both.
                #expect(try db.scalar("SELECT entities FROM coachspool.prepared_interactions WHERE id = \(id)", as: Int.self) == 4)
            }
        }

        @Test func aWorkerWithoutTheTokenizerRefusesToStart() async throws {
            try await TestDatabase.with { db in
                let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-models-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
                let result = try await CoachSpoolProcess.run(["work", "--drain"], database: db, environment: ["COACHSPOOL_MODELS": empty.path])
                #expect(result.status != 0)
                #expect(result.err.contains("fetch-tokenizer.sh"))
            }
        }
    }
}
