import CoachSpoolCore
import Foundation
import LibPQ

/// The spool's statements: claim, heartbeat, complete, fail, reap. One place, so that the
/// lease rules (owner + attempt as a fencing token, database clock) are written once.
///
/// Every statement is a single round trip and commits on its own; no transaction is held open
/// while a batch is processed.
public enum JobQueue {
    /// The NOTIFY channel that wakes idle workers.
    public static let channel = "coachspool_jobs"

    /// Claims up to `limit` ready jobs of `kinds` for `owner`, oldest first, leased for
    /// `leaseSeconds` by the database clock. A worker claims only the kinds it can process, so
    /// that jobs written by a newer version wait for a worker that knows them. Kinds whose jobs
    /// carry many items (`itemsPerJob`, from the handlers: `JobHandler.itemsPerJob`) are claimed
    /// `limit / itemsPerJob` at a time (at least one), in a branch of their own. The update finds
    /// the rows by primary key (`= ANY(ARRAY(…))`), so that even PostgreSQL's generic plan for
    /// this prepared statement never scans the table.
    public static func claim(
        _ conn: PGConnection, owner: String, limit: Int, leaseSeconds: Double, kinds: [JobKind], itemsPerJob: [JobKind: Int] = [:]
    ) throws -> [ClaimedJob] {
        let groups = Dictionary(grouping: kinds) { itemsPerJob[$0] ?? 1 }.sorted { $0.key < $1.key }
        guard !groups.isEmpty else { return [] }
        let manyItemKinds = kinds.filter { (itemsPerJob[$0] ?? 1) > 1 }
        // One locking CTE per group (FOR UPDATE is not allowed under UNION, but is in each CTE).
        var statement: PGQuery = "WITH "
        for (index, (items, group)) in groups.enumerated() {
            statement = statement + PGQuery(unsafeSQL: index == 0 ? "next\(items)" : ", next\(items)") + """
                 AS (
                    SELECT id FROM coachspool.jobs
                     WHERE state = 'ready' AND run_at <= now() AND kind = ANY(\(group.map(\.rawValue))::text[])
                       AND \(unsafeSQL: readyIndexPredicate(manyItems: items > 1, manyItemKinds: manyItemKinds))
                     ORDER BY run_at, id
                     LIMIT \(max(1, limit / items))
                     FOR UPDATE SKIP LOCKED)
                """
        }
        let picked = groups.map { "SELECT id FROM next\($0.key)" }.joined(separator: " UNION ALL ")
        statement = statement + """

            UPDATE coachspool.jobs j
               SET state = 'running', attempt = j.attempt + 1, lease_owner = \(owner),
                   lease_expires_at = now() + make_interval(secs => \(leaseSeconds)), rerun = false
            """ + PGQuery(unsafeSQL: "\n WHERE j.id = ANY(ARRAY(\(picked)))\n") + "RETURNING j.id, j.kind, j.source_id, j.attempt"
        let rows = try conn.query(statement)
        return try rows.map { row in
            let kindText = try row.decode(String.self, at: 1)
            guard let kind = JobKind(rawValue: kindText), kinds.contains(kind) else {
                throw CoachSpoolError(.input, "job \(try row.decode(Int64.self, at: 0)) has unknown kind \(kindText)")
            }
            return ClaimedJob(
                id: try row.decode(Int64.self, at: 0), kind: kind,
                sourceID: try row.decode(Int64.self, at: 2), attempt: try row.decode(Int32.self, at: 3))
        }
    }

    /// The predicate of the ready index a claim branch reads (schema/0017: `jobs_ready` for
    /// single jobs, `jobs_ready_batches` for the many-item kinds), stated in the query with the
    /// kinds as literals (a `JobKind` name needs no quoting) so that the planner can prove the
    /// partial index's predicate from it and picks that index: a branch never walks past the
    /// other branch's rows.
    static func readyIndexPredicate(manyItems: Bool, manyItemKinds: [JobKind]) -> String {
        guard !manyItemKinds.isEmpty else { return manyItems ? "false" : "true" }
        let list = manyItemKinds.sorted().map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return manyItems ? "kind IN (\(list))" : "kind NOT IN (\(list))"
    }

