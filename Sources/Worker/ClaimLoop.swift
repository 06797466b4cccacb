import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import Metrics
import Spool
import Synchronization

/// One claim → process → complete loop with its own connection, on its own thread.
final class ClaimLoop: Sendable {
    private let slot: Int
    private let configuration: WorkerConfiguration
    private let signal: WakeSignal
    private let sideChannel: SideChannel
    private let handlers: [JobKind: any JobHandler]
    /// The kinds this loop claims: exactly those it has a handler for.
    private var kinds: [JobKind] { Array(handlers.keys) }
    private let statistics: WorkerStatistics
    private let metrics: [JobKind: WorkerMetrics.Stage]
    private let logger: Logger
    /// The loop's connection as other threads see it: its server process (the side channel's
    /// stall watch) and a handle that cancels its statement in flight (the shutdown deadline).
    private let current = Mutex<(backendPID: Int32, canceller: PGCanceller?)?>(nil)

    init(
        slot: Int, configuration: WorkerConfiguration, handlers: [JobKind: any JobHandler], signal: WakeSignal,
        sideChannel: SideChannel, statistics: WorkerStatistics, logger: Logger
    ) {
        self.slot = slot
        self.configuration = configuration
        self.signal = signal
        self.sideChannel = sideChannel
        self.statistics = statistics
        self.handlers = handlers
        self.metrics = Dictionary(uniqueKeysWithValues: handlers.keys.map { ($0, WorkerMetrics.Stage($0)) })
        var logger = logger
        logger[metadataKey: LogKey.workerSlot] = "\(slot)"
        self.logger = logger
    }

    /// The thread body; returns on stop, or in drain mode once the queue is empty.
    func run() {
        var connection: PGConnection?
        var backoff = Backoff()
        var outage = OutageLog()
        while !signal.isStopped {
            do {
                let conn = try connection.flatMap { $0.isHealthy ? $0 : nil } ?? connect()
                connection = conn
                backoff.reset()
                let jobs = try JobQueue.claim(
                    conn, owner: configuration.workerID, limit: configuration.batchSize,
                    leaseSeconds: configuration.leaseSeconds, kinds: kinds)
                outage.recovered("claim loop works again", logger: logger)
                logger.trace("claimed", metadata: [LogKey.claimed: "\(jobs.count)", LogKey.batchSize: "\(configuration.batchSize)"])
                if jobs.isEmpty {
                    let idle = try JobQueue.idleState(conn, kinds: kinds)
                    if configuration.drain, idle.drained {
                        signal.wake()  // the other loops re-check at once instead of at their next poll
                        return
                    }
                    // Sleep until woken (NOTIFY), the next retry is due, or the poll interval ends.
                    // Draining, other workers' batches finish without a NOTIFY: look again soon.
                    let poll = configuration.drain ? min(0.2, configuration.pollSeconds) : configuration.pollSeconds
                    logger.trace("idle", metadata: [LogKey.retryIn: "\(idle.nextRetryIn.map { "\($0)" } ?? "-")"])
                    signal.wait(seconds: min(poll, max(0.01, idle.nextRetryIn ?? .infinity)))
                    continue
                }
                let leaseDeadline = Date(timeIntervalSinceNow: configuration.leaseSeconds)
                sideChannel.track(slot: slot, jobs: jobs)
                defer { sideChannel.untrack(slot: slot) }
                connection = try process(jobs, on: conn, until: leaseDeadline)
                if configuration.drain { signal.wake() }
            } catch {
                if signal.isStopped {
                    // Cancelled at the shutdown deadline: the batch's leases expire and another worker redoes it.
                    logger.notice("stopped with a batch in hand; its leases expire", metadata: [LogKey.error: "\(error)"])
                    return
                }
                outage.failed(error, "claim loop error; retrying", logger: logger)
                connection = nil
                signal.wait(seconds: backoff.next())
            }
        }
    }

