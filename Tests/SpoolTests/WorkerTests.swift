import CoachSpoolCore
import Foundation
import LibPQ
import Spool
import Testing

/// Every interaction has exactly one verdict and one redacted, counted text row for the
/// pipeline versions, and no work is left.
func expectExactlyOnce(_ db: TestDatabase, total: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let counts = try db.connect().query("""
        SELECT (SELECT count(*) FROM coachspool.quality_verdicts),
               (SELECT count(DISTINCT interaction_id) FROM coachspool.quality_verdicts),
               (SELECT count(*) FROM coachspool.interactions i
                 WHERE NOT EXISTS (SELECT 1 FROM coachspool.quality_verdicts v WHERE v.interaction_id = i.id)),
               (SELECT count(*) FROM coachspool.jobs),
               (SELECT count(*) FROM coachspool.interaction_texts),
               (SELECT count(DISTINCT interaction_id) FROM coachspool.interaction_texts)
        """)[0]
    #expect(try counts.decode(Int.self, at: 4) == total, "redacted text rows", sourceLocation: sourceLocation)
    #expect(try counts.decode(Int.self, at: 5) == total, "interactions with redacted texts", sourceLocation: sourceLocation)
    #expect(try counts.decode(Int.self, at: 0) == total, "verdicts", sourceLocation: sourceLocation)
    #expect(try counts.decode(Int.self, at: 1) == total, "distinct interactions with a verdict", sourceLocation: sourceLocation)
    #expect(try counts.decode(Int.self, at: 2) == 0, "interactions without a verdict", sourceLocation: sourceLocation)
    #expect(try counts.decode(Int.self, at: 3) == 0, "jobs left (ready, running, retrying or dead)", sourceLocation: sourceLocation)
}

func ingest(_ count: Int, into db: TestDatabase, ratedEvery: Int = 1) async throws {
    let file = temporaryFile("in.jsonl")
    try writeInteractions(count: count, to: file, ratedEvery: ratedEvery)
    let result = try await CoachSpoolProcess.run(["ingest", file.path], database: db)
    #expect(result.status == 0, "\(result.err)")
}

/// The lease owner of the jobs running now (one worker process in the test), once there are some.
func runningOwner(_ db: TestDatabase) async throws -> String? {
    var owner: String?
    _ = try await eventually(timeout: 60, interval: 0.005) {
        owner = try db.connect().query("SELECT lease_owner FROM coachspool.jobs WHERE state = 'running' LIMIT 1")
            .first.map { try $0.decode(String.self, at: 0) }
        return owner != nil
    }
    return owner
}

/// Starts a worker and SIGSTOPs it while it holds a batch (retrying when it was caught between
/// two batches, or in the middle of retiring one: a completion's transaction, stopped open,
/// holds the jobs' rows, so no other worker can take them, and they are not "held" but done).
/// Returns the stopped process, its lease owner id and the source ids it holds.
func catchHoldingABatch(_ db: TestDatabase, _ arguments: [String]) async throws -> (CoachSpoolProcess, String, [Int64]) {
    for _ in 0..<5 {
        let worker = try CoachSpoolProcess(arguments, database: db)
        let owner = try #require(try await runningOwner(db))
        worker.signal(SIGSTOP)
        try await Task.sleep(for: .milliseconds(100))  // a statement already sent finishes
        let conn = try db.connect()
        let midTransaction = try conn.query("""
            SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name LIKE 'coachspool-worker%' AND state LIKE 'idle in transaction%'
            """).scalar(Int.self) > 0
        let held = try conn.query("SELECT source_id FROM coachspool.jobs WHERE lease_owner = \(owner) AND state = 'running'")
            .map { try $0.decode(Int64.self, at: 0) }
        if !held.isEmpty && !midTransaction { return (worker, owner, held) }
        worker.signal(SIGKILL)
        _ = await worker.wait()
    }
    throw CoachSpoolError(.input, "never caught the worker holding a batch")
}

