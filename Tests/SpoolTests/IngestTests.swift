import Foundation
import LibPQ
import Stages
import Testing

extension DatabaseTests {
    @Suite struct IngestTests {
        @Test func ingestStoresRecordsFeedbackAndJobsOnce() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("in.jsonl")
                try writeInteractions(count: 250, to: file, ratedEvery: 2)
                let first = try await CoachSpoolProcess.run(["ingest", "--batch-size", "100", file.path], database: db)
                #expect(first.status == 0, "\(first.err)")
                #expect(first.out.contains("accepted 250, duplicates 0, rejected 0"))
                let again = try await CoachSpoolProcess.run(["ingest", file.path], database: db)
                #expect(again.status == 0)
                #expect(again.out.contains("accepted 0, duplicates 250, rejected 0"))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == 250)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.all_feedback", as: Int.self) == 125)
                // One job per 500 new interactions (three transactions of ≤ 100 lines: 3 batches),
                // and every interaction in exactly one batch.
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE kind = 'interaction_batch'", as: Int.self) == 3)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE kind <> 'interaction_batch'", as: Int.self) == 0)
                #expect(try db.scalar("""
                    SELECT count(*) = 250 AND count(DISTINCT m) = 250 AND bool_and(m IN (SELECT id FROM coachspool.interactions))
                      FROM coachspool.interaction_batches b, unnest(b.interaction_ids) m
                    """, as: Bool.self))
                // Ids follow the lines within each batch, although its rows are copied in key
                // order (Ingestor.keyOrder): the key hashes are random, so any other id order fails.
                #expect(try db.scalar("""
                    SELECT bool_and(by_id = by_line) FROM (
                        SELECT array_agg(i.origin_line ORDER BY i.id) AS by_id, array_agg(i.origin_line ORDER BY i.origin_line) AS by_line
                          FROM coachspool.interaction_batches b, unnest(b.interaction_ids) m
                          JOIN coachspool.interactions i ON i.id = m
                         GROUP BY b.id) x
                    """, as: Bool.self))
                // Origin: the file and every line, once.
                #expect(try db.scalar("""
                    SELECT bool_and(origin_file = \(file.path)) AND count(DISTINCT origin_line) = 250
                           AND min(origin_line) = 1 AND max(origin_line) = 250
                      FROM coachspool.interactions
                    """, as: Bool.self))
            }
        }

        @Test func duplicatesInsideOneFileAreCountedNotRejected() async throws {
            try await TestDatabase.with { db in
                let line = #"{"timestamp":"2025-10-01T10:00:00Z","user_input":"Same question twice","ai_response":"Same answer twice, word for word."}"#
                let withID = #"{"id":"m-1","timestamp":"2025-10-01T10:00:00Z","user_input":"A","ai_response":"B"}"#
                let sameIDOtherText = #"{"id":"m-1","timestamp":"2025-10-02T10:00:00Z","user_input":"C","ai_response":"D"}"#
                let file = temporaryFile("dups.jsonl")
                try [line, line, withID, sameIDOtherText].joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", file.path], database: db)
                #expect(result.status == 0)
                #expect(result.out.contains("accepted 2, duplicates 2, rejected 0"))
                // The first occurrence in the file wins.
                #expect(try db.scalar("SELECT user_input FROM coachspool.interactions WHERE idempotency_key = 'id:m-1'", as: String.self) == "A")
            }
        }

        @Test func badLinesAreReportedWrittenToRejectsAndValidLinesKept() async throws {
            try await TestDatabase.with { db in
                let lines = [
                    #"{"timestamp":"2025-10-01T10:00:00Z","user_input":"Valid question one","ai_response":"Valid answer number one here."}"#,
                    #"{"timestamp":"2025-10-01T10:00:00Z","user_input":"Missing answer"}"#,
                    "not json",
                    #"{"timestamp":"2025-10-01T10:00:00Z","user_input":"Bad rating","ai_response":"x","feedback":{"rating":6}}"#,
                    "",
                    #"{"timestamp":"2025-10-01T10:00:00Z","user_input":"Valid question two","ai_response":"Valid answer number two here.","feedback":{"rating":5,"helpful":true}}"#,
                ]
                var bytes = Data([0xEF, 0xBB, 0xBF])  // a BOM at the start is fine
                bytes.append(Data(lines.joined(separator: "\n").utf8))
                bytes.append(Data("\n".utf8))
                bytes.append(Data([0x7B, 0x22, 0xFF, 0x22, 0x7D, 0x0A]))  // {"\xff"} : invalid UTF-8 on line 7
                let file = temporaryFile("bad.jsonl")
                try bytes.write(to: file)
                let rejects = temporaryFile("rejects.jsonl")
                let result = try await CoachSpoolProcess.run(["ingest", "--rejects", rejects.path, file.path], database: db)
                #expect(result.status == 3)
                #expect(result.out.contains("accepted 2, duplicates 0, rejected 4"))
                #expect(result.err.contains("line 2: ai_response: missing; expected a non-empty string"))
                #expect(result.err.contains("line 3: not valid JSON"))
                #expect(result.err.contains("line 4: feedback.rating: expected an integer from 1 to 5"))
                #expect(result.err.contains("line 7: not valid UTF-8"))
                let rejected = try String(contentsOf: rejects, encoding: .utf8).split(separator: "\n").map {
                    try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
                }
                #expect(rejected.map { $0["line"] as? Int } == [2, 3, 4, 7])
                #expect(rejected[1]["raw"] as? String == "not json")
                #expect((rejected[0]["error"] as? String)?.hasPrefix("line 2: ai_response") == true)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == 2)
            }
        }

        @Test func sessionsBecomeInteractionsWithTurnIndexAndFeedback() async throws {
            try await TestDatabase.with { db in
                let session = #"{"session_id":"sess_001","timestamp":"2025-09-29T10:00:00Z","mode":"university","user_id":"u1","conversation":[{"role":"user","content":"Jag känner mig fast i min karriär","timestamp":"2025-09-29T10:00:00Z"},{"role":"assistant","content":"Berätta mer om vad som får dig att känna så.","feedback":{"rating":4,"helpful":true}},{"role":"user","content":"Samma sak varje dag"},{"role":"assistant","content":"Vad skulle du vilja lära dig?"}]}"#
                let file = temporaryFile("sessions.jsonl")
                try session.write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
                #expect(result.status == 0, "\(result.err)")
                #expect(result.out.contains("accepted 2"))
                let rows = try db.connect().query("""
                    SELECT i.turn_index, i.mode, f.rating FROM coachspool.interactions i
                    LEFT JOIN coachspool.all_feedback f ON f.interaction_id = i.id ORDER BY i.turn_index
                    """)
                #expect(try rows.map { try $0.decode(Int.self, at: 0) } == [0, 1])
                #expect(try rows.map { try $0.decode(String.self, at: 1) } == ["university", "university"])
                #expect(try rows.map { try $0.decode(Int?.self, at: 2) } == [4, nil])
            }
        }

        /// A batch whose keys are partly stored already (overlapping files): the optimistic plain
        /// insert fails on the first stored key, the batch runs again skipping stored keys, and
        /// each exchange is stored once with the feedback of its first line.
        @Test func aBatchWithStoredKeysStoresOnlyTheNewOnes() async throws {
            try await TestDatabase.with { db in
                let (head, all) = (temporaryFile("head.jsonl"), temporaryFile("all.jsonl"))
                try writeInteractions(count: 100, to: head, firstIndex: 50)
                try writeInteractions(count: 250, to: all)
                let first = try await CoachSpoolProcess.run(["ingest", head.path], database: db)
                #expect(first.out.contains("accepted 100, duplicates 0"), "\(first.out) \(first.err)")
                for expected in ["accepted 150, duplicates 100", "accepted 0, duplicates 250"] {
                    let run = try await CoachSpoolProcess.run(["ingest", "--batch-size", "1000", all.path], database: db)
                    #expect(run.status == 0 && run.out.contains(expected), "\(run.out) \(run.err)")
                }
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == 250)
                #expect(try db.scalar("""
                    SELECT count(*) FROM coachspool.interactions
                     WHERE rating IS DISTINCT FROM (substring(user_input FROM 'number ([0-9]+)')::int % 5 + 1)
                    """, as: Int.self) == 0)
                #expect(try db.scalar("""
                    SELECT count(*) = 250 AND count(DISTINCT m) = 250 FROM coachspool.interaction_batches b, unnest(b.interaction_ids) m
                    """, as: Bool.self))
            }
        }

        /// The feedback given with an exchange is stored in its row (schema/0021) and is the
        /// earliest: later feedback wins field by field, for the worker and in the views.
        @Test func laterFeedbackWinsOverTheExchangesOwnFieldByField() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let id = try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur sätter jag mål för veckan?',
                        p_ai_response => 'Välj ett mål som går att mäta och skriv ner det.', p_rating => 2, p_helpful => false)
                    """).scalar(Int64.self)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.feedback", as: Int.self) == 0)
                #expect(try db.scalar("SELECT rating FROM coachspool.latest_feedback WHERE interaction_id = \(id)", as: Int.self) == 2)
                func verdictRating() async throws -> Int {
                    let work = try await CoachSpoolProcess.run(["work", "--drain", "--no-embeddings"], database: db)
                    #expect(work.status == 0, "\(work.err)")
                    return try db.scalar("SELECT coalesce(rating, 0) FROM coachspool.quality_verdicts WHERE interaction_id = \(id)", as: Int.self)
                }
                #expect(try await verdictRating() == 2)
                try conn.query("SELECT coachspool.log_feedback(\(id), NULL, true)")  // helpful only: the rating stays 2
                #expect(try await verdictRating() == 2)
                #expect(try db.scalar("SELECT helpful FROM coachspool.latest_feedback WHERE interaction_id = \(id)", as: Bool.self))
                try conn.query("SELECT coachspool.log_feedback(\(id), 5, NULL)")
                #expect(try await verdictRating() == 5)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.all_feedback WHERE interaction_id = \(id)", as: Int.self) == 3)
            }
        }

        /// The coach app (SQL) and a backfill (CLI) of the same exchange agree on its key.
        @Test func sqlFunctionAndIngestShareTheIdempotencyKey() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let id = try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur sätter jag mål?', p_ai_response => 'Prova SMART-modellen.',
                        p_session_id => 's-9', p_occurred_at => '2025-10-01T12:00:00+02:00', p_rating => 4)
                    """).scalar(Int64.self)
                let file = temporaryFile("same.jsonl")
                try #"{"session_id":"s-9","timestamp":"2025-10-01T10:00:00Z","user_input":"Hur sätter jag mål?","ai_response":"Prova SMART-modellen."}"#
                    .write(to: file, atomically: true, encoding: .utf8)
                let result = try await CoachSpoolProcess.run(["ingest", file.path], database: db)
                #expect(result.out.contains("accepted 0, duplicates 1"))
                // Calling the function again returns the same id and adds nothing.
                let again = try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur sätter jag mål?', p_ai_response => 'Prova SMART-modellen.',
                        p_session_id => 's-9', p_occurred_at => '2025-10-01T10:00:00Z')
                    """).scalar(Int64.self)
                #expect(again == id)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self) == 1)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.all_feedback", as: Int.self) == 1)
            }
        }

        @Test(arguments: [
            ("s-1", Int64(1_759_140_000_123_456), "Hej 👋🏽 – e\u{301}", "Svar med \"citat\" och\nny rad"),
            ("", Int64(0), "a", "b"),
            ("🇸🇪|:", Int64(-1_000_000), "x|y", "|"),
        ])
        func swiftKeyEqualsTheSQLFunction(session: String, micros: Int64, input: String, answer: String) async throws {
            try await TestDatabase.with { db in
                for sessionID in [session.isEmpty ? nil : session, nil] {
                    let record = InteractionRecord(
                        sessionID: sessionID, mode: .personal, occurredAtMicros: micros, userInput: input, aiResponse: answer, line: 1)
                    let timestamp = PGTimestamp.isoText(microsSinceUnixEpoch: micros)
                    let sqlKey = try db.scalar(
                        "SELECT coachspool.interaction_key(\(sessionID), \(timestamp)::timestamptz, \(input), \(answer))", as: String.self)
                    #expect(record.idempotencyKey == sqlKey)
                }
            }
        }

        @Test func stdinIsReadWithDash() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("stdin.jsonl")
                try writeInteractions(count: 3, to: file)
                let result = try await CoachSpoolProcess.run(["ingest", "-"], database: db, stdin: file)
                #expect(result.status == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions WHERE origin_file = '<stdin>'", as: Int.self) == 3)
            }
        }

        /// SIGKILL half-way through a large file, then a rerun: every line stored exactly once,
        /// every stored interaction with exactly one job.
        @Test func killedIngestLosesNothingAndARerunCompletesTheFile() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("big.jsonl")
                let total = 60_000
                try writeInteractions(count: total, to: file)
                let ingest = try CoachSpoolProcess(["ingest", "--batch-size", "500", file.path], database: db)
                let started = try await eventually(timeout: 60, interval: 0.01) {
                    try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) >= 5_000
                }
                #expect(started)
                ingest.signal(SIGKILL)
                #expect(await ingest.wait() != 0)
                let partial = try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self)
                #expect(partial < total, "the kill came too late to prove anything")
                #expect(partial % 500 == 0, "a batch is all or nothing")

                let rerun = try await CoachSpoolProcess.run(["ingest", file.path], database: db)
                #expect(rerun.status == 0)
                #expect(rerun.out.contains("accepted \(total - partial), duplicates \(partial), rejected 0"))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self) == total)
                // Every interaction in exactly one batch, every batch queued once.
                #expect(try db.scalar("""
                    SELECT count(*) = \(total) AND count(DISTINCT m) = \(total)
                      FROM coachspool.interaction_batches b, unnest(b.interaction_ids) m
                    """, as: Bool.self))
                #expect(try db.scalar("""
                    SELECT count(*) FROM coachspool.interaction_batches b
                     WHERE NOT EXISTS (SELECT 1 FROM coachspool.jobs j WHERE j.kind = 'interaction_batch' AND j.source_id = b.id)
                    """, as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.all_feedback", as: Int.self) == total)
            }
        }
    }
}
