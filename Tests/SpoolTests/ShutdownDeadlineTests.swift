import Foundation
import LibPQ
import Testing

extension DatabaseTests {
    /// Issue 19: SIGTERM while the batch in hand cannot complete (its statement waits on the
    /// database — here a lock, as a commit waits for a synchronous standby that is gone) ends
    /// within the shutdown deadline; the batch's leases expire and another worker completes it,
    /// every interaction exactly once.
    @Suite struct ShutdownDeadlineTests {
        @Test func sigtermWhileAStatementHangsExitsWithinTheDeadline() async throws {
            try await TestDatabase.with { db in
                let total = 2_000
                try await ingest(total, into: db)
                let blocker = try db.connect()
                try blocker.execute(unsafeSQL: "BEGIN; LOCK TABLE coachspool.quality_verdicts IN ACCESS EXCLUSIVE MODE")
                let worker = try CoachSpoolProcess(
                    ["work", "--concurrency", "1", "--batch-size", "100", "--lease", "3", "--shutdown-timeout", "2", "--no-embeddings"],
                    database: db, environment: ["COACHSPOOL_LOG_LEVEL": "notice"])
                // Its completion waits for the lock (seen from another connection: a transaction
                // reads pg_stat_activity once).
                let watcher = try db.connect()
                #expect(try await eventually(timeout: 60) {
                    try watcher.query("""
                        SELECT count(*) FROM pg_stat_activity
                         WHERE application_name = 'coachspool-worker' AND wait_event_type = 'Lock'
                        """).scalar(Int.self) == 1
                })
                let sent = Date()
                worker.signal(SIGTERM)
                let status = await worker.wait(timeout: 30)
                let took = Date().timeIntervalSince(sent)
                #expect(status == 0, "\(worker.stderr)")
                #expect(took < 6, "exited \(took) s after SIGTERM; the deadline is 2 s")
                #expect(worker.stderr.contains("shutdown deadline passed"), "\(worker.stderr)")
                #expect(worker.stderr.components(separatedBy: "shutdown deadline passed").count == 2, "one line, not one per retry")
                try blocker.execute(unsafeSQL: "ROLLBACK")

                let rescuer = try await CoachSpoolProcess.run(["work", "--drain", "--lease", "3", "--no-embeddings"], database: db)
                #expect(rescuer.status == 0, "\(rescuer.err)")
                try expectExactlyOnce(db, total: total)
            }
        }
    }
}
