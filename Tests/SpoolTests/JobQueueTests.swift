import LibPQ
@testable import Queue
import Spool
import Testing

extension DatabaseTests {
    /// The lease rules, statement by statement, against the real schema.
    @Suite struct JobQueueTests {
        /// A claim of every declared kind, as a worker with the standard handlers makes it.
        func claim(_ conn: PGConnection, owner: String, limit: Int, leaseSeconds: Double) throws -> [ClaimedJob] {
            try JobQueue.claim(
                conn, owner: owner, limit: limit, leaseSeconds: leaseSeconds, kinds: JobKind.fixedKinds,
                itemsPerJob: JobKind.declaredItemsPerJob)
        }

        func seed(_ db: TestDatabase, count: Int = 1) throws -> [Int64] {
            let conn = try db.connect()
            return try (0..<count).map { i in
                try conn.query("""
                    SELECT coachspool.log_interaction(p_user_input => \("question number \(i) is here"),
                        p_ai_response => 'an answer that is long enough to pass', p_rating => 4)
                    """).scalar(Int64.self)
            }
        }

        @Test func aStaleLeaseCannotCompleteOrHeartbeat() async throws {
            try await TestDatabase.with { db in
                _ = try seed(db)
                let conn = try db.connect()
                let a = try claim(conn, owner: "A", limit: 10, leaseSeconds: 30)
                #expect(a.count == 1 && a[0].attempt == 1)
                #expect(try claim(conn, owner: "B", limit: 10, leaseSeconds: 30).isEmpty, "a leased job is not claimable")
                try conn.query("UPDATE coachspool.jobs SET lease_expires_at = now() - interval '1 second'")
                #expect(try JobQueue.reapExpiredLeases(conn) == [.init(kind: "interaction", dead: false)])
                let b = try claim(conn, owner: "B", limit: 10, leaseSeconds: 30)
                #expect(b.map(\.id) == a.map(\.id))
                #expect(b[0].attempt == 2)
                #expect(try JobQueue.heartbeat(conn, owner: "A", jobs: a, leaseSeconds: 30) == 0)
                #expect(try JobQueue.complete(conn, owner: "A", jobs: a).jobs.isEmpty, "A's completion must be refused")
                #expect(try JobQueue.fail(conn, owner: "A", failures: [(a[0], "late", 1)]) == .init())
                #expect(try JobQueue.heartbeat(conn, owner: "B", jobs: b, leaseSeconds: 30) == 1)
                #expect(try JobQueue.complete(conn, owner: "B", jobs: b).jobs == [b[0].id])
                #expect(try conn.query("SELECT count(*) FROM coachspool.jobs").scalar(Int.self) == 0)
            }
        }

        /// One reaper at a time: a session that holds the reaper's lock makes the others skip, once
        /// it lets go the next reaper reaps, and a reaper's call leaves the lock free. (That the
        /// reaper takes and uses its turn in one statement, so that a client frozen mid-call
        /// cannot keep it, is the shape of `reapExpiredLeases` and not observable from here.)
        @Test func reapersTakeTurnsByAnAdvisoryLockHeldForOneStatement() async throws {
            try await TestDatabase.with { db in
                _ = try seed(db)
                let conn = try db.connect()
                _ = try claim(conn, owner: "A", limit: 10, leaseSeconds: 30)
                try conn.query("UPDATE coachspool.jobs SET lease_expires_at = now() - interval '1 second'")
                let frozen = try db.connect()
                try frozen.query("BEGIN")
                #expect(try frozen.query("SELECT pg_try_advisory_xact_lock(\(JobQueue.reaperLockKey))").scalar(Bool.self))
                #expect(try JobQueue.reapExpiredLeases(conn).isEmpty, "not this reaper's turn")
                #expect(try conn.query("SELECT count(*) FROM coachspool.jobs WHERE state = 'running'").scalar(Int.self) == 1)
                try frozen.query("ROLLBACK")
                #expect(try JobQueue.reapExpiredLeases(conn) == [.init(kind: "interaction", dead: false)])
                // The reaper's own turn ended with its statement: another session takes it at once.
                #expect(try frozen.query("SELECT pg_try_advisory_xact_lock(\(JobQueue.reaperLockKey))").scalar(Bool.self))
            }
        }

        @Test func sameOwnerWithAnOldAttemptIsRefusedToo() async throws {
            try await TestDatabase.with { db in
                _ = try seed(db)
                let conn = try db.connect()
                let first = try claim(conn, owner: "A", limit: 1, leaseSeconds: 30)
                try conn.query("UPDATE coachspool.jobs SET lease_expires_at = now() - interval '1 second'")
                try JobQueue.reapExpiredLeases(conn)
                let second = try claim(conn, owner: "A", limit: 1, leaseSeconds: 30)
                #expect(try JobQueue.complete(conn, owner: "A", jobs: first).jobs.isEmpty, "the attempt is the fencing token")
                #expect(try JobQueue.complete(conn, owner: "A", jobs: second).jobs.count == 1)
            }
        }