extension DatabaseTests {
    @Suite struct WorkerTests {
        @Test func twoWorkerProcessesDrainEverythingExactlyOnce() async throws {
            try await TestDatabase.with { db in
                try await ingest(3000, into: db, ratedEvery: 3)
                // Both start claiming at the same moment: the jobs table stays locked until both
                // processes are up, so a slow start of one cannot leave it nothing to do.
                let gate = try db.connect()
                try gate.execute(unsafeSQL: "BEGIN")
                try gate.execute(unsafeSQL: "LOCK TABLE coachspool.jobs IN EXCLUSIVE MODE")
                let arguments = ["work", "--drain", "--concurrency", "2", "--batch-size", "50", "--no-embeddings", "--log-level", "info"]
                let a = try CoachSpoolProcess(arguments, database: db)
                let b = try CoachSpoolProcess(arguments, database: db)
                #expect(await eventually(timeout: 60) { a.stderr.contains("worker started") && b.stderr.contains("worker started") })
                try gate.execute(unsafeSQL: "COMMIT")
                #expect(await a.wait() == 0, "\(a.stderr)")
                #expect(await b.wait() == 0, "\(b.stderr)")
                try expectExactlyOnce(db, total: 3000)
                // Unrated interactions are rejected for that reason, and only those carry it.
                #expect(try db.scalar("""
                    SELECT count(*) FROM coachspool.quality_verdicts v
                    WHERE ('no_feedback_yet' = ANY(v.reasons)) <> NOT EXISTS (SELECT 1 FROM coachspool.all_feedback f WHERE f.interaction_id = v.interaction_id)
                    """, as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.quality_verdicts WHERE 'no_feedback_yet' = ANY(reasons)", as: Int.self) == 2000)
                // Both processes did part of the work.
                #expect(try db.scalar("SELECT count(DISTINCT worker) FROM coachspool.quality_verdicts", as: Int.self) == 2)
            }
        }

        @Test func lateFeedbackIsEvaluatedAgainAndTheLatestRatingWins() async throws {
            try await TestDatabase.with { db in
                let conn = try db.connect()
                let id = try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => 'Hur hittar jag motivation?',
                        p_ai_response => 'Börja med att fråga dig varför målet betyder något för dig.')
                    """).scalar(Int64.self)
                func verdict() async throws -> (Bool, [String], Int?) {
                    let result = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                    #expect(result.status == 0, "\(result.err)")
                    let row = try conn.query("SELECT accepted, reasons, rating FROM coachspool.quality_verdicts WHERE interaction_id = \(id)")[0]
                    return (try row.decode(Bool.self, at: 0), try row.decode([String].self, at: 1), try row.decode(Int?.self, at: 2))
                }
                #expect(try await verdict() == (false, ["no_feedback_yet"], nil))
                try conn.query("SELECT coachspool.log_feedback(\(id), 5, true)")
                #expect(try await verdict() == (true, [], 5))
                try conn.query("SELECT coachspool.log_feedback(\(id), 1, false)")
                #expect(try await verdict() == (false, ["rating_below_minimum"], 1))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.quality_verdicts", as: Int.self) == 1)
            }
        }

