import LibPQ
import Queue
import Spool

/// `noop` jobs: nothing to load or write; the runtime retires them. Measures the queue's own
/// overhead (`scripts/bench-spool.sh`).
struct NoopHandler: JobHandler {
    var kind: JobKind { .noop }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> StageOutcome {
        StageOutcome()
    }
}
