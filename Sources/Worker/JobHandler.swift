import LibPQ
import Spool

/// The I/O around one pure stage: load the inputs of a batch, run the stage, and complete the
/// jobs in the same statement that writes the derived rows (see `JobQueue.completionPrelude`).
///
/// Handlers run on a claim loop's thread, with its connection. They must be safe to call again
/// for the same batch after a lost connection: completion only retires jobs still leased to us,
/// and derived rows are keyed by (source, pipeline version).
protocol JobHandler: Sendable {
    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome
}

struct BatchOutcome: Sendable {
    /// Jobs retired by this worker (leases still ours at completion).
    var retired: Set<Int64> = []
    /// Jobs whose input could not be processed, with the reason; retried with backoff.
    var failures: [(job: ClaimedJob, error: String)] = []
}

/// Completes jobs that have nothing to write (the `noop` kind, used to measure the queue).
struct NoopHandler: JobHandler {
    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome {
        BatchOutcome(retired: try JobQueue.complete(conn, owner: owner, jobs: jobs))
    }
}