    /// Processes a batch by kind, and returns the connection to keep using. A lost connection
    /// is replaced and the batch retried until its lease would have run out; the completion's
    /// lease check makes a retry after an unseen commit harmless.
    private func process(_ jobs: [ClaimedJob], on conn: PGConnection, until deadline: Date) throws -> PGConnection {
        var conn = conn
        for (kind, batch) in Dictionary(grouping: jobs, by: \.kind) {
            guard let handler = handlers[kind], let metrics = metrics[kind] else {
                throw CoachSpoolError(.input, "claimed a job of kind \(kind.rawValue), which this worker has no handler for")
            }
            metrics.claimed.increment(by: batch.count)
            let started = ContinuousClock.now
            var outcome: BatchOutcome
            var outage = OutageLog()
            var backoff = Backoff()
            while true {
                do {
                    outcome = try handler.process(batch, owner: configuration.workerID, on: conn)
                    break
                } catch let error as PGError where error.isWorthReconnecting && Date() < deadline {
                    outage.failed(error, "lost the database mid-batch; reconnecting", logger: logger)
                    signal.wait(seconds: backoff.next())
                    if signal.isStopped { throw error }
                    do {
                        conn = try connect()
                    } catch {
                        // Still away: the next try of the batch fails the same way and waits longer.
                        outage.failed(error, "lost the database mid-batch; reconnecting", logger: logger)
                    }
                } catch let error as PGError where error.isConnectionProblem || (error.code == .cancelled && signal.isStopped) {
                    throw error
                } catch {
                    // A bug or bad data in this batch: every job of it is retried with backoff.
                    outcome = BatchOutcome(failures: batch.map { ($0, "\(error)") })
                    break
                }
            }
            try record(outcome, batch: batch, metrics: metrics, on: conn)
            logger.debug("batch done", metadata: [
                LogKey.stage: "\(kind.rawValue)", LogKey.claimed: "\(batch.count)", LogKey.jobsCompleted: "\(outcome.retired.count)",
                LogKey.jobsFailed: "\(outcome.failures.count)",
            ])
            metrics.batchDuration.record(duration: ContinuousClock.now - started)
        }
        statistics.batches.add(1, ordering: .relaxed)
        return conn
    }

    private func record(_ outcome: BatchOutcome, batch: [ClaimedJob], metrics: WorkerMetrics.Stage, on conn: PGConnection) throws {
        if !outcome.failures.isEmpty {
            let failed = try JobQueue.fail(conn, owner: configuration.workerID, failures: outcome.failures.map {
                ($0.job, $0.error, configuration.retry.delay(afterAttempt: $0.job.attempt))
            })
            statistics.failed.add(outcome.failures.count, ordering: .relaxed)
            metrics.failed.increment(by: outcome.failures.count)
            metrics.dead.increment(by: failed.dead)
            logger.warning("jobs failed", metadata: [
                LogKey.stage: "\(batch[0].kind.rawValue)", LogKey.jobsCount: "\(outcome.failures.count)", LogKey.jobsDead: "\(failed.dead)",
                LogKey.jobID: "\(outcome.failures[0].job.id)", LogKey.error: "\(outcome.failures[0].error)",
            ])
        }
        let lost = batch.count - outcome.retired.count - outcome.failures.count
        if lost > 0 {
            statistics.lostLeases.add(lost, ordering: .relaxed)
            metrics.leaseLosses.increment(by: lost)
            logger.notice("lost leases: another worker owns these jobs now; our results were not written", metadata: [
                LogKey.stage: "\(batch[0].kind.rawValue)", LogKey.jobsCount: "\(lost)",
            ])
        }
        statistics.completed.add(outcome.retired.count, ordering: .relaxed)
        metrics.completed.increment(by: outcome.retired.count)
    }

    private func connect() throws -> PGConnection {
        let conn = try PGConnection(conninfo: configuration.conninfo, applicationName: "coachspool-worker")
        let seen = (conn.backendPID, conn.makeCanceller())
        current.withLock { $0 = seen }
        return conn
    }

    /// Asks the server to cancel the loop's statement in flight, if any; true when a request was sent.
    func cancelInFlight() -> Bool {
        current.withLock { $0?.canceller }?.cancel() ?? false
    }

    /// The server process of the loop's connection, once it has one.
    var backendPID: Int32? { current.withLock { $0?.backendPID } }
}
