import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import Metrics
import Synchronization

/// One claim → process → complete loop with its own connection, on its own thread.
final class ClaimLoop: Sendable {
    private let slot: Int
    private let configuration: RuntimeConfiguration
    private let signal: WakeSignal
    private let sideChannel: SideChannel
    private let handlers: [JobKind: any JobHandler]
    /// The kinds this loop claims: exactly those it has a handler for.
    private var kinds: [JobKind] { Array(handlers.keys) }
    /// Items per job of the kinds that carry many (a claim takes fewer of those).
    private let itemsPerJob: [JobKind: Int]
    private let completer: Completer
    private let statistics: WorkerStatistics
    private let metrics: [JobKind: WorkerMetrics.Stage]
    private let logger: Logger
    /// The loop's connection as other threads see it: its server process (the side channel's
    /// stall watch) and a handle that cancels its statement in flight (the shutdown deadline).
    private let current = Mutex<(backendPID: Int32, canceller: PGCanceller?)?>(nil)

    init(
        slot: Int, configuration: RuntimeConfiguration, handlers: [JobKind: any JobHandler], signal: WakeSignal,
        sideChannel: SideChannel, statistics: WorkerStatistics, logger: Logger
    ) {
        self.slot = slot
        self.configuration = configuration
        self.signal = signal
        self.sideChannel = sideChannel
        self.statistics = statistics
        self.handlers = handlers
        self.itemsPerJob = handlers.mapValues(\.itemsPerJob)
        self.completer = Completer(owner: configuration.workerID, retry: configuration.retry)
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
                    leaseSeconds: configuration.leaseSeconds, kinds: kinds, itemsPerJob: itemsPerJob)
                outage.recovered("claim loop works again", logger: logger)
                logger.trace("claimed", metadata: [LogKey.claimed: "\(jobs.count)", LogKey.batchSize: "\(configuration.batchSize)"])
                if jobs.isEmpty {
                    let idle = try JobQueue.idleState(conn, kinds: kinds, itemsPerJob: itemsPerJob)
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
            var result: Completer.Result
            var outage = OutageLog()
            var backoff = Backoff()
            while true {
                do {
                    // The handler runs the stage; the completer retires what did not fail and
                    // records the failures. Both again after a lost connection (the fencing makes
                    // a completion that committed unseen harmless).
                    let outcome = try handler.process(batch, owner: configuration.workerID, on: conn)
                    result = try completer.finish(outcome, batch: batch, on: conn)
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
                    let failures = batch.map { (job: $0, error: "\(error)") }
                    result = Completer.Result(retired: [], failed: try completer.fail(failures, on: conn), failures: failures)
                    break
                }
            }
            record(result, batch: batch, metrics: metrics)
            logger.debug("batch done", metadata: [
                LogKey.stage: "\(kind.rawValue)", LogKey.claimed: "\(batch.count)", LogKey.jobsCompleted: "\(result.retired.count)",
                LogKey.jobsFailed: "\(result.failures.count)",
            ])
            metrics.batchDuration.record(duration: ContinuousClock.now - started)
        }
        statistics.batches.add(1, ordering: .relaxed)
        return conn
    }

    private func record(_ result: Completer.Result, batch: [ClaimedJob], metrics: WorkerMetrics.Stage) {
        // Failures count as failed only where the fenced UPDATE recorded them: a failure of a job
        // another worker owns by now (its lease expired while this one was paused) is a lost
        // lease, like a refused completion.
        let failed = result.failed.retrying + result.failed.dead
        if failed > 0, let first = result.failures.first {
            statistics.failed.add(failed, ordering: .relaxed)
            metrics.failed.increment(by: failed)
            metrics.dead.increment(by: result.failed.dead)
            logger.warning("jobs failed", metadata: [
                LogKey.stage: "\(batch[0].kind.rawValue)", LogKey.jobsCount: "\(failed)", LogKey.jobsDead: "\(result.failed.dead)",
                LogKey.jobID: "\(first.job.id)", LogKey.error: "\(first.error)",
            ])
        }
        let lost = batch.count - result.retired.count - failed
        if lost > 0 {
            statistics.lostLeases.add(lost, ordering: .relaxed)
            metrics.leaseLosses.increment(by: lost)
            logger.notice("lost leases: another worker owns these jobs now; our results were not written", metadata: [
                LogKey.stage: "\(batch[0].kind.rawValue)", LogKey.jobsCount: "\(lost)",
            ])
        }
        statistics.completed.add(result.retired.count, ordering: .relaxed)
        metrics.completed.increment(by: result.retired.count)
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
