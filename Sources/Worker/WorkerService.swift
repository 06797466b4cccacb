import Foundation
import LibPQ
import Logging
import ServiceLifecycle
import Spool

/// A worker process: `concurrency` claim loops and one side channel, each on its own thread.
///
/// On graceful shutdown (SIGTERM/SIGINT through the ServiceGroup) the loops stop claiming,
/// finish the batch in hand, and `run()` returns. With `drain`, it returns once the queue is empty.
public struct WorkerService: Service {
    public let configuration: WorkerConfiguration
    public let statistics = WorkerStatistics()
    private let logger: Logger

    public init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "worker.id"] = "\(configuration.workerID)"
        self.logger = logger
    }

    public func run() async throws {
        let signal = WakeSignal()
        let side = SideChannel(configuration: configuration, signal: signal, statistics: statistics, logger: logger)
        let loops = ThreadGroup()
        let sideThread = ThreadGroup()
        sideThread.spawn(name: "coachspool-side") { side.run() }
        for slot in 0..<configuration.concurrency {
            let loop = ClaimLoop(
                slot: slot, configuration: configuration, signal: signal, sideChannel: side,
                statistics: statistics, logger: logger)
            loops.spawn(name: "coachspool-claim-\(slot)") { loop.run() }
        }
        logger.info("worker started", metadata: [
            "worker.concurrency": "\(configuration.concurrency)", "spool.batch_size": "\(configuration.batchSize)",
        ])
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await loops.join()
            } onGracefulShutdown: {
                logger.info("graceful shutdown: finishing the batches in hand")
                signal.stop()
            }
        } onCancel: {
            signal.stop()
        }
        signal.stop()
        await sideThread.join()
        logger.info("worker stopped", metadata: ["jobs.completed": "\(statistics.snapshot.completed)"])
    }
}
