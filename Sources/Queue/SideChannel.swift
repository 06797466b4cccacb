import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import Synchronization

/// The worker's second line to the database, on a thread and connection of its own so that
/// CPU-heavy stages in the claim loops can never starve it. It
/// - extends the leases of the batches in hand (every third of the lease),
/// - records the worker's heartbeat in `coachspool.workers`,
/// - LISTENs for new work and wakes idle claim loops,
/// - returns expired leases of crashed or partitioned workers to the queue,
/// - refreshes the queue-depth gauges, when metrics are exported,
/// - watches the claim loops' statements: one running past the stall threshold (a commit that
///   waits for a synchronous standby that is gone, a lock) fails readiness, with one log line
///   when it starts and one when it ends.
final class SideChannel: Sendable {
    private let configuration: RuntimeConfiguration
    private let signal: WakeSignal
    private let statistics: WorkerStatistics
    private let logger: Logger
    /// The batch each claim loop holds now, by slot.
    private let inHand = Mutex<[Int: [ClaimedJob]]>([:])
    private let connected = WorkerMetrics.databaseConnected()
    private let queueDepth = QueueDepthGauges()
    private let stalls = WorkerMetrics.statementsStalled()
    /// The claim loops whose statements the stall watch looks at.
    private let watched = Mutex<[ClaimLoop]>([])

    init(configuration: RuntimeConfiguration, signal: WakeSignal, statistics: WorkerStatistics, logger: Logger) {
        self.configuration = configuration
        self.signal = signal
        self.statistics = statistics
        self.logger = logger
    }

    /// The loops the stall watch looks at (they are made after the side channel: they report to it).
    func watch(_ loops: [ClaimLoop]) {
        watched.withLock { $0 = loops }
    }

    func track(slot: Int, jobs: [ClaimedJob]) {
        inHand.withLock { $0[slot] = jobs }
    }

    func untrack(slot: Int) {
        _ = inHand.withLock { $0.removeValue(forKey: slot) }
    }

    /// The thread body; returns after `signal.stop()`.
    func run() {
        let heartbeatEvery = configuration.leaseSeconds / 3
        let reapEvery = max(1, configuration.leaseSeconds / 2)
        var connection: PGConnection?
        var nextHeartbeat = Date()
        var nextReap = Date()
        var nextQueueDepth = Date()
        var nextStallCheck = Date()
        var backoff = Backoff()
        var outage = OutageLog()
        defer { setConnected(false) }
        while !signal.isStopped {
            do {
                let conn: PGConnection
                if let existing = connection, existing.isHealthy {
                    conn = existing
                } else {
                    conn = try connect()
                    connection = conn
                    setConnected(true)
                    outage.recovered("side channel reconnected", logger: logger)
                    backoff.reset()
                    nextHeartbeat = Date()
                    signal.wake()  // notifications may have been missed while disconnected
                }
                let now = Date()
                if now >= nextHeartbeat {
                    let jobs = inHand.withLock { Array($0.values.joined()) }
                    // The leases first: they are what keeps the work; the registry row only reports.
                    let extended = try JobQueue.heartbeat(conn, owner: configuration.workerID, jobs: jobs, leaseSeconds: configuration.leaseSeconds)
                    try WorkerRegistry.heartbeat(conn, registration, holding: jobs)
                    if extended < jobs.count {
                        logger.debug("leases not extended: lost to the reaper or another worker", metadata: [
                            LogKey.jobsCount: "\(jobs.count - extended)",
                        ])
                    }
                    nextHeartbeat = now.addingTimeInterval(heartbeatEvery)
                }
                if now >= nextReap {
                    let reaped = try JobQueue.reapExpiredLeases(conn)
                    try WorkerRegistry.pruneGone(conn)
                    logger.trace("reaper ran", metadata: [LogKey.jobsCount: "\(reaped.count)"])
                    if !reaped.isEmpty {
                        record(reaped)
                        signal.wake()
                    }
                    nextReap = now.addingTimeInterval(reapEvery)
                }
                if now >= nextStallCheck {
                    try watchStalls(conn)
                    nextStallCheck = now.addingTimeInterval(1)
                }
                if let every = configuration.queueDepthSeconds, now >= nextQueueDepth {
                    try queueDepth.refresh(conn)
                    nextQueueDepth = now.addingTimeInterval(every)
                }
                let wait = max(0.01, min(1.0, nextHeartbeat.timeIntervalSinceNow, nextReap.timeIntervalSinceNow))
                if !(try conn.waitForNotifications(timeout: .milliseconds(Int(wait * 1000)), interruptFD: signal.stopFD)).isEmpty {
                    signal.wake()
                }
            } catch {
                outage.failed(error, "side channel lost the database; reconnecting", logger: logger)
                connection = nil
                setConnected(false)
                signal.wait(seconds: backoff.next())
            }
        }
        if let connection, connection.isHealthy {
            try? WorkerRegistry.markStopped(connection, id: configuration.workerID)
        }
    }

    private func watchStalls(_ conn: PGConnection) throws {
        let backends = watched.withLock { $0.compactMap(\.backendPID) }
        guard !backends.isEmpty else { return }
        let now = try conn.query("""
            SELECT count(*) FROM pg_stat_activity
             WHERE pid = ANY(\(backends)::integer[]) AND state = 'active'
               AND now() - query_start > make_interval(secs => \(configuration.stallSeconds))
            """).scalar(Int.self)
        let before = statistics.stalled.exchange(now, ordering: .relaxed)
        stalls.now.record(now)
        if now > before { stalls.total.increment(by: now - before) }
        if now > 0, before == 0 {
            logger.warning("statements running past the stall threshold: the database is not completing this worker's batches (a synchronous standby gone? a lock?); not ready", metadata: [
                LogKey.seconds: "\(configuration.stallSeconds)", LogKey.jobsCount: "\(now)",
            ])
        } else if now == 0, before > 0 {
            logger.notice("statements complete again; ready")
        }
    }

    private func setConnected(_ value: Bool) {
        statistics.connected.store(value, ordering: .relaxed)
        connected.record(value ? 1 : 0)
    }

    private func record(_ reaped: [JobQueue.Reaped]) {
        for (kind, jobs) in Dictionary(grouping: reaped, by: \.kind) {
            WorkerMetrics.leasesReaped(stage: kind).increment(by: jobs.count)
            WorkerMetrics.jobsDead(stage: kind).increment(by: jobs.count { $0.dead })
        }
        logger.info("returned expired leases to the queue", metadata: [
            LogKey.jobsCount: "\(reaped.count)", LogKey.jobsDead: "\(reaped.count { $0.dead })",
        ])
    }

    private func connect() throws -> PGConnection {
        let conn = try PGConnection(conninfo: configuration.conninfo, applicationName: "coachspool-worker-side")
        // Heartbeats, lease extensions and reaping may be lost in a failover at no cost (a lease
        // that expires again is reaped again; fencing rejects a stale owner), so they do not wait
        // for a synchronous standby: with the standby gone, this thread keeps watching for
        // stalled loops and answering the shutdown instead of hanging in a commit with them.
        try conn.execute(unsafeSQL: "SET synchronous_commit = local")
        try conn.listen(JobQueue.channel)
        try WorkerRegistry.register(conn, registration)
        return conn
    }

    private var registration: WorkerRegistry.Registration {
        WorkerRegistry.Registration(
            id: configuration.workerID, host: ProcessInfo.processInfo.hostName, pid: getpid(),
            concurrency: configuration.concurrency, leaseSeconds: configuration.leaseSeconds)
    }
}