    /// Extends the leases of the jobs in hand (only those still ours). Returns how many leases
    /// were extended.
    @discardableResult
    public static func heartbeat(_ conn: PGConnection, owner: String, jobs: [ClaimedJob], leaseSeconds: Double) throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try conn.query(PGQuery(
            unsafeSQL: """
                UPDATE coachspool.jobs j SET lease_expires_at = now() + make_interval(secs => $4::float8)
                 WHERE \(leaseHeld)
                """,
            binds: leaseBinds(jobs, owner: owner) + [String(leaseSeconds)])).affectedRows
    }

    /// The jobs a completion retired: those still leased to us. Nothing was written for the others.
    public struct Completed: Sendable, Equatable {
        /// Job ids.
        public var jobs: Set<Int64> = []
        /// Their source rows' ids (one job per kind and source, so one per job).
        public var sources: Set<Int64> = []

        public init(jobs: Set<Int64> = [], sources: Set<Int64> = []) {
            self.jobs = jobs
            self.sources = sources
        }
    }

    /// Retires `jobs` and writes their derived rows in one statement, so that rows are written
    /// exactly when the lease still holds. `derived` is one or more data-modifying CTEs
    /// (`name AS (INSERT …), …`) that join `ours(id, source_id)`: the jobs retired. Its
    /// parameters are numbered from `$1`, like any interpolated query.
    ///
    /// Jobs whose input changed while they ran (`rerun`) go back to ready instead, with one more
    /// attempt allowed; they are in `ours` too, and their rows are written (the rerun rewrites them).
    public static func complete(
        _ conn: PGConnection, owner: String, jobs: [ClaimedJob], writing derived: PGQuery? = nil
    ) throws -> Completed {
        guard !jobs.isEmpty else { return Completed() }
        var statement = fencing(jobs, owner: owner)
        if let derived { statement = statement + ", " + derived }
        return try completed(conn.query(statement + " SELECT id, source_id FROM ours"))
    }

    /// Retires `jobs`, then lets `write` store their derived rows (COPY, several statements) in
    /// the same transaction, given the jobs actually retired.
    public static func complete(
        _ conn: PGConnection, owner: String, jobs: [ClaimedJob],
        inTransaction write: (PGConnection, Completed) throws -> Void
    ) throws -> Completed {
        guard !jobs.isEmpty else { return Completed() }
        return try conn.transaction { conn in
            let done = try completed(conn.query(fencing(jobs, owner: owner) + " SELECT id, source_id FROM ours"))
            if !done.jobs.isEmpty { try write(conn, done) }
            return done
        }
    }

    private static func completed(_ rows: PGRows) throws -> Completed {
        var done = Completed()
        for row in rows {
            done.jobs.insert(try row.decode(Int64.self, at: 0))
            done.sources.insert(try row.decode(Int64.self, at: 1))
        }
        return done
    }

    /// The lease check every completion starts with: retires the jobs whose attempts are still
    /// leased to `owner`, and names them `ours`. A job whose lease was lost is untouched.
    private static func fencing(_ jobs: [ClaimedJob], owner: String) -> PGQuery {
        PGQuery(
            unsafeSQL: """
                WITH finished AS (
                    DELETE FROM coachspool.jobs j WHERE \(leaseHeld) AND NOT j.rerun
                    RETURNING j.id, j.source_id
                ), requeued AS (
                    UPDATE coachspool.jobs j
                       SET state = 'ready', rerun = false, lease_owner = NULL, lease_expires_at = NULL,
                           run_at = now(), max_attempts = j.max_attempts + 1
                     WHERE \(leaseHeld) AND j.rerun
                    RETURNING j.id, j.source_id
                ), ours AS (
                    SELECT id, source_id FROM finished UNION ALL SELECT id, source_id FROM requeued
                )
                """,
            binds: leaseBinds(jobs, owner: owner))
    }

    /// "Row j is one of `jobs`, in the attempt we claimed, still leased to us": $1 ids, $2
    /// attempts (same order), $3 owner. The rows are found through the primary key (`id = ANY`)
    /// and each checked against its own attempt by position: a join with unnest($1, $2) made the
    /// planner rescan the unnest per row (100 × 100 comparisons, 3.8 ms of server time per batch
    /// of 100 on the completion alone).
    private static let leaseHeld = """
        j.id = ANY($1::bigint[]) AND j.attempt = ($2::integer[])[array_position($1::bigint[], j.id)] \
        AND j.lease_owner = $3 AND j.state = 'running'
        """

    private static func leaseBinds(_ jobs: [ClaimedJob], owner: String) -> [String?] {
        [jobs.map(\.id).pgText, jobs.map(\.attempt).pgText, owner]
    }

    /// What `fail` did with the failures that were still ours.
    public struct Failed: Sendable, Equatable {
        /// Put back to be retried after their delay.
        public var retrying = 0
        /// Failed their last attempt.
        public var dead = 0

        public init(retrying: Int = 0, dead: Int = 0) {
            self.retrying = retrying
            self.dead = dead
        }
    }

    /// Puts failed jobs back with a backoff delay, or marks them dead after their last attempt.
    @discardableResult
    public static func fail(_ conn: PGConnection, owner: String, failures: [(job: ClaimedJob, error: String, delaySeconds: Double)]) throws -> Failed {
        guard !failures.isEmpty else { return Failed() }
        struct Failure: Encodable { var id: Int64; var attempt: Int32; var delay: Double; var error: String }
        let payload = try JSONText(failures.map {
            Failure(id: $0.job.id, attempt: $0.job.attempt, delay: $0.delaySeconds, error: $0.error)
        })
        let states = try conn.query("""
            UPDATE coachspool.jobs j
               SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'dead' ELSE 'ready' END,
                   run_at = now() + make_interval(secs => r.delay), last_error = r.error,
                   lease_owner = NULL, lease_expires_at = NULL, rerun = false
              FROM jsonb_to_recordset(\(payload)::jsonb) AS r(id bigint, attempt integer, delay float8, error text)
             WHERE j.id = ANY(\(failures.map(\.job.id))::bigint[]) AND j.id = r.id AND j.attempt = r.attempt AND j.lease_owner = \(owner) AND j.state = 'running'
            RETURNING j.state
            """).map { try $0.decode(String.self, at: 0) }
        let dead = states.count { $0 == JobState.dead.rawValue }
        return Failed(retrying: states.count - dead, dead: dead)
    }

    /// Makes jobs whose lease expired claimable again (or dead, when that was their last
    /// attempt: a job that kills its worker every time must not loop forever).
    ///
    /// Every worker calls this; one at a time does the work (a transaction-level advisory lock),
    /// because the search for expired leases scans the running jobs without an index of its own.
    /// Lock and reaping are one statement: a worker frozen between two round trips of a
    /// transaction (SIGSTOP, a paused VM) would otherwise keep the lock, and every other worker's
    /// reaper would skip its turn until the frozen one woke; one statement, once sent, the server
    /// finishes and commits alone. (The lock gates the scan: PostgreSQL's one-time filter.)
    @discardableResult
    public static func reapExpiredLeases(_ conn: PGConnection, limit: Int = 1000) throws -> [Reaped] {
        try conn.query("""
            WITH turn AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(\(reaperLockKey)) AS ours)
            UPDATE coachspool.jobs j
               SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'dead' ELSE 'ready' END,
                   last_error = 'lease expired while held by ' || j.lease_owner,
                   lease_owner = NULL, lease_expires_at = NULL, run_at = now()
             WHERE j.id = ANY(ARRAY(
                    SELECT id FROM coachspool.jobs
                     WHERE (SELECT ours FROM turn) AND state = 'running' AND lease_expires_at < now()
                     LIMIT \(limit) FOR UPDATE SKIP LOCKED))
            RETURNING j.kind, j.state = 'dead'
            """).map { Reaped(kind: try $0.decode(String.self, at: 0), dead: try $0.decode(Bool.self, at: 1)) }
    }

    /// A job the reaper took back from an expired lease: ready again, or dead after its last attempt.
    public struct Reaped: Sendable, Equatable {
        /// The kind as stored, not a `JobKind`: the reaper returns every expired lease, also of
        /// kinds a newer version queued that this worker cannot parse (it only labels metrics).
        public var kind: String
        public var dead: Bool

        public init(kind: String, dead: Bool) {
            self.kind = kind
            self.dead = dead
        }
    }

    /// Arbitrary, fixed: the advisory lock key that lets one worker at a time reap.
    static let reaperLockKey: Int64 = 0x636F_6163_6872_6561

    /// What an idle worker needs to know after an empty claim.
    public struct Idle: Sendable {
        /// No job of the worker's kinds is ready, running or waiting for a retry (dead jobs do
        /// not count, nor do kinds this worker cannot process).
        public var drained: Bool
        /// Seconds until the next retry is due, when one is waiting.
        public var nextRetryIn: Double?
    }

    public static func idleState(_ conn: PGConnection, kinds: [JobKind], itemsPerJob: [JobKind: Int] = [:]) throws -> Idle {
        let kindNames = kinds.map(\.rawValue)
        let manyItemKinds = kinds.filter { (itemsPerJob[$0] ?? 1) > 1 }
        let row = try conn.query("""
            SELECT NOT EXISTS (SELECT 1 FROM coachspool.jobs
                                WHERE state IN ('ready', 'running') AND kind = ANY(\(kindNames)::text[])),
                   extract(epoch FROM least(
                       (SELECT min(run_at) FROM coachspool.jobs
                         WHERE state = 'ready' AND kind = ANY(\(kindNames)::text[]) AND \(unsafeSQL: readyIndexPredicate(manyItems: false, manyItemKinds: manyItemKinds))),
                       (SELECT min(run_at) FROM coachspool.jobs
                         WHERE state = 'ready' AND kind = ANY(\(kindNames)::text[]) AND \(unsafeSQL: readyIndexPredicate(manyItems: true, manyItemKinds: manyItemKinds)))
                   ) - now())::float8
            """)[0]
        return Idle(drained: try row.decode(Bool.self, at: 0), nextRetryIn: try row.decode(Double?.self, at: 1))
    }
}
