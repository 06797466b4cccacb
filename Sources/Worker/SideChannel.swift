import Foundation
import LibPQ
import Logging
import Spool
import Synchronization

/// The worker's second line to the database, on a thread and connection of its own so that
/// CPU-heavy stages in the claim loops can never starve it. It
/// - extends the leases of the batches in hand (every third of the lease),
/// - records the worker's heartbeat in `coachspool.workers`,
/// - LISTENs for new work and wakes idle claim loops,
/// - returns expired leases of crashed or partitioned workers to the queue.
final class SideChannel: Sendable {
    private let configuration: WorkerConfiguration
    private let signal: WakeSignal
    private let logger: Logger
    /// The batch each claim loop holds now, by slot.
    private let inHand = Mutex<[Int: [ClaimedJob]]>([:])

    init(configuration: WorkerConfiguration, signal: WakeSignal, logger: Logger) {
        self.configuration = configuration
        self.signal = signal
        self.logger = logger
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
        var backoff = 0.2
        while !signal.isStopped {
            do {
                let conn: PGConnection
                if let existing = connection, existing.isHealthy {
                    conn = existing
                } else {
                    conn = try connect()
                    connection = conn
                    backoff = 0.2
                    nextHeartbeat = Date()
                    signal.wake()  // notifications may have been missed while disconnected
                }
                let now = Date()
                if now >= nextHeartbeat {
                    let jobs = inHand.withLock { Array($0.values.joined()) }
                    try JobQueue.heartbeat(conn, owner: configuration.workerID, jobs: jobs, leaseSeconds: configuration.leaseSeconds)
                    nextHeartbeat = now.addingTimeInterval(heartbeatEvery)
                }
                if now >= nextReap {
                    let reaped = try JobQueue.reapExpiredLeases(conn)
                    if reaped > 0 {
                        logger.info("returned expired leases to the queue", metadata: ["jobs.count": "\(reaped)"])
                        signal.wake()
                    }
                    nextReap = now.addingTimeInterval(reapEvery)
                }
                let wait = max(0.01, min(1.0, nextHeartbeat.timeIntervalSinceNow, nextReap.timeIntervalSinceNow))
                if !(try conn.waitForNotifications(timeout: .milliseconds(Int(wait * 1000)), interruptFD: signal.stopFD)).isEmpty {
                    signal.wake()
                }
            } catch {
                logger.warning("side channel lost the database; reconnecting", metadata: ["error": "\(error)"])
                connection = nil
                signal.wait(seconds: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
        if let connection, connection.isHealthy {
            try? WorkerRegistry.markStopped(connection, id: configuration.workerID)
        }
    }

    private func connect() throws -> PGConnection {
        let conn = try PGConnection(conninfo: configuration.conninfo, applicationName: "coachspool-worker-side")
        try conn.listen(JobQueue.channel)
        try WorkerRegistry.register(
            conn, id: configuration.workerID, host: ProcessInfo.processInfo.hostName,
            pid: getpid(), concurrency: configuration.concurrency)
        return conn
    }
}
