import Datasets
import Foundation
import LibPQ
import Testing

/// Exports that explain themselves (issue 27): where every ingested interaction went, what a
/// too-small export is waiting for, which exports hold a person's text when they are erased.
extension DatabaseTests {
    @Suite struct ExportAccountingTests {
        static func manifest(_ dir: URL) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("manifest.json"))) as! [String: Any]
        }

        /// anna (consented): 4 interactions, two rejected by the quality filter; erik (no consent):
        /// 1; one without a user; one of anna's logged after the workers drained (still queued).
        @Test func theManifestAccountsForEveryIngestedInteraction() async throws {
            try await TestDatabase.with { db in
                try await DatasetTests.prepare(db)
                let conn = try db.connect()
                try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur planerar jag veckan bäst?',
                           p_ai_response => 'Börja med det som redan är bestämt och lägg in fokuspass.', p_session_id => 'anon')
                    """)
                try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur håller jag fast vid planen?',
                           p_ai_response => 'Följ upp den varje fredag och justera ett steg i taget.', p_user_id => 'anna', p_session_id => 's-anna-2')
                    """)
                let dir = temporaryFile("accounted-export")
                let run = try await CoachSpoolProcess.run(["export", "--format", "trl-sft", "--out", dir.path, "--val-fraction", "0"], database: db)
                #expect(run.status == 0, "\(run.err)")
                let manifest = try Self.manifest(dir)
                let interactions = try #require(manifest["interactions"] as? [String: Int])
                let notExported = try #require(manifest["not_exported"] as? [String: Any])
                let ingested = try db.scalar("SELECT count(*) FROM coachspool.interactions", as: Int.self)
                #expect(ingested == 7)
                #expect(interactions["ingested"] == ingested)
                #expect(interactions["exported"]! + (notExported["total"] as! Int) == ingested, "\(manifest)")
                #expect(interactions["exported"] == 2)
                #expect(notExported["no_user_id"] as? Int == 1)
                #expect(notExported["no_training_consent"] as? Int == 1)
                #expect((notExported["waiting_for_workers"] as? [String: Int]) == ["total": 1, "ready": 1, "running": 0])
                let quality = try #require(notExported["quality_filter"] as? [String: Any])
                #expect(quality["total"] as? Int == 2)
                #expect(!((quality["by_reason"] as? [String: Int]) ?? [:]).isEmpty)
                #expect(run.out.contains("interactions: 7 ingested, 2 exported, 5 not exported"), "\(run.out)")
                #expect(run.out.contains("1 no user_id") && run.out.contains("1 no training consent"), "\(run.out)")
                #expect(run.out.contains("1 waiting for the workers (1 ready, 0 running)"), "\(run.out)")

                // The export is recorded with its conversation, and erasing anna names its folder.
                #expect(try db.scalar("SELECT count(*) FROM coachspool.exports WHERE format = 'trl-sft' AND conversations = 1", as: Int.self) == 1)
                #expect(try db.scalar("""
                    SELECT c.key FROM coachspool.export_conversations l JOIN coachspool.conversations c ON c.id = l.conversation_id
                    """, as: String.self) == "s:s-anna")
                let erased = try await CoachSpoolProcess.run(["erase", "--user", "anna"], database: db)
                #expect(erased.status == 0, "\(erased.err)")
                #expect(erased.out.contains("export files on disk still hold this user's text"), "\(erased.out)")
                #expect(erased.out.contains(dir.standardizedFileURL.path), "\(erased.out)")
                #expect(!erased.out.contains("anna") && !erased.err.contains("anna"))
                #expect(try db.scalar("SELECT contains_erased_data FROM coachspool.export_overview", as: Bool.self))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.export_conversations", as: Int.self) == 0)

                // An id that matches nothing: a warning, the same exit status.
                let nobody = try await CoachSpoolProcess.run(["erase", "--user", "nobody-at-all"], database: db)
                #expect(nobody.status == 0)
                #expect(nobody.err.contains("warning: no row had this user id"), "\(nobody.err)")
            }
        }

        /// An export whose conversation was erased after it was read and before it was recorded:
        /// the lineage trigger could not find it then, so the recording flags it (schema/0023).
        @Test func anExportRecordedAfterAnErasureOfWhatItReadIsFlagged() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                try conn.query("INSERT INTO coachspool.conversations (key, session_id) VALUES ('s:s-kept', 's-kept')")
                func record(_ keys: [String]) throws -> Bool {
                    let id = try ExportRecords.record(conn, .init(
                        format: "openai", pipelineVersion: "v", outDirectory: "/exports/x", trainExamples: keys.count,
                        validationExamples: 0, conversations: keys))
                    return try conn.query("SELECT contains_erased_data FROM coachspool.exports WHERE id = \(id)").scalar(Bool.self)
                }
                #expect(try record(["s:s-kept"]) == false)
                #expect(try record(["s:s-kept", "s:s-erased"]) == true)
                #expect(try conn.query("SELECT count(*) FROM coachspool.export_conversations").scalar(Int.self) == 2)
            }
        }

        /// Conversation jobs still queued: the failure says so, with the format's own minimum.
        @Test func aTooSmallExportSaysWhatIsStillQueuedAndTheFormatsOwnMinimum() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("queued-sessions.jsonl")
                try datasetSessionLines.write(to: file, atomically: true, encoding: .utf8)
                #expect(try await CoachSpoolProcess.run(["ingest", "--format", "sessions", file.path], database: db).status == 0)
                #expect(try db.scalar("SELECT coachspool.set_consent('anna', 'training', true)", as: Bool.self))
                let none = try await CoachSpoolProcess.run(["export", "--format", "kto", "--out", temporaryFile("nothing-built").path], database: db)
                #expect(none.status == 4)
                #expect(none.err.contains("no examples have been built yet") && none.err.contains("still waiting for the workers"), "\(none.err)")

                try await DatasetTests.drain(db)
                // erik's consent queues his conversation again; no worker has run since.
                #expect(try db.scalar("SELECT coachspool.set_consent('erik', 'training', true)", as: Bool.self))
                let openai = try await CoachSpoolProcess.run(["export", "--format", "openai", "--out", temporaryFile("few-openai").path], database: db)
                #expect(openai.status == 4)
                #expect(openai.err.contains("OpenAI's fine-tuning API needs at least 10"), "\(openai.err)")
                #expect(openai.err.contains("1 interactions are still being processed"), "\(openai.err)")
                let kto = try await CoachSpoolProcess.run(
                    ["export", "--format", "kto", "--coach-mode", "personal", "--out", temporaryFile("few-kto").path], database: db)
                #expect(kto.status == 4)
                #expect(kto.err.contains("TRL's KTO trainer needs at least 2"), "\(kto.err)")
                #expect(!kto.err.contains("OpenAI"), "\(kto.err)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.exports", as: Int.self) == 0, "a failed export is not recorded")

                // --mode, the old spelling of --coach-mode, still works and says so.
                let old = try await CoachSpoolProcess.run(
                    ["export", "--format", "kto", "--mode", "personal", "--out", temporaryFile("few-kto-old").path], database: db)
                #expect(old.status == 4)
                #expect(old.err.contains("warning: export --mode is deprecated: use --coach-mode"), "\(old.err)")
            }
        }

        @Test func consentSaysWhoAndWhatHappensNextAndWarnsWhenTheIdMatchesNothing() async throws {
            try await TestDatabase.with { db in
                try db.connect().query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur planerar jag veckan bäst?',
                           p_ai_response => 'Börja med det som redan är bestämt och lägg in fokuspass.', p_user_id => 'anna', p_session_id => 'a1')
                    """)
                let granted = try await CoachSpoolProcess.run(["consent", "grant", "anna", "--purpose", "training"], database: db)
                #expect(granted.status == 0, "\(granted.err)")
                // The user as erase shows them: the first 8 bytes of the id's SHA-256.
                #expect(granted.out.contains("training consent granted for user sha256:55579b557896d0ce — 1 conversation, 1 interaction"), "\(granted.out)")
                #expect(granted.out.contains("next: their conversations are queued; `coachspool work` builds their examples"), "\(granted.out)")
                #expect(granted.err.isEmpty, "\(granted.err)")
                for verb in ["grant", "revoke"] {
                    let unknown = try await CoachSpoolProcess.run(["consent", verb, "annna", "--purpose", "retrieval"], database: db)
                    #expect(unknown.status == 0)
                    #expect(unknown.err.contains("warning: no interaction has this user id (yet)"), "\(unknown.err)")
                    #expect(!unknown.out.contains("annna") && !unknown.err.contains("annna"))
                }
            }
        }
    }
}
