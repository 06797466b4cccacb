import CoachSpoolCore
import Foundation
import Logging
import Synchronization

/// Graceful shutdown must end within a bounded time even when the database does not answer (a
/// commit waiting for a synchronous standby that is gone, a primary cut off): `seconds` after
/// `arm`, the statements in flight are cancelled (`PQcancel`, repeated every 0.2 s), and if the
/// worker has still not stopped two seconds later — a cancel request cannot reach a database that is cut off — the
/// process exits. Either way the batches in hand keep their leases, which expire, and other
/// workers redo the jobs (the completion's fencing keeps that exactly once).
final class ShutdownDeadline: Sendable {
    private let seconds: Double
    private let logger: Logger
    private let done = Atomic<Bool>(false)
    private let armed = Atomic<Bool>(false)

    init(seconds: Double, logger: Logger) {
        self.seconds = seconds
        self.logger = logger
    }

    /// Starts the clock (once); `cancel` cancels the statements in flight and returns how many.
    func arm(cancel: @escaping @Sendable () -> Int) {
        guard !armed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            guard !waitForDone(seconds) else { return }
            let cancelled = cancel()
            logger.warning("shutdown deadline passed: cancelled the statements in flight; their leases expire", metadata: [
                LogKey.seconds: "\(seconds)", LogKey.jobsCount: "\(cancelled)",
            ])
            // A cancelled wait for a synchronous standby lets that COMMIT return (committed
            // locally), and the loop's next statement waits again: keep cancelling until it stops.
            for _ in 0..<10 {
                guard !waitForDone(0.2) else { return }
                _ = cancel()
            }
            logger.error("the database did not answer the cancel: exiting with the batches in hand (their leases expire)")
            exit(1)
        }
        thread.name = "coachspool-shutdown-deadline"
        thread.start()
    }

    /// The worker stopped: the deadline no longer applies.
    func disarm() { done.store(true, ordering: .releasing) }

    private func waitForDone(_ seconds: Double) -> Bool {
        let until = Date(timeIntervalSinceNow: seconds)
        while Date() < until {
            if done.load(ordering: .acquiring) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return done.load(ordering: .acquiring)
    }
}