        @Test func feedbackDuringARunQueuesTheJobAgain() async throws {
            try await TestDatabase.with { db in
                let id = try seed(db)[0]
                let conn = try db.connect()
                let held = try claim(conn, owner: "A", limit: 1, leaseSeconds: 30)
                try conn.query("SELECT coachspool.log_feedback(\(id), 1, false)")
                #expect(try conn.query("SELECT rerun FROM coachspool.jobs").scalar(Bool.self))
                #expect(try JobQueue.complete(conn, owner: "A", jobs: held).jobs == [held[0].id])
                let row = try conn.query("SELECT state, rerun, max_attempts FROM coachspool.jobs")[0]
                #expect(try row.decode(String.self, at: 0) == "ready")
                #expect(try row.decode(Bool.self, at: 1) == false)
                #expect(try row.decode(Int.self, at: 2) == 6, "the re-run does not use up an attempt")
                // Feedback on a ready job just leaves it queued, once.
                try conn.query("SELECT coachspool.log_feedback(\(id), 2, false)")
                #expect(try conn.query("SELECT count(*) FROM coachspool.jobs WHERE NOT rerun").scalar(Int.self) == 1)
            }
        }

        @Test func failureBacksOffAndTheLastAttemptIsDead() async throws {
            try await TestDatabase.with { db in
                _ = try seed(db)
                let conn = try db.connect()
                try conn.query("UPDATE coachspool.jobs SET max_attempts = 2")
                let first = try claim(conn, owner: "A", limit: 1, leaseSeconds: 30)
                #expect(try JobQueue.fail(conn, owner: "A", failures: [(first[0], "boom", 3600)]) == .init(retrying: 1))
                #expect(try conn.query("SELECT state FROM coachspool.jobs").scalar(String.self) == "ready")
                #expect(try claim(conn, owner: "A", limit: 1, leaseSeconds: 30).isEmpty, "backing off")
                let idle = try JobQueue.idleState(conn, kinds: JobKind.fixedKinds)
                #expect(!idle.drained)
                #expect((idle.nextRetryIn ?? 0) > 3500)
                try conn.query("UPDATE coachspool.jobs SET run_at = now()")
                let second = try claim(conn, owner: "A", limit: 1, leaseSeconds: 30)
                #expect(try JobQueue.fail(conn, owner: "A", failures: [(second[0], "boom again", 1)]) == .init(dead: 1))
                let row = try conn.query("SELECT state, attempt, last_error FROM coachspool.jobs")[0]
                #expect(try row.decode(String.self, at: 0) == "dead")
                #expect(try row.decode(Int.self, at: 1) == 2)
                #expect(try row.decode(String.self, at: 2) == "boom again")
                #expect(try JobQueue.idleState(conn, kinds: JobKind.fixedKinds).drained, "dead jobs do not keep a drain waiting")
            }
        }

        /// A kind this worker does not know (written by a newer version) is left for a worker
        /// that does, and does not keep a drain waiting.
        @Test func onlyTheWorkersKindsAreClaimed() async throws {
            try await TestDatabase.with { db in
                _ = try seed(db)
                // A newer version's migration widens the kinds' CHECK (schema/0009_stage_graph.sql).
                try db.execute("ALTER TABLE coachspool.jobs DROP CONSTRAINT jobs_kind_declared")
                try db.execute("INSERT INTO coachspool.jobs (kind, source_id) VALUES ('from_the_future', 1)")
                let conn = try db.connect()
                #expect(try JobQueue.claim(conn, owner: "A", limit: 10, leaseSeconds: 30, kinds: [.noop]).isEmpty)
                #expect(try JobQueue.idleState(conn, kinds: [.noop]).drained)
                let drain = try await CoachSpoolProcess.run(["work", "--drain"], database: db)
                #expect(drain.status == 0, "\(drain.err)")
                let left = try conn.query("SELECT kind, state, attempt FROM coachspool.jobs")
                #expect(left.count == 1)
                #expect(try left[0].decode(String.self, at: 0) == "from_the_future")
                #expect(try left[0].decode(String.self, at: 1) == "ready")
                #expect(try left[0].decode(Int.self, at: 2) == 0, "never claimed")
            }
        }

        @Test func retryDelayGrowsExponentiallyWithJitterAndACap() {
            var policy = RetryPolicy()
            policy.baseSeconds = 2
            policy.maxSeconds = 60
            for (attempt, base) in [(Int32(1), 2.0), (2, 4), (3, 8), (4, 16), (10, 60)] {
                let delays = (0..<200).map { _ in policy.delay(afterAttempt: attempt) }
                #expect(delays.allSatisfy { $0 >= base * 0.5 && $0 <= base * 1.5 })
                #expect(Set(delays).count > 100, "jitter spreads retries")
            }
        }
    }
}
