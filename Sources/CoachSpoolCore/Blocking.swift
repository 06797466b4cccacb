import Foundation

/// The one way to run blocking work (libpq calls, file and HTTP I/O, CPU-bound stages, child
/// processes) from async code: on threads of its own, never on Swift's cooperative pool, whose
/// few threads would otherwise stall every task of the process.
public enum Blocking {
    /// Runs `body` on a new thread and returns its result.
    public static func run<T: Sendable>(
        name: String = "coachspool-blocking", _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Long-lived threads (a worker's claim loops and side channel) that async code awaits together.
    public final class ThreadGroup: @unchecked Sendable {
        // Safe to share: `running` and `waiter` are only touched under `lock`.
        private let lock = NSLock()
        private var running = 0
        private var waiter: CheckedContinuation<Void, Never>?

        public init() {}

        public func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
            lock.lock()
            running += 1
            lock.unlock()
            let thread = Thread { [self] in
                body()
                lock.lock()
                running -= 1
                let done = running == 0 ? waiter : nil
                if done != nil { waiter = nil }
                lock.unlock()
                done?.resume()
            }
            thread.name = name
            thread.stackSize = 4 << 20
            thread.start()
        }

        /// Returns once every spawned thread has finished.
        public func join() async {
            await withCheckedContinuation { continuation in
                lock.lock()
                if running == 0 {
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiter = continuation
                    lock.unlock()
                }
            }
        }
    }
}
