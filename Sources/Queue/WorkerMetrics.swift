import Metrics

/// The worker's metrics, through swift-metrics: whichever backend the process bootstrapped
/// (`coachspool work --metrics-port` installs Prometheus); without one they cost nothing.
///
/// Names follow Prometheus conventions (`_total` counters, `_seconds` durations); every job
/// metric has a `stage` label, the job kind (`interaction`, `conversation`, `embed:1`, …).
/// docs/operations.md says what each one means.
public enum WorkerMetrics {
    /// The per-stage instruments of one claim loop, made once per kind (making an instrument
    /// takes the backend's lock; using one does not).
    public struct Stage: Sendable {
        let claimed: Counter
        let completed: Counter
        let failed: Counter
        let dead: Counter
        let leaseLosses: Counter
        let batchDuration: Metrics.Timer

        init(_ kind: JobKind) {
            let stage = [("stage", kind.rawValue)]
            claimed = Counter(label: "coachspool_jobs_claimed_total", dimensions: stage)
            completed = Counter(label: "coachspool_jobs_completed_total", dimensions: stage)
            failed = Counter(label: "coachspool_jobs_failed_total", dimensions: stage)
            dead = WorkerMetrics.jobsDead(stage: kind.rawValue)
            leaseLosses = Counter(label: "coachspool_lease_losses_total", dimensions: stage)
            batchDuration = Metrics.Timer(label: "coachspool_batch_duration_seconds", dimensions: stage, preferredDisplayUnit: .seconds)
        }
    }

    /// Jobs whose lease expired in another (crashed, stopped or cut-off) worker and that this
    /// worker's reaper returned to the queue.
    static func leasesReaped(stage: String) -> Counter {
        Counter(label: "coachspool_leases_reaped_total", dimensions: [("stage", stage)])
    }

    /// Jobs that failed their last attempt: in this worker, or when the lease of their last
    /// attempt expired elsewhere and this worker's reaper found it.
    public static func jobsDead(stage: String) -> Counter {
        Counter(label: "coachspool_jobs_dead_total", dimensions: [("stage", stage)])
    }

    /// 1 while the worker's side channel holds a connection to the database, else 0.
    /// Claim loops whose statement has run past `--stall-threshold`, and how often one began to.
    static func statementsStalled() -> (now: Gauge, total: Counter) {
        (Gauge(label: "coachspool_worker_statements_stalled"), Counter(label: "coachspool_worker_statement_stalls_total"))
    }

    static func databaseConnected() -> Gauge {
        Gauge(label: "coachspool_worker_database_connected")
    }
}
