import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import Knowledge
import Queue
import Spool
import Synchronization

/// Builds the HNSW index of the worker's space once its backlog has drained, and defers it when
/// a large backlog arrives on a small space (`SpaceIndex`), on a thread and connection of its
/// own: a build takes seconds to minutes and must not hold up claims or heartbeats. Every worker
/// of a space runs one; the space's advisory lock lets exactly one of them build.
final class SpaceIndexKeeper: BackgroundTask {
    let threadName = "coachspool-index"

    private struct State {
        var canceller: PGCanceller?
        var cancelled = false
    }

    private let space: Int32
    private let configuration: WorkerConfiguration
    private let logger: Logger
    private let state = Mutex(State())
    /// Wakes the keeper's wait early: `finish()` or `cancel()`.
    private let wake = WakeSignal()

    init(space: Int32, configuration: WorkerConfiguration, logger: Logger) {
        self.space = space
        self.configuration = configuration
        self.logger = logger
    }

    /// The thread body: a check every `spaceIndex.checkSeconds` until `finish()` (one last check, then
    /// return) or `cancel()` (a build in progress is cancelled; it leaves an invalid index that
    /// the next builder drops).
    func run() {
        var connection: PGConnection?
        var outage = OutageLog()
        while !isCancelled {
            let finishing = wake.isStopped
            do {
                let conn: PGConnection
                if let existing = connection, existing.isHealthy {
                    conn = existing
                } else {
                    conn = try PGConnection(conninfo: configuration.conninfo, applicationName: "coachspool-worker-index")
                    connection = conn
                    state.withLock { $0.canceller = conn.makeCanceller() }
                }
                report(try SpaceIndex.maintain(conn, space: space, settings: configuration.spaceIndex))
                outage.recovered("the space's index can be maintained again", logger: logger, metadata: [LogKey.space: "\(space)"])
            } catch {
                if isCancelled { break }
                outage.failed(error, "could not maintain the space's index; retrying", logger: logger, metadata: [LogKey.space: "\(space)"])
                connection = nil
            }
            if finishing { break }
            wake.wait(seconds: configuration.spaceIndex.checkSeconds)
        }
    }

    /// Runs one last check (the build a drained queue calls for), then `run()` returns.
    func finish() { wake.stop() }

    /// Stops now, cancelling a build in progress.
    func cancel() {
        let canceller = state.withLock { state -> PGCanceller? in
            state.cancelled = true
            return state.canceller
        }
        canceller?.cancel()
        wake.stop()
    }

    private var isCancelled: Bool { state.withLock { $0.cancelled } }

    private func report(_ outcome: SpaceIndex.Outcome) {
        switch outcome {
        case .built(let seconds):
            logger.info("built the space's HNSW index", metadata: [LogKey.space: "\(space)", LogKey.seconds: "\(String(format: "%.1f", seconds))"])
        case .adopted:
            logger.info("found the space's HNSW index built by a worker that stopped before recording it", metadata: [LogKey.space: "\(space)"])
        case .deferred:
            logger.info("a large backlog on a small space: its HNSW index is built again once the backlog has drained", metadata: [LogKey.space: "\(space)"])
        case .nothing:
            logger.trace("space index checked", metadata: [LogKey.space: "\(space)"])
        }
    }
}
