import LibPQ

/// Retires a batch after its handler ran: the jobs that did not fail are completed with the
/// handler's writes (only those still leased to us; rows are written exactly for them), the
/// failures are put back with the retry policy's delay or marked dead. The one place where a
/// job's attempt ends, for every stage.
struct Completer {
    let owner: String
    let retry: RetryPolicy

    /// What became of a batch.
    struct Result {
        /// Jobs retired (completed, or re-queued because their input changed while they ran).
        var retired: Set<Int64>
        var failed: JobQueue.Failed
        var failures: [(job: ClaimedJob, error: String)]
    }

    /// Completes and records `outcome` for `batch`. The completion commits before the failures
    /// are recorded: a crash in between leaves the failures leased, and the reaper retries them.
    func finish(_ outcome: StageOutcome, batch: [ClaimedJob], on conn: PGConnection) throws -> Result {
        let failedIDs = Set(outcome.failures.map(\.job.id))
        let done = batch.filter { !failedIDs.contains($0.id) }
        let completed: JobQueue.Completed
        switch outcome.writes {
        case .nothing: completed = try JobQueue.complete(conn, owner: owner, jobs: done)
        case .statement(let derived): completed = try JobQueue.complete(conn, owner: owner, jobs: done, writing: derived)
        case .transaction(let write): completed = try JobQueue.complete(conn, owner: owner, jobs: done, inTransaction: write)
        }
        let failed = try fail(outcome.failures, on: conn)
        return Result(retired: completed.jobs, failed: failed, failures: outcome.failures)
    }

    /// Records failures alone: a batch whose handler threw (every job of it failed).
    func fail(_ failures: [(job: ClaimedJob, error: String)], on conn: PGConnection) throws -> JobQueue.Failed {
        guard !failures.isEmpty else { return JobQueue.Failed() }
        return try JobQueue.fail(conn, owner: owner, failures: failures.map {
            ($0.job, $0.error, retry.delay(afterAttempt: $0.job.attempt))
        })
    }
}