        /// kill -9 a worker while it holds a batch: its leases expire, another worker finishes.
        @Test func killedWorkerMidBatchLosesNothing() async throws {
            try await TestDatabase.with { db in
                let total = 30_000
                try await ingest(total, into: db)
                let (victim, owner, held) = try await catchHoldingABatch(db, ["work", "--batch-size", "1000", "--lease", "3"])
                victim.signal(SIGKILL)
                _ = await victim.wait()
                let rescuer = try await CoachSpoolProcess.run(["work", "--drain", "--lease", "3", "--batch-size", "500"], database: db)
                #expect(rescuer.status == 0, "\(rescuer.err)")
                try expectExactlyOnce(db, total: total)
                // What the killed worker held was finished by the other one.
                #expect(try db.scalar("""
                    SELECT count(*) FROM coachspool.quality_verdicts WHERE interaction_id = ANY(\(held)::bigint[]) AND worker <> \(owner)
                    """, as: Int.self) == held.count)
            }
        }

        /// SIGSTOP a worker past its lease; another takes over; SIGCONT: its completion is refused.
        @Test func pausedWorkerPastItsLeaseCannotWrite() async throws {
            try await TestDatabase.with { db in
                let total = 30_000
                try await ingest(total, into: db)
                // One loop: the batch caught is everything it holds.
                let (stopped, owner, held) = try await catchHoldingABatch(
                    db, ["work", "--concurrency", "1", "--batch-size", "2000", "--lease", "2"])
                try await Task.sleep(for: .seconds(2.5))  // past the lease
                let rescuer = try await CoachSpoolProcess.run(["work", "--drain", "--lease", "5"], database: db)
                #expect(rescuer.status == 0, "\(rescuer.err)")
                stopped.signal(SIGCONT)
                try await Task.sleep(for: .seconds(1.5))  // it finishes its stale batch now
                stopped.signal(SIGTERM)
                #expect(await stopped.wait(timeout: 30) == 0, "\(stopped.stderr)")
                #expect(stopped.stdout.contains("lost leases \(held.count)"), "\(stopped.stdout)")
                try expectExactlyOnce(db, total: total)
                let byPaused = try db.scalar("""
                    SELECT count(*) FROM coachspool.quality_verdicts WHERE interaction_id = ANY(\(held)::bigint[]) AND worker = \(owner)
                    """, as: Int.self)
                #expect(byPaused == 0, "the paused worker wrote results for jobs it no longer owned")
            }
        }

        @Test(.enabled(if: ProcessInfo.processInfo.environment["COACHSPOOL_PG_RESTART"] != nil, "needs the embedded server (scripts/test.sh)"))
        func workersSurviveAPostgresRestart() async throws {
            try await TestDatabase.with { db in
                let total = 40_000
                try await ingest(total, into: db)
                let workers = try (0..<2).map { _ in
                    try CoachSpoolProcess(["work", "--drain", "--concurrency", "2", "--batch-size", "100", "--lease", "10"], database: db)
                }
                #expect(try await eventually { try db.scalar("SELECT count(*) FROM coachspool.quality_verdicts", as: Int.self) > 2000 })
                #expect(try await runShell(ProcessInfo.processInfo.environment["COACHSPOOL_PG_RESTART"]!) == 0)
                let doneBeforeRestart = try db.scalar("SELECT count(*) FROM coachspool.quality_verdicts", as: Int.self)
                #expect(doneBeforeRestart < total, "the restart came after the work was done")
                for w in workers {
                    #expect(await w.wait(timeout: 180) == 0, "\(w.stderr)")
                }
                try expectExactlyOnce(db, total: total)
            }
        }

        @Test func sigtermFinishesTheBatchInHandAndExitsZero() async throws {
            try await TestDatabase.with { db in
                let total = 20_000
                try await ingest(total, into: db)
                let worker = try CoachSpoolProcess(["work", "--batch-size", "500", "--concurrency", "2"], database: db)
                _ = try #require(try await runningOwner(db))
                worker.signal(SIGTERM)
                #expect(await worker.wait(timeout: 20) == 0, "\(worker.stderr)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE state = 'running'", as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.workers WHERE stopped_at IS NOT NULL", as: Int.self) == 1)
                let rest = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(rest.status == 0)
                try expectExactlyOnce(db, total: total)
            }
        }

        /// Running jobs have no index; the console counts them by what live workers report.
        @Test func aWorkersHeartbeatReportsTheJobsItHoldsPerKind() async throws {
            try await TestDatabase.with { db in
                try await ingest(30_000, into: db)
                let jobs = try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self)
                // One loop claiming everything at once; a heartbeat every 0.5 s.
                let worker = try CoachSpoolProcess(["work", "--concurrency", "1", "--batch-size", "2000", "--lease", "1.5"], database: db)
                defer { worker.signal(SIGKILL) }
                var reported: [String: Int] = [:]
                #expect(try await eventually(timeout: 60, interval: 0.02) {
                    reported = Dictionary(uniqueKeysWithValues: try db.connect().query("SELECT kind, running FROM coachspool.running_by_heartbeat").map {
                        (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1))
                    })
                    return (reported["interaction_batch"] ?? 0) > 0
                }, "a heartbeat while the worker holds its batch")
                #expect((1...jobs).contains(reported["interaction_batch"] ?? 0), "\(reported)")
                #expect(try await eventually(timeout: 120) { try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self) == 0 })
                worker.signal(SIGTERM)
                #expect(await worker.wait(timeout: 20) == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.running_by_heartbeat", as: Int.self) == 0, "a stopped worker holds nothing")
            }
        }

        @Test func notifyWakesAnIdleWorkerLongBeforeItsPoll() async throws {
            try await TestDatabase.with { db in
                let worker = try CoachSpoolProcess(["work", "--poll", "120"], database: db)
                defer { worker.signal(SIGKILL) }
                #expect(try await eventually { try db.scalar("SELECT count(*) FROM coachspool.live_workers", as: Int.self) == 1 })
                try await Task.sleep(for: .milliseconds(300))  // idle now, in its 120 s wait
                let id = try db.scalar("""
                    SELECT coachspool.log_interaction(p_user_input => 'Can you help me plan my week?',
                        p_ai_response => 'Of course. What is already fixed in your calendar?', p_rating => 4)
                    """, as: Int64.self)
                let started = Date()
                #expect(try await eventually(timeout: 10) {
                    try db.scalar("SELECT count(*) FROM coachspool.quality_verdicts WHERE interaction_id = \(id)", as: Int.self) == 1
                })
                #expect(Date().timeIntervalSince(started) < 5)
                worker.signal(SIGTERM)
                #expect(await worker.wait(timeout: 20) == 0)
            }
        }

        @Test func failingJobsBackOffThenDieAndCanBeRetriedOrDiscarded() async throws {
            try await TestDatabase.with { db in
                // A job whose source row does not exist fails on every attempt.
                try db.execute("INSERT INTO coachspool.jobs (kind, source_id, max_attempts) VALUES ('interaction', 987654, 3)")
                let drain = try await CoachSpoolProcess.run(["work", "--drain", "--retry-base", "0.05"], database: db)
                #expect(drain.status == 0, "\(drain.err)")
                let dead = try db.connect().query("SELECT attempt, last_error FROM coachspool.dead_jobs")
                #expect(dead.count == 1)
                #expect(try dead[0].decode(Int.self, at: 0) == 3)
                #expect(try dead[0].decode(String.self, at: 1) == "interaction 987654 does not exist")
                let listed = try await CoachSpoolProcess.run(["jobs", "list"], database: db)
                #expect(listed.out.contains("source 987654  attempts 3  interaction 987654 does not exist"))

                let retry = try await CoachSpoolProcess.run(["jobs", "retry", "--all", "--attempts", "2"], database: db)
                #expect(retry.out.contains("retrying 1 jobs"))
                #expect(try db.scalar("SELECT state || ':' || max_attempts FROM coachspool.jobs", as: String.self) == "ready:5")
                _ = try await CoachSpoolProcess.run(["work", "--drain", "--retry-base", "0.05"], database: db)
                #expect(try db.scalar("SELECT state || ':' || attempt FROM coachspool.jobs", as: String.self) == "dead:5")

                let usage = try await CoachSpoolProcess.run(["jobs", "discard"], database: db)
                #expect(usage.status != 0, "discard without --id or --all must refuse")
                let discard = try await CoachSpoolProcess.run(["jobs", "discard", "--all"], database: db)
                #expect(discard.out.contains("discarded 1 jobs"))
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs", as: Int.self) == 0)
            }
        }

        /// An ingest batch job whose member cannot be prepared (a text the redactor cannot vouch
        /// for: a second pass still finds a phone number) completes for the others, and the member
        /// goes on as an `interaction` job of its own: retried, then dead, alone. A member erased
        /// between ingest and the worker is skipped.
        @Test func aFailingMemberOfABatchGoesOnAloneAndTheOthersArePrepared() async throws {
            try await TestDatabase.with { db in
                let file = temporaryFile("batch.jsonl")
                let lines = (0..<5).map { i in
                    let question = i == 2 ? "Ring 08-123 456+46 70 123 45 67" : "Question \(i) about my week"
                    return #"{"timestamp": "2025-10-01T10:00:0\#(i)Z", "session_id": "s\#(i)", "user_input": "\#(question)", "ai_response": "An answer."}"#
                }
                try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
                let ingested = try await CoachSpoolProcess.run(["ingest", file.path], database: db)
                #expect(ingested.status == 0, "\(ingested.err)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.jobs WHERE kind = 'interaction_batch'", as: Int.self) == 1)
                let failing = try db.scalar("SELECT id FROM coachspool.interactions WHERE session_id = 's2'", as: Int64.self)
                try db.execute("DELETE FROM coachspool.interactions WHERE session_id = 's4'")

                let drain = try await CoachSpoolProcess.run(["work", "--drain", "--retry-base", "0.05"], database: db)
                #expect(drain.status == 0, "\(drain.err)")
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interaction_texts", as: Int.self) == 3)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.quality_verdicts WHERE interaction_id = \(failing)", as: Int.self) == 0)
                #expect(try db.scalar("SELECT count(*) FROM coachspool.interaction_batches", as: Int.self) == 0)
                let dead = try db.connect().query("SELECT kind, source_id, last_error FROM coachspool.dead_jobs")
                #expect(dead.count == 1)
                #expect(try dead.first?.decode(String.self, at: 0) == "interaction")
                #expect(try dead.first?.decode(Int64.self, at: 1) == failing)
                #expect(try dead.first?.decode(String.self, at: 2).contains("not idempotent") == true)
                #expect(!(try dead.first?.decode(String.self, at: 2) ?? "").contains("08-123"), "no text in the error")
            }
        }

        @Test func statusShowsTheQueue() async throws {
            try await TestDatabase.with { db in
                try await ingest(40, into: db)
                let status = try await CoachSpoolProcess.run(["status", "--json"], database: db)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
                let queue = try #require(json["queue"] as? [String: Any])
                #expect(queue["ready"] as? Int == 1, "ingest queues one job per 500 interactions")
                #expect(queue["dead"] as? Int == 0)
                #expect(json["interactions"] as? Int == 40)
            }
        }
    }
}
