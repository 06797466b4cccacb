import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// The conversation memory: only users with retrieval consent, only accepted exchanges,
    /// redacted; revocation and erasure remove the vectors.
    @Suite struct MemoryTests {
        static let sessions = [
            #"{"session_id": "m-yes", "timestamp": "2025-10-01T09:00:00Z", "mode": "personal", "user_id": "u-yes", "consent": {"retrieval": true}, "conversation": [{"role": "user", "content": "Jag tränar inför ett maratonlopp i maj, ring mig på 070-123 45 67."}, {"role": "assistant", "content": "Lägg upp långpassen på söndagar och öka distansen med högst tio procent i veckan.", "feedback": {"rating": 5, "helpful": true}}, {"role": "user", "content": "Ok"}, {"role": "assistant", "content": "Lycka till!", "feedback": {"rating": 1}}]}"#,
            #"{"session_id": "m-no", "timestamp": "2025-10-01T10:00:00Z", "mode": "personal", "user_id": "u-no", "conversation": [{"role": "user", "content": "Jag tränar inför ett maratonlopp i juni och vill ha ett schema."}, {"role": "assistant", "content": "Börja med tre löppass i veckan och bygg upp långpasset gradvis under våren.", "feedback": {"rating": 5, "helpful": true}}]}"#,
        ]

        struct Recalled: Decodable {
            struct Hit: Decodable { var interaction_id: Int64; var text: String; var rating: Int? }
            var results: [Hit]
        }

        static func recall(_ db: TestDatabase, _ user: String) async throws -> [Recalled.Hit] {
            let result = try await CoachSpoolProcess.run(["recall", "--user", user, "Hur ska jag träna inför maraton?", "--json"], database: db)
            #expect(result.status == 0, "\(result.err)")
            return try JSONDecoder().decode(Recalled.self, from: Data(result.out.utf8)).results
        }

        @Test func consentingUsersAreRecalledOthersNeverAndRevocationAndErasureForget() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("memory-sessions.jsonl")
                try (Self.sessions.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
                let ingest = try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db)
                #expect(ingest.status == 0, "\(ingest.err)")
                try await HybridSearchTests.prepare(db)  // the knowledge base, an active space, and the workers

                #expect(try db.scalar("SELECT count(*) FROM coachspool.memories", as: Int.self) == 1, "u-yes's accepted exchange only")
                let remembered = try await Self.recall(db, "u-yes")
                #expect(remembered.count == 1)
                #expect(remembered.first?.text.contains("<PHONE>") == true && remembered.first?.text.contains("070-123") == false, "redacted")
                #expect(remembered.first?.text.hasPrefix("User: Jag tränar inför ett maratonlopp i maj") == true)
                #expect(try await Self.recall(db, "u-no").isEmpty, "no retrieval consent, no memory")

                let across = try await CoachSpoolProcess.run(["search", "marathon training plan", "--source", "conversations", "--json"], database: db)
                #expect(across.status == 0, "\(across.err)")
                #expect(across.out.contains("långpassen på söndagar") && !across.out.contains("tre löppass"), "\(across.out)")

                // The producer role may recall but reads no table.
                let conn = try db.connect()
                try conn.execute(unsafeSQL: "SET ROLE coachspool_producer")
                let vector = "[" + Array(repeating: "0.05", count: 384).joined(separator: ",") + "]"
                #expect(try conn.query("SELECT count(*) FROM coachspool.recall('u-yes', \(vector)::vector, 3)").scalar(Int.self) == 1)
                #expect(throws: PGError.self) { try conn.query("SELECT count(*) FROM coachspool.memories") }
                try conn.execute(unsafeSQL: "RESET ROLE")

                // Revoking retrieval consent forgets in the same transaction.
                let revoke = try await CoachSpoolProcess.run(["consent", "revoke", "u-yes", "--purpose", "retrieval"], database: db)
                #expect(revoke.status == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.memories", as: Int.self) == 0)
                // Granting again brings it back through the workers; erasure removes it with the rest.
                _ = try await CoachSpoolProcess.run(["consent", "grant", "u-yes", "--purpose", "retrieval"], database: db)
                let work = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(work.status == 0, "\(work.err)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.memories", as: Int.self) == 1)
                let erase = try await CoachSpoolProcess.run(["erase", "--user", "u-yes"], database: db)
                #expect(erase.status == 0 && erase.out.contains("memories 1"), "\(erase.out)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.memories", as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE kind LIKE 'memory:%'", as: Int.self) == 0)
            }
        }
    }
}
