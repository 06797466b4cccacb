import LibPQ

/// The I/O around one pure stage, for one job kind: load the batch's inputs (one interpolated
/// query), run the stage, and say what the completion writes. The runtime owns the rest: its
/// `Completer` retires the jobs that did not fail, writing the derived rows only for jobs still
/// leased to us, and records the failures (backoff, dead after the last attempt), as River's
/// executor hands results to its completer.
///
/// Handlers run on a claim loop's thread, with its connection. They must be safe to call again
/// for the same batch after a lost connection: completion only retires jobs still leased to us,
/// and derived rows are keyed by (source, pipeline version).
public protocol JobHandler: Sendable {
    /// The kind of jobs this handler processes; a worker claims exactly the kinds it has handlers for.
    var kind: JobKind { get }
    /// How many source items one job of this kind carries: a claim takes `limit / itemsPerJob`
    /// jobs of it (at least one), so that a claim holds about the same work whatever the kind.
    var itemsPerJob: Int { get }
    /// Loads and runs the stage for `jobs`; does not retire them. `owner` is the worker's id (the
    /// `worker` column of derived rows).
    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> StageOutcome
}

extension JobHandler {
    public var itemsPerJob: Int { 1 }
}

/// What a handler made of a batch: the jobs that failed, and what the completion of the others
/// writes.
public struct StageOutcome {
    /// How the derived rows of the retired jobs are written, in the transaction that retires them.
    public enum Writes {
        /// Nothing to write.
        case nothing
        /// Data-modifying CTEs (`name AS (INSERT …), …`) joining `ours(id, source_id)`, the jobs
        /// retired: one statement with the fencing (`JobQueue.complete(_:owner:jobs:writing:)`).
        case statement(PGQuery)
        /// Statements of their own (COPY, a rebuild that must see rows just written), given the
        /// jobs actually retired, after the fencing in the same transaction.
        case transaction((PGConnection, JobQueue.Completed) throws -> Void)
    }

    /// Jobs whose input could not be processed, with the reason (never personal data); retried
    /// with backoff, dead after their last attempt. They are not retired.
    public var failures: [(job: ClaimedJob, error: String)]
    public var writes: Writes

    public init(failures: [(job: ClaimedJob, error: String)] = [], writes: Writes = .nothing) {
        self.failures = failures
        self.writes = writes
    }
}
