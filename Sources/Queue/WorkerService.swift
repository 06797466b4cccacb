import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import ServiceLifecycle

/// A task a worker runs beside its claim loops on a thread of its own (the product's: the keeper
/// of a space's index).
public protocol BackgroundTask: Sendable {
    var threadName: String { get }
    /// The thread body; returns after `finish()` or `cancel()`.
    func run()
    /// The queue drained (`drain`): do what is left, then return.
    func finish()
    /// Shutdown: stop now.
    func cancel()
}

/// A worker process: `concurrency` claim loops, one side channel and the background tasks given,
/// each on its own thread. The loops run the handlers given (`standardHandlers` in `coachspool
/// work`), one per job kind, and claim exactly those kinds.
///
/// On graceful shutdown (SIGTERM/SIGINT through the ServiceGroup) the loops stop claiming,
/// finish the batch in hand, and `run()` returns. With `drain`, it returns once the queue is empty.
public struct WorkerService: Service {
    public let configuration: RuntimeConfiguration
    public let statistics: WorkerStatistics
    private let handlers: [JobKind: any JobHandler]
    private let background: [any BackgroundTask]
    private let logger: Logger

    /// `statistics`: given when something (the readiness probe) reads them before the service exists.
    public init(configuration: RuntimeConfiguration, handlers: [any JobHandler], background: [any BackgroundTask] = [],
                logger: Logger, statistics: WorkerStatistics = WorkerStatistics()) {
        precondition(Set(handlers.map(\.kind)).count == handlers.count, "two handlers for one job kind")
        self.configuration = configuration
        self.background = background
        self.statistics = statistics
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.kind, $0) })
        var logger = logger
        logger[metadataKey: LogKey.workerID] = "\(configuration.workerID)"
        self.logger = logger
    }

    public func run() async throws {
        let signal = WakeSignal()
        let side = SideChannel(configuration: configuration, signal: signal, statistics: statistics, logger: logger)
        let loops = Blocking.ThreadGroup()
        let sideThreads = Blocking.ThreadGroup()
        sideThreads.spawn(name: "coachspool-side") { side.run() }
        for task in background { sideThreads.spawn(name: task.threadName) { task.run() } }
        let claimLoops = (0..<configuration.concurrency).map { slot in
            ClaimLoop(
                slot: slot, configuration: configuration, handlers: handlers, signal: signal, sideChannel: side,
                statistics: statistics, logger: logger)
        }
        side.watch(claimLoops)
        for (slot, loop) in claimLoops.enumerated() {
            loops.spawn(name: "coachspool-claim-\(slot)") { loop.run() }
        }
        let deadline = ShutdownDeadline(seconds: configuration.shutdownSeconds, logger: logger)
        logger.info("worker started", metadata: [
            LogKey.workerConcurrency: "\(configuration.concurrency)", LogKey.batchSize: "\(configuration.batchSize)",
        ])
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await loops.join()
            } onGracefulShutdown: {
                logger.info("graceful shutdown: finishing the batches in hand", metadata: [
                    LogKey.seconds: "\(configuration.shutdownSeconds)",
                ])
                signal.stop()
                for task in background { task.cancel() }
                deadline.arm { claimLoops.reduce(0) { $0 + ($1.cancelInFlight() ? 1 : 0) } }
            }
        } onCancel: {
            signal.stop()
            for task in background { task.cancel() }
        }
        // Drained: a background task does what the empty queue calls for (a space's index) before the exit.
        for task in background { task.finish() }
        signal.stop()
        await sideThreads.join()
        deadline.disarm()
        logger.info("worker stopped", metadata: [LogKey.jobsCompleted: "\(statistics.snapshot.completed)"])
    }
}

/// ServiceLifecycle describes its services when the group starts: without this, the default
/// reflection walks the handlers down to the tokenizer's 100,000 ranks (seconds of CPU per start).
extension WorkerService: CustomStringConvertible {
    public var description: String { "WorkerService(\(configuration.workerID), \(handlers.count) stages)" }
}
