import LibPQ
import Spool

/// The I/O around one pure stage, for one job kind, in three parts: load the batch's inputs
/// (one interpolated query), run the stage (a pure function from `Stages`), and complete the
/// jobs with `JobQueue.complete`, which writes the derived rows only for jobs still leased to us.
///
/// Handlers run on a claim loop's thread, with its connection. They must be safe to call again
/// for the same batch after a lost connection: completion only retires jobs still leased to us,
/// and derived rows are keyed by (source, pipeline version).
public protocol JobHandler: Sendable {
    /// The kind of jobs this handler processes; a worker claims exactly the kinds it has handlers for.
    var kind: JobKind { get }
    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome
}

public struct BatchOutcome: Sendable {
    /// Jobs retired by this worker (leases still ours at completion).
    public var retired: Set<Int64>
    /// Jobs whose input could not be processed, with the reason (never personal data);
    /// retried with backoff, dead after their last attempt.
    public var failures: [(job: ClaimedJob, error: String)]

    public init(retired: Set<Int64> = [], failures: [(job: ClaimedJob, error: String)] = []) {
        self.retired = retired
        self.failures = failures
    }
}

/// Completes jobs that have nothing to write (the `noop` kind, used to measure the queue).
struct NoopHandler: JobHandler {
    var kind: JobKind { .noop }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome {
        BatchOutcome(retired: try JobQueue.complete(conn, owner: owner, jobs: jobs).jobs)
    }
}
